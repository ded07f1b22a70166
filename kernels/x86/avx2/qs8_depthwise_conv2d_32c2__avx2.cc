// Depthwise convolution on AVX2, bit-identical to ref::Conv2D: the shared
// algorithm of x86/depthwise_conv2d_template.h on ymm blocks of 32 channels, two
// kernel rows per dword as int16 and vpmaddwd.
//
// Interleave: two input rows a, b of 32 channels; vpermq [0, 2, 1, 3] puts
// channels 0-7 and 16-23 in the low half, 8-15 and 24-31 in the high half,
// vpmovsxbw widens each half to int16 (lane L of the low one holds channels
// 16L .. 16L + 7), and vpunpck{l,h}wd of (a, b) give four vectors whose 128-bit
// lane L, dword i of vector j holds the two taps of channel 16L + 4j + i (the
// packed layout's lane order). The requantized vectors narrow back to channel
// order with vpackssdw (j = 0, 1 and 2, 3) and vpacksswb.
//
// Exactness: pack/depthwise_conv2d_tap_dwords.h. vpmaddwd adds two int16
// products of |x| <= 128 and |w| <= 128 exactly into an int32 (at most 2^15 in
// magnitude), vpaddd wraps; the fast requantization takes the high dwords of
// exact vpmuldq products, adds the per-channel addend and shifts arithmetically
// (32-bit vpsravd: no 64-bit arithmetic shift is needed).
//
// Memory: a partial last block loads its channels with a dword-masked load plus
// single bytes and stores them in 16-, 8-, 4- and 1-byte pieces, so nothing past
// the tensors is read or written.
#include <immintrin.h>

#include <cstdint>

#include "pack/depthwise_conv2d_tap_dwords.h"
#include "qrt/kernels/params.h"
#include "x86/avx2/avx2.h"
#include "x86/depthwise_conv2d_template.h"

namespace qrt::kernels {
namespace {

struct Ymm {
  using Vec = __m256i;
  static constexpr int kChannels = 32;
  static constexpr int kTaps = 2;
  static constexpr int kPixels = 3;  // 3 x 4 accumulators of 16 registers: the best on Zen 4

  static Vec Load(const void* p) { return _mm256_load_si256(static_cast<const Vec*>(p)); }
  static Vec Splat8(int8_t v) { return _mm256_set1_epi8(v); }

  template <bool kMasked>
  static Vec LoadChannels(const int8_t* p, int count) {
    if (!kMasked) return _mm256_loadu_si256(reinterpret_cast<const Vec*>(p));
    // Whole dwords by a masked load (vpmaskmovd reads, and faults on, only the
    // lanes it loads), the last count % 4 bytes one by one.
    const Vec lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    const int dwords = count / 4;
    const Vec v = _mm256_maskload_epi32(reinterpret_cast<const int*>(p),
                                        _mm256_cmpgt_epi32(_mm256_set1_epi32(dwords), lanes));
    if (count % 4 == 0) return v;
    uint32_t last = 0;
    for (int i = count % 4 - 1; i >= 0; --i) {
      last = last << 8 | static_cast<uint8_t>(p[4 * dwords + i]);
    }
    const Vec last_lane = _mm256_cmpeq_epi32(_mm256_set1_epi32(dwords), lanes);
    return _mm256_or_si256(
        v, _mm256_and_si256(_mm256_set1_epi32(static_cast<int32_t>(last)), last_lane));
  }

  // Stores the first `count` (< 32) bytes of v at out: 16-, 8- and 4-byte
  // stores, then single bytes.
  static void StoreChannels(int8_t* out, int count, Vec v) {
    __m128i part = _mm256_castsi256_si128(v);
    if (count & 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(out), part);
      part = _mm256_extracti128_si256(v, 1);
      out += 16;
    }
    if (count & 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(out), part);
      part = _mm_srli_si128(part, 8);
      out += 8;
    }
    if (count & 4) {
      const int32_t dword = _mm_cvtsi128_si32(part);
      __builtin_memcpy(out, &dword, sizeof(dword));
      part = _mm_srli_si128(part, 4);
      out += 4;
    }
    for (uint32_t rest = static_cast<uint32_t>(_mm_cvtsi128_si32(part)), i = 0;
         i < static_cast<uint32_t>(count & 3); ++i, rest >>= 8) {
      out[i] = static_cast<int8_t>(rest);
    }
  }

  template <bool kMasked>
  static void Interleave(const int8_t* const (&rows)[kTaps], int count, Vec (&v)[4]) {
    const Vec a = _mm256_permute4x64_epi64(LoadChannels<kMasked>(rows[0], count), 0xD8);
    const Vec b = _mm256_permute4x64_epi64(LoadChannels<kMasked>(rows[1], count), 0xD8);
    const Vec a_lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(a));
    const Vec a_hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(a, 1));
    const Vec b_lo = _mm256_cvtepi8_epi16(_mm256_castsi256_si128(b));
    const Vec b_hi = _mm256_cvtepi8_epi16(_mm256_extracti128_si256(b, 1));
    v[0] = _mm256_unpacklo_epi16(a_lo, b_lo);
    v[1] = _mm256_unpackhi_epi16(a_lo, b_lo);
    v[2] = _mm256_unpacklo_epi16(a_hi, b_hi);
    v[3] = _mm256_unpackhi_epi16(a_hi, b_hi);
  }

  static Vec Dot(Vec acc, Vec v, Vec w) { return _mm256_add_epi32(acc, _mm256_madd_epi16(v, w)); }

  static Vec RequantFast(Vec acc, Vec multiplier, Vec mult_odd, Vec addend, Vec shift) {
    const Vec even = _mm256_mul_epi32(acc, multiplier);
    const Vec odd = _mm256_mul_epi32(_mm256_srli_epi64(acc, 32), mult_odd);
    // The high dwords: even products' moved down into the even lanes, odd ones' in place.
    const Vec high = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
    return _mm256_srav_epi32(_mm256_add_epi32(high, addend), shift);
  }

  template <bool kMasked>
  static void Store(int8_t* out, int count, const Vec (&y)[4], Vec lo, Vec hi) {
    const Vec bytes =
        _mm256_packs_epi16(_mm256_packs_epi32(y[0], y[1]), _mm256_packs_epi32(y[2], y[3]));
    const Vec clamped = _mm256_min_epi8(_mm256_max_epi8(bytes, lo), hi);
    if (kMasked) {
      StoreChannels(out, count, clamped);
    } else {
      _mm256_storeu_si256(reinterpret_cast<Vec*>(out), clamped);
    }
  }

  static void StoreLanes(int32_t* lanes, Vec v) {
    _mm256_store_si256(reinterpret_cast<Vec*>(lanes), v);
  }
};

}  // namespace

void qs8_depthwise_conv2d_32c2__avx2(const Conv2DParams& p, const int8_t* input,
                                     const void* packed_weights, const int32_t* bias,
                                     int8_t* output, const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  depthwise::DwKernel<Ymm, Ymm>::Run(p, input, packed_weights, output, tile,
                                     GeometryDepthwiseConv2dAvx2(p));
}

}  // namespace qrt::kernels
