// Depthwise convolution on AVX-512 VNNI, bit-identical to ref::Conv2D: the
// shared algorithm of x86/depthwise_conv2d_template.h on zmm blocks of 64
// channels (ymm blocks of 32 for a last block of at most 32), four int8 kernel
// rows per dword and vpdpbusd (u8 = x ^ 0x80 times the s8 weights).
//
// Interleave: four input rows a, b, c, d of W channels; vpunpck{l,h}bw of (a, b)
// and (c, d), then vpunpck{l,h}wd of those, give four vectors whose 128-bit lane
// L, dword i of vector j holds the four taps of channel 16L + 4j + i (the
// packed layout's lane order). The requantized vectors narrow back to channel
// order with vpackssdw (j = 0, 1 and 2, 3) and vpacksswb.
//
// Exactness: pack/depthwise_conv2d_tap_dwords.h. vpdpbusd adds exact u8 x s8
// products with wrapping int32 adds; the fast requantization takes the high
// dwords of exact vpmuldq products (even lanes, and odd lanes moved down by a
// 64-bit shift), adds the per-channel addend and shifts arithmetically.
//
// Memory: a partial last block loads and stores its channels with byte masks.
// GCC 12 reports the self-initialised _mm*_undefined_* placeholders inside the
// AVX-512 intrinsics as (maybe) uninitialized once they are inlined here (GCC
// bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstdint>

#include "pack/depthwise_conv2d_tap_dwords.h"
#include "qrt/kernels/params.h"
#include "x86/avx512vnni/avx512vnni.h"
#include "x86/depthwise_conv2d_template.h"

namespace qrt::kernels {
namespace {

// The byte mask of the first `count` of 64 channels.
__mmask64 ChannelMask(int count) {
  return count >= 64 ? ~__mmask64{0} : (__mmask64{1} << count) - 1;
}

struct Zmm {
  using Vec = __m512i;
  static constexpr int kChannels = 64;
  static constexpr int kTaps = 4;
  static constexpr int kPixels = 4;  // 4 x 4 accumulators of 32 registers: the best on Zen 4

  static Vec Load(const void* p) { return _mm512_load_si512(p); }
  static Vec Splat8(int8_t v) { return _mm512_set1_epi8(v); }

  template <bool kMasked>
  static void Interleave(const int8_t* const (&rows)[kTaps], int count, Vec (&v)[4]) {
    const Vec flip = _mm512_set1_epi8(static_cast<char>(0x80));
    Vec x[kTaps];
    for (int t = 0; t < kTaps; ++t) {
      x[t] = kMasked ? _mm512_maskz_loadu_epi8(ChannelMask(count), rows[t])
                     : _mm512_loadu_si512(rows[t]);
      x[t] = _mm512_xor_si512(x[t], flip);
    }
    const Vec ab_lo = _mm512_unpacklo_epi8(x[0], x[1]);
    const Vec ab_hi = _mm512_unpackhi_epi8(x[0], x[1]);
    const Vec cd_lo = _mm512_unpacklo_epi8(x[2], x[3]);
    const Vec cd_hi = _mm512_unpackhi_epi8(x[2], x[3]);
    v[0] = _mm512_unpacklo_epi16(ab_lo, cd_lo);
    v[1] = _mm512_unpackhi_epi16(ab_lo, cd_lo);
    v[2] = _mm512_unpacklo_epi16(ab_hi, cd_hi);
    v[3] = _mm512_unpackhi_epi16(ab_hi, cd_hi);
  }

  static Vec Dot(Vec acc, Vec v, Vec w) { return _mm512_dpbusd_epi32(acc, v, w); }

  static Vec RequantFast(Vec acc, Vec multiplier, Vec mult_odd, Vec addend, Vec shift) {
    const Vec even = _mm512_mul_epi32(acc, multiplier);
    const Vec odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), mult_odd);
    // The high dwords: even products' moved down into the even lanes, odd ones' in place.
    const Vec high = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
    return _mm512_srav_epi32(_mm512_add_epi32(high, addend), shift);
  }

  template <bool kMasked>
  static void Store(int8_t* out, int count, const Vec (&y)[4], Vec lo, Vec hi) {
    const Vec bytes =
        _mm512_packs_epi16(_mm512_packs_epi32(y[0], y[1]), _mm512_packs_epi32(y[2], y[3]));
    const Vec clamped = _mm512_min_epi8(_mm512_max_epi8(bytes, lo), hi);
    if (kMasked) {
      _mm512_mask_storeu_epi8(out, ChannelMask(count), clamped);
    } else {
      _mm512_storeu_si512(out, clamped);
    }
  }

  static void StoreLanes(int32_t* lanes, Vec v) { _mm512_store_si512(lanes, v); }
};

struct Ymm {
  using Vec = __m256i;
  static constexpr int kChannels = 32;
  static constexpr int kTaps = 4;
  static constexpr int kPixels = 4;  // 4 x 4 accumulators of 32 registers: the best on Zen 4

  static Vec Load(const void* p) { return _mm256_load_si256(static_cast<const Vec*>(p)); }
  static Vec Splat8(int8_t v) { return _mm256_set1_epi8(v); }

  template <bool kMasked>
  static void Interleave(const int8_t* const (&rows)[kTaps], int count, Vec (&v)[4]) {
    const Vec flip = _mm256_set1_epi8(static_cast<char>(0x80));
    Vec x[kTaps];
    for (int t = 0; t < kTaps; ++t) {
      x[t] = kMasked ? _mm256_maskz_loadu_epi8(static_cast<__mmask32>(ChannelMask(count)), rows[t])
                     : _mm256_loadu_si256(reinterpret_cast<const Vec*>(rows[t]));
      x[t] = _mm256_xor_si256(x[t], flip);
    }
    const Vec ab_lo = _mm256_unpacklo_epi8(x[0], x[1]);
    const Vec ab_hi = _mm256_unpackhi_epi8(x[0], x[1]);
    const Vec cd_lo = _mm256_unpacklo_epi8(x[2], x[3]);
    const Vec cd_hi = _mm256_unpackhi_epi8(x[2], x[3]);
    v[0] = _mm256_unpacklo_epi16(ab_lo, cd_lo);
    v[1] = _mm256_unpackhi_epi16(ab_lo, cd_lo);
    v[2] = _mm256_unpacklo_epi16(ab_hi, cd_hi);
    v[3] = _mm256_unpackhi_epi16(ab_hi, cd_hi);
  }

  static Vec Dot(Vec acc, Vec v, Vec w) { return _mm256_dpbusd_epi32(acc, v, w); }

  static Vec RequantFast(Vec acc, Vec multiplier, Vec mult_odd, Vec addend, Vec shift) {
    const Vec even = _mm256_mul_epi32(acc, multiplier);
    const Vec odd = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), mult_odd);
    const Vec high = _mm256_mask_shuffle_epi32(odd, 0x55, even, _MM_PERM_CDAB);
    return _mm256_srav_epi32(_mm256_add_epi32(high, addend), shift);
  }

  template <bool kMasked>
  static void Store(int8_t* out, int count, const Vec (&y)[4], Vec lo, Vec hi) {
    const Vec bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(y[0], y[1]), _mm256_packs_epi32(y[2], y[3]));
    const Vec clamped = _mm256_min_epi8(_mm256_max_epi8(bytes, lo), hi);
    if (kMasked) {
      _mm256_mask_storeu_epi8(out, static_cast<__mmask32>(ChannelMask(count)), clamped);
    } else {
      _mm256_storeu_si256(reinterpret_cast<Vec*>(out), clamped);
    }
  }

  static void StoreLanes(int32_t* lanes, Vec v) {
    _mm256_store_si256(reinterpret_cast<Vec*>(lanes), v);
  }
};

}  // namespace

void qs8_depthwise_conv2d_64c4__avx512vnni(const Conv2DParams& p, const int8_t* input,
                                           const void* packed_weights, const int32_t* bias,
                                           int8_t* output, const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  depthwise::DwKernel<Zmm, Ymm>::Run(p, input, packed_weights, output, tile,
                                     GeometryDepthwiseConv2dVnni(p));
}

}  // namespace qrt::kernels
