// The dispatch table: one function pointer per kernel family, filled once when a
// model loads. Each path contributes the families it implements; a family a path
// lacks falls back to the next less capable path of the same architecture and,
// last, to the reference kernel, so every entry is always callable.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {

using Conv2DFn = void (*)(const Conv2DParams&, const int8_t*, const void*, const int32_t*, int8_t*,
                          const OutputTile&);
using FullyConnectedFn = void (*)(const FullyConnectedParams&, const int8_t*, const void*,
                                  const int32_t*, int8_t*, const OutputTile&);
using AddFn = void (*)(const AddParams&, const int8_t*, const int8_t*, int8_t*);
using MulFn = void (*)(const MulParams&, const int8_t*, const int8_t*, int8_t*);
using Pool2DFn = void (*)(const Pool2DParams&, const int8_t*, int8_t*);
using ConcatFn = void (*)(const ConcatParams&, const int8_t* const*, int8_t*);
using TransposeFn = void (*)(const TransposeParams&, const int8_t*, int8_t*);
using PadFn = void (*)(const PadParams&, const int8_t*, int8_t*);
using ResizeNearestFn = void (*)(const ResizeNearestParams&, const int8_t*, int8_t*);
using LookupFn = void (*)(const LookupParams&, const int8_t*, int8_t*);
using SoftmaxFn = void (*)(const SoftmaxParams&, const int8_t*, int8_t*);
using QuantizeFn = void (*)(const QuantizeParams&, const float*, int8_t*);
using DequantizeFn = void (*)(const DequantizeParams&, const int8_t*, float*);
using ConvTranspose2DFn = void (*)(const ConvTranspose2DParams&, const int8_t*, const void*,
                                   const int32_t*, int8_t*);
using ResizeBilinearFn = void (*)(const ResizeBilinearParams&, const int8_t*, int8_t*);
using LayerNormFn = void (*)(const LayerNormParams&, const int8_t*, int8_t*);
using BatchMatMulFn = void (*)(const BatchMatMulParams&, const int8_t*, const int8_t*, int8_t*);
using SliceFn = void (*)(const SliceParams&, const int8_t*, int8_t*);

// A kernel and the path it came from (reported by qrt-bench per operator).
template <class Fn>
struct Kernel {
  Fn fn = nullptr;
  Isa isa = Isa::kReference;
};

// A GEMM-shaped kernel (fully connected, convolution) and how to prepare its
// weights. Kernels that read their own weight layout instead of the canonical one
// (OHWI / [N, K]) say how to pack it:
// - pack == nullptr (e.g. the reference): fn takes the canonical weights and bias.
// - pack != nullptr: the caller packs once, at Prepare, into a buffer of
//   packed_size(p) bytes aligned to 64, and passes it to fn as `weights`; fn does
//   not read `bias` (the packed data holds what it needs), so any pointer, e.g.
//   the original bias, may be passed. The packed buffer may fold in the input zero
//   point and the requantization, so it is packed with the Params fn will run with.
// fn computes one OutputTile; tiles split channels only at multiples of
// channel_block (the kernel's packed block of output channels).
template <class Params, class Fn>
struct GemmKernel : Kernel<Fn> {
  size_t (*packed_size)(const Params&) = nullptr;
  void (*pack)(const Params&, const void* weights, const int32_t* bias, void* packed) = nullptr;
  int channel_block = 1;
};

using FullyConnectedKernel = GemmKernel<FullyConnectedParams, FullyConnectedFn>;
using Conv2DKernel = GemmKernel<Conv2DParams, Conv2DFn>;

struct KernelTable {
  // Any grouped convolution.
  Conv2DKernel conv2d;
  // Convolutions with groups == in_c == out_c; the runtime picks this entry for them.
  Conv2DKernel depthwise_conv2d;
  FullyConnectedKernel fully_connected;
  Kernel<AddFn> add;
  Kernel<MulFn> mul;
  Kernel<Pool2DFn> max_pool2d;
  Kernel<Pool2DFn> average_pool2d;
  Kernel<ConcatFn> concat;
  Kernel<TransposeFn> transpose;
  Kernel<PadFn> pad;
  Kernel<ResizeNearestFn> resize_nearest;
  Kernel<LookupFn> lookup;
  Kernel<SoftmaxFn> softmax;
  Kernel<QuantizeFn> quantize;
  Kernel<DequantizeFn> dequantize;
  // Any transposed convolution. The runtime runs those whose kernel equals their
  // stride as GEMMs on fully_connected instead (conv_transpose2d_gemm.h).
  Kernel<ConvTranspose2DFn> conv_transpose2d;
  Kernel<ResizeBilinearFn> resize_bilinear;
  Kernel<LayerNormFn> layer_norm;
  Kernel<BatchMatMulFn> batch_matmul;
  Kernel<SliceFn> slice;
};

// The kernels for the most capable path at or below max_isa. The caller makes
// sure the CPU supports max_isa.
KernelTable SelectKernels(Isa max_isa);

}  // namespace qrt::kernels
