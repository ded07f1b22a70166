#include "qrt/kernels/dispatch.h"

#include "qrt/kernels/reference.h"

#if QRT_HAVE_AVX2 || QRT_HAVE_AVX512VNNI
#include "pack/depthwise_conv2d_tap_dwords.h"
#endif
#if QRT_HAVE_AVX2
#include "pack/gemm_8c_avx2.h"
#include "x86/avx2/avx2.h"
#endif
#if QRT_HAVE_AVX512VNNI
#include "pack/gemm_16c4_vnni.h"
#include "x86/avx512vnni/avx512vnni.h"
#endif
#if QRT_HAVE_NEON
#include "arm/neon/neon.h"
#include "pack/depthwise_conv2d_16c_neon.h"
#include "pack/gemm_16c4_neon.h"
#endif
#if QRT_HAVE_NEONDOT
#include "arm/neondot/neondot.h"
#endif
#if QRT_HAVE_AVX2_ELEMENTWISE || QRT_HAVE_AVX512_ELEMENTWISE || QRT_HAVE_NEON_ELEMENTWISE
#include "simd/elementwise_kernels.h"
#endif

namespace qrt::kernels {
namespace {

KernelTable ReferenceTable() {
  KernelTable t;
  t.conv2d.fn = ref::Conv2D;
  t.depthwise_conv2d.fn = ref::Conv2D;
  t.fully_connected.fn = ref::FullyConnected;
  t.add.fn = ref::Add;
  t.mul.fn = ref::Mul;
  t.max_pool2d.fn = ref::MaxPool2D;
  t.average_pool2d.fn = ref::AveragePool2D;
  t.concat.fn = ref::Concat;
  t.transpose.fn = ref::Transpose;
  t.pad.fn = ref::Pad;
  t.resize_nearest.fn = ref::ResizeNearest;
  t.lookup.fn = ref::Lookup;
  t.softmax.fn = ref::Softmax;
  t.quantize.fn = ref::Quantize;
  t.dequantize.fn = ref::Dequantize;
  t.conv_transpose2d.fn = ref::ConvTranspose2D;
  t.resize_bilinear.fn = ref::ResizeBilinear;
  t.layer_norm.fn = ref::LayerNorm;
  t.batch_matmul.fn = ref::BatchMatMul;
  t.slice.fn = ref::Slice;
  return t;
}

// The xsimd elementwise and pooling kernels of one path (simd/elementwise_kernels.h).
struct ElementwiseKernels {
  AddFn add;
  MulFn mul;
  Pool2DFn max_pool2d;
  Pool2DFn average_pool2d;
  ConcatFn concat;
  ResizeNearestFn resize_nearest;
  LookupFn lookup;
  SoftmaxFn softmax;
  QuantizeFn quantize;
  DequantizeFn dequantize;
};

[[maybe_unused]] void OverlayElementwise(KernelTable& t, Isa isa, const ElementwiseKernels& k) {
  t.add = {k.add, isa};
  t.mul = {k.mul, isa};
  t.max_pool2d = {k.max_pool2d, isa};
  t.average_pool2d = {k.average_pool2d, isa};
  t.concat = {k.concat, isa};
  t.resize_nearest = {k.resize_nearest, isa};
  t.lookup = {k.lookup, isa};
  t.softmax = {k.softmax, isa};
  t.quantize = {k.quantize, isa};
  t.dequantize = {k.dequantize, isa};
}

}  // namespace

// Fast paths overlay the entries they implement on the reference table, least
// capable first, each only where it was built. A GEMM-shaped entry is
// {{fn, isa}, packed_size, pack, channel_block} (dispatch.h: GemmKernel).
KernelTable SelectKernels(Isa max_isa) {
  KernelTable t = ReferenceTable();
#if QRT_HAVE_AVX512VNNI || QRT_HAVE_AVX512_ELEMENTWISE
  // The VBMI variants of the kAvx512Vnni path (AVX-512 VBMI is no part of it).
  [[maybe_unused]] const bool vbmi = DetectCpuFeatures().avx512_vbmi;
#endif
#if QRT_HAVE_AVX2
  // Every x86 path at or above AVX2 (kNeon and up are another architecture).
  if (max_isa == Isa::kAvx2 || max_isa == Isa::kAvx512Vnni) {
    t.conv2d = {
        {qs8_conv2d_4x16__avx2, Isa::kAvx2}, PackedSizeConv2D8cAvx2, PackConv2D8cAvx2, kGemm8cNr};
    t.fully_connected = {{qs8_fully_connected_4x16__avx2, Isa::kAvx2},
                         PackedSizeFullyConnected8cAvx2,
                         PackFullyConnected8cAvx2,
                         kGemm8cNr};
    t.depthwise_conv2d = {{qs8_depthwise_conv2d_32c2__avx2, Isa::kAvx2},
                          PackedSizeDepthwiseConv2dAvx2,
                          PackDepthwiseConv2dAvx2,
                          kDwAvx2MaxBlock};
    t.transpose = {x8_transpose_interleave__avx2, Isa::kAvx2};
    t.batch_matmul = {qs8_batch_matmul_4x16c2__avx2, Isa::kAvx2};
  }
#endif
#if QRT_HAVE_AVX512VNNI
  // kAvx512Vnni is the most capable x86 path (kNeon and up are another architecture).
  if (max_isa == Isa::kAvx512Vnni) {
    t.conv2d = {{qs8_conv2d_6x16c4__avx512vnni, Isa::kAvx512Vnni},
                PackedSizeGemm16c4Vnni,
                PackGemm16c4Vnni,
                kGemm16c4Nr};
    t.fully_connected = {{qs8_fully_connected_4x16c4__avx512vnni, Isa::kAvx512Vnni},
                         PackedSizeGemm16c4Vnni,
                         PackGemm16c4Vnni,
                         kGemm16c4Nr};
    t.depthwise_conv2d = {{qs8_depthwise_conv2d_64c4__avx512vnni, Isa::kAvx512Vnni},
                          PackedSizeDepthwiseConv2dVnni,
                          PackDepthwiseConv2dVnni,
                          kDwVnniMaxBlock};
    t.batch_matmul = {qs8_batch_matmul_4x64c4__avx512vnni, Isa::kAvx512Vnni};
    if (vbmi) t.conv2d.fn = qs8_conv2d_6x16c4__avx512vbmi;
  }
#else
  static_cast<void>(max_isa);
#endif
#if QRT_HAVE_NEON
  // Every Arm path; neondot replaces the GEMM kernels (same packed layout).
  if (max_isa == Isa::kNeon || max_isa == Isa::kNeonDot) {
    t.conv2d = {
        {qs8_conv2d_2x16c4__neon, Isa::kNeon}, PackedSizeNeonGemm, PackNeonGemm, kNeonGemmNr};
    t.fully_connected = {{qs8_fully_connected_2x16c4__neon, Isa::kNeon},
                         PackedSizeNeonGemm,
                         PackNeonGemm,
                         kNeonGemmNr};
    t.depthwise_conv2d = {{qs8_depthwise_conv2d_16c__neon, Isa::kNeon},
                          PackedSizeNeonDepthwise,
                          PackNeonDepthwise,
                          kNeonDwNr};
  }
#endif
#if QRT_HAVE_NEONDOT
  if (max_isa == Isa::kNeonDot) {
    t.conv2d.fn = qs8_conv2d_4x16c4__neondot;
    t.conv2d.isa = Isa::kNeonDot;
    t.fully_connected.fn = qs8_fully_connected_4x16c4__neondot;
    t.fully_connected.isa = Isa::kNeonDot;
  }
#endif
  // The xsimd elementwise, pooling and softmax kernels: AVX2 on every x86 path from
  // kAvx2, AVX-512 over it on kAvx512Vnni, NEON on every Arm path.
#if QRT_HAVE_AVX2_ELEMENTWISE
  if (max_isa == Isa::kAvx2 || max_isa == Isa::kAvx512Vnni) {
    OverlayElementwise(
        t, Isa::kAvx2,
        {qs8_add__avx2, qs8_mul__avx2, qs8_max_pool2d__avx2, qs8_average_pool2d__avx2,
         qs8_concat__avx2, x8_resize_nearest__avx2, x8_lookup__avx2, qs8_softmax__avx2,
         f32_qs8_quantize__avx2, qs8_f32_dequantize__avx2});
  }
#endif
#if QRT_HAVE_AVX512_ELEMENTWISE
  if (max_isa == Isa::kAvx512Vnni) {
    OverlayElementwise(t, Isa::kAvx512Vnni,
                       {qs8_add__avx512bw, qs8_mul__avx512bw, qs8_max_pool2d__avx512bw,
                        qs8_average_pool2d__avx512bw, qs8_concat__avx512bw,
                        x8_resize_nearest__avx512bw, x8_lookup__avx512bw, qs8_softmax__avx512bw,
                        f32_qs8_quantize__avx512bw, qs8_f32_dequantize__avx512bw});
    if (vbmi) t.lookup.fn = x8_lookup__avx512vbmi;
  }
#endif
#if QRT_HAVE_NEON_ELEMENTWISE
  if (max_isa == Isa::kNeon || max_isa == Isa::kNeonDot) {
    OverlayElementwise(
        t, Isa::kNeon,
        {qs8_add__neon, qs8_mul__neon, qs8_max_pool2d__neon, qs8_average_pool2d__neon,
         qs8_concat__neon, x8_resize_nearest__neon, x8_lookup__neon, qs8_softmax__neon,
         f32_qs8_quantize__neon, qs8_f32_dequantize__neon});
  }
#endif
  return t;
}

}  // namespace qrt::kernels
