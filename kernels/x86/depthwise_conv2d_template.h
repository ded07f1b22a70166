// The depthwise convolution of the x86 paths, written once over a per-ISA
// vector-ops struct and instantiated in each ISA's own translation unit
// (qs8_depthwise_conv2d_64c4__avx512vnni.cc, qs8_depthwise_conv2d_32c2__avx2.cc)
// on weights packed by pack/depthwise_conv2d_tap_dwords.h, whose header
// comment gives the layout and the exactness argument.
//
// Per output row segment and channel block, the kernel builds "columns": for an
// input column ix and a group g of T kernel rows it loads the T input rows'
// channel vectors (a vector of zx bytes where a row or the column lies outside
// the input, so padding holds zx as the formula says) and interleaves them into
// four vectors whose dword lanes hold the T taps of one channel (Ops::Interleave).
// Each output pixel is then sum over (g, kx) of one dot product per vector
// (Ops::Dot: vpdpbusd or vpmaddwd + vpaddd) of the column at its input column
// with the packed weights of (g, kx), started from the folded bias, followed by
// the fused requantization and a narrowing store. Three ways to share columns:
// - kernels 3 wide at stride and dilation 1 in width with one row group (3x3
//   on VNNI, the common depthwise kernel) slide three columns through
//   registers, each built once for the three pixels that read it; with T = 4
//   and a kernel at most 3 high, two whole output rows at once read the same
//   four input rows (SlidingRows), halving the interleaving per pixel;
// - other kernels whose neighbouring pixels share input columns (stride below
//   the dilated kernel width) build the columns of a chunk of pixels once into
//   a stack buffer, read by every pixel that uses them;
// - otherwise each pixel builds its columns in registers.
//
// Ops provides: Vec; kChannels (the block width W), kTaps (T) and kPixels
// (neighbouring pixels accumulated together in the buffered path, as registers
// allow); Load (aligned packed data), Splat8, Interleave<kMasked>, Dot,
// RequantFast, Store<kMasked> (saturating packs, int8 clamp, store of `count`
// bytes) and StoreLanes (int32 lanes to memory); with T = 4 also NextTap (a
// weight vector's taps moved one slot up). kMasked loads and stores only the
// block's first `count` channels, so a partial last block never touches memory
// past the tensors. An Ops whose vector holds kVecPixels = P of 2 or 4
// neighbouring pixels of a W-channel block (the first sizeof(Vec) / P bytes of
// each packed vector; Load copies them to every pixel's part) runs only the
// sliding path in the fast mode, with InterleavePixels<kMasked> and
// StorePixels<kMasked> (the first `pixels` pixels) in place of Interleave and
// Store, and with P = 4 PixelBefore / PixelAfter (a column's view one pixel to
// the left / right, from its neighbouring column). DwKernel gives such Ops the
// narrow blocks that qualify.
//
// ODR: every function here is a member of a class template over Ops or a
// function template over Ops, and each translation unit defines its Ops in an
// anonymous namespace, so every instantiation is local to the ISA translation
// unit that made it. Nothing here calls an inline function of the standard
// library (an AVX-512 copy of one could otherwise stand in for the baseline copy
// at link time).
#pragma once

#include <cstddef>
#include <cstdint>

#include "pack/depthwise_conv2d_tap_dwords.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels::depthwise {

// What every block of one kernel call shares.
struct DwCall {
  const int8_t* input;
  int8_t* output;
  int in_h, in_w, channels;
  int out_h, out_w;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_top, pad_left;
  int row_groups;
  int32_t zy, lo, hi;
  const int8_t* zx_vector;  // kDwVnniMaxBlock bytes of zx
};

// One channel block: its packed data, its first channel and how many of its
// channels the tile computes.
struct DwBlock {
  const uint8_t* packed;
  int c0;
  int count;
};

// Neighbouring pixels one vector of Ops holds: Ops::kVecPixels where Ops says,
// else 1.
template <class Ops>
constexpr int VecPixels() {
  if constexpr (requires { Ops::kVecPixels; }) {
    return Ops::kVecPixels;
  } else {
    return 1;
  }
}

template <class Ops, bool kMasked>
class DwBlockKernel {
 public:
  using Vec = typename Ops::Vec;
  static constexpr int kW = Ops::kChannels;
  static constexpr int kT = Ops::kTaps;
  static constexpr int kVecPixels = VecPixels<Ops>();
  static_assert(kVecPixels == 1 ? sizeof(Vec) == kW : sizeof(Vec) / kVecPixels <= kW,
                "a vector holds W bytes (W/4 channels x 4 taps) of its pixel, or the first "
                "sizeof(Vec) / kVecPixels bytes of the block at each of its pixels");

  // The output pixels (n, y + i, x), i < rows (1, or 2 for two whole rows) and x
  // in [x_begin, x_end), of the block's channels.
  static void Rows(const DwCall& c, const DwBlock& b, int n, int y, int rows, int x_begin,
                   int x_end) {
    if constexpr (kT >= 4) {
      // Two rows share T = 4 input rows when the kernel is at most 3 high: the
      // upper row's taps sit in dword bytes 0..2, the lower row's in 1..3.
      if (rows == 2 && c.kernel_h <= kT - 1 && c.stride_h == 1 && c.dilation_h == 1 && Sliding(c)) {
        SlidingRows<2>(MakeRow(c, b, n, y), x_begin, x_end);
        return;
      }
    }
    for (int i = 0; i < rows; ++i) {
      if constexpr (kVecPixels == 1) {
        RowSegment(MakeRow(c, b, n, y + i), x_begin, x_end);
      } else {
        SlidingRows<1>(MakeRow(c, b, n, y + i), x_begin, x_end);
      }
    }
  }

  // Kernels 3 wide at stride and dilation 1 whose rows fit one row group slide
  // their columns in registers (SlidingRows); the only kernels that Ops holding
  // several pixels per vector run.
  static bool Sliding(const DwCall& c) {
    return c.kernel_w == 3 && c.stride_w == 1 && c.dilation_w == 1 && c.row_groups == 1;
  }

 private:
  struct Row;

  static Row MakeRow(const DwCall& c, const DwBlock& b, int n, int y) {
    Row r{};
    r.c = &c;
    r.b = &b;
    r.base = c.input + b.c0;
    const int64_t top = int64_t{y} * c.stride_h - c.pad_top;
    r.row0 = (int64_t{n} * c.in_h + top) * c.in_w * c.channels;
    r.row_step = int64_t{c.dilation_h} * c.in_w * c.channels;
    r.ky_lo = c.kernel_h;
    r.ky_hi = 0;
    for (int ky = 0; ky < c.kernel_h; ++ky) {
      const int64_t iy = top + int64_t{ky} * c.dilation_h;
      if (iy < 0 || iy >= c.in_h) continue;
      if (ky < r.ky_lo) r.ky_lo = ky;
      r.ky_hi = ky + 1;
    }
    r.ky_base = 0;
    r.groups = c.row_groups;
    r.arrays = b.packed + kDwHeaderBytes;
    r.weights = r.arrays + kDwChannelArrays * kArrayBytes;
    r.bias = r.arrays;
    int32_t mode = 0;
    __builtin_memcpy(&mode, b.packed, sizeof(mode));
    r.fast = mode == kDwRequantFast;
    r.lo = Ops::Splat8(static_cast<int8_t>(c.lo));
    r.hi = Ops::Splat8(static_cast<int8_t>(c.hi));
    r.out = c.output + ((int64_t{n} * c.out_h + y) * c.out_w) * c.channels + b.c0;
    r.top = top;
    return r;
  }

  // The pixels x in [x_begin, x_end) of r's row.
  static void RowSegment(const Row& r, int x_begin, int x_end) {
    const DwCall& c = *r.c;
    if (Sliding(c)) {
      SlidingRows<1>(r, x_begin, x_end);
      return;
    }
    alignas(64) Vec realigned[kRealignedVecs];
    if (Realignable(r)) {
      RowColumns(RealignedRow(r, realigned), x_begin, x_end);
    } else {
      RowColumns(r, x_begin, x_end);
    }
  }

  // A row whose kernel rows inside the input, ky_lo .. ky_hi - 1, fit in fewer
  // row groups than the kernel has (5 high with T = 4 on a short image, whose
  // rows mostly see 2 or 3 input rows) builds and multiplies only those groups.
  static bool Realignable(const Row& r) {
    const int groups = (r.ky_hi - r.ky_lo + kT - 1) / kT;
    return r.ky_hi > r.ky_lo && groups < r.c->row_groups &&
           groups * r.c->kernel_w <= kMaxRealignedSlices;
  }

  // r on weights realigned to its rows inside the input (Realignable), built in
  // `buffer` (kRealignedVecs): slot t of row group g weighs kernel row ky_lo +
  // T*g + t (0 from ky_hi on), the packed slots moved by dword-lane shifts. The
  // taps left out read only padding, which the folded bias counts as zx times
  // the weight (pack/depthwise_conv2d_tap_dwords.h): the row's bias adds those
  // products back, the packed weights masked to the rows outside the input
  // dotted with a column of zx. Both are wrapping int32 sums, as the kernel's.
  static Row RealignedRow(const Row& r, Vec* buffer) {
    typedef uint32_t Lanes __attribute__((vector_size(sizeof(Vec))));
    constexpr int kTapBits = 32 / kT;
    constexpr uint32_t kTapMask = (uint32_t{1} << kTapBits) - 1;
    const DwCall& c = *r.c;
    // The dword mask of the slots t whose kernel row first_ky + t lies in [lo, hi).
    const auto slots = [](int first_ky, int lo, int hi) {
      uint32_t mask = 0;
      for (int t = 0; t < kT; ++t) {
        if (first_ky + t >= lo && first_ky + t < hi) mask |= kTapMask << (t * kTapBits);
      }
      return mask;
    };
    const auto packed = [&](int g, int kx, int j) {
      const size_t slice = static_cast<size_t>(g) * c.kernel_w + kx;
      return __builtin_bit_cast(Lanes, Ops::Load(r.weights + (slice * 4 + j) * sizeof(Vec)));
    };
    Row out = r;
    out.ky_base = r.ky_lo;
    out.groups = (r.ky_hi - r.ky_lo + kT - 1) / kT;
    Vec* weights = buffer + 4;
    const int shift = r.ky_lo % kT;
    for (int g = 0; g < out.groups; ++g) {
      const int first = r.ky_lo / kT + g;  // the packed group of slot 0
      const uint32_t keep = slots(r.ky_lo + g * kT, r.ky_lo, r.ky_hi);
      for (int kx = 0; kx < c.kernel_w; ++kx) {
        for (int j = 0; j < 4; ++j) {
          Lanes w = packed(first, kx, j) >> (shift * kTapBits);
          if (shift != 0 && first + 1 < c.row_groups) {
            w |= packed(first + 1, kx, j) << ((kT - shift) * kTapBits);
          }
          weights[(g * c.kernel_w + kx) * 4 + j] = __builtin_bit_cast(Vec, w & keep);
        }
      }
    }
    const int8_t* zx_rows[kT];
    for (const int8_t*& row : zx_rows) row = c.zx_vector;
    Vec zx_column[4];
    Ops::template Interleave<false>(zx_rows, kW, zx_column);
    for (int j = 0; j < 4; ++j) buffer[j] = Ops::Load(r.bias + j * kW);
    for (int g = 0; g < c.row_groups; ++g) {
      const uint32_t outside = ~slots(g * kT, r.ky_lo, r.ky_hi);
      for (int kx = 0; kx < c.kernel_w; ++kx) {
        for (int j = 0; j < 4; ++j) {
          buffer[j] = Ops::Dot(buffer[j], zx_column[j],
                               __builtin_bit_cast(Vec, packed(g, kx, j) & outside));
        }
      }
    }
    out.weights = reinterpret_cast<const uint8_t*>(weights);
    out.bias = reinterpret_cast<const uint8_t*>(buffer);
    return out;
  }

  static void RowColumns(const Row& r, int x_begin, int x_end) {
    const DwCall& c = *r.c;
    const int span = (c.kernel_w - 1) * c.dilation_w + 1;
    const int capacity = kBufferVecs / (4 * r.groups);  // columns the buffer holds
    if (c.stride_w < span && span + c.stride_w <= capacity) {
      const int chunk = (capacity - span) / c.stride_w + 1;
      for (int x0 = x_begin; x0 < x_end; x0 += chunk) {
        BufferedChunk(r, x0, x_end - x0 < chunk ? x_end : x0 + chunk);
      }
    } else {
      for (int x = x_begin; x < x_end; ++x) DirectPixel(r, x);
    }
  }

  static constexpr size_t kArrayBytes = sizeof(int32_t) * kW;
  static constexpr int kBufferVecs = 16384 / kW;
  // RealignedRow's weight slices (row groups x kernel_w) at most, and its room:
  // the slices and the row's bias.
  static constexpr int kMaxRealignedSlices = 16;
  static constexpr int kRealignedVecs = 4 * (kMaxRealignedSlices + 1);

  struct Row {
    const DwCall* c;
    const DwBlock* b;
    const int8_t* base;  // input channel c0 of pixel (0, 0, 0)
    int64_t row0;        // offset of (n, iy(ky = 0), 0) from base, may lie outside
    int64_t row_step;    // offset from kernel row ky to ky + 1
    int64_t top;         // the input row of kernel row 0
    int ky_lo, ky_hi;    // the kernel rows inside the input
    // The kernel rows of row group g are ky_base + T*g .. ky_base + T*g + T - 1,
    // weighed by `weights` (RealignedRow: weights built for the row, with bias).
    int ky_base;
    int groups;
    const uint8_t* arrays;
    const uint8_t* weights;
    const uint8_t* bias;
    bool fast;
    Vec lo, hi;   // the clamp in int8 lanes (fast mode only)
    int8_t* out;  // pixel x = 0 of the row, channel c0
  };

  [[gnu::always_inline]] static Vec LoadArray(const Row& r, int array, int j) {
    return Ops::Load(r.arrays + array * kArrayBytes + j * kW);
  }

  // The interleaved column of kernel rows T*g .. T*g + T - 1 at input column ix.
  static void Column(const Row& r, int g, int64_t ix, Vec (&v)[4]) {
    const DwCall& c = *r.c;
    const int8_t* rows[kT];
    const bool inside = ix >= 0 && ix < c.in_w;
    const int64_t column = r.row0 + ix * c.channels;
    for (int t = 0; t < kT; ++t) {
      const int ky = r.ky_base + g * kT + t;
      rows[t] =
          inside && ky >= r.ky_lo && ky < r.ky_hi ? r.base + column + ky * r.row_step : c.zx_vector;
    }
    Ops::template Interleave<kMasked>(rows, r.b->count, v);
  }

  static void Accumulate(const Row& r, int g, int kx, const Vec (&v)[4], Vec (&acc)[4]) {
    const uint8_t* w = r.weights + (static_cast<size_t>(g) * r.c->kernel_w + kx) * 4 * sizeof(Vec);
    for (int j = 0; j < 4; ++j) acc[j] = Ops::Dot(acc[j], v[j], Ops::Load(w + j * sizeof(Vec)));
  }

  [[gnu::always_inline]] static void Bias(const Row& r, Vec (&acc)[4]) {
    for (int j = 0; j < 4; ++j) acc[j] = Ops::Load(r.bias + j * kW);
  }

  // Kernels 3 wide at stride and dilation 1 whose rows fit one group (3x3 on
  // VNNI): each column is built once, in registers, and feeds the three pixels
  // that read it (pixel x reads the columns x - pad_left + kx, kx = 0, 1, 2) in
  // each of kRows output rows. Row 1 (kRows = 2) reads the same T input rows
  // with its taps one slot later in each dword, so its weights are row 0's
  // shifted up by one tap; slot T - 1 of row 0 and slot 0 of row 1 weigh 0.
  // With kVecPixels = P > 1 a column holds the input columns ix .. ix + P - 1
  // and a step computes the pixels x .. x + P - 1.
  template <int kRows>
  static void SlidingRows(const Row& r, int x_begin, int x_end) {
    if constexpr (kVecPixels > 1) {
      SlidingLoopOutOfLine<kRows>(r, x_begin, x_end);  // DwKernel::Run: fast blocks only
    } else if (r.fast) {
      SlidingLoop<kRows, true>(r, x_begin, x_end);
    } else {
      SlidingLoop<kRows, false>(r, x_begin, x_end);
    }
  }

  // SlidingLoop in a function of its own: for several pixels per vector GCC
  // otherwise inlined the loop, or not, depending on how much else the
  // translation unit instantiated, and allocated its registers worse inlined.
  template <int kRows>
  [[gnu::noinline]] static void SlidingLoopOutOfLine(const Row& r, int x_begin, int x_end) {
    SlidingLoop<kRows, true>(r, x_begin, x_end);
  }

  // kFast: the block's requantization mode, fixed for the loop so that the
  // accumulators stay in registers.
  template <int kRows, bool kFast>
  static void SlidingLoop(const Row& r, int x_begin, int x_end) {
    const DwCall& c = *r.c;
    Vec w[kRows][3][4];
    for (int kx = 0; kx < 3; ++kx) {
      for (int j = 0; j < 4; ++j) {
        w[0][kx][j] = Ops::Load(r.weights + (kx * 4 + j) * kW);
        if constexpr (kRows == 2) w[1][kx][j] = Ops::NextTap(w[0][kx][j]);
      }
    }
    // Each dword slot's input row (pixel 0), or null outside the input.
    const int8_t* row_at[kT];
    for (int t = 0; t < kT; ++t) {
      const int64_t iy = r.top + int64_t{t} * c.dilation_h;
      row_at[t] = iy >= 0 && iy < c.in_h ? r.base + r.row0 + t * r.row_step : nullptr;
    }
    // The column at input column `next` (and its P - 1 right neighbours); the
    // columns are mostly built in order, so `next` moves on by one.
    const int64_t ix0 = int64_t{x_begin} - c.pad_left;
    int64_t next = ix0;
    // Locals, not c's fields, which GCC reloads after every int8 store (such a
    // store may alias them): the 64-channel blocks measured faster so.
    const int64_t in_w = c.in_w;
    const int64_t channels = c.channels;
    const auto column = [&](Vec(&v)[4]) {
      const int8_t* rows[kVecPixels][kT];
      for (int h = 0; h < kVecPixels; ++h) {
        const int64_t ix = next + h;
        const bool inside = ix >= 0 && ix < in_w;
        for (int t = 0; t < kT; ++t) {
          rows[h][t] = inside && row_at[t] != nullptr ? row_at[t] + ix * channels : c.zx_vector;
        }
      }
      ++next;
      if constexpr (kVecPixels == 1) {
        Ops::template Interleave<kMasked>(rows[0], r.b->count, v);
      } else {
        Ops::template InterleavePixels<kMasked>(rows, r.b->count, v);
      }
    };
    const int64_t out_row = int64_t{c.out_w} * c.channels;
    // cols[k]: the column pixel x reads with kx = k, i.e. input column x -
    // pad_left + k; a step of P pixels keeps the columns P places on.
    Vec cols[3][4];
    // P = 4: the columns at ix0 + 1 + 4 i (`middle`, `after`) are built, and
    // cols[0] and cols[2] are their views one pixel to the left and right.
    Vec middle[kVecPixels == 4 ? 4 : 1];
    Vec after[kVecPixels == 4 ? 4 : 1];
    if constexpr (kVecPixels == 4) {
      next = ix0 - 3;
      column(cols[0]);
      next = ix0 + 1;
      column(middle);
    } else {
      column(cols[0]);
      column(cols[1]);
    }
    // Two rows of one pixel per vector: each step requantizes the step
    // before's sums after its own dot products. The two are independent, and
    // in this order the core overlaps them: blocks of 64 channels ran 10-18%
    // faster than when each step requantized its own sums. With one row, or
    // several pixels per vector, the order was slower.
    constexpr bool kPipelined = kFast && kVecPixels == 1 && kRows == 2;
    Vec pending[kRows][4];
    for (int x = x_begin; x < x_end; x += kVecPixels) {
      if constexpr (kVecPixels == 4) {
        next = ix0 + 1 + (x - x_begin) + 4;
        column(after);
        for (int j = 0; j < 4; ++j) {
          cols[0][j] = Ops::PixelBefore(middle[j], cols[0][j]);
          cols[1][j] = middle[j];
          cols[2][j] = Ops::PixelAfter(after[j], middle[j]);
        }
      } else {
        if constexpr (kVecPixels == 2) {
          if (x != x_begin) column(cols[1]);
        }
        column(cols[2]);
      }
      Vec acc[kRows][4];
      for (int i = 0; i < kRows; ++i) {
        Bias(r, acc[i]);
        for (int j = 0; j < 4; ++j) {
          for (int kx = 0; kx < 3; ++kx) acc[i][j] = Ops::Dot(acc[i][j], cols[kx][j], w[i][kx][j]);
        }
      }
      int8_t* out = r.out + int64_t{x} * channels;
      if constexpr (kPipelined) {
        if (x != x_begin) FinishFast<kRows>(r, out - channels, out_row, pending);
        for (int i = 0; i < kRows; ++i) {
          for (int j = 0; j < 4; ++j) pending[i][j] = acc[i][j];
        }
      } else if constexpr (kFast) {
        const int pixels = x_end - x < kVecPixels ? x_end - x : kVecPixels;
        FinishFast<kRows>(r, out, out_row, acc, pixels);
      } else {
        for (int i = 0; i < kRows; ++i) RequantExact(r, acc[i], out + i * out_row);
      }
      if constexpr (kVecPixels == 4) {
        for (int j = 0; j < 4; ++j) {
          cols[0][j] = middle[j];
          middle[j] = after[j];
        }
      } else {
        for (int j = 0; j < 4; ++j) {
          cols[0][j] = cols[kVecPixels][j];
          if constexpr (kVecPixels == 1) cols[1][j] = cols[2][j];
        }
      }
    }
    if constexpr (kPipelined) {
      if (x_end > x_begin) FinishFast<kRows>(r, r.out + (x_end - 1) * channels, out_row, pending);
    }
  }

  // Columns of pixels x0 .. x1 - 1 built once, read by every pixel using them.
  static void BufferedChunk(const Row& r, int x0, int x1) {
    const DwCall& c = *r.c;
    alignas(64) Vec buffer[kBufferVecs];
    const int groups = r.groups;
    const int64_t ix0 = int64_t{x0} * c.stride_w - c.pad_left;
    const int columns = (x1 - 1 - x0) * c.stride_w + (c.kernel_w - 1) * c.dilation_w + 1;
    for (int s = 0; s < columns; ++s) {
      for (int g = 0; g < groups; ++g) {
        Vec(&v)[4] = *reinterpret_cast<Vec(*)[4]>(buffer + (s * groups + g) * 4);
        Column(r, g, ix0 + s, v);
      }
    }
    // The common 3x3 and 5x5 kernels with their loop bounds known at compile time.
    // (3x3 and 5x5 take 1 and 2 row groups of 4 taps, 2 and 3 of 2 taps; a row
    // of 5x5 with at most T kernel rows inside the input is realigned to one.)
    if (c.kernel_w == 3 && groups == (3 + kT - 1) / kT) {
      BufferedRow<3, (3 + kT - 1) / kT>(r, buffer, x0, x1);
    } else if (c.kernel_w == 5 && groups == (5 + kT - 1) / kT) {
      BufferedRow<5, (5 + kT - 1) / kT>(r, buffer, x0, x1);
    } else if (c.kernel_w == 5 && groups == 1) {
      BufferedRow<5, 1>(r, buffer, x0, x1);
    } else {
      BufferedRow<0, 0>(r, buffer, x0, x1);
    }
  }

  // kKw, kGroups: kernel_w and row_groups, or 0 for the run-time values.
  template <int kKw, int kGroups>
  static void BufferedRow(const Row& r, const Vec* buffer, int x0, int x1) {
    int x = x0;
    for (; x + Ops::kPixels <= x1; x += Ops::kPixels)
      BufferedPixels<Ops::kPixels, kKw, kGroups>(r, buffer, x0, x);
    for (; x < x1; ++x) BufferedPixels<1, kKw, kGroups>(r, buffer, x0, x);
  }

  // kP neighbouring pixels from x on: each weight vector is loaded once for all of
  // them, as are the requantization arrays.
  template <int kP, int kKw, int kGroups>
  static void BufferedPixels(const Row& r, const Vec* buffer, int x0, int x) {
    const DwCall& c = *r.c;
    const int groups = kGroups != 0 ? kGroups : r.groups;
    const int kernel_w = kKw != 0 ? kKw : c.kernel_w;
    Vec acc[kP][4];
    for (int p = 0; p < kP; ++p) Bias(r, acc[p]);
    const int s0 = (x - x0) * c.stride_w;
    for (int g = 0; g < groups; ++g) {
      for (int kx = 0; kx < kernel_w; ++kx) {
        const uint8_t* w = r.weights + (static_cast<size_t>(g) * kernel_w + kx) * 4 * sizeof(Vec);
        Vec wv[4];
        for (int j = 0; j < 4; ++j) wv[j] = Ops::Load(w + j * sizeof(Vec));
        for (int p = 0; p < kP; ++p) {
          const int s = s0 + p * c.stride_w + kx * c.dilation_w;
          const Vec* v = buffer + (s * groups + g) * 4;
          for (int j = 0; j < 4; ++j) acc[p][j] = Ops::Dot(acc[p][j], v[j], wv[j]);
        }
      }
    }
    Finish<kP>(r, r.out + int64_t{x} * c.channels, c.channels, acc);
  }

  static void DirectPixel(const Row& r, int x) {
    const DwCall& c = *r.c;
    Vec acc[1][4];
    Bias(r, acc[0]);
    const int64_t ix0 = int64_t{x} * c.stride_w - c.pad_left;
    for (int g = 0; g < r.groups; ++g) {
      for (int kx = 0; kx < c.kernel_w; ++kx) {
        Vec v[4];
        Column(r, g, ix0 + int64_t{kx} * c.dilation_w, v);
        Accumulate(r, g, kx, v, acc[0]);
      }
    }
    Finish<1>(r, r.out + int64_t{x} * c.channels, c.channels, acc);
  }

  // Requantizes and stores kP pixels, the first at out, the others each `step`
  // bytes after the one before.
  template <int kP>
  static void Finish(const Row& r, int8_t* out, int64_t step, const Vec (&acc)[kP][4]) {
    if (r.fast) {
      FinishFast<kP>(r, out, step, acc);
    } else {
      for (int p = 0; p < kP; ++p) RequantExact(r, acc[p], out + p * step);
    }
  }

  // Finish in the fast mode; each vector stores its first `pixels` pixels.
  template <int kP>
  [[gnu::always_inline]] static void FinishFast(const Row& r, int8_t* out, int64_t step,
                                                const Vec (&acc)[kP][4], int pixels = 1) {
    Vec y[kP][4];
    for (int j = 0; j < 4; ++j) {
      const Vec multiplier = LoadArray(r, 1, j);
      const Vec mult_odd = LoadArray(r, 2, j);
      const Vec addend = LoadArray(r, 3, j);
      const Vec shift = LoadArray(r, 4, j);
      for (int p = 0; p < kP; ++p) {
        y[p][j] = Ops::RequantFast(acc[p][j], multiplier, mult_odd, addend, shift);
      }
    }
    for (int p = 0; p < kP; ++p) {
      if constexpr (kVecPixels == 1) {
        Ops::template Store<kMasked>(out + p * step, r.b->count, y[p], r.lo, r.hi);
      } else {
        Ops::template StorePixels<kMasked>(out + p * step, r.c->channels, pixels, r.b->count, y[p],
                                           r.lo, r.hi);
      }
    }
  }

  // requant.h's Requantize per channel in int64 (the block's exact mode).
  static void RequantExact(const Row& r, const Vec (&acc)[4], int8_t* out) {
    const DwCall& c = *r.c;
    alignas(64) int32_t lanes[kW];
    for (int j = 0; j < 4; ++j) Ops::StoreLanes(lanes + j * (kW / 4), acc[j]);
    for (int ch = 0; ch < r.b->count; ++ch) {
      const int lane = (ch % 16) / 4 * (kW / 4) + ch / 16 * 4 + ch % 4;
      int32_t multiplier = 0;
      int32_t shift = 0;
      __builtin_memcpy(&multiplier, r.arrays + kArrayBytes + lane * sizeof(int32_t),
                       sizeof(int32_t));
      __builtin_memcpy(&shift, r.arrays + 4 * kArrayBytes + lane * sizeof(int32_t),
                       sizeof(int32_t));
      const int64_t product = int64_t{lanes[lane]} * multiplier;
      int64_t y = ((product + (int64_t{1} << (shift - 1))) >> shift) + c.zy;
      if (y < c.lo) y = c.lo;
      if (y > c.hi) y = c.hi;
      out[ch] = static_cast<int8_t>(y);
    }
  }
};

// The whole kernel: Wide runs full blocks, Narrow (32 channels) partial last
// blocks of at most 32 channels; `geometry` is the layout's Geometry function.
// NarrowPairs, where it holds two pixels per vector, runs the narrow blocks
// that slide their columns (DwBlockKernel::Sliding) in the fast mode, and
// NarrowQuads, where it holds four, those of them that compute at most 16
// channels.
template <class Wide, class Narrow, class NarrowPairs = Narrow, class NarrowQuads = NarrowPairs>
class DwKernel {
 public:
  static void Run(const Conv2DParams& p, const int8_t* input, const void* packed, int8_t* output,
                  const OutputTile& tile, const DwGeometry& geometry) {
    int8_t zx_vector[kDwVnniMaxBlock];
    for (int8_t& v : zx_vector) v = static_cast<int8_t>(p.input_zero_point);
    DwCall c{};
    c.input = input;
    c.output = output;
    c.in_h = p.in_h;
    c.in_w = p.in_w;
    c.channels = p.in_c;
    c.out_h = p.out_h;
    c.out_w = p.out_w;
    c.kernel_h = p.kernel_h;
    c.kernel_w = p.kernel_w;
    c.stride_h = p.stride_h;
    c.stride_w = p.stride_w;
    c.dilation_h = p.dilation_h;
    c.dilation_w = p.dilation_w;
    c.pad_top = p.pad_top;
    c.pad_left = p.pad_left;
    c.row_groups = geometry.row_groups;
    c.zy = p.output_zero_point;
    c.lo = p.clamp.lo;
    c.hi = p.clamp.hi;
    c.zx_vector = zx_vector;
    const auto* packed_bytes = static_cast<const uint8_t*>(packed);
    // tile.n_begin is a multiple of max_block (the kernel's channel_block).
    const int block_begin = tile.n_begin / geometry.max_block;
    const int block_end = (tile.n_end + geometry.max_block - 1) / geometry.max_block;
    for (int m = tile.m_begin; m < tile.m_end;) {
      const int x = m % p.out_w;
      const int y = m / p.out_w % p.out_h;
      const int n = m / p.out_w / p.out_h;
      const int x_end = tile.m_end - m < p.out_w - x ? x + (tile.m_end - m) : p.out_w;
      // Two whole rows of one image at once where the tile holds them.
      const int rows =
          x == 0 && x_end == p.out_w && y + 1 < p.out_h && tile.m_end - m >= 2 * p.out_w ? 2 : 1;
      for (int bi = block_begin; bi < block_end; ++bi) {
        DwBlock b{};
        b.packed = packed_bytes + static_cast<size_t>(bi) * geometry.block_bytes;
        b.c0 = bi * geometry.max_block;
        const int width = bi < geometry.full_blocks ? geometry.max_block : geometry.tail_width;
        b.count = tile.n_end - b.c0 < width ? tile.n_end - b.c0 : width;
        int32_t mode = 0;
        __builtin_memcpy(&mode, b.packed, sizeof(mode));
        const bool pairs = VecPixels<NarrowPairs>() > 1 && width == Narrow::kChannels &&
                           DwBlockKernel<Narrow, false>::Sliding(c) && mode == kDwRequantFast;
        const bool quads = pairs && VecPixels<NarrowQuads>() == 4 && b.count <= 16;
        SegmentFn(width, b.count < width, pairs, quads)(c, b, n, y, rows, x, x_end);
      }
      m += rows * (x_end - x);
    }
  }

 private:
  using Segment = void (*)(const DwCall&, const DwBlock&, int, int, int, int, int);

  static Segment SegmentFn(int width, bool masked, bool pairs, bool quads) {
    if (quads) {
      return masked ? DwBlockKernel<NarrowQuads, true>::Rows
                    : DwBlockKernel<NarrowQuads, false>::Rows;
    }
    if (pairs) {
      return masked ? DwBlockKernel<NarrowPairs, true>::Rows
                    : DwBlockKernel<NarrowPairs, false>::Rows;
    }
    if (width == Wide::kChannels) {
      return masked ? DwBlockKernel<Wide, true>::Rows : DwBlockKernel<Wide, false>::Rows;
    }
    return masked ? DwBlockKernel<Narrow, true>::Rows : DwBlockKernel<Narrow, false>::Rows;
  }
};

}  // namespace qrt::kernels::depthwise
