// The AVX-512 instantiation of the xsimd elementwise and pooling kernels
// (kernels/simd/elementwise.h, kernels/simd/pool.h) for xsimd::avx512bw,
// registered under Isa::kAvx512Vnni. Compiled with -mavx512f/bw/vl/dq/cd
// (kernels/CMakeLists.txt): xsimd's avx512bw architecture builds on its
// avx512dq and avx512cd ones, which every CPU with AVX-512 VNNI has. Every
// helper it compiles is in an anonymous namespace or a template on
// xsimd::avx512bw, so no AVX-512 copy of a shared inline function can stand in
// for a baseline one (ODR).
#include <immintrin.h>

#include <cstdint>
#include <xsimd/xsimd.hpp>

#include "qrt/kernels/params.h"
#include "simd/elementwise.h"
#include "simd/elementwise_kernels.h"
#include "simd/pool.h"
#include "simd/softmax.h"

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

void x8_resize_nearest__avx512bw(const ResizeNearestParams& p, const int8_t* input,
                                 int8_t* output) {
  simd::ResizeNearest<xsimd::avx512bw>(p, input, output);
}

// vpermi2b looks up 128 entries by bits 0..6 of each byte: table[in + 128] is
// entry in & 127 of the lower half for in < 0 and of the upper half otherwise.
// Not through ForEachRun: a lambda would not inherit the target attribute; a
// masked load and store carry the partial last vector instead (masked-off
// bytes are neither read nor written).
[[gnu::target("avx512vbmi")]] void x8_lookup__avx512vbmi(const LookupParams& p, const int8_t* input,
                                                         int8_t* output) {
  constexpr int64_t kLanes = 64;
  const __m512i lower0 = _mm512_loadu_si512(p.table);
  const __m512i lower1 = _mm512_loadu_si512(p.table + 64);
  const __m512i upper0 = _mm512_loadu_si512(p.table + 128);
  const __m512i upper1 = _mm512_loadu_si512(p.table + 192);
  int64_t i = 0;
  for (; i + kLanes <= p.count; i += kLanes) {
    const __m512i x = _mm512_loadu_si512(input + i);
    const __m512i lower = _mm512_permutex2var_epi8(lower0, x, lower1);
    const __m512i upper = _mm512_permutex2var_epi8(upper0, x, upper1);
    _mm512_storeu_si512(output + i, _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), upper, lower));
  }
  if (i == p.count) return;
  const __mmask64 rest = (__mmask64{1} << (p.count - i)) - 1;
  const __m512i x = _mm512_maskz_loadu_epi8(rest, input + i);
  const __m512i lower = _mm512_permutex2var_epi8(lower0, x, lower1);
  const __m512i upper = _mm512_permutex2var_epi8(upper0, x, upper1);
  _mm512_mask_storeu_epi8(output + i, rest,
                          _mm512_mask_blend_epi8(_mm512_movepi8_mask(x), upper, lower));
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

void qs8_softmax__avx512bw(const SoftmaxParams& p, const int8_t* input, int8_t* output) {
  simd::Softmax<xsimd::avx512bw>(p, input, output);
}

}  // namespace qrt::kernels
