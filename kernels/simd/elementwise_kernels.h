// The xsimd elementwise and pooling kernels of each path: one generic
// implementation per family (kernels/simd/elementwise.h, kernels/simd/pool.h)
// instantiated once per ISA in that ISA's translation unit. Each takes the
// reference kernel's parameters and gives its results bit for bit. Only declared
// where built (the QRT_HAVE_*_ELEMENTWISE definitions of kernels/CMakeLists.txt);
// only to be called where the CPU supports the path.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

#if QRT_HAVE_AVX2_ELEMENTWISE
// The AVX2 path (x86/avx2/elementwise_avx2.cc, xsimd::avx2).
void qs8_add__avx2(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_mul__avx2(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_max_pool2d__avx2(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_average_pool2d__avx2(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_concat__avx2(const ConcatParams& p, const int8_t* const* inputs, int8_t* output);
void x8_resize_nearest__avx2(const ResizeNearestParams& p, const int8_t* input, int8_t* output);
void x8_lookup__avx2(const LookupParams& p, const int8_t* input, int8_t* output);
void qs8_softmax__avx2(const SoftmaxParams& p, const int8_t* input, int8_t* output);
void f32_qs8_quantize__avx2(const QuantizeParams& p, const float* input, int8_t* output);
void qs8_f32_dequantize__avx2(const DequantizeParams& p, const int8_t* input, float* output);
#endif  // QRT_HAVE_AVX2_ELEMENTWISE

#if QRT_HAVE_AVX512_ELEMENTWISE
// The AVX-512 path (x86/avx512vnni/elementwise_avx512.cc, xsimd::avx512bw).
void qs8_add__avx512bw(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_mul__avx512bw(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_max_pool2d__avx512bw(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_average_pool2d__avx512bw(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_concat__avx512bw(const ConcatParams& p, const int8_t* const* inputs, int8_t* output);
void x8_resize_nearest__avx512bw(const ResizeNearestParams& p, const int8_t* input, int8_t* output);
// The vpshufb lookup, and the vpermi2b one that the dispatch table takes instead
// where the CPU has AVX-512 VBMI (CpuFeatures::avx512_vbmi).
void x8_lookup__avx512bw(const LookupParams& p, const int8_t* input, int8_t* output);
void qs8_softmax__avx512bw(const SoftmaxParams& p, const int8_t* input, int8_t* output);
void x8_lookup__avx512vbmi(const LookupParams& p, const int8_t* input, int8_t* output);
void f32_qs8_quantize__avx512bw(const QuantizeParams& p, const float* input, int8_t* output);
void qs8_f32_dequantize__avx512bw(const DequantizeParams& p, const int8_t* input, float* output);
#endif  // QRT_HAVE_AVX512_ELEMENTWISE

#if QRT_HAVE_NEON_ELEMENTWISE
// The NEON path (arm/neon/elementwise_neon.cc, xsimd::neon64).
void qs8_add__neon(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_mul__neon(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output);
void qs8_max_pool2d__neon(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_average_pool2d__neon(const Pool2DParams& p, const int8_t* input, int8_t* output);
void qs8_concat__neon(const ConcatParams& p, const int8_t* const* inputs, int8_t* output);
void x8_resize_nearest__neon(const ResizeNearestParams& p, const int8_t* input, int8_t* output);
void x8_lookup__neon(const LookupParams& p, const int8_t* input, int8_t* output);
void qs8_softmax__neon(const SoftmaxParams& p, const int8_t* input, int8_t* output);
void f32_qs8_quantize__neon(const QuantizeParams& p, const float* input, int8_t* output);
void qs8_f32_dequantize__neon(const DequantizeParams& p, const int8_t* input, float* output);
#endif  // QRT_HAVE_NEON_ELEMENTWISE

}  // namespace qrt::kernels
