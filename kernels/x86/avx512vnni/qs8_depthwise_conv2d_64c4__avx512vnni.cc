// Depthwise convolution on AVX-512 VNNI, bit-identical to ref::Conv2D: the
// shared algorithm of x86/depthwise_conv2d_template.h on zmm blocks of 64
// channels (ymm blocks of 32 for a last block of at most 32, or, where that
// block slides its columns in the fast mode, zmm vectors holding the block at
// two neighbouring pixels), four int8 kernel rows per dword and vpdpbusd
// (u8 = x ^ 0x80 times the s8 weights). Two output rows sharing four input
// rows take the weights with their taps moved one byte up (vpslld 8).
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
    Unpack(x, v);
  }

  // The four flipped rows x into the four tap-dword vectors v.
  static void Unpack(const Vec (&x)[kTaps], Vec (&v)[4]) {
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
  static Vec NextTap(Vec w) { return _mm512_slli_epi32(w, 8); }

  static Vec RequantFast(Vec acc, Vec multiplier, Vec mult_odd, Vec addend, Vec shift) {
    const Vec even = _mm512_mul_epi32(acc, multiplier);
    const Vec odd = _mm512_mul_epi32(_mm512_srli_epi64(acc, 32), mult_odd);
    // The high dwords: even products' moved down into the even lanes, odd ones' in place.
    const Vec high = _mm512_mask_shuffle_epi32(odd, 0x5555, even, _MM_PERM_CDAB);
    return _mm512_srav_epi32(_mm512_add_epi32(high, addend), shift);
  }

  template <bool kMasked>
  static void Store(int8_t* out, int count, const Vec (&y)[4], Vec lo, Vec hi) {
    const Vec clamped = Narrow(y, lo, hi);
    if (kMasked) {
      _mm512_mask_storeu_epi8(out, ChannelMask(count), clamped);
    } else {
      _mm512_storeu_si512(out, clamped);
    }
  }

  static void StoreLanes(int32_t* lanes, Vec v) { _mm512_store_si512(lanes, v); }

  // The four requantized vectors y as bytes in channel order, clamped.
  static Vec Narrow(const Vec (&y)[4], Vec lo, Vec hi) {
    const Vec bytes =
        _mm512_packs_epi16(_mm512_packs_epi32(y[0], y[1]), _mm512_packs_epi32(y[2], y[3]));
    return _mm512_min_epi8(_mm512_max_epi8(bytes, lo), hi);
  }
};

// Blocks of 32 channels two pixels at a time: the 256-bit half h of a vector
// holds the block at pixel x + h, so every instruction does the work of a full
// 64-channel block. The packed 32-channel arrays are loaded into both halves.
struct ZmmPairs : Zmm {
  static constexpr int kChannels = 32;
  static constexpr int kVecPixels = 2;

  static Vec Load(const void* p) {
    return _mm512_broadcast_i64x4(_mm256_load_si256(static_cast<const __m256i*>(p)));
  }

  // rows[h][t]: kernel row t of pixel h, `count` channels of it read.
  template <bool kMasked>
  static void InterleavePixels(const int8_t* const (&rows)[2][kTaps], int count, Vec (&v)[4]) {
    const Vec flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const auto mask = static_cast<__mmask32>(ChannelMask(count));
    Vec x[kTaps];
    for (int t = 0; t < kTaps; ++t) {
      const __m256i lo = kMasked ? _mm256_maskz_loadu_epi8(mask, rows[0][t])
                                 : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[0][t]));
      const __m256i hi = kMasked ? _mm256_maskz_loadu_epi8(mask, rows[1][t])
                                 : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[1][t]));
      x[t] = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1), flip);
    }
    Unpack(x, v);
  }

  // Stores the first `pixels` (1 or 2) pixels, `stride` bytes apart.
  template <bool kMasked>
  static void StorePixels(int8_t* out, int64_t stride, int pixels, int count, const Vec (&y)[4],
                          Vec lo, Vec hi) {
    const Vec clamped = Narrow(y, lo, hi);
    const auto mask = static_cast<__mmask32>(ChannelMask(count));
    for (int h = 0; h < pixels; ++h) {
      const __m256i half =
          h == 0 ? _mm512_castsi512_si256(clamped) : _mm512_extracti64x4_epi64(clamped, 1);
      if (kMasked) {
        _mm256_mask_storeu_epi8(out + h * stride, mask, half);
      } else {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + h * stride), half);
      }
    }
  }
};

// Blocks of 32 channels that compute at most 16, four pixels at a time: the
// 128-bit lane h of a vector holds channels 0..15 at pixel x + h. Those
// channels fill lane 0 of each of the block's packed 32-byte vectors (the lane
// order of pack/depthwise_conv2d_tap_dwords.h), which Load copies to all four.
struct ZmmQuads : Zmm {
  static constexpr int kChannels = 32;
  static constexpr int kVecPixels = 4;

  static Vec Load(const void* p) {
    return _mm512_broadcast_i32x4(_mm_load_si128(static_cast<const __m128i*>(p)));
  }

  // rows[h][t]: kernel row t of pixel h, `count` (at most 16) channels of it read.
  template <bool kMasked>
  static void InterleavePixels(const int8_t* const (&rows)[4][kTaps], int count, Vec (&v)[4]) {
    const Vec flip = _mm512_set1_epi8(static_cast<char>(0x80));
    const auto mask = static_cast<__mmask16>(ChannelMask(count));
    const auto load = [&](const int8_t* p) {
      return kMasked ? _mm_maskz_loadu_epi8(mask, p)
                     : _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    };
    Vec x[kTaps];
    for (int t = 0; t < kTaps; ++t) {
      Vec q = _mm512_castsi128_si512(load(rows[0][t]));
      q = _mm512_inserti32x4(q, load(rows[1][t]), 1);
      q = _mm512_inserti32x4(q, load(rows[2][t]), 2);
      q = _mm512_inserti32x4(q, load(rows[3][t]), 3);
      x[t] = _mm512_xor_si512(q, flip);
    }
    Unpack(x, v);
  }

  // The column one pixel left of `column` (pixels x - 1 .. x + 2), whose
  // pixel x - 1 is lane 3 of `before`, and one pixel right, whose pixel x + 4
  // is lane 0 of `after`.
  static Vec PixelBefore(Vec column, Vec before) { return _mm512_alignr_epi64(column, before, 6); }
  static Vec PixelAfter(Vec after, Vec column) { return _mm512_alignr_epi64(after, column, 2); }

  // Stores the first `pixels` (1 to 4) pixels, `stride` bytes apart.
  template <bool kMasked>
  static void StorePixels(int8_t* out, int64_t stride, int pixels, int count, const Vec (&y)[4],
                          Vec lo, Vec hi) {
    const Vec clamped = Narrow(y, lo, hi);
    const auto mask = static_cast<__mmask16>(ChannelMask(count));
    const __m128i lanes[4] = {
        _mm512_castsi512_si128(clamped), _mm512_extracti32x4_epi32(clamped, 1),
        _mm512_extracti32x4_epi32(clamped, 2), _mm512_extracti32x4_epi32(clamped, 3)};
    for (int h = 0; h < pixels; ++h) {
      if (kMasked) {
        _mm_mask_storeu_epi8(out + h * stride, mask, lanes[h]);
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + h * stride), lanes[h]);
      }
    }
  }
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
  static Vec NextTap(Vec w) { return _mm256_slli_epi32(w, 8); }

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
  depthwise::DwKernel<Zmm, Ymm, ZmmPairs, ZmmQuads>::Run(p, input, packed_weights, output, tile,
                                                         GeometryDepthwiseConv2dVnni(p));
}

}  // namespace qrt::kernels
