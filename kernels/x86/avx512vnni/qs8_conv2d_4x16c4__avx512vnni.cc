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
// Register tile: up to 4 pixels x 4 packed blocks of 16 channels, 6 pixels x up
// to 2 blocks or 8 pixels x 1 block, at most 16 int32 accumulators. A pointwise
// convolution (1x1, stride 1, no padding) reads pixel rows m * in_c directly,
// without windows. Per group of 4 K values, one activation dword per pixel is
// broadcast and flipped to u8 (x ^ 0x80), each block's 64-byte weight group is
// loaded once, and 16 vpdpbusd add u8[4] x s8[4] products. int4 weights are
// unpacked in registers: AND (after a 16-bit shift for the high nibbles) and a
// byte subtract of 8 give two c4 groups per packed group. The code is written as
// fully unrolled straight lines (Unroll) because GCC keeps loop-indexed
// __m512i arrays in memory, which halves the vpdpbusd rate.
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
// GCC 12 reports the self-initialised _mm*_undefined_* placeholders inside the
// AVX-512 intrinsics as (maybe) uninitialized once they are inlined here (GCC
// bug 105593, fixed in GCC 13).
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 13
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "pack/gemm_16c4_vnni.h"
#include "qrt/kernels/params.h"
#include "x86/avx512vnni/avx512vnni.h"

namespace qrt::kernels {
namespace {

constexpr int kTileBlocks = 4;  // 16-channel blocks per tile, at most
// Pixels per tile: a tile of up to kNarrowBlocks blocks is taller, and one of a
// single block taller still, so that its fixed cost (setup, requantization
// constants) is shared by more pixels while its accumulators still fit the 32
// registers (GCC spills the wider tall ones).
constexpr int kWideTileRows = 4;
constexpr int kNarrowTileRows = 6;
constexpr int kNarrowBlocks = 2;
constexpr int kSingleBlockTileRows = 8;
constexpr int kMaxTileRows = kSingleBlockTileRows;

// The pixels of a tile of `blocks` blocks.
constexpr int TileRows(int blocks) {
  return blocks == 1               ? kSingleBlockTileRows
         : blocks <= kNarrowBlocks ? kNarrowTileRows
                                   : kWideTileRows;
}
// Flips the sign bit of four bytes: int8 x to u8 x + 128.
constexpr int kToUnsigned = static_cast<int>(0x80808080u);

int Min(int a, int b) { return a < b ? a : b; }
int Max(int a, int b) { return a > b ? a : b; }

// The mask of bits 0 .. n - 1, n in [0, 64].
__mmask64 LowBits(int n) { return n == 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// f(std::integral_constant<int, i>{}) for i = 0 .. N-1, as straight-line code.
template <int N, class F>
[[gnu::always_inline]] constexpr void Unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) { (f(std::integral_constant<int, I>{}), ...); }
  (std::make_integer_sequence<int, N>{});
}

// What every tile of one call shares.
struct Shape {
  const int8_t* input;
  const int8_t* zero_row;  // in_c / groups bytes of zx
  int in_h, in_w;
  int kernel_h, kernel_w;
  int dilation_h, dilation_w;
  int window_h_span, window_w_span;  // (kernel - 1) * dilation: the window's extent - 1
  int64_t kernel_row_step;           // input bytes between kernel rows: dilation_h * in_w * in_c
  int64_t kernel_column_step;        // input bytes between kernel columns: dilation_w * in_c
  int segment_groups;                // packed weight groups per kernel position
  int full_groups;                   // of them, those whose input bytes all exist
  int tail_bytes;                    // input bytes of the last group when it is partial, else 0
  int64_t input_bytes;               // of the whole input tensor
  int64_t window_read_end;           // past a window's offset, the end of its last whole group
  int64_t pixel_bytes;               // input bytes per pixel: in_c
  int64_t out_c;                     // output bytes per pixel
  size_t block_bytes;
  size_t requant_offset;  // of the accumulator range in a block
  __m512i zero_point;     // zy in int16 lanes
  __m512i lo;             // the clamp in int8 lanes
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

// The blocks of one channel tile and where their outputs go.
struct ChannelTile {
  const uint8_t* block;  // block 0 of the tile
  int8_t* output;        // pixel 0 of the output, channel 0 of block 0
  __mmask64 store_mask;  // the channels of the tile's blocks (16 bits each) it owns
};

__m512i BroadcastUnsigned(const int8_t* x) {
  int32_t dword;
  std::memcpy(&dword, x, sizeof(dword));
  return _mm512_xor_si512(_mm512_set1_epi32(dword), _mm512_set1_epi32(kToUnsigned));
}

// acc[r][b] += the u8 activation dword of row r (activation(r)) times the weight
// group w[b].
template <int kRows, int kBlocks, class Activation>
[[gnu::always_inline]] inline void Dot(__m512i (&acc)[kRows][kBlocks], const Activation& activation,
                                       const __m512i (&w)[kBlocks]) {
  Unroll<kRows>([&](auto r) {
    const __m512i u = activation(r);
    Unroll<kBlocks>([&](auto b) { acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], u, w[b]); });
  });
}

// Weight group q of every block times the activations of every row;
// activation(r, half) gives row r's u8 dword for the first (int4: or second) c4
// group. int4: the low nibbles are the first c4 group, the high nibbles the
// second, both stored biased by 8.
template <int kRows, int kBlocks, bool kInt4, class Activation>
[[gnu::always_inline]] inline void AccumulateGroup(__m512i (&acc)[kRows][kBlocks],
                                                   const uint8_t* const (&weights)[kBlocks], int q,
                                                   const Activation& activation) {
  __m512i w[kBlocks];
  Unroll<kBlocks>([&](auto b) {
    w[b] = _mm512_load_si512(weights[b] + static_cast<size_t>(q) * kGemm16c4GroupBytes);
  });
  const auto first = [&](int r) { return activation(r, 0); };
  if constexpr (kInt4) {
    const __m512i nibble = _mm512_set1_epi8(0x0F);
    const __m512i bias = _mm512_set1_epi8(8);
    __m512i high[kBlocks];
    Unroll<kBlocks>([&](auto b) {
      high[b] = _mm512_sub_epi8(_mm512_and_si512(_mm512_srli_epi16(w[b], 4), nibble), bias);
      w[b] = _mm512_sub_epi8(_mm512_and_si512(w[b], nibble), bias);
    });
    Dot(acc, first, w);
    Dot(
        acc, [&](int r) { return activation(r, 1); }, high);
  } else {
    Dot(acc, first, w);
  }
}

// One kernel position: the segment of in_c / groups input bytes that each row
// reads at a[r], against the weights of the segment. kWholeTail: the segment
// has a partial last group, read whole like the others (every row may read its
// segment_groups groups).
template <int kRows, int kBlocks, bool kInt4, bool kWholeTail>
[[gnu::always_inline]] inline void AccumulateSegment(__m512i (&acc)[kRows][kBlocks],
                                                     const int8_t* const (&a)[kRows],
                                                     const uint8_t* const (&weights)[kBlocks],
                                                     const Shape& s) {
  constexpr int kGroupBytes = kInt4 ? 8 : 4;
  // The partial last group first: after the loop, GCC's register allocator
  // shuffles the accumulators through copies inside the loop.
  if constexpr (kWholeTail) {
    AccumulateGroup<kRows, kBlocks, kInt4>(acc, weights, s.full_groups, [&](int r, int half) {
      return BroadcastUnsigned(a[r] + s.full_groups * kGroupBytes + 4 * half);
    });
  } else if (s.tail_bytes != 0) {
    const auto mask = static_cast<__mmask16>((1u << s.tail_bytes) - 1);
    __m128i tail[kRows];
    Unroll<kRows>(
        [&](auto r) { tail[r] = _mm_maskz_loadu_epi8(mask, a[r] + s.full_groups * kGroupBytes); });
    AccumulateGroup<kRows, kBlocks, kInt4>(acc, weights, s.full_groups, [&](int r, int half) {
      const __m128i dword = half == 0 ? tail[r] : _mm_srli_si128(tail[r], 4);
      return _mm512_xor_si512(_mm512_broadcastd_epi32(dword), _mm512_set1_epi32(kToUnsigned));
    });
  }
  for (int q = 0; q < s.full_groups; ++q) {
    AccumulateGroup<kRows, kBlocks, kInt4>(acc, weights, q, [&](int r, int half) {
      return BroadcastUnsigned(a[r] + q * kGroupBytes + 4 * half);
    });
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

BlockRequant LoadBlockRequant(const uint8_t* requant) {
  BlockRequant q;
  q.acc_lo = _mm512_load_si512(requant);
  q.acc_hi = _mm512_load_si512(requant + 64);
  for (int h = 0; h < 2; ++h) {
    const uint8_t* channels = requant + 128 + h * (kGemm16c4Int64ArrayBytes / 2);
    q.multiplier[h] = _mm512_load_si512(channels);
    q.rounding[h] = _mm512_load_si512(channels + kGemm16c4Int64ArrayBytes);
    q.shift[h] = _mm512_load_si512(channels + 2 * kGemm16c4Int64ArrayBytes);
  }
  return q;
}

// Rescale of one block's 16 accumulators, in channel order: exact int64
// products (vpmuldq) of the even and odd lanes, the 2^(s-1) rounding and an
// arithmetic shift (vpsravq). The accumulators are first clamped to the block's
// range, which changes no output and keeps every result inside int32
// (pack/gemm_16c4_vnni.h), so taking the low halves of the int64 results is exact.
__m512i Rescale16(__m512i acc, const BlockRequant& q) {
  acc = _mm512_min_epi32(_mm512_max_epi32(acc, q.acc_lo), q.acc_hi);
  __m512i half[2];
  for (int h = 0; h < 2; ++h) {
    const __m512i a = h == 0 ? acc : _mm512_srli_epi64(acc, 32);
    half[h] = _mm512_srav_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(a, q.multiplier[h]), q.rounding[h]), q.shift[h]);
  }
  const __m512i low_halves =
      _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  return _mm512_permutex2var_epi32(half[0], low_halves, half[1]);
}

// The int8 outputs of one pixel's 4 blocks of rescaled int32 values r[b]:
// clamp(r + zy, lo, hi). The narrowing saturates, r to int16, r + zy in int16
// and that to int8, which changes nothing once the result is clamped to
// [lo, hi], a part of int8: a value that saturates anywhere lies beyond the
// clamp on the same side. vpackssdw / vpacksswb interleave their operands per
// 128-bit lane, 4 bytes of each block in turn; vpermd restores channel order.
__m512i NarrowPixel(const __m512i (&r)[kTileBlocks], const Shape& s) {
  const __m512i words01 = _mm512_adds_epi16(_mm512_packs_epi32(r[0], r[1]), s.zero_point);
  const __m512i words23 = _mm512_adds_epi16(_mm512_packs_epi32(r[2], r[3]), s.zero_point);
  const __m512i lane_order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  const __m512i y = _mm512_permutexvar_epi32(lane_order, _mm512_packs_epi16(words01, words23));
  return _mm512_min_epi8(_mm512_max_epi8(y, s.lo), s.hi);
}

// The output pixels in NHWC order, each with the window it reads.
class PixelCursor {
 public:
  PixelCursor(const Conv2DParams& p, int m, int64_t group_channel)
      : p_(p), channel_(group_channel) {
    x_ = m % p.out_w;
    y_ = m / p.out_w % p.out_h;
    n_ = m / p.out_w / p.out_h;
  }

  Window Next() {
    const int iy = y_ * p_.stride_h - p_.pad_top;
    const int ix = x_ * p_.stride_w - p_.pad_left;
    const Window w{iy, ix, ((int64_t{n_} * p_.in_h + iy) * p_.in_w + ix) * p_.in_c + channel_};
    if (++x_ == p_.out_w) {
      x_ = 0;
      if (++y_ == p_.out_h) {
        y_ = 0;
        ++n_;
      }
    }
    return w;
  }

 private:
  const Conv2DParams& p_;
  int64_t channel_;
  int n_, y_, x_;
};

// kRows pixels (windows) x the kBlocks blocks of channel tile t; out is the
// output of pixel 0 and channel 0 of block 0. kPointwise: a 1x1 convolution with
// stride 1 and no padding, whose pixel r reads input row windows[0].offset + r *
// in_c, always inside. kWholeTail: see AccumulateSegment.
template <int kRows, int kBlocks, bool kInt4, bool kPointwise, bool kWholeTail>
void RunTile(const Shape& s, const ChannelTile& t, const Window (&windows)[kMaxTileRows],
             int8_t* out) {
  __m512i acc[kRows][kBlocks];
  const uint8_t* weights[kBlocks];
  Unroll<kBlocks>([&](auto b) {
    const uint8_t* block = t.block + b * s.block_bytes;
    const __m512i folded_bias = _mm512_load_si512(block);
    Unroll<kRows>([&](auto r) { acc[r][b] = folded_bias; });
    weights[b] = block + kGemm16c4Nr * sizeof(int32_t);
  });
  if constexpr (kPointwise) {
    const int8_t* a[kRows];
    Unroll<kRows>([&](auto r) { a[r] = s.input + (windows[0].offset + r * s.pixel_bytes); });
    AccumulateSegment<kRows, kBlocks, kInt4, false>(acc, a, weights, s);
  } else {
    const size_t segment_bytes = static_cast<size_t>(s.segment_groups) * kGemm16c4GroupBytes;
    const auto accumulate_positions = [&](auto check_inside) {
      for (int ky = 0; ky < s.kernel_h; ++ky) {
        for (int kx = 0; kx < s.kernel_w; ++kx) {
          const int64_t step = ky * s.kernel_row_step + kx * s.kernel_column_step;
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
          AccumulateSegment<kRows, kBlocks, kInt4, kWholeTail>(acc, a, weights, s);
          Unroll<kBlocks>([&](auto b) { weights[b] += segment_bytes; });
        }
      }
    };
    // Most tiles lie wholly inside the input: they skip the per-position test.
    bool all_inside = true;
    Unroll<kRows>([&](auto r) {
      const Window& w = windows[r];
      all_inside = all_inside && w.iy >= 0 && w.iy + s.window_h_span < s.in_h && w.ix >= 0 &&
                   w.ix + s.window_w_span < s.in_w;
    });
    if (all_inside) {
      accumulate_positions(std::false_type{});
    } else {
      accumulate_positions(std::true_type{});
    }
  }
  // The accumulators go through a stack buffer to the epilogue: requantizing
  // them straight from registers raises the register pressure enough that GCC
  // stops keeping them in place inside the K loop, which costs far more.
  alignas(64) int32_t raw[kRows][kBlocks][kGemm16c4Nr];
  Unroll<kRows>(
      [&](auto r) { Unroll<kBlocks>([&](auto b) { _mm512_store_si512(raw[r][b], acc[r][b]); }); });
  for (int b = 0; b < kBlocks; ++b) {
    const BlockRequant q = LoadBlockRequant(t.block + b * s.block_bytes + s.requant_offset);
    for (int r = 0; r < kRows; ++r) {
      _mm512_store_si512(raw[r][b], Rescale16(_mm512_load_si512(raw[r][b]), q));
    }
  }
  const int64_t out_c = s.out_c;
  if constexpr (kBlocks == 1) {
    // One block: NarrowPixel takes four rows at once, row i's 16 bytes landing
    // in 128-bit lane i (narrow outputs: the epilogue is most of their work).
    const auto store_mask = static_cast<__mmask16>(t.store_mask);
    Unroll<(kRows + kTileBlocks - 1) / kTileBlocks>([&](auto q) {
      constexpr int kFirst = q * kTileBlocks;
      __m512i rescaled[kTileBlocks];
      Unroll<kTileBlocks>([&](auto i) {
        rescaled[i] = _mm512_load_si512(raw[kFirst + i < kRows ? kFirst + i : kRows - 1][0]);
      });
      const __m512i y = NarrowPixel(rescaled, s);
      Unroll<kTileBlocks>([&](auto i) {
        if constexpr (kFirst + i < kRows) {
          _mm_mask_storeu_epi8(out + (kFirst + i) * out_c, store_mask,
                               _mm512_extracti32x4_epi32(y, i));
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
        [&](auto b) { rescaled[b] = _mm512_load_si512(raw[r][b < kBlocks ? b() : kBlocks - 1]); });
    _mm512_mask_storeu_epi8(out + r * out_c, t.store_mask, NarrowPixel(rescaled, s));
  }
}

using TileFn = void (*)(const Shape&, const ChannelTile&, const Window (&)[kMaxTileRows], int8_t*);

// Tiles<int4, pointwise, whole_tail>()[rows - 1][blocks - 1]; null for the
// shapes of more than TileRows(blocks) pixels, which never run.
template <bool kInt4, bool kPointwise, bool kWholeTail>
constexpr std::array<std::array<TileFn, kTileBlocks>, kMaxTileRows> Tiles() {
  std::array<std::array<TileFn, kTileBlocks>, kMaxTileRows> tiles{};
  Unroll<kMaxTileRows>([&](auto r) {
    Unroll<kTileBlocks>([&](auto b) {
      if constexpr (r + 1 <= TileRows(b + 1)) {
        tiles[r][b] = RunTile<r + 1, b + 1, kInt4, kPointwise, kWholeTail>;
      }
    });
  });
  return tiles;
}

template <bool kInt4, bool kPointwise, bool kWholeTail = false>
constexpr auto kTiles = Tiles<kInt4, kPointwise, kWholeTail>();

}  // namespace

void qs8_conv2d_4x16c4__avx512vnni(const Conv2DParams& p, const int8_t* input,
                                   const void* packed_weights, const int32_t* bias, int8_t* output,
                                   const OutputTile& tile) {
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
  s.window_h_span = (p.kernel_h - 1) * p.dilation_h;
  s.window_w_span = (p.kernel_w - 1) * p.dilation_w;
  s.kernel_row_step = int64_t{p.dilation_h} * p.in_w * p.in_c;
  s.kernel_column_step = int64_t{p.dilation_w} * p.in_c;
  s.segment_groups = geo.segment_groups;
  s.full_groups = in_c / group_bytes;
  s.tail_bytes = in_c % group_bytes;
  s.input_bytes = int64_t{p.batch} * p.in_h * p.in_w * p.in_c;
  s.window_read_end = s.window_h_span / p.dilation_h * s.kernel_row_step +
                      s.window_w_span / p.dilation_w * s.kernel_column_step +
                      int64_t{geo.segment_groups} * group_bytes;
  s.pixel_bytes = p.in_c;
  s.out_c = p.out_c;
  s.block_bytes = geo.block_bytes;
  s.requant_offset =
      geo.block_bytes - 2 * kGemm16c4Nr * sizeof(int32_t) - 3 * kGemm16c4Int64ArrayBytes;
  s.zero_point = _mm512_set1_epi16(static_cast<int16_t>(p.output_zero_point));
  s.lo = _mm512_set1_epi8(static_cast<char>(p.clamp.lo));
  s.hi = _mm512_set1_epi8(static_cast<char>(p.clamp.hi));
  const bool pointwise = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                         p.pad_top == 0 && p.pad_left == 0 && p.out_h == p.in_h &&
                         p.out_w == p.in_w;
  const bool int4 = p.weight_type == WeightType::kInt4;
  const auto& tiles = int4 ? (pointwise ? kTiles<true, true> : kTiles<true, false>)
                           : (pointwise ? kTiles<false, true> : kTiles<false, false>);
  // The tiles that read a partial last group whole (never needed when there is
  // none; pointwise convolutions with one are rare enough to keep masking).
  const bool whole_tail_tiles = s.tail_bytes != 0 && !pointwise;
  const auto& whole_tail = int4 ? kTiles<true, false, true> : kTiles<false, false, true>;

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
      const int blocks = Min(width, block_end - b0);
      ChannelTile t{};
      t.block = packed + (static_cast<size_t>(g) * geo.group_blocks + b0) * geo.block_bytes;
      t.output = output + g * out_c + b0 * kGemm16c4Nr;
      const int lo = c_begin - b0 * kGemm16c4Nr;
      const int hi = Min(c_end - b0 * kGemm16c4Nr, blocks * kGemm16c4Nr);
      t.store_mask = LowBits(hi) & ~LowBits(Max(lo, 0));
      PixelCursor cursor(p, tile.m_begin, int64_t{g} * in_c);
      const int tile_rows = TileRows(blocks);
      Window windows[kMaxTileRows];
      for (int m0 = tile.m_begin; m0 < tile.m_end; m0 += tile_rows) {
        const int rows = Min(tile_rows, tile.m_end - m0);
        int64_t last_offset = INT64_MIN;  // of the windows that may read the input
        if (pointwise) {
          windows[0].offset = int64_t{m0} * p.in_c + int64_t{g} * in_c;
        } else {
          for (int r = 0; r < rows; ++r) {
            windows[r] = cursor.Next();
            last_offset = windows[r].offset > last_offset ? windows[r].offset : last_offset;
          }
        }
        const bool whole = whole_tail_tiles && last_offset + s.window_read_end <= s.input_bytes;
        (whole ? whole_tail : tiles)[rows - 1][blocks - 1](s, t, windows,
                                                           t.output + int64_t{m0} * p.out_c);
      }
    }
  }
}

}  // namespace qrt::kernels
