// The AVX-512 instantiation of the xsimd elementwise and pooling kernels
// (kernels/simd/elementwise.h, kernels/simd/pool.h) for xsimd::avx512bw,
// registered under Isa::kAvx512Vnni. Compiled with -mavx512f/bw/vl/dq/cd
// (kernels/CMakeLists.txt): xsimd's avx512bw architecture builds on its
// avx512dq and avx512cd ones, which every CPU with AVX-512 VNNI has. Every
// helper it compiles is in an anonymous namespace or a template on
// xsimd::avx512bw, so no AVX-512 copy of a shared inline function can stand in
// for a baseline one (ODR).
// GCC 12 reports the self-initialised _mm*_undefined_* placeholders inside the
// AVX-512 intrinsics as (maybe) uninitialized once they are inlined here (GCC
// bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "qrt/kernels/params.h"
#include "simd/elementwise.h"
#include "simd/elementwise_kernels.h"
#include "simd/pool.h"

#if !XSIMD_WITH_AVX512BW
#error "this translation unit needs its ISA's compiler flags (kernels/CMakeLists.txt)"
#endif

namespace qrt::kernels {

void qs8_add__avx512bw(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Add<xsimd::avx512bw>(p, a, b, output);
}

void qs8_mul__avx512bw(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  simd::Mul<xsimd::avx512bw>(p, a, b, output);
}

void qs8_max_pool2d__avx512bw(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::MaxPool2D<xsimd::avx512bw>(p, input, output);
}

void qs8_average_pool2d__avx512bw(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  simd::AveragePool2D<xsimd::avx512bw>(p, input, output);
}

void qs8_concat__avx512bw(const ConcatParams& p, const int8_t* const* inputs, int8_t* output) {
  simd::Concat<xsimd::avx512bw>(p, inputs, output);
}

void x8_lookup__avx512bw(const LookupParams& p, const int8_t* input, int8_t* output) {
  simd::Lookup<xsimd::avx512bw>(p, input, output);
}

void f32_qs8_quantize__avx512bw(const QuantizeParams& p, const float* input, int8_t* output) {
  simd::Quantize<xsimd::avx512bw>(p, input, output);
}

void qs8_f32_dequantize__avx512bw(const DequantizeParams& p, const int8_t* input, float* output) {
  simd::Dequantize<xsimd::avx512bw>(p, input, output);
}

}  // namespace qrt::kernels
