// Grouped convolution on AVX2 as an implicit GEMM, bit-identical to ref::Conv2D;
// the AVX2 fully connected kernel runs through it as a 1x1 convolution.
//
// Per tile of up to 4 output pixels (rows of the [M, N] output), the kernel
// gathers the pixels' im2col rows of one group into a small activation panel on
// the stack (positions outside the input hold the input zero point), converted on
// the way to the form the multiply wants: int16 x for int8 weights, the unsigned
// byte x + 128 for int4 weights. The register tile is up to 4 rows x 2 packed
// blocks of 8 channels (pack/gemm_8c_avx2.h), 8 int32 accumulators, each holding
// one channel per lane so no horizontal reduction is needed. One panel serves up
// to 16 blocks (128 channels) before it is rebuilt; K is taken in chunks of 1024
// values so the panel stays small, the accumulators of a chunk parked in a stack
// buffer for the next one. 1x1 convolutions and fully connected layers build the
// panel too (their rows just need no gather): int8 weights need the activations
// as int16 anyway, and the conversion costs one pass over the input rows per 128
// channels.
//
// Exactness of the products:
// - int8 weights: vpmaddwd of a broadcast pair of int16 activations (x in
//   [-128, 127]) and a pair of sign-extended weights ([-128, 127]) gives
//   x0 w0 + x1 w1 exactly (|.| <= 2^15); vpmaddubsw would not do, its int16 pair
//   sums saturate (255 * 128 * 2 > 32767).
// - int4 weights: vpmaddubsw of u = x + 128 in [0, 255] and w in [-8, 7] gives
//   pair sums of magnitude <= 255 * 8 * 2 = 4080, two of them (the low and high
//   nibbles of a group) add to <= 8160 with vpaddw, all exact in int16; vpmaddwd by
//   ones widens them exactly to int32.
// The int32 accumulators wrap, and the packed bias holds bias - (zx + offset) sum(w)
// modulo 2^32, so the accumulator equals the reference's int64 sum narrowed modulo
// 2^32. The epilogue is requant.h's Requantize in 64-bit lanes: exact products
// (vpmuldq), the 2^(s-1) rounding and an arithmetic shift built from a logical one
// (the packed rounding and correction, see the packer), the zero point, and the
// clamp in int64 before anything is narrowed.
//
// Memory: the input is read only inside its rows (16-byte chunks, then single
// bytes), outputs are written only inside the tile (a partial block through a
// stack copy), and the packed weights are read with aligned loads.
//
// This translation unit is compiled with -mavx2 -mfma: its helpers live in the
// anonymous namespace and it uses no inline function of a shared header, so no
// AVX2 copy can stand in for a baseline one (ODR).
#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "pack/gemm_8c_avx2.h"
#include "qrt/kernels/params.h"
#include "x86/avx2/avx2.h"

namespace qrt::kernels {
namespace {

constexpr int kMr = 4;            // rows (output pixels) per tile
constexpr int kTileBlocks = 2;    // 8-channel blocks per register tile
constexpr int kPanelBlocks = 16;  // blocks computed from one panel
constexpr int kKc = 1024;         // K values per chunk, a multiple of kGemm8cKr

int Min(int a, int b) { return a < b ? a : b; }
int Max(int a, int b) { return a > b ? a : b; }

// The panel element: int16 x for int8 weights, uint8 x + 128 for int4 weights.
template <bool kInt4>
using PanelValue = std::conditional_t<kInt4, uint8_t, int16_t>;

template <bool kInt4>
PanelValue<kInt4> ToPanel(int32_t x) {
  return static_cast<PanelValue<kInt4>>(kInt4 ? x + 128 : x);
}

// dst[i] = ToPanel(src[i]) for i < count, 16 values at a time, then one by one so
// nothing past src + count is read.
template <bool kInt4>
void ConvertSpan(const int8_t* src, int count, PanelValue<kInt4>* dst) {
  int i = 0;
  for (; i + 16 <= count; i += 16) {
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    if constexpr (kInt4) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), _mm_xor_si128(x, _mm_set1_epi8(-128)));
    } else {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), _mm256_cvtepi8_epi16(x));
    }
  }
  for (; i < count; ++i) dst[i] = ToPanel<kInt4>(src[i]);
}

template <bool kInt4>
void FillSpan(PanelValue<kInt4> value, int count, PanelValue<kInt4>* dst) {
  for (int i = 0; i < count; ++i) dst[i] = value;
}

// What one panel holds: im2col values [k_begin, k_end) of group `group` for the
// output pixels m_begin .. m_begin + rows - 1.
struct PanelRange {
  int m_begin;
  int rows;
  int group;
  int k_begin;
  int k_end;
};

// Fills row r of the panel (at panel + r * kKc) with im2col values k_begin..k_end
// of pixel m_begin + r, K ordered (ky, kx, i) like the OHWI weight rows, then
// zeros up to the next multiple of kGemm8cKr (the packed weights there are 0).
template <bool kInt4>
void BuildPanel(const Conv2DParams& p, const int8_t* input, const PanelRange& range,
                PanelValue<kInt4>* panel) {
  const int group_in_c = p.in_c / p.groups;
  const PanelValue<kInt4> outside = ToPanel<kInt4>(p.input_zero_point);
  const int length = range.k_end - range.k_begin;
  const int padded = (length + kGemm8cKr - 1) / kGemm8cKr * kGemm8cKr;
  for (int r = 0; r < range.rows; ++r) {
    const int m = range.m_begin + r;
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    PanelValue<kInt4>* row = panel + r * kKc;
    // The kernel position (ky, kx) and channel i of value k, stepped along with k:
    // no division per position (a stem with 3 input channels has 9 per 27 values).
    const int first_position = range.k_begin / group_in_c;
    int i = range.k_begin - first_position * group_in_c;
    int ky = first_position / p.kernel_w;
    int kx = first_position - ky * p.kernel_w;
    for (int k = range.k_begin; k < range.k_end;) {
      const int count = Min(group_in_c - i, range.k_end - k);
      const int iy = y * p.stride_h - p.pad_top + ky * p.dilation_h;
      const int ix = x * p.stride_w - p.pad_left + kx * p.dilation_w;
      PanelValue<kInt4>* dst = row + (k - range.k_begin);
      if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
        FillSpan<kInt4>(outside, count, dst);
      } else {
        const int64_t pixel = (int64_t{n} * p.in_h + iy) * p.in_w + ix;
        ConvertSpan<kInt4>(input + pixel * p.in_c + int64_t{range.group} * group_in_c + i, count,
                           dst);
      }
      k += count;
      i = 0;
      if (++kx == p.kernel_w) {
        kx = 0;
        ++ky;
      }
    }
    FillSpan<kInt4>(0, padded - length, row + length);
  }
}

// One register tile's pass over one K chunk of the panel.
struct TileJob {
  const void* panel;     // row r at r * kKc values
  int k_length;          // values of the chunk, a multiple of kGemm8cKr
  const uint8_t* block;  // the tile's first packed block
  size_t block_bytes;
  size_t weight_offset;   // from a block's start to the chunk's weights
  size_t requant_offset;  // from a block's start to its requant arrays
  // Accumulators start from the packed bias, or with `resume` from the partial
  // sums of the previous chunk; with `park` they end there instead of in the
  // output. Row r of the partial sums is at partial + r * kPanelBlocks * 8.
  bool resume;
  bool park;
  int32_t* partial;
  int8_t* output;  // row 0, first channel of the tile's first block
  int64_t output_stride;
  int store_begin;  // channels of the tile (0 .. 8 * blocks) written to the output
  int store_end;
  __m256i lo;  // the clamp in int64 lanes
  __m256i hi;
};

constexpr int kPartialStride = kPanelBlocks * kGemm8cNr;

__m256i Broadcast32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return _mm256_set1_epi32(v);
}

// The accumulators of a register tile, block 0 and block 1 of each row. Named
// members, not an array: GCC 12 keeps an array of vectors partly in memory inside
// the K loop (a store and a register copy per accumulator and step), while the
// members of a local struct stay in registers.
struct TileAccumulators {
  __m256i r0b0, r0b1, r1b0, r1b1, r2b0, r2b1, r3b0, r3b1;
};

// Calls row(r, block 0, block 1) with the accumulators of rows 0 .. kRows - 1.
template <int kRows, class RowFn>
void ForRows(TileAccumulators& acc, RowFn&& row) {
  static_assert(kRows >= 1 && kRows <= kMr);
  row(0, acc.r0b0, acc.r0b1);
  if constexpr (kRows > 1) row(1, acc.r1b0, acc.r1b1);
  if constexpr (kRows > 2) row(2, acc.r2b0, acc.r2b1);
  if constexpr (kRows > 3) row(3, acc.r3b0, acc.r3b1);
}

// acc += the chunk's panel rows times the chunk's weights of blocks 0 .. kBlocks - 1.
template <int kRows, int kBlocks, bool kInt4>
void Accumulate(const TileJob& j, TileAccumulators& acc) {
  const auto* panel = static_cast<const PanelValue<kInt4>*>(j.panel);
  const uint8_t* weights[kBlocks];
  for (int b = 0; b < kBlocks; ++b) weights[b] = j.block + b * j.block_bytes + j.weight_offset;
  TileAccumulators c = acc;
  if constexpr (kInt4) {
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i eight = _mm256_set1_epi8(8);
    const __m256i ones = _mm256_set1_epi16(1);
    for (int k = 0; k < j.k_length; k += 8) {
      __m256i low[kBlocks];
      __m256i high[kBlocks];
      for (int b = 0; b < kBlocks; ++b) {
        const __m256i w = _mm256_load_si256(reinterpret_cast<const __m256i*>(weights[b] + 4 * k));
        low[b] = _mm256_sub_epi8(_mm256_and_si256(w, nibble), eight);
        high[b] = _mm256_sub_epi8(_mm256_and_si256(_mm256_srli_epi16(w, 4), nibble), eight);
      }
      ForRows<kRows>(c, [&](int r, __m256i& c0, __m256i& c1) {
        const __m256i u0 = Broadcast32(panel + r * kKc + k);
        const __m256i u1 = Broadcast32(panel + r * kKc + k + 4);
        auto dot = [&](int b) {
          const __m256i pairs =
              _mm256_add_epi16(_mm256_maddubs_epi16(u0, low[b]), _mm256_maddubs_epi16(u1, high[b]));
          return _mm256_madd_epi16(pairs, ones);
        };
        c0 = _mm256_add_epi32(c0, dot(0));
        if constexpr (kBlocks > 1) c1 = _mm256_add_epi32(c1, dot(1));
      });
    }
  } else {
    for (int k = 0; k < j.k_length; k += 2) {
      __m256i w[kBlocks];
      for (int b = 0; b < kBlocks; ++b) {
        w[b] = _mm256_cvtepi8_epi16(
            _mm_load_si128(reinterpret_cast<const __m128i*>(weights[b] + 8 * k)));
      }
      ForRows<kRows>(c, [&](int r, __m256i& c0, __m256i& c1) {
        const __m256i x = Broadcast32(panel + r * kKc + k);
        c0 = _mm256_add_epi32(c0, _mm256_madd_epi16(x, w[0]));
        if constexpr (kBlocks > 1) c1 = _mm256_add_epi32(c1, _mm256_madd_epi16(x, w[kBlocks - 1]));
      });
    }
  }
  acc = c;
}

// requant.h's Requantize of 8 accumulators with a block's packed requant arrays,
// as int32 lanes in channel order. vpmuldq multiplies the sign-extended low
// halves of the 64-bit lanes, so the even channels go first and the odd ones,
// shifted down, second; the packed int64 arrays are in that order.
__m256i Requantize8(__m256i acc, const uint8_t* requant, __m256i lo, __m256i hi) {
  const auto* arrays = reinterpret_cast<const __m256i*>(requant);
  __m256i y[2];
  for (int half = 0; half < 2; ++half) {
    const __m256i a = half == 0 ? acc : _mm256_srli_epi64(acc, 32);
    const __m256i multiplier = _mm256_load_si256(arrays + half);
    const __m256i rounding = _mm256_load_si256(arrays + 2 + half);
    const __m256i shift = _mm256_load_si256(arrays + 4 + half);
    const __m256i correction = _mm256_load_si256(arrays + 6 + half);
    const __m256i biased = _mm256_add_epi64(_mm256_mul_epi32(a, multiplier), rounding);
    __m256i v = _mm256_sub_epi64(_mm256_srlv_epi64(biased, shift), correction);
    v = _mm256_blendv_epi8(v, hi, _mm256_cmpgt_epi64(v, hi));
    y[half] = _mm256_blendv_epi8(v, lo, _mm256_cmpgt_epi64(lo, v));
  }
  // Both halves now hold int8 values: the odd ones go back to the high halves.
  return _mm256_blend_epi32(y[0], _mm256_slli_epi64(y[1], 32), 0xAA);
}

template <int kRows, int kBlocks, bool kInt4>
void RunTile(const TileJob& j) {
  const uint8_t* block1 = j.block + (kBlocks - 1) * j.block_bytes;
  TileAccumulators acc{};
  ForRows<kRows>(acc, [&](int r, __m256i& c0, __m256i& c1) {
    const int32_t* partial = j.partial + r * kPartialStride;
    c0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(
        j.resume ? reinterpret_cast<const uint8_t*>(partial) : j.block));
    if constexpr (kBlocks > 1) {
      c1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(
          j.resume ? reinterpret_cast<const uint8_t*>(partial + kGemm8cNr) : block1));
    }
  });
  Accumulate<kRows, kBlocks, kInt4>(j, acc);
  if (j.park) {
    ForRows<kRows>(acc, [&](int r, __m256i& c0, __m256i& c1) {
      int32_t* partial = j.partial + r * kPartialStride;
      _mm256_store_si256(reinterpret_cast<__m256i*>(partial), c0);
      if constexpr (kBlocks > 1) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(partial + kGemm8cNr), c1);
      }
    });
    return;
  }
  constexpr int kChannels = kBlocks * kGemm8cNr;
  const bool whole = j.store_begin == 0 && j.store_end == kChannels;
  ForRows<kRows>(acc, [&](int r, __m256i& c0, __m256i& c1) {
    const __m256i y0 = Requantize8(c0, j.block + j.requant_offset, j.lo, j.hi);
    const __m256i y1 = kBlocks > 1 ? Requantize8(c1, block1 + j.requant_offset, j.lo, j.hi) : y0;
    // int32 [b0 0-3, b1 0-3 | b0 4-7, b1 4-7] -> int16 -> bytes, then the dwords
    // 0, 4, 1, 5 hold the 16 channels in order.
    const __m256i words = _mm256_packs_epi32(y0, y1);
    const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words, words),
                                                      _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5));
    const __m128i out = _mm256_castsi256_si128(bytes);
    int8_t* row = j.output + r * j.output_stride;
    if (whole && kBlocks == 2) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row), out);
    } else if (whole) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(row), out);
    } else {
      alignas(16) int8_t staged[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(staged), out);
      std::memcpy(row + j.store_begin, staged + j.store_begin,
                  static_cast<size_t>(j.store_end - j.store_begin));
    }
  });
}

using TileFn = void (*)(const TileJob&);

// kTiles<int4>[rows - 1][blocks - 1].
template <bool kInt4>
constexpr TileFn kTiles[kMr][kTileBlocks] = {
    {RunTile<1, 1, kInt4>, RunTile<1, 2, kInt4>},
    {RunTile<2, 1, kInt4>, RunTile<2, 2, kInt4>},
    {RunTile<3, 1, kInt4>, RunTile<3, 2, kInt4>},
    {RunTile<4, 1, kInt4>, RunTile<4, 2, kInt4>},
};

template <bool kInt4>
void Run(const Conv2DParams& p, const int8_t* input, const uint8_t* packed, int8_t* output,
         const OutputTile& tile) {
  const Gemm8cGeometry g = GeometryConv2D8cAvx2(p);
  alignas(32) PanelValue<kInt4> panel[kMr * kKc];
  alignas(32) int32_t partial[kMr * kPartialStride];
  TileJob j{};
  j.panel = panel;
  j.block_bytes = g.block_bytes;
  j.requant_offset = kGemm8cBiasBytes + g.weight_bytes;
  j.partial = partial;
  j.output_stride = p.out_c;
  j.lo = _mm256_set1_epi64x(p.clamp.lo);
  j.hi = _mm256_set1_epi64x(p.clamp.hi);
  const size_t bytes_per_k = g.weight_bytes / static_cast<size_t>(g.k_padded);
  // With one K chunk a panel serves every block of its group.
  const bool one_chunk = g.k <= kKc;
  const int group_first = tile.n_begin / g.group_channels;
  const int group_end = (tile.n_end + g.group_channels - 1) / g.group_channels;
  for (int m0 = tile.m_begin; m0 < tile.m_end; m0 += kMr) {
    const int rows = Min(kMr, tile.m_end - m0);
    for (int group = group_first; group < group_end; ++group) {
      // The tile's channels in this group, numbered within the group.
      const int base = group * g.group_channels;
      const int c_begin = Max(tile.n_begin, base) - base;
      const int c_end = Min(tile.n_end, base + g.group_channels) - base;
      const int block_end = (c_end + kGemm8cNr - 1) / kGemm8cNr;
      const uint8_t* group_blocks =
          packed + static_cast<size_t>(group) * static_cast<size_t>(g.group_blocks) * g.block_bytes;
      bool panel_ready = false;
      for (int b0 = c_begin / kGemm8cNr; b0 < block_end; b0 += kPanelBlocks) {
        const int b1 = Min(b0 + kPanelBlocks, block_end);
        for (int k0 = 0; k0 < g.k; k0 += kKc) {
          const int k1 = Min(g.k, k0 + kKc);
          if (!panel_ready) BuildPanel<kInt4>(p, input, {m0, rows, group, k0, k1}, panel);
          panel_ready = one_chunk;
          j.k_length = (k1 - k0 + kGemm8cKr - 1) / kGemm8cKr * kGemm8cKr;
          j.weight_offset = kGemm8cBiasBytes + static_cast<size_t>(k0) * bytes_per_k;
          j.resume = k0 > 0;
          j.park = k1 < g.k;
          for (int b = b0; b < b1; b += kTileBlocks) {
            const int blocks = Min(kTileBlocks, b1 - b);
            const int first_channel = b * kGemm8cNr;
            j.block = group_blocks + static_cast<size_t>(b) * g.block_bytes;
            j.partial = partial + (b - b0) * kGemm8cNr;
            j.output = output + int64_t{m0} * p.out_c + base + first_channel;
            j.store_begin = Max(c_begin - first_channel, 0);
            j.store_end = Min(c_end - first_channel, blocks * kGemm8cNr);
            kTiles<kInt4>[rows - 1][blocks - 1](j);
          }
        }
      }
    }
  }
}

}  // namespace

void qs8_conv2d_4x16__avx2(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
                           const int32_t* bias, int8_t* output, const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  if (tile.m_begin >= tile.m_end || tile.n_begin >= tile.n_end) return;
  const auto* packed = static_cast<const uint8_t*>(packed_weights);
  if (p.weight_type == WeightType::kInt4) {
    Run<true>(p, input, packed, output, tile);
  } else {
    Run<false>(p, input, packed, output, tile);
  }
}

}  // namespace qrt::kernels
