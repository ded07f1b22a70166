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
// Register tile: up to 4 pixels x 4 packed blocks of 16 channels, 16 int32
// accumulators. Per group of 4 K values, one activation dword per pixel is
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
// Requantize: exact int64 products (vpmuldq) of the even and odd lanes, the
// 2^(s-1) rounding and an arithmetic shift (vpsravq); the int64 results
// saturate to int32 (vpmovsqd) and are clamped to [lo - zy, hi - zy] before zy
// is added, which equals clamping the int64 sum plus zy to [lo, hi] because
// lo - zy and hi - zy lie well inside int32. The packed lane order puts
// channels 0..7 in the even and 8..15 in the odd lanes, so the two halves
// concatenate in channel order.
//
// Memory: activations are read with 4- or 8-byte loads inside a segment and a
// masked load for a segment's remainder, outputs are written with masked
// stores, so nothing outside the tensors is touched. The packed weights are
// 64-byte aligned (aligned loads).
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
#include <type_traits>
#include <utility>

#include "pack/gemm_16c4_vnni.h"
#include "qrt/kernels/params.h"
#include "x86/avx512vnni/avx512vnni.h"

namespace qrt::kernels {
namespace {

constexpr int kMr = 4;          // pixels per tile
constexpr int kTileBlocks = 4;  // 16-channel blocks per tile
// Flips the sign bit of four bytes: int8 x to u8 x + 128.
constexpr int kToUnsigned = static_cast<int>(0x80808080u);

int Min(int a, int b) { return a < b ? a : b; }
int Max(int a, int b) { return a > b ? a : b; }

// f(std::integral_constant<int, i>{}) for i = 0 .. N-1, as straight-line code.
template <int N, class F>
[[gnu::always_inline]] inline void Unroll(F&& f) {
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
  int64_t kernel_row_step;     // input bytes between kernel rows: dilation_h * in_w * in_c
  int64_t kernel_column_step;  // input bytes between kernel columns: dilation_w * in_c
  int segment_groups;          // packed weight groups per kernel position
  int full_groups;             // of them, those whose input bytes all exist
  int tail_bytes;              // input bytes of the last group when it is partial, else 0
  int64_t out_c;               // output bytes per pixel
  size_t block_bytes;
  size_t requant_offset;  // of the multiplier array in a block
  __m512i zero_point;     // zy, and the clamp minus zy, in int32 lanes
  __m512i lo_minus_zero_point;
  __m512i hi_minus_zero_point;
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
  const uint8_t* block;               // block 0 of the tile
  int8_t* output;                     // pixel 0 of the output, channel 0 of block 0
  __mmask16 store_mask[kTileBlocks];  // the channels of each block the tile owns
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
// reads at a[r], against the weights of the segment.
template <int kRows, int kBlocks, bool kInt4>
[[gnu::always_inline]] inline void AccumulateSegment(__m512i (&acc)[kRows][kBlocks],
                                                     const int8_t* const (&a)[kRows],
                                                     const uint8_t* const (&weights)[kBlocks],
                                                     const Shape& s) {
  constexpr int kGroupBytes = kInt4 ? 8 : 4;
  // The partial last group first: after the loop, GCC's register allocator
  // shuffles the accumulators through copies inside the loop.
  if (s.tail_bytes != 0) {
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

// The requantization of one block: per-channel int64 multiplier, rounding and
// shift of channels 0..7 ([0]) and 8..15 ([1]), and the clamp, in registers.
struct BlockRequant {
  __m512i multiplier[2];
  __m512i rounding[2];
  __m512i shift[2];
  __m512i zero_point;  // zy, and the clamp minus zy, in int32 lanes
  __m512i lo_minus_zero_point;
  __m512i hi_minus_zero_point;
};

BlockRequant LoadBlockRequant(const uint8_t* requant, const Shape& s) {
  BlockRequant q;
  for (int h = 0; h < 2; ++h) {
    const uint8_t* channels = requant + h * (kGemm16c4Int64ArrayBytes / 2);
    q.multiplier[h] = _mm512_load_si512(channels);
    q.rounding[h] = _mm512_load_si512(channels + kGemm16c4Int64ArrayBytes);
    q.shift[h] = _mm512_load_si512(channels + 2 * kGemm16c4Int64ArrayBytes);
  }
  q.zero_point = s.zero_point;
  q.lo_minus_zero_point = s.lo_minus_zero_point;
  q.hi_minus_zero_point = s.hi_minus_zero_point;
  return q;
}

// requant.h's Requantize of one block's 16 accumulators, narrowed to int8 in
// channel order (see the file comment).
__m128i Requantize16(__m512i acc, const BlockRequant& q) {
  __m512i half[2];
  for (int h = 0; h < 2; ++h) {
    const __m512i a = h == 0 ? acc : _mm512_srli_epi64(acc, 32);
    half[h] = _mm512_srav_epi64(
        _mm512_add_epi64(_mm512_mul_epi32(a, q.multiplier[h]), q.rounding[h]), q.shift[h]);
  }
  __m512i y = _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtsepi64_epi32(half[0])),
                                 _mm512_cvtsepi64_epi32(half[1]), 1);
  y = _mm512_min_epi32(_mm512_max_epi32(y, q.lo_minus_zero_point), q.hi_minus_zero_point);
  return _mm512_cvtepi32_epi8(_mm512_add_epi32(y, q.zero_point));
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
// output of pixel 0 and channel 0 of block 0.
template <int kRows, int kBlocks, bool kInt4>
void RunTile(const Shape& s, const ChannelTile& t, const Window (&windows)[kMr], int8_t* out) {
  __m512i acc[kRows][kBlocks];
  const uint8_t* weights[kBlocks];
  Unroll<kBlocks>([&](auto b) {
    const uint8_t* block = t.block + b * s.block_bytes;
    const __m512i folded_bias = _mm512_load_si512(block);
    Unroll<kRows>([&](auto r) { acc[r][b] = folded_bias; });
    weights[b] = block + kGemm16c4Nr * sizeof(int32_t);
  });
  const size_t segment_bytes = static_cast<size_t>(s.segment_groups) * kGemm16c4GroupBytes;
  for (int ky = 0; ky < s.kernel_h; ++ky) {
    for (int kx = 0; kx < s.kernel_w; ++kx) {
      const int64_t step = ky * s.kernel_row_step + kx * s.kernel_column_step;
      const int8_t* a[kRows];
      Unroll<kRows>([&](auto r) {
        const Window& w = windows[r];
        const int iy = w.iy + ky * s.dilation_h;
        const int ix = w.ix + kx * s.dilation_w;
        const bool inside = static_cast<unsigned>(iy) < static_cast<unsigned>(s.in_h) &&
                            static_cast<unsigned>(ix) < static_cast<unsigned>(s.in_w);
        a[r] = inside ? s.input + (w.offset + step) : s.zero_row;
      });
      AccumulateSegment<kRows, kBlocks, kInt4>(acc, a, weights, s);
      Unroll<kBlocks>([&](auto b) { weights[b] += segment_bytes; });
    }
  }
  // The accumulators go through a stack buffer to the epilogue: requantizing
  // them straight from registers raises the register pressure enough that GCC
  // stops keeping them in place inside the K loop, which costs far more.
  alignas(64) int32_t raw[kRows][kBlocks][kGemm16c4Nr];
  Unroll<kRows>(
      [&](auto r) { Unroll<kBlocks>([&](auto b) { _mm512_store_si512(raw[r][b], acc[r][b]); }); });
  // Everything the stores need is in registers first: an int8 store may alias
  // any memory, so a value read after it would be read again after every store.
  const int64_t out_c = s.out_c;
  for (int b = 0; b < kBlocks; ++b) {
    const BlockRequant q = LoadBlockRequant(t.block + b * s.block_bytes + s.requant_offset, s);
    const __mmask16 mask = t.store_mask[b];
    for (int r = 0; r < kRows; ++r) {
      _mm_mask_storeu_epi8(out + r * out_c + b * kGemm16c4Nr, mask,
                           Requantize16(_mm512_load_si512(raw[r][b]), q));
    }
  }
}

using TileFn = void (*)(const Shape&, const ChannelTile&, const Window (&)[kMr], int8_t*);

// kTiles<int4>[rows - 1][blocks - 1].
template <bool kInt4>
constexpr TileFn kTiles[kMr][kTileBlocks] = {
    {RunTile<1, 1, kInt4>, RunTile<1, 2, kInt4>, RunTile<1, 3, kInt4>, RunTile<1, 4, kInt4>},
    {RunTile<2, 1, kInt4>, RunTile<2, 2, kInt4>, RunTile<2, 3, kInt4>, RunTile<2, 4, kInt4>},
    {RunTile<3, 1, kInt4>, RunTile<3, 2, kInt4>, RunTile<3, 3, kInt4>, RunTile<3, 4, kInt4>},
    {RunTile<4, 1, kInt4>, RunTile<4, 2, kInt4>, RunTile<4, 3, kInt4>, RunTile<4, 4, kInt4>},
};

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
  s.kernel_row_step = int64_t{p.dilation_h} * p.in_w * p.in_c;
  s.kernel_column_step = int64_t{p.dilation_w} * p.in_c;
  s.segment_groups = geo.segment_groups;
  s.full_groups = in_c / group_bytes;
  s.tail_bytes = in_c % group_bytes;
  s.out_c = p.out_c;
  s.block_bytes = geo.block_bytes;
  s.requant_offset = geo.block_bytes - 3 * kGemm16c4Int64ArrayBytes;
  s.zero_point = _mm512_set1_epi32(p.output_zero_point);
  s.lo_minus_zero_point = _mm512_set1_epi32(p.clamp.lo - p.output_zero_point);
  s.hi_minus_zero_point = _mm512_set1_epi32(p.clamp.hi - p.output_zero_point);
  const auto& tiles = p.weight_type == WeightType::kInt4 ? kTiles<true> : kTiles<false>;

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
      for (int b = 0; b < blocks; ++b) {
        const int first = (b0 + b) * kGemm16c4Nr;
        const int lo = Max(c_begin - first, 0);
        const int hi = Min(c_end - first, kGemm16c4Nr);
        t.store_mask[b] = static_cast<__mmask16>(((1u << hi) - 1) & ~((1u << lo) - 1));
      }
      PixelCursor cursor(p, tile.m_begin, int64_t{g} * in_c);
      Window windows[kMr];
      for (int m0 = tile.m_begin; m0 < tile.m_end; m0 += kMr) {
        const int rows = Min(kMr, tile.m_end - m0);
        for (int r = 0; r < rows; ++r) windows[r] = cursor.Next();
        tiles[rows - 1][blocks - 1](s, t, windows, t.output + int64_t{m0} * p.out_c);
      }
    }
  }
}

}  // namespace qrt::kernels
