// Grouped convolution on AVX-512 VNNI as an implicit GEMM, bit-identical to
// ref::Conv2D. Fully connected runs here too, as a 1x1 convolution.
//
// Each convolution group is a GEMM [pixels, K] x [K, out_c / groups] with
// K = kernel_h * kernel_w * in_c / groups. The A operand is never built: a row's
// K values are kernel_h * kernel_w segments of in_c / groups contiguous input
// bytes, one per kernel position, and the tile reads each segment straight from
// the NHWC input, or from the packed zero-point row where the position lies
// outside the input (pack/gemm_16c4_vnni.h shows why that adds exactly nothing).
//
// Register tile: up to 6 pixels x 4 packed blocks of 16 channels (int4: 4
// pixels), 6 pixels x up to 2 blocks or 8-12 pixels x 1 block, at most 24 int32
// accumulators (see TileRows). Per group of 4 K values, one activation dword per
// pixel is broadcast and flipped to u8 (x ^ 0x80), each block's 64-byte weight
// group is loaded once, and rows x blocks vpdpbusd add u8[4] x s8[4] products.
// int4 weights are unpacked in registers: an AND (after a 16-bit shift left for
// the low nibbles) gives each nibble's c4 group as the weights times 16, whose
// sums RunTile divides by 16 (exact: multiples of 16 inside int32 for the K the
// packing allows, pack/gemm_16c4_vnni.h). Pointwise layers of 1 or 2 pixels (an
// M = 1 GEMM) are packed with their low nibbles biased by 8 (kSplit): their tiles
// take the low nibbles with an AND alone, as the weights plus 8, and subtract what
// the 8s add (BiasedLowProducts), and they add the high nibbles' products into
// accumulators of their own. One vector instruction fewer per 64 weight bytes is
// what bounds their loop on Zen 4, whose 512-bit instructions each take two of its
// four 256-bit pipes for a cycle. The code
// is written as fully unrolled straight lines (Unroll) because GCC keeps
// loop-indexed __m512i arrays in memory, which halves the vpdpbusd rate.
// A last block of at most 8 channels runs as a pair block, two pixels per
// vector (RunTile), where that pays. Pointwise layers of at most 4 output
// channels run 16 pixels per vector instead (RunNarrowTiles), as do image stems
// (at most 4 input and 64 output channels) where the CPU has AVX-512 VBMI
// (RunStemTiles, qs8_conv2d_6x16c4__avx512vbmi).
//
// The VBMI instructions are confined to RunStemTiles, compiled for that target
// alone (a function attribute), so nothing else in this translation unit may
// use them on a CPU without VBMI.
//
// Tiles: a pointwise convolution (1x1, stride 1, no padding) reads pixel rows
// m * in_c directly, without windows. Otherwise a tile computes only the box of
// kernel positions that lie inside the input for some of its pixels and adds the
// packed position_bias of the others (pack/gemm_16c4_vnni.h), as the reference
// skips them (a 7x7 output of a 3x3 "same" convolution computes 18% fewer
// products). So that the boxes are small, the pixels are not tiled in plain
// output order: the pixels whose windows cross the left or right edge are tiled
// by output column (down the image), the others by output row, in bands of rows
// whose windows cross the top and bottom edges alike (TileBuilder). A pixel of a
// tile whose own positions differ from the box reads the zero-point row at the
// box's positions outside the input. Without such pixels and with one group,
// the box's kernel columns of one kernel row are one run of input bytes and of
// packed weights, read as one segment.
//
// Exactness: vpdpbusd adds exact 16-bit products with wrapping int32
// arithmetic and the packed bias is folded modulo 2^32, so the accumulator is
// the reference's int64 sum narrowed modulo 2^32. The epilogue is requant.h's
// Requantize (see Rescale16 and NarrowPixel): the accumulator clamped to the
// packed range outside which the output is pinned, exact int64 products, rounding
// and shift, the int32 results narrowed with saturation and clamped in int8.
// For small K the epilogue costs as much as the dot products, so it is written
// for few instructions: 12 per 16 outputs.
//
// Memory: activations are read with 4- or 8-byte loads inside a segment. A
// segment's remainder (in_c 3 of an image stem) is read whole as well where the
// tile's last read ends inside the input, since the weights past a segment's
// channels are 0 and the zero-point row is padded to 64 bytes
// (pack/gemm_16c4_vnni.h), and with a masked load only in the tiles at the
// input's end. Outputs are written with masked stores, so nothing outside the
// tensors is touched. The packed weights are 64-byte aligned (aligned loads).
//
// This translation unit is compiled with -mavx512f/bw/vl/vnni: its helpers live
// in the anonymous namespace and it uses no inline function of a shared header,
// so no AVX-512 copy can stand in for a baseline one (ODR).
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "pack/gemm_16c4_vnni.h"
#include "qrt/kernels/params.h"
#include "x86/avx2/avx2.h"
#include "x86/avx512vnni/avx512vnni.h"

namespace qrt::kernels {
namespace {

constexpr int kTileBlocks = 4;  // 16-channel blocks per tile, at most
// The K from which a tile with more blocks than its pair block runs it as one.
constexpr int kMinPairK = 64;
// Pixels per tile of `blocks` blocks: as many as keep the accumulators and one
// group's weights (int4: twice as many registers, unpacked) in the 32 registers
// without GCC spilling inside the K loop, so that a tile's fixed cost (setup,
// requantization constants, per-position pointers) is shared by many pixels.
// Except for wide pointwise tiles: their short K (one kernel position) runs 15%
// slower (56x56x64->256) at 6 pixels than at 4. One-block tiles of int8
// convolutions with windows take 12 pixels (160x160x96->16 3x3 5% faster than
// at 8); the others keep 8, which spares the library their code.
constexpr int kMaxTileRows = 12;
constexpr int TileRows(int blocks, bool int4, bool pointwise, bool pair) {
  if (blocks == 1) return int4 || pointwise || pair ? 8 : 12;
  return blocks == 2 ? 6 : int4 || pointwise ? 4 : 6;
}

// Flips the sign bit of four bytes: int8 x to u8 x + 128.
constexpr int kToUnsigned = static_cast<int>(0x80808080u);

int Min(int a, int b) { return a < b ? a : b; }
int Max(int a, int b) { return a > b ? a : b; }
int64_t Max64(int64_t a, int64_t b) { return a > b ? a : b; }

// The mask of bits 0 .. n - 1, n in [0, 64].
__mmask64 LowBits(int n) { return n == 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// f(std::integral_constant<int, i>{}) for i = 0 .. N-1, as straight-line code.
template <int N, class F>
[[gnu::always_inline]] constexpr void Unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) __attribute__((always_inline)) {
    (f(std::integral_constant<int, I>{}), ...);
  }
  (std::make_integer_sequence<int, N>{});
}

// What every tile of one call shares.
struct Shape {
  const int8_t* input;
  const int8_t* zero_row;  // in_c / groups bytes of zx
  int in_h, in_w;
  int kernel_h, kernel_w;
  int dilation_h, dilation_w;
  int64_t kernel_row_step;     // input bytes between kernel rows: dilation_h * in_w * in_c
  int64_t kernel_column_step;  // input bytes between kernel columns: dilation_w * in_c
  int segment_groups;          // packed weight groups per kernel position
  int full_groups;             // of them, those whose input bytes all exist
  int tail_bytes;              // input bytes of the last group when it is partial, else 0
  // The segments of neighbouring kernel columns follow each other in the input
  // and in the packed weights: one group, no dilation across, no partial group.
  bool merge_columns;
  int64_t input_bytes;  // of the whole input tensor
  int64_t pixel_bytes;  // input bytes per pixel: in_c
  size_t block_bytes;
  size_t position_bias_offset;  // in a block
  size_t requant_offset;        // of the accumulator range in a block
  __m512i zero_point;           // zy in int16 lanes
  __m512i lo;                   // the clamp in int8 lanes
  __m512i hi;
};

// Where the window of one output pixel starts: the input row and column of
// kernel position (0, 0) and the offset of its group's first channel there (the
// offset may lie outside the input; only positions inside are read).
struct Window {
  int iy;
  int ix;
  int64_t offset;
};

// The kernel positions a tile computes: kernel rows [ky_begin, ky_end) x columns
// [kx_begin, kx_end), the smallest box that holds every position inside the
// input of one of the tile's pixels (empty: begin == end).
struct PositionBox {
  int ky_begin, ky_end;
  int kx_begin, kx_end;
};

// The pixels of one tile.
struct TilePixels {
  Window windows[kMaxTileRows];
  int8_t* out[kMaxTileRows];  // of each pixel: the output of channel 0 of block 0
  PositionBox box;
  bool skips;       // box is not the whole kernel
  bool box_inside;  // every pixel's positions in the box lie inside the input
};

// The blocks of one channel tile and where their outputs go.
struct ChannelTile {
  const uint8_t* block;  // block 0 of the tile
  int8_t* output;        // pixel 0 of the output, channel 0 of block 0
  __mmask64 store_mask;  // the channels of the tile's blocks (16 bits each) it owns
  int blocks;            // in the tile
};

int32_t LoadInt32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

int64_t LoadInt64(const void* p) {
  int64_t v;
  std::memcpy(&v, p, sizeof(v));
  return v;
}

__m512i BroadcastUnsigned(const int8_t* x) {
  return _mm512_xor_si512(_mm512_set1_epi32(LoadInt32(x)), _mm512_set1_epi32(kToUnsigned));
}

// The accumulators' type. As __m512i (8 int64 lanes) each vpdpbusd views them
// as 16 int32 lanes and back, and GCC 12 then carried both views through the K
// loops of one-block tiles and narrow stems: two register copies per
// accumulator and step, which made 160x160x96->16 3x3 take 30% longer.
using Int32x16 = int32_t __attribute__((vector_size(64)));

[[gnu::always_inline]] inline Int32x16 DotAdd(Int32x16 acc, __m512i u, __m512i w) {
  return reinterpret_cast<Int32x16>(_mm512_dpbusd_epi32(reinterpret_cast<__m512i>(acc), u, w));
}

// acc[r][b] += the u8 activation dword of row r (activation(r)) times the weight
// group w[b]. kPair: the last block is a pair block (see RunTile), whose
// accumulator acc[r][kBlocks - 1] of an even row r takes row r's dword in its
// even lanes and row r + 1's in its odd lanes (row r's again past the last row);
// odd rows have none.
template <int kRows, int kBlocks, bool kPair, class Activation>
[[gnu::always_inline]] inline void Dot(Int32x16 (&acc)[kRows][kBlocks],
                                       const Activation& activation, const __m512i (&w)[kBlocks]) {
  constexpr int kPlain = kPair ? kBlocks - 1 : kBlocks;
  __m512i even_row = _mm512_setzero_si512();
  Unroll<kRows>([&](auto r) {
    const __m512i u = activation(r);
    Unroll<kPlain>([&](auto b) { acc[r][b] = DotAdd(acc[r][b], u, w[b]); });
    if constexpr (kPair) {
      constexpr int kLast = kBlocks - 1;
      if constexpr (r % 2 == 0 && r + 1 == kRows) {
        acc[r][kLast] = DotAdd(acc[r][kLast], u, w[kLast]);
      } else if constexpr (r % 2 == 0) {
        even_row = u;
      } else {
        const __m512i rows = _mm512_mask_blend_epi32(0xAAAA, even_row, u);
        acc[r - 1][kLast] = DotAdd(acc[r - 1][kLast], rows, w[kLast]);
      }
    }
  });
}

// Weight group q of every block times the activations of every row;
// activation(r, half) gives row r's u8 dword for the first (int4: or second) c4
// group. int4: the low nibbles are the first c4 group, whose products go to acc
// (times 16, or kSplit: the weights plus 8, times 1), the high nibbles the second,
// whose products (times 16) go to acc_high (acc itself, or kSplit: accumulators of
// their own).
template <int kRows, int kBlocks, bool kInt4, bool kSplit, bool kPair, class Activation>
[[gnu::always_inline]] inline void AccumulateGroup(Int32x16 (&acc)[kRows][kBlocks],
                                                   Int32x16 (&acc_high)[kRows][kBlocks],
                                                   const uint8_t* const (&weights)[kBlocks], int q,
                                                   const Activation& activation) {
  __m512i w[kBlocks];
  Unroll<kBlocks>([&](auto b) {
    w[b] = _mm512_load_si512(weights[b] + static_cast<size_t>(q) * kGemm16c4GroupBytes);
  });
  static_assert(!(kInt4 && kPair), "pair blocks are int8 only");
  // A pair block's channels 0..7 (its even lanes) in both lanes of each pair.
  if constexpr (kPair) w[kBlocks - 1] = _mm512_shuffle_epi32(w[kBlocks - 1], _MM_PERM_CCAA);
  const auto first = [&](int r) { return activation(r, 0); };
  if constexpr (kInt4) {
    const __m512i high_nibbles = _mm512_set1_epi8(static_cast<char>(0xF0));
    __m512i high[kBlocks];
    Unroll<kBlocks>([&](auto b) {
      high[b] = _mm512_and_si512(w[b], high_nibbles);
      w[b] = kSplit ? _mm512_and_si512(w[b], _mm512_set1_epi8(0x0F))
                    : _mm512_and_si512(_mm512_slli_epi16(w[b], 4), high_nibbles);
    });
    Dot<kRows, kBlocks, false>(acc, first, w);
    Dot<kRows, kBlocks, false>(
        acc_high, [&](int r) { return activation(r, 1); }, high);
  } else {
    Dot<kRows, kBlocks, kPair>(acc, first, w);
  }
}

// What the low nibbles' bias of 8 adds to the products of `groups` int4 groups
// of 8 input bytes at x (8 x the sum of u = x ^ 0x80 over bytes 0..3 of each
// group), in int32 lanes to be summed. Only the first read_bytes bytes are read;
// the others count as x = 0, as the masked load of a partial group reads them.
Int32x16 BiasedLowProducts(const int8_t* x, int groups, int read_bytes) {
  const __m512i eights = _mm512_set1_epi64(0x08080808);
  const __m512i to_unsigned = _mm512_set1_epi32(kToUnsigned);
  // Four chains: one would wait on vpdpbusd's latency (5% of an M = 1 GEMM).
  Int32x16 sum[4] = {};
  const auto add = [&](int c, const int8_t* bytes) {
    sum[c] = DotAdd(sum[c], _mm512_xor_si512(_mm512_loadu_si512(bytes), to_unsigned), eights);
  };
  int i = 0;
  for (; i + 256 <= read_bytes; i += 256) Unroll<4>([&](auto c) { add(c, x + i + 64 * c); });
  for (; i + 64 <= read_bytes; i += 64) add(0, x + i);
  if (i < 8 * groups) {
    const __m512i u =
        _mm512_xor_si512(_mm512_maskz_loadu_epi8(LowBits(read_bytes - i), x + i), to_unsigned);
    sum[0] = DotAdd(sum[0], u, _mm512_maskz_mov_epi8(LowBits(8 * groups - i), eights));
  }
  return (sum[0] + sum[1]) + (sum[2] + sum[3]);
}

// One kernel position: the segment of in_c / groups input bytes that each row
// reads at a[r], against the weights of the segment, whose whole groups are
// full_groups (s.full_groups, or more where segments that follow each other in
// the input and in the weights run as one). kWholeTail: the segment has a partial
// last group, read whole like the others (every row may read its segment_groups
// groups). kSplit: low_bias[r] adds what the low nibbles' bias added to row r's
// products.
template <int kRows, int kBlocks, bool kInt4, bool kSplit, bool kPair, bool kWholeTail>
[[gnu::always_inline]] inline void AccumulateSegment(Int32x16 (&acc)[kRows][kBlocks],
                                                     Int32x16 (&acc_high)[kRows][kBlocks],
                                                     Int32x16 (&low_bias)[kRows],
                                                     const int8_t* const (&a)[kRows],
                                                     const uint8_t* const (&weights)[kBlocks],
                                                     const Shape& s, int full_groups) {
  constexpr int kGroupBytes = kInt4 ? 8 : 4;
  static_assert(!(kSplit && kWholeTail), "split tiles are pointwise");
  if constexpr (kSplit) {
    Unroll<kRows>([&](auto r) {
      low_bias[r] += BiasedLowProducts(a[r], full_groups, full_groups * kGroupBytes);
      if (s.tail_bytes != 0) {
        low_bias[r] += BiasedLowProducts(a[r] + s.full_groups * kGroupBytes, 1, s.tail_bytes);
      }
    });
  }
  // The partial last group first: after the loop, GCC's register allocator
  // shuffles the accumulators through copies inside the loop.
  if constexpr (kWholeTail) {
    AccumulateGroup<kRows, kBlocks, kInt4, kSplit, kPair>(
        acc, acc_high, weights, s.full_groups, [&](int r, int half) {
          return BroadcastUnsigned(a[r] + s.full_groups * kGroupBytes + 4 * half);
        });
    // Image stems (in_c 3) have no whole group: returning here spares their tiles
    // the accumulator copies GCC places around the loop (detector stem 0.615 -> 0.587 ms).
    if (full_groups == 0) return;
  } else if (s.tail_bytes != 0) {
    const auto mask = static_cast<__mmask16>((1u << s.tail_bytes) - 1);
    __m128i tail[kRows];
    Unroll<kRows>(
        [&](auto r) { tail[r] = _mm_maskz_loadu_epi8(mask, a[r] + s.full_groups * kGroupBytes); });
    AccumulateGroup<kRows, kBlocks, kInt4, kSplit, kPair>(
        acc, acc_high, weights, s.full_groups, [&](int r, int half) {
          const __m128i dword = half == 0 ? tail[r] : _mm_srli_si128(tail[r], 4);
          return _mm512_xor_si512(_mm512_broadcastd_epi32(dword), _mm512_set1_epi32(kToUnsigned));
        });
  }
  for (int q = 0; q < full_groups; ++q) {
    AccumulateGroup<kRows, kBlocks, kInt4, kSplit, kPair>(
        acc, acc_high, weights, q,
        [&](int r, int half) { return BroadcastUnsigned(a[r] + q * kGroupBytes + 4 * half); });
  }
}

// The requantization of one block: the accumulator range and the per-channel
// int64 multiplier, rounding and shift of channels 0..7 ([0]) and 8..15 ([1]).
struct BlockRequant {
  __m512i acc_lo;
  __m512i acc_hi;
  __m512i multiplier[2];
  __m512i rounding[2];
  __m512i shift[2];
};

// Offsets in a block's requantization (pack/gemm_16c4_vnni.h): acc_lo, acc_hi
// (int32 lanes), then multiplier, rounding and shift (int64, channel order).
constexpr size_t kAccHiOffset = kGemm16c4Int32ArrayBytes;
constexpr size_t kChannelArraysOffset = 2 * kAccHiOffset;

BlockRequant LoadBlockRequant(const uint8_t* requant) {
  BlockRequant q;
  q.acc_lo = _mm512_load_si512(requant);
  q.acc_hi = _mm512_load_si512(requant + kAccHiOffset);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* channels = requant + kChannelArraysOffset + h * (kGemm16c4Int64ArrayBytes / 2);
    q.multiplier[h] = _mm512_load_si512(channels);
    q.rounding[h] = _mm512_load_si512(channels + kGemm16c4Int64ArrayBytes);
    q.shift[h] = _mm512_load_si512(channels + 2 * kGemm16c4Int64ArrayBytes);
  }
  return q;
}

// The requantization of a pair block (RunTile): channels 0..7 for the odd lanes
// too, so that the rescaled vector holds channels 0..7 of one row in dwords 0..7
// and of the next row in dwords 8..15.
BlockRequant PairRequant(const BlockRequant& q) {
  BlockRequant pair = q;
  pair.acc_lo = _mm512_shuffle_epi32(q.acc_lo, _MM_PERM_CCAA);
  pair.acc_hi = _mm512_shuffle_epi32(q.acc_hi, _MM_PERM_CCAA);
  pair.multiplier[1] = q.multiplier[0];
  pair.rounding[1] = q.rounding[0];
  pair.shift[1] = q.shift[0];
  return pair;
}

// Rescale of one block's 16 accumulators, in channel order (Rescale16): exact
// int64 products (vpmuldq) of the even and odd lanes (RescaleHalves: in the low
// dwords of half[0] and half[1]), the 2^(s-1) rounding and an arithmetic shift
// (vpsravq). kClampAcc: the accumulators are first clamped to
// the block's range, which changes no output and keeps every result inside int32
// (pack/gemm_16c4_vnni.h), so taking the low halves of the int64 results is
// exact. Where every multiplier of the call is below 1 (shift >= 31), |Rescale(acc)|
// <= |acc| + 1 fits int32 anyway, and NarrowPixel's saturation clamps alike.
template <bool kClampAcc>
void RescaleHalves(__m512i acc, const BlockRequant& q, __m512i (&half)[2]) {
  if constexpr (kClampAcc) acc = _mm512_min_epi32(_mm512_max_epi32(acc, q.acc_lo), q.acc_hi);
  for (int h = 0; h < 2; ++h) {
    const __m512i a = h == 0 ? acc : _mm512_srli_epi64(acc, 32);
    half[h] = _mm512_srav_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(a, q.multiplier[h]), q.rounding[h]), q.shift[h]);
  }
}

template <bool kClampAcc>
__m512i Rescale16(__m512i acc, const BlockRequant& q) {
  __m512i half[2];
  RescaleHalves<kClampAcc>(acc, q, half);
  const __m512i low_halves =
      _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  return _mm512_permutex2var_epi32(half[0], low_halves, half[1]);
}

// clamp(r + zy, lo, hi) as int8 for four vectors r of int32 values. The
// narrowing saturates, r to int16, r + zy in int16 and that to int8, which
// changes nothing once the result is clamped to [lo, hi], a part of int8: a value
// that saturates anywhere lies beyond the clamp on the same side. vpackssdw /
// vpacksswb interleave their operands per 128-bit lane: lane L holds dwords
// 4L..4L+3 of r[0], then those of r[1], r[2] and r[3].
__m512i PackClamped(const __m512i (&r)[kTileBlocks], const Shape& s) {
  const __m512i words01 = _mm512_adds_epi16(_mm512_packs_epi32(r[0], r[1]), s.zero_point);
  const __m512i words23 = _mm512_adds_epi16(_mm512_packs_epi32(r[2], r[3]), s.zero_point);
  return _mm512_min_epi8(_mm512_max_epi8(_mm512_packs_epi16(words01, words23), s.lo), s.hi);
}

// The int8 outputs of one pixel's 4 blocks of rescaled int32 values r[b], in
// channel order: PackClamped's bytes, with vpermd restoring channel order.
__m512i NarrowPixel(const __m512i (&r)[kTileBlocks], const Shape& s) {
  const __m512i lane_order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  return _mm512_permutexvar_epi32(lane_order, PackClamped(r, s));
}

// The folded bias of the block at `block`, plus the position_bias of every
// kernel position outside box: the accumulators of a tile that skips positions
// before its dot products.
__m512i SkippingBias(const uint8_t* block, const PositionBox& box, const Shape& s) {
  __m512i bias = _mm512_load_si512(block);
  const uint8_t* position_bias = block + s.position_bias_offset;
  for (int ky = 0; ky < s.kernel_h; ++ky) {
    const bool row_in_box = ky >= box.ky_begin && ky < box.ky_end;
    for (int kx = 0; kx < s.kernel_w; ++kx, position_bias += kGemm16c4Int32ArrayBytes) {
      if (!row_in_box || kx < box.kx_begin || kx >= box.kx_end) {
        bias = _mm512_add_epi32(bias, _mm512_load_si512(position_bias));
      }
    }
  }
  return bias;
}

// kRows pixels x the kBlocks blocks of channel tile t. kPointwise: a 1x1
// convolution with stride 1 and no padding, whose tiles are consecutive pixels and
// pixel r reads input row windows[0].offset + r * in_c, always inside.
// kWholeTail: see AccumulateSegment. kClampAcc: see Rescale16. kPair: the last block holds at most
// 8 channels (a group's 24 output channels: 16 + 8), which the packing puts in the block's even
// lanes (pack/gemm_16c4_vnni.h: lane 2i holds channel i), the odd lanes padding. A pair block
// computes them for two pixels at once: its weights copied into the odd lanes, pixel r's
// activations in the even lanes and pixel r + 1's in the odd ones, one accumulator per two rows, a
// quarter of a 2-block tile's vpdpbusd saved; PairRequant then rescales both pixels' channels.
template <int kRows, int kBlocks, bool kInt4, bool kSplit, bool kPointwise, bool kWholeTail,
          bool kPair, bool kClampAcc>
void RunTile(const Shape& s, const ChannelTile& t, const TilePixels& pixels) {
  // int8: acc starts at the block's bias. int4: acc (and acc_split, which takes
  // the high nibbles' products where kSplit) starts at 0 and sums the
  // products times 16 (or the low nibbles' products with their bias, times 1);
  // the bias joins after the division.
  Int32x16 acc[kRows][kBlocks];
  Int32x16 acc_split[kRows][kBlocks];
  Int32x16 low_bias[kRows] = {};
  auto& acc_high = [&]() -> auto& {
    if constexpr (kSplit) {
      return acc_split;
    } else {
      return acc;
    }
  }
  ();
  const uint8_t* weights[kBlocks];
  const auto block_bias = [&](int b) {
    const uint8_t* block = t.block + b * s.block_bytes;
    __m512i bias =
        !kPointwise && pixels.skips ? SkippingBias(block, pixels.box, s) : _mm512_load_si512(block);
    if (kPair && b == kBlocks - 1) bias = _mm512_shuffle_epi32(bias, _MM_PERM_CCAA);
    return bias;
  };
  Unroll<kBlocks>([&](auto b) {
    const auto init = reinterpret_cast<Int32x16>(kInt4 ? _mm512_setzero_si512() : block_bias(b));
    Unroll<kRows>([&](auto r) {
      acc[r][b] = init;
      if constexpr (kSplit) acc_split[r][b] = init;
    });
    weights[b] = t.block + b * s.block_bytes + kGemm16c4Int32ArrayBytes;
  });
  const Window(&windows)[kMaxTileRows] = pixels.windows;
  if constexpr (kPointwise) {
    const int8_t* a[kRows];
    Unroll<kRows>([&](auto r) { a[r] = s.input + (windows[0].offset + r * s.pixel_bytes); });
    AccumulateSegment<kRows, kBlocks, kInt4, kSplit, kPair, false>(acc, acc_high, low_bias, a,
                                                                   weights, s, s.full_groups);
  } else {
    const size_t segment_bytes = static_cast<size_t>(s.segment_groups) * kGemm16c4GroupBytes;
    const PositionBox& box = pixels.box;
    const auto accumulate_positions = [&](auto check_inside) {
      // Where every position is read from the input and s.merge_columns, the
      // box's kernel columns of one kernel row run as one segment.
      const bool merge = !check_inside && s.merge_columns;
      const int kx_step = merge ? box.kx_end - box.kx_begin : 1;
      const int full_groups = kx_step * s.full_groups;
      for (int ky = box.ky_begin; ky < box.ky_end; ++ky) {
        for (int kx = box.kx_begin; kx < box.kx_end; kx += kx_step) {
          const int64_t step = ky * s.kernel_row_step + kx * s.kernel_column_step;
          const uint8_t* position_weights[kBlocks];
          Unroll<kBlocks>([&](auto b) {
            position_weights[b] =
                weights[b] + static_cast<size_t>(ky * s.kernel_w + kx) * segment_bytes;
          });
          const int8_t* a[kRows];
          Unroll<kRows>([&](auto r) {
            const Window& w = windows[r];
            bool inside = true;
            if constexpr (check_inside) {
              const int iy = w.iy + ky * s.dilation_h;
              const int ix = w.ix + kx * s.dilation_w;
              inside = static_cast<unsigned>(iy) < static_cast<unsigned>(s.in_h) &&
                       static_cast<unsigned>(ix) < static_cast<unsigned>(s.in_w);
            }
            a[r] = inside ? s.input + (w.offset + step) : s.zero_row;
          });
          AccumulateSegment<kRows, kBlocks, kInt4, kSplit, kPair, kWholeTail>(
              acc, acc_high, low_bias, a, position_weights, s, full_groups);
        }
      }
    };
    // Most tiles' pixels all read the whole box: they skip the per-position test.
    if (pixels.box_inside) {
      accumulate_positions(std::false_type{});
    } else {
      accumulate_positions(std::true_type{});
    }
  }
  // The accumulators go through a stack buffer to the epilogue: requantizing
  // them straight from registers raises the register pressure enough that GCC
  // stops keeping them in place inside the K loop, which costs far more.
  // kSplit: the sums are divided by 16 here.
  alignas(64) int32_t raw[kRows][kBlocks][kGemm16c4Nr];
  Unroll<kRows>([&](auto r) {
    Int32x16 low_bias_sum{};
    if constexpr (kSplit) {
      low_bias_sum -= _mm512_reduce_add_epi32(reinterpret_cast<__m512i>(low_bias[r]));
    }
    Unroll<kBlocks>([&](auto b) {
      if constexpr (kSplit) acc[r][b] += (acc_split[r][b] >> 4) + low_bias_sum;
      _mm512_store_si512(raw[r][b], reinterpret_cast<__m512i>(acc[r][b]));
    });
  });
  for (int b = 0; b < kBlocks; ++b) {
    BlockRequant q = LoadBlockRequant(t.block + b * s.block_bytes + s.requant_offset);
    const bool pair = kPair && b == kBlocks - 1;
    if (pair) q = PairRequant(q);
    const __m512i bias = kInt4 ? block_bias(b) : _mm512_setzero_si512();
    for (int r = 0; r < kRows; r += pair ? 2 : 1) {
      __m512i sum = _mm512_load_si512(raw[r][b]);
      if constexpr (kInt4) sum = _mm512_add_epi32(bias, kSplit ? sum : _mm512_srai_epi32(sum, 4));
      _mm512_store_si512(raw[r][b], Rescale16<kClampAcc>(sum, q));
    }
  }
  // Row r's rescaled block b: a pair block's odd row takes the high half of the
  // row before (its channels then sit where NarrowPixel and the stores expect
  // them; the even row's high half lies past the block's channels, never stored).
  const auto rescaled_at = [&](int r, int b) {
    if (kPair && b == kBlocks - 1 && r % 2 == 1) {
      const __m512i rows = _mm512_load_si512(raw[r - 1][b]);
      return _mm512_shuffle_i64x2(rows, rows, _MM_SHUFFLE(3, 2, 3, 2));
    }
    return _mm512_load_si512(raw[r][b]);
  };
  if constexpr (kBlocks == 1) {
    // One block: NarrowPixel takes four rows at once, row i's 16 bytes landing
    // in 128-bit lane i (narrow outputs: the epilogue is most of their work).
    const auto store_mask = static_cast<__mmask16>(t.store_mask);
    Unroll<(kRows + kTileBlocks - 1) / kTileBlocks>([&](auto q) {
      constexpr int kFirst = q * kTileBlocks;
      __m512i rescaled[kTileBlocks];
      Unroll<kTileBlocks>([&](auto i) {
        rescaled[i] = rescaled_at(kFirst + i < kRows ? kFirst + i : kRows - 1, 0);
      });
      const __m512i y = NarrowPixel(rescaled, s);
      Unroll<kTileBlocks>([&](auto i) {
        if constexpr (kFirst + i < kRows) {
          _mm_mask_storeu_epi8(pixels.out[kFirst + i], store_mask, _mm512_extracti32x4_epi32(y, i));
        }
      });
    });
    return;
  }
  // A tile of fewer blocks narrows its last block again in place of the missing
  // ones; their bytes are not stored.
  for (int r = 0; r < kRows; ++r) {
    __m512i rescaled[kTileBlocks];
    Unroll<kTileBlocks>(
        [&](auto b) { rescaled[b] = rescaled_at(r, b < kBlocks ? b() : kBlocks - 1); });
    _mm512_mask_storeu_epi8(pixels.out[r], t.store_mask, NarrowPixel(rescaled, s));
  }
}

using TileFn = void (*)(const Shape&, const ChannelTile&, const TilePixels&);

// Tiles<int4, pointwise, whole_tail, pair, clamp_acc, split>()[rows - 1][blocks - 1];
// null for the shapes of more than TileRows(blocks, kInt4, kPointwise) pixels (kSplit:
// more than 2, the layer's), which never run.
template <bool kInt4, bool kPointwise, bool kWholeTail, bool kPair, bool kClampAcc, bool kSplit>
constexpr std::array<std::array<TileFn, kTileBlocks>, kMaxTileRows> Tiles() {
  std::array<std::array<TileFn, kTileBlocks>, kMaxTileRows> tiles{};
  Unroll<kMaxTileRows>([&](auto r) {
    Unroll<kTileBlocks>([&](auto b) {
      if constexpr (r + 1 <= (kSplit ? kGemm16c4MaxBiasedLowPixels
                                     : TileRows(b + 1, kInt4, kPointwise, kPair))) {
        tiles[r][b] =
            RunTile<r + 1, b + 1, kInt4, kSplit, kPointwise, kWholeTail, kPair, kClampAcc>;
      }
    });
  });
  return tiles;
}

template <bool kInt4, bool kPointwise, bool kWholeTail = false, bool kPair = false,
          bool kClampAcc = true, bool kSplit = false>
constexpr auto kTiles = Tiles<kInt4, kPointwise, kWholeTail, kPair, kClampAcc, kSplit>();

using TileSet = std::array<std::array<TileFn, kTileBlocks>, kMaxTileRows>;

// The kernel rows (or columns) k whose input coordinate start + k * dilation lies
// in [0, extent): [begin, end), empty when begin == end.
struct PositionRange {
  int begin;
  int end;
  bool Empty() const { return begin == end; }
  bool operator==(const PositionRange&) const = default;
};

PositionRange InsidePositions(int start, int kernel, int dilation, int extent) {
  const int last = extent - 1 - start;  // the largest offset k * dilation inside
  if (dilation == 1) {                  // no division: this runs for every pixel
    const int end = Max(Min(kernel, last + 1), 0);
    return {Min(Max(-start, 0), end), end};
  }
  const int end = last < 0 ? 0 : Min(kernel, last / dilation + 1);
  const int begin = start >= 0 ? 0 : (-start + dilation - 1) / dilation;
  return {Min(begin, end), end};
}

// What every tile of one channel tile shares, and the tile being filled: the
// pixels of a run (see StartRun) are cut into tiles of near-equal size (10 pixels
// at up to 4 per tile: 4 + 3 + 3, not 4 + 4 + 2, as a short tile has too few
// accumulators to keep vpdpbusd busy), each run as soon as it is full.
class TileBuilder {
 public:
  TileBuilder(const Conv2DParams& p, const Shape& s, const ChannelTile& t, int64_t group_channel,
              int max_rows, const TileSet& tiles, const TileSet* whole_tail,
              int64_t window_read_end)
      : p_(p),
        s_(s),
        t_(t),
        group_channel_(group_channel),
        max_rows_(max_rows),
        tiles_(tiles),
        whole_tail_(whole_tail),
        window_read_end_(window_read_end) {}

  // The next `count` pixels added form one run. band: the run's pixels all have
  // the same kernel rows inside the input and all their kernel columns inside
  // it, and come in output order.
  void StartRun(int count, bool band) {
    band_ = band;
    const int tiles = (count + max_rows_ - 1) / max_rows_;
    // The first count % tiles tiles take one pixel more.
    small_size_ = tiles == 0 ? 0 : count / tiles;
    large_tiles_ = tiles == 0 ? 0 : count % tiles;
    rows_ = 0;
    size_ = small_size_ + (large_tiles_ > 0 ? 1 : 0);
  }

  // The pixels [m_begin, m_end) of a pointwise convolution as one run: pixel m
  // reads input row m.
  void RunPointwise(int m_begin, int m_end) {
    StartRun(m_end - m_begin, false);
    // Locals: these tiles are short (K = in_c), their set-up counts.
    const int64_t in_c = p_.in_c;
    const int64_t out_c = p_.out_c;
    int8_t* const output = t_.output;
    for (int m = m_begin; m < m_end;) {
      const int rows = size_;
      tile_.windows[0].offset = m * in_c + group_channel_;
      int8_t* out = output + m * out_c;
      for (int r = 0; r < rows; ++r, out += out_c) tile_.out[r] = out;
      tiles_[rows - 1][t_.blocks - 1](s_, t_, tile_);
      NextTile();
      m += rows;
    }
  }

  // The pixels that Add takes next lie in output row y of image n.
  void SetRow(int n, int y) {
    const int iy = y * p_.stride_h - p_.pad_top;
    row_iy_ = iy;
    row_y_ = InsidePositions(iy, p_.kernel_h, p_.dilation_h, p_.in_h);
    row_offset_ = (int64_t{n} * p_.in_h + iy) * p_.in_w * p_.in_c + group_channel_;
    row_out_ = t_.output + (int64_t{n} * p_.out_h + y) * p_.out_w * p_.out_c;
  }

  // The pixel in column x of the row set last.
  void Add(int x) {
    const int ix = x * p_.stride_w - p_.pad_left;
    tile_.windows[rows_] = {row_iy_, ix, row_offset_ + int64_t{ix} * p_.in_c};
    tile_.out[rows_] = row_out_ + int64_t{x} * p_.out_c;
    if (!band_) {
      rows_y_[rows_] = row_y_;
      rows_x_[rows_] = InsidePositions(ix, p_.kernel_w, p_.dilation_w, p_.in_w);
    }
    if (++rows_ == size_) {
      Run();
      rows_ = 0;
    }
  }

 private:
  // The tile of the pixels added (not pointwise).
  void Run() {
    bool whole = false;
    if (band_) {
      tile_.box = row_y_.Empty() ? PositionBox{0, 0, 0, 0}
                                 : PositionBox{row_y_.begin, row_y_.end, 0, s_.kernel_w};
      tile_.box_inside = true;
      whole = whole_tail_ != nullptr && !row_y_.Empty() &&
              tile_.windows[rows_ - 1].offset + window_read_end_ <= s_.input_bytes;
    } else {
      PositionRange y{s_.kernel_h, 0};
      PositionRange x{s_.kernel_w, 0};
      int64_t last_offset = INT64_MIN;
      for (int r = 0; r < rows_; ++r) {
        if (rows_y_[r].Empty() || rows_x_[r].Empty()) continue;
        y = {Min(y.begin, rows_y_[r].begin), Max(y.end, rows_y_[r].end)};
        x = {Min(x.begin, rows_x_[r].begin), Max(x.end, rows_x_[r].end)};
        last_offset = Max64(last_offset, tile_.windows[r].offset);
      }
      if (y.begin >= y.end) y = x = {0, 0};  // no pixel reads the input
      tile_.box = {y.begin, y.end, x.begin, x.end};
      tile_.box_inside = true;
      for (int r = 0; r < rows_ && !y.Empty(); ++r) {
        tile_.box_inside = tile_.box_inside && rows_y_[r] == y && rows_x_[r] == x;
      }
      whole = whole_tail_ != nullptr && last_offset + window_read_end_ <= s_.input_bytes;
    }
    const PositionBox& box = tile_.box;
    tile_.skips = box.ky_begin != 0 || box.ky_end != s_.kernel_h || box.kx_begin != 0 ||
                  box.kx_end != s_.kernel_w;
    (whole ? *whole_tail_ : tiles_)[rows_ - 1][t_.blocks - 1](s_, t_, tile_);
    NextTile();
  }

  void NextTile() {
    if (large_tiles_ > 0 && --large_tiles_ == 0) size_ = small_size_;
  }

  const Conv2DParams& p_;
  const Shape& s_;
  const ChannelTile& t_;
  int64_t group_channel_;
  int max_rows_;
  const TileSet& tiles_;
  const TileSet* whole_tail_;  // null where a partial last group is never read whole
  int64_t window_read_end_;
  int row_iy_ = 0;             // of the row set last: the input row of kernel row 0,
  PositionRange row_y_{};      // the kernel rows inside the input,
  int64_t row_offset_ = 0;     // the input offset of column 0 of kernel row 0,
  int8_t* row_out_ = nullptr;  // the output of column 0
  bool band_ = false;          // see StartRun
  int small_size_ = 0;         // pixels of the run's smaller tiles
  int large_tiles_ = 0;        // tiles of small_size_ + 1 pixels still to come
  int size_ = 0;               // pixels of the tile being filled
  int rows_ = 0;               // pixels in it so far
  TilePixels tile_{};
  PositionRange rows_y_[kMaxTileRows] = {};
  PositionRange rows_x_[kMaxTileRows] = {};
};

// Pointwise convolutions (and fully connected layers) with at most 4 output
// channels, such as the 2-column tap rows of a transposed convolution to 1
// channel, would use 1-4 lanes of a block's 16 (a pair block: 2-8). Their tiles
// put kNarrowPixels pixels in the lanes instead, one accumulator per channel:
// the pixels' groups of 4 input channels are transposed into vectors 8 groups at
// a time (LoadColumns: 3 shuffles a group, where a dword gather measured about 17
// cycles on Zen 5), each channel's weights are one broadcast dword of the packed block
// (pack/gemm_16c4_vnni.h: channel c in lane 2c).
constexpr int kNarrowChannels = 4;
static_assert(kNarrowChannels == kTileBlocks, "PackClamped narrows the channels' vectors");
constexpr int kNarrowPixels = 16;

bool RunsNarrow(const Conv2DParams& p, bool pointwise, const OutputTile& tile) {
  return pointwise && p.groups == 1 && p.weight_type == WeightType::kInt8 &&
         p.out_c <= kNarrowChannels && tile.m_end - tile.m_begin >= kNarrowPixels;
}

// The first `bytes` (at most 32) input bytes of kNarrowPixels pixels, the first
// at x, as 8 groups of 4: lane r of columns[g] holds pixel r's group g (0 for
// the bytes past `bytes` and the pixels past count). Each vector z[i] holds two
// pixels' 32 bytes; three rounds of shuffles (dwords, qwords, 128-bit lanes)
// transpose its two 8 x 8 halves.
void LoadColumns(const int8_t* x, int64_t pixel_bytes, int count, int bytes,
                 __m512i (&columns)[8]) {
  const auto mask = static_cast<__mmask32>(LowBits(bytes));
  const auto row = [&](int r) {
    return r < count ? _mm256_maskz_loadu_epi8(mask, x + r * pixel_bytes) : _mm256_setzero_si256();
  };
  // z[i]: pixels i and i + 4 (i < 4), 4 + i and 8 + i (i >= 4).
  __m512i z[8];
  for (int i = 0; i < 8; ++i) {
    const int r = i < 4 ? i : i + 4;
    z[i] = _mm512_inserti64x4(_mm512_castsi256_si512(row(r)), row(r + 4), 1);
  }
  __m512i t[8];
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm512_unpacklo_epi32(z[i], z[i + 1]);
    t[i + 1] = _mm512_unpackhi_epi32(z[i], z[i + 1]);
  }
  // u[4h + j], 128-bit lanes: dword j, then 4 + j, of pixels 8h..8h+3, then of 8h+4..8h+7.
  __m512i u[8];
  for (int i = 0; i < 8; i += 4) {
    for (int j = 0; j < 2; ++j) {
      u[i + 2 * j] = _mm512_unpacklo_epi64(t[i + j], t[i + 2 + j]);
      u[i + 2 * j + 1] = _mm512_unpackhi_epi64(t[i + j], t[i + 2 + j]);
    }
  }
  for (int j = 0; j < 4; ++j) {
    columns[j] = _mm512_shuffle_i32x4(u[j], u[4 + j], 0x88);
    columns[4 + j] = _mm512_shuffle_i32x4(u[j], u[4 + j], 0xDD);
  }
}

// Bytes into a block's int32 lanes (bias, weight groups, acc_lo, acc_hi) of
// channel c, which sits in lane 2c for c < 8 and 2(c - 8) + 1 for the others
// (pack/gemm_16c4_vnni.h).
size_t LaneBytes(int c) {
  return sizeof(int32_t) * static_cast<size_t>(c < 8 ? 2 * c : 2 * (c - 8) + 1);
}

// Channel c's requantization in every lane.
BlockRequant ChannelRequant(const uint8_t* requant, int c) {
  const uint8_t* channel = requant + kChannelArraysOffset + sizeof(int64_t) * c;
  BlockRequant q;
  q.acc_lo = _mm512_set1_epi32(LoadInt32(requant + LaneBytes(c)));
  q.acc_hi = _mm512_set1_epi32(LoadInt32(requant + kAccHiOffset + LaneBytes(c)));
  for (int h = 0; h < 2; ++h) {
    q.multiplier[h] = _mm512_set1_epi64(LoadInt64(channel));
    q.rounding[h] = _mm512_set1_epi64(LoadInt64(channel + kGemm16c4Int64ArrayBytes));
    q.shift[h] = _mm512_set1_epi64(LoadInt64(channel + 2 * kGemm16c4Int64ArrayBytes));
  }
  return q;
}

// The shuffles that put the narrow tiles' clamped bytes in pixel-major order.
// PackClamped leaves 128-bit lane L with the bytes of pixels 4L..4L+3 of
// channel 0, then of channels 1, 2 and 3: pixel_major moves byte 4c + i to
// kChannels * i + c, and lanes_together moves each lane's first kChannels
// dwords next to the lane before's.
template <int kChannels>
struct NarrowShuffles {
  alignas(64) int8_t pixel_major[64];
  alignas(64) int32_t lanes_together[16];
};

template <int kChannels>
constexpr NarrowShuffles<kChannels> MakeNarrowShuffles() {
  NarrowShuffles<kChannels> t{};
  for (int i = 0; i < 64; ++i) {
    const int byte = i % 16;
    t.pixel_major[i] = static_cast<int8_t>(
        byte < 4 * kChannels ? 4 * (byte % kChannels) + byte / kChannels : 0x80);
  }
  for (int d = 0; d < 16; ++d) t.lanes_together[d] = (4 * (d / kChannels) + d % kChannels) % 16;
  return t;
}

template <int kChannels>
constexpr NarrowShuffles<kChannels> kNarrowShuffles = MakeNarrowShuffles<kChannels>();

// kChannels = out_c channels of the pixels [tile.m_begin, tile.m_end) from the
// packed block `block` (the convolution's only one).
template <int kChannels>
void RunNarrowTiles(const Conv2DParams& p, const Shape& s, const uint8_t* block, int8_t* output,
                    const OutputTile& tile) {
  BlockRequant q[kChannels];
  __m512i bias[kChannels];
  for (int c = 0; c < kChannels; ++c) {
    q[c] = ChannelRequant(block + s.requant_offset, c);
    bias[c] = _mm512_set1_epi32(LoadInt32(block + LaneBytes(c)));
  }
  const uint8_t* weights = block + kGemm16c4Int32ArrayBytes;
  const __m512i to_pixel_major = _mm512_load_si512(kNarrowShuffles<kChannels>.pixel_major);
  const __m512i to_lanes_together = _mm512_load_si512(kNarrowShuffles<kChannels>.lanes_together);
  const int groups = (p.in_c + 3) / 4;
  for (int m = tile.m_begin; m < tile.m_end; m += kNarrowPixels) {
    const int count = Min(kNarrowPixels, tile.m_end - m);
    const int8_t* x = s.input + int64_t{m} * p.in_c;
    Int32x16 acc[kChannels];
    Unroll<kChannels>([&](auto c) { acc[c] = reinterpret_cast<Int32x16>(bias[c]); });
    for (int g0 = 0; g0 < groups; g0 += 8) {
      // A last partial group reads only the pixel's bytes: the weights past in_c are 0.
      const int chunk = Min(8, groups - g0);
      __m512i columns[8];
      LoadColumns(x + 4 * g0, p.in_c, count, Min(32, p.in_c - 4 * g0), columns);
      const uint8_t* w = weights + static_cast<size_t>(g0) * kGemm16c4GroupBytes;
      Unroll<8>([&](auto g) {
        if (g >= chunk) return;
        const __m512i u = _mm512_xor_si512(columns[g], _mm512_set1_epi32(kToUnsigned));
        Unroll<kChannels>([&](auto c) {
          acc[c] = DotAdd(acc[c], u,
                          _mm512_set1_epi32(LoadInt32(w + g * kGemm16c4GroupBytes + LaneBytes(c))));
        });
      });
    }
    __m512i r[kTileBlocks];
    Unroll<kChannels>([&](auto c) {
      __m512i half[2];
      RescaleHalves<true>(reinterpret_cast<__m512i>(acc[c]), q[c], half);
      // Lane order: the odd lanes' results sit one dword down in half[1].
      r[c] = _mm512_mask_shuffle_epi32(half[0], 0xAAAA, half[1], _MM_PERM_CDAB);
    });
    for (int c = kChannels; c < kTileBlocks; ++c) r[c] = r[kChannels - 1];
    const __m512i y = _mm512_permutexvar_epi32(
        to_lanes_together, _mm512_shuffle_epi8(PackClamped(r, s), to_pixel_major));
    _mm512_mask_storeu_epi8(output + int64_t{m} * kChannels, LowBits(count * kChannels), y);
  }
}

// Image stems (at most 4 input channels: one K group per kernel position, only
// in_c of its 4 values real) give each broadcast activation dword of the
// 8-pixel tiles as many vpdpbusd as the tile has blocks, and those tiles ran the
// PP-OCR detector's 640x640x3->16 3x3 stride-2 stem at 0.38x oneDNN. Where the
// CPU has AVX-512 VBMI their tiles put kStemPixels neighbouring pixels of an
// output row in the lanes instead, one accumulator per output channel of a
// block, as the narrow tiles do: per kernel row, the input bytes that the
// tile's windows read (StemSpanBytes, at most two vectors) are loaded once,
// with zx outside the input, and vpermi2b picks each kernel position's dword of
// every pixel, once for all the tile's blocks; each channel's weights are a
// broadcast dword of its packed block. A position outside the input reads zx,
// which the folded bias cancels (pack/gemm_16c4_vnni.h).
constexpr int kStemPixels = 16;
constexpr int kStemSourceBytes = 128;  // vpermi2b's two sources

// The input bytes of one kernel row that the windows of kStemPixels
// neighbouring output pixels span.
int64_t StemSpanBytes(const Conv2DParams& p) {
  return ((kStemPixels - 1) * int64_t{p.stride_w} + int64_t{p.kernel_w - 1} * p.dilation_w + 1) *
         p.in_c;
}

// Kernel positions at most: the tile's activation vectors (3 KB) sit on the stack.
constexpr int kMaxStemPositions = 49;

// Output channels at most (MobileNet's 32, ResNet's 64).
constexpr int kMaxStemChannels = 4 * kGemm16c4Nr;

bool RunsStem(const Conv2DParams& p, bool pointwise) {
  return !pointwise && p.groups == 1 && p.weight_type == WeightType::kInt8 && p.in_c <= 4 &&
         p.out_c <= kMaxStemChannels && StemSpanBytes(p) <= kStemSourceBytes &&
         p.kernel_h * p.kernel_w <= kMaxStemPositions;
}

// Stores the first `count` pixels of a stem tile's block: y[v] holds pixels
// 4v..4v+3, 16 bytes each (the block's channels 0..15), of which `channels` are
// stored per pixel, pixel_bytes (out_c) apart from `out` on.
void StoreStemPixels(const __m512i (&y)[4], int channels, int64_t pixel_bytes, int count,
                     int8_t* out) {
  if (channels == kGemm16c4Nr && pixel_bytes == kGemm16c4Nr) {
    for (int v = 0; v < 4; ++v) {
      const int bytes = Min(Max(count * kGemm16c4Nr - 64 * v, 0), 64);
      _mm512_mask_storeu_epi8(out + 64 * v, LowBits(bytes), y[v]);
    }
    return;
  }
  const auto mask = static_cast<__mmask16>(LowBits(channels));
  Unroll<kStemPixels>([&](auto i) {
    if (i < count) {
      _mm_mask_storeu_epi8(out + i * pixel_bytes, mask, _mm512_extracti32x4_epi32(y[i / 4], i % 4));
    }
  });
}

// One block's channels of a stem tile from the tile's activation vectors:
// kChannels (the block's channel count rounded up to 4) accumulators, each
// requantized per channel, and the tile's first `count` pixels stored as
// StoreStemPixels does. kClampAcc: see Rescale16.
template <int kChannels, bool kClampAcc>
[[gnu::always_inline]] inline void RunStemBlock(const Shape& s, const __m512i* activations,
                                                int positions, const uint8_t* block, int channels,
                                                int64_t pixel_bytes, int count, int8_t* out) {
  const uint8_t* weights = block + kGemm16c4Int32ArrayBytes;
  Int32x16 acc[kChannels];
  Unroll<kChannels>([&](auto c) {
    acc[c] = reinterpret_cast<Int32x16>(_mm512_set1_epi32(LoadInt32(block + LaneBytes(c))));
  });
  for (int position = 0; position < positions; ++position) {
    const __m512i u = _mm512_load_si512(activations + position);
    const uint8_t* w = weights + static_cast<size_t>(position) * kGemm16c4GroupBytes;
    Unroll<kChannels>([&](auto c) {
      acc[c] = DotAdd(acc[c], u, _mm512_set1_epi32(LoadInt32(w + LaneBytes(c))));
    });
  }
  // quads[k], dword i: channels 4k..4k+3 of pixel i (NarrowPixel's bytes of four
  // channels, in pixel order as the narrow tiles put them).
  const __m512i to_pixel_major = _mm512_load_si512(kNarrowShuffles<4>.pixel_major);
  __m512i quads[4];
  Unroll<4>([&](auto k) {
    if constexpr (4 * k < kChannels) {
      __m512i r[kTileBlocks];
      Unroll<4>([&](auto i) {
        __m512i half[2];
        RescaleHalves<kClampAcc>(reinterpret_cast<__m512i>(acc[4 * k + i]),
                                 ChannelRequant(block + s.requant_offset, 4 * k + i), half);
        r[i] = _mm512_mask_shuffle_epi32(half[0], 0xAAAA, half[1], _MM_PERM_CDAB);
      });
      quads[k] = _mm512_shuffle_epi8(PackClamped(r, s), to_pixel_major);
    } else {
      quads[k] = _mm512_setzero_si512();
    }
  });
  // A 4 x 4 transpose of dwords in each 128-bit lane, then of the lanes: y[v]
  // holds pixels 4v..4v+3, each its 16 channels.
  const __m512i a = _mm512_unpacklo_epi32(quads[0], quads[1]);
  const __m512i b = _mm512_unpackhi_epi32(quads[0], quads[1]);
  const __m512i c = _mm512_unpacklo_epi32(quads[2], quads[3]);
  const __m512i d = _mm512_unpackhi_epi32(quads[2], quads[3]);
  // pixel_at[i]: pixels i, 4 + i, 8 + i and 12 + i in lanes 0..3.
  const __m512i pixel_at[4] = {_mm512_unpacklo_epi64(a, c), _mm512_unpackhi_epi64(a, c),
                               _mm512_unpacklo_epi64(b, d), _mm512_unpackhi_epi64(b, d)};
  const __m512i low01 = _mm512_shuffle_i32x4(pixel_at[0], pixel_at[1], 0x44);
  const __m512i low23 = _mm512_shuffle_i32x4(pixel_at[2], pixel_at[3], 0x44);
  const __m512i high01 = _mm512_shuffle_i32x4(pixel_at[0], pixel_at[1], 0xEE);
  const __m512i high23 = _mm512_shuffle_i32x4(pixel_at[2], pixel_at[3], 0xEE);
  const __m512i pixels[4] = {
      _mm512_shuffle_i32x4(low01, low23, 0x88), _mm512_shuffle_i32x4(low01, low23, 0xDD),
      _mm512_shuffle_i32x4(high01, high23, 0x88), _mm512_shuffle_i32x4(high01, high23, 0xDD)};
  StoreStemPixels(pixels, channels, pixel_bytes, count, out);
}

// The output tile's channels [tile.n_begin, tile.n_end) (n_begin a multiple of
// 16) of its pixels [tile.m_begin, tile.m_end) from the packed weights, in tiles
// of up to kStemPixels pixels of one output row. kOneBlock: the convolution has
// one block, of kChannels (out_c rounded up to 4) channels; otherwise every
// block runs whole (the channels past out_c are computed, not stored). Written
// apart, the one-block case keeps the 16-channel stem 8% faster than as a loop of
// one block. kClampAcc: see Rescale16.
template <int kChannels, bool kClampAcc, bool kOneBlock>
[[gnu::target("avx512vbmi")]] void RunStemTiles(const Conv2DParams& p, const Shape& s,
                                                const uint8_t* packed, int8_t* output,
                                                const OutputTile& tile) {
  // Byte 4i + j of kernel column 0's index: channel j (the last one past in_c,
  // whose weight is 0) of pixel i's first window column.
  alignas(64) int8_t first_column[64];
  for (int i = 0; i < kStemPixels; ++i) {
    for (int j = 0; j < 4; ++j) {
      first_column[4 * i + j] = static_cast<int8_t>(i * p.stride_w * p.in_c + Min(j, p.in_c - 1));
    }
  }
  const __m512i index0 = _mm512_load_si512(first_column);
  const int column_step = p.dilation_w * p.in_c;
  const __m512i flip = _mm512_set1_epi32(kToUnsigned);
  const auto zx = static_cast<int8_t>(p.input_zero_point);
  const __m512i zx_source = _mm512_xor_si512(_mm512_set1_epi8(zx), flip);
  const int64_t row_bytes = int64_t{p.in_w} * p.in_c;
  const int64_t span = StemSpanBytes(p);
  const int8_t* input_end = s.input + s.input_bytes;
  // The tile's activation vector of each kernel position.
  const int positions = p.kernel_h * p.kernel_w;
  alignas(64) __m512i activations[kMaxStemPositions];
  // Pixel m is (n, y, x), moved on with m rather than divided out per tile.
  int x = tile.m_begin % p.out_w;
  int y = tile.m_begin / p.out_w % p.out_h;
  int n = tile.m_begin / p.out_w / p.out_h;
  for (int m = tile.m_begin; m < tile.m_end;) {
    const int count = Min(Min(kStemPixels, p.out_w - x), tile.m_end - m);
    // The tile's span of each kernel row starts at this byte of the input row.
    const int64_t first = (int64_t{x} * p.stride_w - p.pad_left) * p.in_c;
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      const int64_t iy = int64_t{y} * p.stride_h - p.pad_top + int64_t{ky} * p.dilation_h;
      __m512i source[2] = {zx_source, zx_source};
      if (iy >= 0 && iy < p.in_h) {
        const int8_t* row = s.input + (int64_t{n} * p.in_h + iy) * row_bytes;
        if (first >= 0 && first + span <= row_bytes &&
            input_end - (row + first) >= kStemSourceBytes) {
          for (int h = 0; h < 2; ++h) source[h] = _mm512_loadu_si512(row + first + 64 * h);
        } else {
          // At the row's ends: masked loads of the bytes inside the row, zx
          // around them. The address is formed as an integer, for it may lie
          // before the row; masked-off bytes are not read.
          const int64_t begin = Max64(first, 0) - first;
          const int64_t end = (first + span < row_bytes ? first + span : row_bytes) - first;
          for (int h = 0; h < 2; ++h) {
            const int64_t lo = Max64(begin - 64 * h, 0);
            const int64_t hi = end - 64 * h < 64 ? end - 64 * h : 64;
            const __mmask64 mask =
                hi > lo ? LowBits(static_cast<int>(hi)) & ~LowBits(static_cast<int>(lo)) : 0;
            const auto address =
                reinterpret_cast<uintptr_t>(row) + static_cast<uintptr_t>(first + 64 * h);
            source[h] = _mm512_mask_loadu_epi8(_mm512_set1_epi8(zx), mask,
                                               reinterpret_cast<const void*>(address));
          }
        }
        for (__m512i& v : source) v = _mm512_xor_si512(v, flip);
      }
      for (int kx = 0; kx < p.kernel_w; ++kx) {
        const __m512i index =
            _mm512_add_epi8(index0, _mm512_set1_epi8(static_cast<char>(kx * column_step)));
        _mm512_store_si512(activations + ky * p.kernel_w + kx,
                           _mm512_permutex2var_epi8(source[0], index, source[1]));
      }
    }
    if constexpr (kOneBlock) {
      RunStemBlock<kChannels, kClampAcc>(s, activations, positions, packed, p.out_c, p.out_c, count,
                                         output + int64_t{m} * p.out_c);
    } else {
      for (int c0 = tile.n_begin; c0 < tile.n_end; c0 += kGemm16c4Nr) {
        RunStemBlock<kGemm16c4Nr, kClampAcc>(
            s, activations, positions,
            packed + static_cast<size_t>(c0 / kGemm16c4Nr) * s.block_bytes,
            Min(tile.n_end - c0, kGemm16c4Nr), p.out_c, count, output + int64_t{m} * p.out_c + c0);
      }
    }
    m += count;
    x += count;
    if (x == p.out_w) {
      x = 0;
      if (++y == p.out_h) {
        y = 0;
        ++n;
      }
    }
  }
}

// RunStemTiles for the convolution's output channels.
template <bool kClampAcc>
void RunStemTiles(const Conv2DParams& p, const Shape& s, const uint8_t* packed, int8_t* output,
                  const OutputTile& tile) {
  switch (p.out_c <= kGemm16c4Nr ? (p.out_c + 3) / 4 : 0) {
    case 0:
      RunStemTiles<kGemm16c4Nr, kClampAcc, false>(p, s, packed, output, tile);
      return;
    case 1:
      RunStemTiles<4, kClampAcc, true>(p, s, packed, output, tile);
      return;
    case 2:
      RunStemTiles<8, kClampAcc, true>(p, s, packed, output, tile);
      return;
    case 3:
      RunStemTiles<12, kClampAcc, true>(p, s, packed, output, tile);
      return;
    default:
      RunStemTiles<16, kClampAcc, true>(p, s, packed, output, tile);
      return;
  }
}

// The kernel; vbmi: the CPU has AVX-512 VBMI, and image stems run RunStemTiles.
void Conv2D(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
            const int32_t* bias, int8_t* output, const OutputTile& tile, bool vbmi) {
  if (Gemm16c4VnniRunsAvx2(p)) {
    qs8_conv2d_4x16__avx2(p, input, packed_weights, bias, output, tile);
    return;
  }
  static_cast<void>(bias);  // folded into the packed blocks
  const Gemm16c4Geometry geo = GeometryGemm16c4Vnni(p);
  const int in_c = p.in_c / p.groups;
  const int out_c = p.out_c / p.groups;
  const int group_bytes = p.weight_type == WeightType::kInt4 ? 8 : 4;
  const auto* packed = static_cast<const uint8_t*>(packed_weights);
  Shape s{};
  s.input = input;
  s.zero_row = reinterpret_cast<const int8_t*>(packed + geo.zero_row_offset);
  s.in_h = p.in_h;
  s.in_w = p.in_w;
  s.kernel_h = p.kernel_h;
  s.kernel_w = p.kernel_w;
  s.dilation_h = p.dilation_h;
  s.dilation_w = p.dilation_w;
  s.kernel_row_step = int64_t{p.dilation_h} * p.in_w * p.in_c;
  s.kernel_column_step = int64_t{p.dilation_w} * p.in_c;
  s.segment_groups = geo.segment_groups;
  s.full_groups = in_c / group_bytes;
  s.tail_bytes = in_c % group_bytes;
  s.merge_columns = p.groups == 1 && p.dilation_w == 1 && s.tail_bytes == 0;
  s.input_bytes = int64_t{p.batch} * p.in_h * p.in_w * p.in_c;
  s.pixel_bytes = p.in_c;
  s.block_bytes = geo.block_bytes;
  s.position_bias_offset = geo.position_bias_offset;
  s.requant_offset = geo.block_bytes - 2 * kGemm16c4Int32ArrayBytes - 3 * kGemm16c4Int64ArrayBytes;
  s.zero_point = _mm512_set1_epi16(static_cast<int16_t>(p.output_zero_point));
  s.lo = _mm512_set1_epi8(static_cast<char>(p.clamp.lo));
  s.hi = _mm512_set1_epi8(static_cast<char>(p.clamp.hi));
  // Past a window's offset, the end of its last whole group.
  const int64_t window_read_end = (p.kernel_h - 1) * s.kernel_row_step +
                                  (p.kernel_w - 1) * s.kernel_column_step +
                                  int64_t{geo.segment_groups} * group_bytes;
  const bool pointwise = Gemm16c4VnniPointwise(p);
  if (RunsNarrow(p, pointwise, tile)) {
    switch (p.out_c) {
      case 1:
        RunNarrowTiles<1>(p, s, packed, output, tile);
        return;
      case 2:
        RunNarrowTiles<2>(p, s, packed, output, tile);
        return;
      case 3:
        RunNarrowTiles<3>(p, s, packed, output, tile);
        return;
      default:
        RunNarrowTiles<4>(p, s, packed, output, tile);
        return;
    }
  }
  // Pointwise int8 tiles and stem tiles skip the accumulator clamp where no
  // multiplier reaches 1: their short K leaves the epilogue most of the work
  // (56x56x24->144: 8% faster). Other tiles keep it rather than double the code.
  // Asked only where it matters, 64 shifts at a time: a byte loop over every
  // channel in each call cost int4 M = 1 GEMMs 7%.
  const auto multiplier_reaches_one = [&p] {
    for (int c = 0; c < p.out_c; c += 64) {
      const __mmask64 channels = LowBits(Min(p.out_c - c, 64));
      const __m512i shifts = _mm512_maskz_loadu_epi8(channels, p.requant.shift + c);
      if (_mm512_mask_cmplt_epi8_mask(channels, shifts, _mm512_set1_epi8(31)) != 0) return true;
    }
    return false;
  };
  if (vbmi && RunsStem(p, pointwise)) {
    if (multiplier_reaches_one()) {
      RunStemTiles<true>(p, s, packed, output, tile);
    } else {
      RunStemTiles<false>(p, s, packed, output, tile);
    }
    return;
  }
  const bool int4 = p.weight_type == WeightType::kInt4;
  const bool clamp_acc = int4 || !pointwise || multiplier_reaches_one();
  const TileSet& tiles = Gemm16c4VnniBiasesLowNibbles(p)
                             ? kTiles<true, true, false, false, true, true>
                         : int4       ? (pointwise ? kTiles<true, true> : kTiles<true, false>)
                         : !pointwise ? kTiles<false, false>
                         : clamp_acc  ? kTiles<false, true>
                                      : kTiles<false, true, false, false, false>;
  const TileSet& pair_tiles = !pointwise  ? kTiles<false, false, false, true>
                              : clamp_acc ? kTiles<false, true, false, true>
                                          : kTiles<false, true, false, true, false>;
  // The tiles that read a partial last group whole (never needed when there is
  // none; pointwise convolutions with one are rare enough to keep masking).
  const TileSet* whole_tail = s.tail_bytes == 0 || pointwise ? nullptr
                              : int4                         ? &kTiles<true, false, true>
                                                             : &kTiles<false, false, true>;
  const TileSet* pair_whole_tail =
      s.tail_bytes == 0 || pointwise ? nullptr : &kTiles<false, false, true, true>;

  // The output columns [x_begin, x_end) whose windows lie inside the input across
  // (an interval: the windows move right with x), and the rows [y_begin, y_end)
  // likewise.
  const auto whole_kernel = [](PositionRange r, int kernel) {
    return r.begin == 0 && r.end == kernel;
  };
  const auto inside_x = [&](int x) {
    return whole_kernel(
        InsidePositions(x * p.stride_w - p.pad_left, p.kernel_w, p.dilation_w, p.in_w), p.kernel_w);
  };
  const auto inside_y = [&](int y) {
    return whole_kernel(
        InsidePositions(y * p.stride_h - p.pad_top, p.kernel_h, p.dilation_h, p.in_h), p.kernel_h);
  };
  int x_begin = 0;
  while (x_begin < p.out_w && !inside_x(x_begin)) ++x_begin;
  int x_end = x_begin;
  while (x_end < p.out_w && inside_x(x_end)) ++x_end;
  int y_begin = 0;
  while (y_begin < p.out_h && !inside_y(y_begin)) ++y_begin;
  int y_end = y_begin;
  while (y_end < p.out_h && inside_y(y_end)) ++y_end;
  // The tile's pixels by output row (n * out_h + y): rows [first_row, end_row),
  // of which row r holds the columns [columns_begin(r), columns_end(r)).
  const int first_row = tile.m_begin / p.out_w;
  const int end_row = (tile.m_end - 1) / p.out_w + 1;
  const auto columns_begin = [&](int row) { return Max(tile.m_begin - row * p.out_w, 0); };
  const auto columns_end = [&](int row) { return Min(tile.m_end - row * p.out_w, p.out_w); };
  // Rows of one band have the same kernel rows inside the input.
  const auto band = [&](int row) {
    const int y = row % p.out_h;
    return y >= y_begin && y < y_end ? -1 : y;
  };

  // A tile's channels may start and end inside a group's blocks (tile.n_begin is
  // a multiple of 16, group boundaries need not be), so every block gets a
  // store mask.
  for (int g = tile.n_begin / out_c; g * out_c < tile.n_end; ++g) {
    const int c_begin = Max(tile.n_begin - g * out_c, 0);
    const int c_end = Min(tile.n_end - g * out_c, out_c);
    const int block_begin = c_begin / kGemm16c4Nr;
    const int block_end = (c_end + kGemm16c4Nr - 1) / kGemm16c4Nr;
    // Channel tiles of equal width (9 blocks: 3 + 3 + 3, not 4 + 4 + 1): a narrow
    // tile reuses each activation broadcast for fewer vpdpbusd.
    const int channel_tiles_count = (block_end - block_begin + kTileBlocks - 1) / kTileBlocks;
    const int width = (block_end - block_begin + channel_tiles_count - 1) / channel_tiles_count;
    // Channel tiles outside, pixels inside: a tile's weights (up to 64 channels x
    // K) stay in cache while the pixels stream past them.
    for (int b0 = block_begin; b0 < block_end; b0 += width) {
      ChannelTile t{};
      t.blocks = Min(width, block_end - b0);
      t.block = packed + (static_cast<size_t>(g) * geo.group_blocks + b0) * geo.block_bytes;
      t.output = output + g * out_c + b0 * kGemm16c4Nr;
      const int lo = c_begin - b0 * kGemm16c4Nr;
      const int hi = Min(c_end - b0 * kGemm16c4Nr, t.blocks * kGemm16c4Nr);
      t.store_mask = LowBits(hi) & ~LowBits(Max(lo, 0));
      // A last block of at most 8 channels runs as a pair block (RunTile), which
      // takes a quarter of a 2-block tile's vpdpbusd but adds blends to the K loop
      // and shuffles to the epilogue: it pays where K is long or the tile is the
      // pair block alone (measured on PP-OCR: 3x3 96 -> 24 convolutions 13% faster,
      // 1x1 16 -> 88 ones 20% slower).
      const bool pair = !int4 && out_c - (b0 + t.blocks - 1) * kGemm16c4Nr <= 8 &&
                        (t.blocks == 1 || geo.segments * in_c >= kMinPairK);
      TileBuilder builder(p, s, t, int64_t{g} * in_c, TileRows(t.blocks, int4, pointwise, pair),
                          pair ? pair_tiles : tiles, pair ? pair_whole_tail : whole_tail,
                          window_read_end);
      if (pointwise) {
        builder.RunPointwise(tile.m_begin, tile.m_end);
        continue;
      }
      // The columns [x_begin, x_end) of each band, in output order.
      for (int row = first_row; row < end_row;) {
        int band_end = row + 1;
        while (band_end < end_row && band(band_end) == band(row)) ++band_end;
        int count = 0;
        for (int r = row; r < band_end; ++r) {
          count += Max(Min(columns_end(r), x_end) - Max(columns_begin(r), x_begin), 0);
        }
        builder.StartRun(count, true);
        for (; row < band_end; ++row) {
          builder.SetRow(row / p.out_h, row % p.out_h);
          const int x_last = Min(columns_end(row), x_end);
          for (int x = Max(columns_begin(row), x_begin); x < x_last; ++x) builder.Add(x);
        }
      }
      // The other columns, each down the image.
      for (int x = 0; x < p.out_w; ++x) {
        if (x >= x_begin && x < x_end) continue;
        int count = 0;
        for (int r = first_row; r < end_row; ++r) {
          count += columns_begin(r) <= x && x < columns_end(r) ? 1 : 0;
        }
        builder.StartRun(count, false);
        for (int r = first_row; r < end_row; ++r) {
          if (columns_begin(r) <= x && x < columns_end(r)) {
            builder.SetRow(r / p.out_h, r % p.out_h);
            builder.Add(x);
          }
        }
      }
    }
  }
}

}  // namespace

void qs8_conv2d_6x16c4__avx512vnni(const Conv2DParams& p, const int8_t* input,
                                   const void* packed_weights, const int32_t* bias, int8_t* output,
                                   const OutputTile& tile) {
  Conv2D(p, input, packed_weights, bias, output, tile, false);
}

void qs8_conv2d_6x16c4__avx512vbmi(const Conv2DParams& p, const int8_t* input,
                                   const void* packed_weights, const int32_t* bias, int8_t* output,
                                   const OutputTile& tile) {
  Conv2D(p, input, packed_weights, bias, output, tile, true);
}

}  // namespace qrt::kernels
