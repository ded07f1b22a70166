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

using Conv2DFn = void (*)(const Conv2DParams&, const int8_t*, const void*, const int32_t*, int8_t*);
using FullyConnectedFn = void (*)(const FullyConnectedParams&, const int8_t*, const void*,
                                  const int32_t*, int8_t*);
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

// A kernel and the path it came from (reported by qrt-bench per operator).
template <class Fn>
struct Kernel {
  Fn fn = nullptr;
  Isa isa = Isa::kReference;
};

// Weight packing for kernels that read their own layout instead of the canonical
// [N, K] one. PackedSizeFn gives the bytes of the packed buffer; PackFn fills it
// from the canonical weights and bias of a model (the FullyConnectedParams must be
// the ones the kernel will run with: packing folds in the input zero point and the
// requantization).
using FullyConnectedPackedSizeFn = size_t (*)(const FullyConnectedParams&);
using FullyConnectedPackFn = void (*)(const FullyConnectedParams&, const void* weights,
                                      const int32_t* bias, void* packed);

// A fully connected kernel and how to prepare its weights.
// - pack == nullptr (the reference): fn takes the canonical weights and bias.
// - pack != nullptr: the caller packs once, at Prepare, into a buffer of
//   packed_size(p) bytes aligned to 64, and passes it to fn as `weights`; fn does
//   not read `bias` (the packed data holds what it needs), so any pointer, e.g.
//   the original bias, may be passed. The packed buffer depends on p, so it must be
//   repacked when the parameters change.
struct FullyConnectedKernel : Kernel<FullyConnectedFn> {
  FullyConnectedPackedSizeFn packed_size = nullptr;
  FullyConnectedPackFn pack = nullptr;
};

struct KernelTable {
  Kernel<Conv2DFn> conv2d;
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
};

// The kernels for the most capable path at or below max_isa. The caller makes
// sure the CPU supports max_isa.
KernelTable SelectKernels(Isa max_isa);

}  // namespace qrt::kernels
