// Fully connected on AVX-512 VNNI, bit-identical to ref::FullyConnected.
//
// Register tile: up to 4 rows x 4 packed blocks of 16 channels, i.e. 16 int32
// accumulators. Per group of 4 K values one vpdpbusd adds, in each int32 lane,
// u8[4] x s8[4] products of a broadcast activation dword and a 64-byte weight
// group; the activation dword is broadcast once per row and used by every block,
// the weight group loaded once and used by every row. M = 1 thus streams 4
// blocks at once with 4 independent accumulators.
//
// Exactness: vpdpbusd adds the exact 16-bit products into the accumulator with
// wrapping (non-saturating) int32 arithmetic, and the packed bias holds
// bias - (zx + 128) * sum(w) modulo 2^32 (pack/fully_connected_16c4_vnni.h), so the
// accumulator equals the reference's int64 sum narrowed modulo 2^32. The
// epilogue is requant.h's Requantize in 64-bit lanes: exact int32 x int32
// products (vpmuldq), the 2^(s-1) rounding, an arithmetic shift (vpsravq), the
// zero point and the clamp, all in int64 before narrowing.
//
// Memory: activations are read with plain loads inside the row and a masked
// load for a K remainder, outputs are written with a masked store for an N
// remainder, so nothing outside the tensors is touched. The packed weights are
// 64-byte aligned and padded (aligned loads).
//
// This translation unit is compiled with -mavx512f/bw/vl/vnni: its helpers live
// in the anonymous namespace and it uses no inline function of a shared header,
// so no AVX-512 copy can stand in for a baseline one (ODR).
// GCC 12 reports the self-initialised _mm*_undefined_* placeholders inside the
// AVX-512 intrinsics as (maybe) uninitialized once they are inlined here (GCC
// bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "pack/fully_connected_16c4_vnni.h"
#include "qrt/kernels/params.h"
#include "x86/avx512vnni/avx512vnni.h"

namespace qrt::kernels {
namespace {

constexpr int kMr = 4;          // rows per tile
constexpr int kTileBlocks = 4;  // 16-channel blocks per tile
// Flips the sign bit of four bytes: int8 x to u8 x + 128.
constexpr uint32_t kToUnsigned = 0x80808080u;

int Min(int a, int b) { return a < b ? a : b; }

struct Shape {
  int k;
  int out_features;
  int groups;  // weight groups per block
  size_t block_bytes;
  __m512i zero_point;  // output zero point, clamp lo and hi in int64 lanes
  __m512i lo;
  __m512i hi;
};

struct Tile {
  const int8_t* input;   // row 0 of the tile
  const uint8_t* block;  // block 0 of the tile
  int8_t* output;        // row 0, channel 0 of the tile
  __mmask16 last_mask;   // the channels of the tile's last block that exist
};

// Loads the activation bytes of one K group of every row of a tile as the low
// bytes of a uint64: kBytes full bytes, or with `count` < kBytes only the first
// `count` bytes through a masked load (the rest 0), so a K remainder never reads
// past the end of a row.
template <int kRows, int kBytes>
void LoadGroup(const int8_t* x, int64_t row_stride, uint64_t (&out)[kRows]) {
  for (int r = 0; r < kRows; ++r) {
    out[r] = 0;
    std::memcpy(&out[r], x + r * row_stride, kBytes);
  }
}

template <int kRows>
void LoadGroupTail(const int8_t* x, int64_t row_stride, int count, uint64_t (&out)[kRows]) {
  const auto mask = static_cast<__mmask16>((1u << count) - 1);
  for (int r = 0; r < kRows; ++r) {
    out[r] =
        static_cast<uint64_t>(_mm_cvtsi128_si64(_mm_maskz_loadu_epi8(mask, x + r * row_stride)));
  }
}

// acc[r][b] += dot products of the activation dword (x[r] >> 32 * half), shifted
// to u8, with the weight group w[b].
template <int kRows, int kBlocks>
void Dot(__m512i (&acc)[kRows][kBlocks], const uint64_t (&x)[kRows], int half,
         const __m512i (&w)[kBlocks]) {
  for (int r = 0; r < kRows; ++r) {
    const auto dword = static_cast<uint32_t>(x[r] >> (32 * half));
    const __m512i u = _mm512_set1_epi32(static_cast<int>(dword ^ kToUnsigned));
    for (int b = 0; b < kBlocks; ++b) acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], u, w[b]);
  }
}

// One weight group of every block of the tile times one activation group of every
// row. int8: one c4 group. int4: the low nibbles are K values 8g..8g+3 and the high
// nibbles 8g+4..8g+7, stored biased by 8, so AND (after a 16-bit shift for the
// high ones) and a byte subtract of 8 give the two c4 groups as s8.
template <int kRows, int kBlocks, bool kInt4>
void AccumulateGroup(__m512i (&acc)[kRows][kBlocks], const uint8_t* const (&weights)[kBlocks],
                     int group, const uint64_t (&x)[kRows]) {
  __m512i w[kBlocks];
  for (int b = 0; b < kBlocks; ++b) {
    w[b] = _mm512_load_si512(weights[b] + static_cast<size_t>(group) * kFc16c4GroupBytes);
  }
  if constexpr (kInt4) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i bias = _mm512_set1_epi8(8);
    __m512i high[kBlocks];
    for (int b = 0; b < kBlocks; ++b) {
      high[b] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(w[b], 4), nibble), bias);
      w[b] = _mm512_sub_epi8(_mm512_and_si512(w[b], nibble), bias);
    }
    Dot(acc, x, 0, w);
    Dot(acc, x, 1, high);
  } else {
    Dot(acc, x, 0, w);
  }
}

// requant.h's Requantize of 16 accumulators with the block's per-channel
// multipliers and shifts, narrowed to int8. Even channels are the low halves of
// the 64-bit lanes, odd channels the high halves; vpmuldq multiplies the
// sign-extended low halves into exact int64 products. |acc * m| < 2^62 and the
// rounding 2^(s-1) <= 2^61, so the int64 sum cannot overflow (as in requant.h).
__m128i Requantize16(__m512i acc, const uint8_t* requant, const Shape& s) {
  const __m512i multiplier = _mm512_load_si512(requant);
  const __m512i shift = _mm512_load_si512(requant + kFc16c4ChannelArrayBytes);
  const __m512i one = _mm512_set1_epi64(1);
  __m512i y[2];
  for (int half = 0; half < 2; ++half) {
    const __m512i a = half == 0 ? acc : _mm512_srli_epi64(acc, 32);
    const __m512i m = half == 0 ? multiplier : _mm512_srli_epi64(multiplier, 32);
    const __m512i sh = half == 0 ? _mm512_and_si512(shift, _mm512_set1_epi64(0xFFFFFFFF))
                                 : _mm512_srli_epi64(shift, 32);
    const __m512i rounding = _mm512_sllv_epi64(one, _mm512_sub_epi64(sh, one));
    const __m512i scaled =
        _mm512_srav_epi64(_mm512_add_epi64(_mm512_mul_epi32(a, m), rounding), sh);
    y[half] =
        _mm512_min_epi64(_mm512_max_epi64(_mm512_add_epi64(scaled, s.zero_point), s.lo), s.hi);
  }
  // Both halves now hold int8 values: put the odd ones back in the high halves and
  // truncate the 16 int32 lanes to bytes.
  const __m512i merged = _mm512_mask_blend_epi32(0xAAAA, y[0], _mm512_slli_epi64(y[1], 32));
  return _mm512_cvtepi32_epi8(merged);
}

template <int kRows, int kBlocks, bool kInt4>
void RunTile(const Shape& s, const Tile& t) {
  constexpr int kGroupBytes = kInt4 ? 8 : 4;
  __m512i acc[kRows][kBlocks];
  const uint8_t* weights[kBlocks];
  for (int b = 0; b < kBlocks; ++b) {
    const uint8_t* block = t.block + b * s.block_bytes;
    const __m512i folded_bias = _mm512_load_si512(block);
    for (int r = 0; r < kRows; ++r) acc[r][b] = folded_bias;
    weights[b] = block + kFc16c4ChannelArrayBytes;
  }
  const int full_groups = s.k / kGroupBytes;
  uint64_t x[kRows];
  for (int g = 0; g < full_groups; ++g) {
    LoadGroup<kRows, kGroupBytes>(t.input + int64_t{g} * kGroupBytes, s.k, x);
    AccumulateGroup<kRows, kBlocks, kInt4>(acc, weights, g, x);
  }
  if (const int remainder = s.k % kGroupBytes; remainder != 0) {
    LoadGroupTail<kRows>(t.input + int64_t{full_groups} * kGroupBytes, s.k, remainder, x);
    AccumulateGroup<kRows, kBlocks, kInt4>(acc, weights, full_groups, x);
  }
  for (int b = 0; b < kBlocks; ++b) {
    // The multipliers and shifts follow the block's s.groups weight groups.
    const uint8_t* requant = weights[b] + static_cast<size_t>(s.groups) * kFc16c4GroupBytes;
    for (int r = 0; r < kRows; ++r) {
      const __m128i y = Requantize16(acc[r][b], requant, s);
      int8_t* out = t.output + r * int64_t{s.out_features} + b * kFc16c4Nr;
      if (b == kBlocks - 1) {
        _mm_mask_storeu_epi8(out, t.last_mask, y);
      } else {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out), y);
      }
    }
  }
}

using TileFn = void (*)(const Shape&, const Tile&);

// kTiles<int4>[rows - 1][blocks - 1].
template <bool kInt4>
constexpr TileFn kTiles[kMr][kTileBlocks] = {
    {RunTile<1, 1, kInt4>, RunTile<1, 2, kInt4>, RunTile<1, 3, kInt4>, RunTile<1, 4, kInt4>},
    {RunTile<2, 1, kInt4>, RunTile<2, 2, kInt4>, RunTile<2, 3, kInt4>, RunTile<2, 4, kInt4>},
    {RunTile<3, 1, kInt4>, RunTile<3, 2, kInt4>, RunTile<3, 3, kInt4>, RunTile<3, 4, kInt4>},
    {RunTile<4, 1, kInt4>, RunTile<4, 2, kInt4>, RunTile<4, 3, kInt4>, RunTile<4, 4, kInt4>},
};

}  // namespace

void qs8_fully_connected_4x16c4__avx512vnni(const FullyConnectedParams& p, const int8_t* input,
                                            const void* packed_weights, const int32_t* bias,
                                            int8_t* output, const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  const Fc16c4Geometry g = GeometryFullyConnected16c4Vnni(p);
  Shape s{};
  s.k = p.in_features;
  s.out_features = p.out_features;
  s.groups = g.groups;
  s.block_bytes = g.block_bytes;
  s.zero_point = _mm512_set1_epi64(p.output_zero_point);
  s.lo = _mm512_set1_epi64(p.clamp.lo);
  s.hi = _mm512_set1_epi64(p.clamp.hi);
  const auto& tiles = p.weight_type == WeightType::kInt4 ? kTiles<true> : kTiles<false>;
  const auto* packed = static_cast<const uint8_t*>(packed_weights);
  // tile.n_begin is a multiple of kFc16c4Nr (the kernel's channel_block).
  const int block_end = (tile.n_end + kFc16c4Nr - 1) / kFc16c4Nr;
  // Channel tiles outside, rows inside: a tile's weights (64 channels x K) stay in
  // cache while the rows stream past them.
  for (int b0 = tile.n_begin / kFc16c4Nr; b0 < block_end; b0 += kTileBlocks) {
    const int blocks = Min(kTileBlocks, block_end - b0);
    const int last_channels = Min(kFc16c4Nr, tile.n_end - (b0 + blocks - 1) * kFc16c4Nr);
    Tile t{};
    t.block = packed + static_cast<size_t>(b0) * g.block_bytes;
    t.last_mask = static_cast<__mmask16>((1u << last_channels) - 1);
    for (int r0 = tile.m_begin; r0 < tile.m_end; r0 += kMr) {
      t.input = input + int64_t{r0} * p.in_features;
      t.output = output + int64_t{r0} * p.out_features + b0 * kFc16c4Nr;
      tiles[Min(kMr, tile.m_end - r0) - 1][blocks - 1](s, t);
    }
  }
}

}  // namespace qrt::kernels
