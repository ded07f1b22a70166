// The few operations the xsimd kernels need that xsimd 8 does not offer (or only
// through a scalar loop), one specialization of Ops<Arch> per instruction set,
// each written with that set's intrinsics:
//   LoadI8 / StoreI8   int8 <-> one batch<int32_t> (sign extension; saturating
//                      narrowing, exact for values already in [-128, 127])
//   Rescale            plan.h's RescalePlan: exact 32 x 32 -> 64-bit products,
//                      the biased rounding add, a logical 64-bit shift, and the
//                      low 32 bits of each lane
//   MulHigh31          floor(x * m / 2^31) for int32 x and m in [0, 2^31), the
//                      64-bit product's bits 31..62 (plan.h's HighRescalePlan)
//   Lookup             a 256-entry byte table (out = table[in + 128]); on x86
//                      ShuffleLookup, from each set's byte shuffle
//   Divide             correctly rounded float division (xsimd 8's neon64
//                      divides through a reciprocal estimate)
// Everything else (int32/int8/float arithmetic, min/max, selects, float
// rounding and conversion, loads and stores) is xsimd, in the generic kernels.
//
// Each specialization is only visible where the compiler targets its ISA (the
// per-ISA translation units compile with that ISA's flags), and everything here
// lives in an anonymous namespace: every translation unit gets its own copy, so
// no copy compiled for one ISA can stand in for another's (ODR).
#pragma once

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "simd/plan.h"

#if XSIMD_WITH_AVX2 || XSIMD_WITH_AVX512BW
#include <immintrin.h>
#endif
#if XSIMD_WITH_NEON64
#include <arm_neon.h>
#endif

namespace qrt::kernels::simd {
namespace {

template <class Arch>
struct Ops;

#if XSIMD_WITH_AVX2 || XSIMD_WITH_AVX512BW
// The 256-entry byte table lookup of the x86 specializations, on their in-lane
// byte shuffle (vpshufb: Ops<Arch>::ShuffleBytes, which looks up 16 entries in
// each 128-bit lane and gives 0 for an index with bit 7 set) and a 16-byte piece
// repeated in every lane (Ops<Arch>::Repeat16). With saturating steps of -16,
// v_k = sat(v - 16 k) keeps bits 0..3 of v while it is non-negative and stays
// negative once it is, so for v in [0, 128) exactly the tables k = 0 .. v / 16
// contribute. Tables stored as differences of neighbouring 16-entry pieces then
// XOR to the piece v / 16. in >= 0 indexes the upper half of the table (pieces
// 8..15) directly; in ^ 0x80, non-negative for in < 0, the lower half; each half
// gives 0 for the other's inputs.
template <class Arch>
struct ShuffleLookup {
  using I8 = xsimd::batch<int8_t, Arch>;
  struct Table {
    I8 lower[8], upper[8];
  };
  static Table Prepare(const int8_t* table) {
    Table t;
    __m128i previous_lower = _mm_setzero_si128();
    __m128i previous_upper = _mm_setzero_si128();
    for (int k = 0; k < 8; ++k) {
      const __m128i lower = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 16 * k));
      const __m128i upper = _mm_loadu_si128(reinterpret_cast<const __m128i*>(table + 128 + 16 * k));
      t.lower[k] = Ops<Arch>::Repeat16(_mm_xor_si128(lower, previous_lower));
      t.upper[k] = Ops<Arch>::Repeat16(_mm_xor_si128(upper, previous_upper));
      previous_lower = lower;
      previous_upper = upper;
    }
    return t;
  }
  static I8 Lookup(I8 in, const Table& t) {
    const I8 step(16);
    I8 upper = in;
    I8 lower = upper ^ I8(INT8_MIN);
    I8 y = Ops<Arch>::ShuffleBytes(t.lower[0], lower) ^ Ops<Arch>::ShuffleBytes(t.upper[0], upper);
    for (int k = 1; k < 8; ++k) {
      lower = xsimd::ssub(lower, step);
      upper = xsimd::ssub(upper, step);
      y = y ^ Ops<Arch>::ShuffleBytes(t.lower[k], lower) ^
          Ops<Arch>::ShuffleBytes(t.upper[k], upper);
    }
    return y;
  }
};
#endif

#if XSIMD_WITH_AVX2
template <>
struct Ops<xsimd::avx2> {
  using I32 = xsimd::batch<int32_t, xsimd::avx2>;
  using I8 = xsimd::batch<int8_t, xsimd::avx2>;

  static xsimd::batch<float, xsimd::avx2> Divide(xsimd::batch<float, xsimd::avx2> x,
                                                 xsimd::batch<float, xsimd::avx2> y) {
    return _mm256_div_ps(x, y);
  }

  static I32 LoadI8(const int8_t* p) {
    return _mm256_cvtepi8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  }
  static void StoreI8(int8_t* p, I32 v) {
    const __m256i r = v;
    const __m128i w = _mm_packs_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
    _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packs_epi16(w, w));
  }

  struct RescaleConstants {
    __m256i multiplier, add, sub;
    __m128i shift;
  };
  static RescaleConstants Prepare(const RescalePlan& p) {
    return {_mm256_set1_epi64x(p.multiplier), _mm256_set1_epi64x(p.add), _mm256_set1_epi64x(p.sub),
            _mm_cvtsi32_si128(p.shift)};
  }
  static __m256i RescaleEven(__m256i x, const RescaleConstants& k) {
    const __m256i product = _mm256_mul_epi32(x, k.multiplier);  // lanes 0, 2, 4, 6
    return _mm256_sub_epi64(_mm256_srl_epi64(_mm256_add_epi64(product, k.add), k.shift), k.sub);
  }
  static I32 Rescale(I32 x, const RescaleConstants& k) {
    const __m256i even = RescaleEven(x, k);
    const __m256i odd = RescaleEven(_mm256_srli_epi64(x, 32), k);
    return _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
  }
  // The even lanes' products shifted down into their low dwords, the odd lanes'
  // shifted up into their high dwords.
  static I32 MulHigh31(I32 x, I32 m) {
    const __m256i even = _mm256_srli_epi64(_mm256_mul_epi32(x, m), 31);
    const __m256i odd = _mm256_slli_epi64(_mm256_mul_epi32(_mm256_srli_epi64(x, 32), m), 1);
    return _mm256_blend_epi32(even, odd, 0xAA);
  }

  static I8 ShuffleBytes(I8 table, I8 index) { return _mm256_shuffle_epi8(table, index); }
  static I8 Repeat16(__m128i piece) { return _mm256_broadcastsi128_si256(piece); }
  using LookupTable = ShuffleLookup<xsimd::avx2>::Table;
  static LookupTable PrepareLookup(const int8_t* table) {
    return ShuffleLookup<xsimd::avx2>::Prepare(table);
  }
  static I8 Lookup(I8 in, const LookupTable& t) {
    return ShuffleLookup<xsimd::avx2>::Lookup(in, t);
  }
};
#endif  // XSIMD_WITH_AVX2

#if XSIMD_WITH_AVX512BW
template <>
struct Ops<xsimd::avx512bw> {
  using I32 = xsimd::batch<int32_t, xsimd::avx512bw>;
  using I8 = xsimd::batch<int8_t, xsimd::avx512bw>;

  static xsimd::batch<float, xsimd::avx512bw> Divide(xsimd::batch<float, xsimd::avx512bw> x,
                                                     xsimd::batch<float, xsimd::avx512bw> y) {
    return _mm512_div_ps(x, y);
  }

  static I32 LoadI8(const int8_t* p) {
    return _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  }
  static void StoreI8(int8_t* p, I32 v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtsepi32_epi8(v));
  }

  struct RescaleConstants {
    __m512i multiplier, add, sub;
    __m128i shift;
  };
  static RescaleConstants Prepare(const RescalePlan& p) {
    return {_mm512_set1_epi64(p.multiplier), _mm512_set1_epi64(p.add), _mm512_set1_epi64(p.sub),
            _mm_cvtsi32_si128(p.shift)};
  }
  static __m512i RescaleEven(__m512i x, const RescaleConstants& k) {
    const __m512i product = _mm512_mul_epi32(x, k.multiplier);  // even lanes
    return _mm512_sub_epi64(_mm512_srl_epi64(_mm512_add_epi64(product, k.add), k.shift), k.sub);
  }
  static I32 Rescale(I32 x, const RescaleConstants& k) {
    const __m512i even = RescaleEven(x, k);
    const __m512i odd = RescaleEven(_mm512_srli_epi64(x, 32), k);
    return _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
  }
  static I32 MulHigh31(I32 x, I32 m) {  // as Ops<xsimd::avx2>'s
    const __m512i even = _mm512_srli_epi64(_mm512_mul_epi32(x, m), 31);
    const __m512i odd = _mm512_slli_epi64(_mm512_mul_epi32(_mm512_srli_epi64(x, 32), m), 1);
    return _mm512_mask_blend_epi32(0xAAAA, even, odd);
  }

  static I8 ShuffleBytes(I8 table, I8 index) { return _mm512_shuffle_epi8(table, index); }
  static I8 Repeat16(__m128i piece) { return _mm512_broadcast_i32x4(piece); }
  using LookupTable = ShuffleLookup<xsimd::avx512bw>::Table;
  static LookupTable PrepareLookup(const int8_t* table) {
    return ShuffleLookup<xsimd::avx512bw>::Prepare(table);
  }
  static I8 Lookup(I8 in, const LookupTable& t) {
    return ShuffleLookup<xsimd::avx512bw>::Lookup(in, t);
  }
};
#endif  // XSIMD_WITH_AVX512BW

#if XSIMD_WITH_NEON64
template <>
struct Ops<xsimd::neon64> {
  using I32 = xsimd::batch<int32_t, xsimd::neon64>;
  using I8 = xsimd::batch<int8_t, xsimd::neon64>;

  static xsimd::batch<float, xsimd::neon64> Divide(xsimd::batch<float, xsimd::neon64> x,
                                                   xsimd::batch<float, xsimd::neon64> y) {
    return vdivq_f32(x, y);
  }

  static I32 LoadI8(const int8_t* p) {
    int32_t bytes;
    std::memcpy(&bytes, p, sizeof(bytes));
    const int8x8_t v = vreinterpret_s8_s32(vdup_n_s32(bytes));
    return vmovl_s16(vget_low_s16(vmovl_s8(v)));
  }
  static void StoreI8(int8_t* p, I32 v) {
    const int16x4_t w = vqmovn_s32(v);
    const int8x8_t b = vqmovn_s16(vcombine_s16(w, w));
    const int32_t bytes = vget_lane_s32(vreinterpret_s32_s8(b), 0);
    std::memcpy(p, &bytes, sizeof(bytes));
  }

  struct RescaleConstants {
    int32x4_t multiplier;
    int64x2_t add, sub, shift;  // shift negated: vshlq shifts right by it
  };
  static RescaleConstants Prepare(const RescalePlan& p) {
    return {vdupq_n_s32(p.multiplier), vdupq_n_s64(p.add), vdupq_n_s64(p.sub),
            vdupq_n_s64(-int64_t{p.shift})};
  }
  static int64x2_t Finish(int64x2_t product, const RescaleConstants& k) {
    const uint64x2_t biased = vreinterpretq_u64_s64(vaddq_s64(product, k.add));
    return vsubq_s64(vreinterpretq_s64_u64(vshlq_u64(biased, k.shift)), k.sub);
  }
  static I32 Rescale(I32 x, const RescaleConstants& k) {
    const int32x4_t v = x;
    const int64x2_t low = Finish(vmull_s32(vget_low_s32(v), vget_low_s32(k.multiplier)), k);
    const int64x2_t high = Finish(vmull_high_s32(v, k.multiplier), k);
    return vuzp1q_s32(vreinterpretq_s32_s64(low), vreinterpretq_s32_s64(high));
  }
  // sat((2 x m) >> 32) == (x m) >> 31; it saturates only for x = m = INT32_MIN.
  static I32 MulHigh31(I32 x, I32 m) { return vqdmulhq_s32(x, m); }

  // tbl over four registers looks up 64 entries and gives 0 for an index >= 64;
  // the byte index minus 64 j (wrapping) selects quarter j.
  struct LookupTable {
    uint8x16x4_t quarter[4];
  };
  static LookupTable PrepareLookup(const int8_t* table) {
    LookupTable t;
    const auto* bytes = reinterpret_cast<const uint8_t*>(table);
    for (int j = 0; j < 4; ++j) t.quarter[j] = vld1q_u8_x4(bytes + 64 * j);
    return t;
  }
  static I8 Lookup(I8 in, const LookupTable& t) {
    const uint8x16_t index = veorq_u8(vreinterpretq_u8_s8(in), vdupq_n_u8(0x80));
    const uint8x16_t step = vdupq_n_u8(64);
    uint8x16_t y = vqtbl4q_u8(t.quarter[0], index);
    y = vorrq_u8(y, vqtbl4q_u8(t.quarter[1], vsubq_u8(index, step)));
    y = vorrq_u8(y, vqtbl4q_u8(t.quarter[2], vsubq_u8(index, vaddq_u8(step, step))));
    y = vorrq_u8(y, vqtbl4q_u8(t.quarter[3], vaddq_u8(index, step)));  // index - 192
    return vreinterpretq_s8_u8(y);
  }
};
#endif  // XSIMD_WITH_NEON64

}  // namespace
}  // namespace qrt::kernels::simd
