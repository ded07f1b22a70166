// The AVX2 instantiation of the xsimd elementwise and pooling kernels
// (kernels/simd/elementwise.h, kernels/simd/pool.h) for xsimd::avx2. Compiled
// with -mavx2 -mfma only (kernels/CMakeLists.txt); every helper it compiles is
// in an anonymous namespace or a template on xsimd::avx2, so no AVX2 copy of a
// shared inline function can stand in for a baseline one (ODR).
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "qrt/kernels/params.h"
#include "simd/elementwise.h"
#include "simd/elementwise_kernels.h"
#include "simd/pool.h"
#include "simd/softmax.h"

#if !XSIMD_WITH_AVX2
#error "this translation unit needs its ISA's compiler flags (kernels/CMakeLists.txt)"
#endif

namespace qrt::kernels {

void qs8_add__avx2(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Add<xsimd::avx2>(p, a, b, output);
}

void qs8_mul__avx2(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Mul<xsimd::avx2>(p, a, b, output);
}

void qs8_max_pool2d__avx2(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::MaxPool2D<xsimd::avx2>(p, input, output);
}

void qs8_average_pool2d__avx2(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::AveragePool2D<xsimd::avx2>(p, input, output);
}

void qs8_concat__avx2(const ConcatParams& p, const int8_t* const* inputs, int8_t* output) {
  simd::Concat<xsimd::avx2>(p, inputs, output);
}

void x8_resize_nearest__avx2(const ResizeNearestParams& p, const int8_t* input, int8_t* output) {
  simd::ResizeNearest<xsimd::avx2>(p, input, output);
}

void x8_lookup__avx2(const LookupParams& p, const int8_t* input, int8_t* output) {
  simd::Lookup<xsimd::avx2>(p, input, output);
}

void f32_qs8_quantize__avx2(const QuantizeParams& p, const float* input, int8_t* output) {
  simd::Quantize<xsimd::avx2>(p, input, output);
}

void qs8_f32_dequantize__avx2(const DequantizeParams& p, const int8_t* input, float* output) {
  simd::Dequantize<xsimd::avx2>(p, input, output);
}

void qs8_softmax__avx2(const SoftmaxParams& p, const int8_t* input, int8_t* output) {
  simd::Softmax<xsimd::avx2>(p, input, output);
}

}  // namespace qrt::kernels
