// The implicit GEMM driver shared by the NEON convolution kernels (smull/sadalp
// and sdot): it walks an OutputTile, gathers im2col rows, runs a path's register
// microkernel over them and requantizes. Like qs8_requant_neon.h everything has
// internal linkage, so each path's translation unit (own flags) has its own copy.
//
// A microkernel `Micro` provides:
//   kMr                    output pixels (rows) per register tile
//   kAcc                   int32x4 accumulators per row for one 16-channel block
//   Accumulate<kRows, kInt4>(acc, rows, k_length, weights)
//                          acc += rows[r][0, k_length) times the block's packed
//                          weights from `weights` (k_length a multiple of 16)
//   Reduce<kRows>(acc, sums)  the 16 channel sums of each row, in channel order
// Accumulators start at zero; the folded bias is added after Reduce.
//
// Activations: per tile of up to kMr output pixels and one convolution group, the
// pixels' im2col rows (K ordered (ky, kx, i) like the OHWI rows). A 1x1 convolution
// without padding (fully connected included) has them in place in the input, and
// the kernel reads its multiples of 16 values there; otherwise, and for the last
// K % 16 values, the rows are copied into a panel on the stack, positions outside
// the input holding zx and the K padding zero (the packed weights there are 0).
// Long rows are taken in chunks of kKc values, the accumulators of up to
// kPanelBlocks blocks parked on the stack between chunks, so the panel stays small.
//
// Memory: the input is read only inside its rows, outputs are written only inside
// the tile (a partial block through a stack copy), packed weights are read inside
// their blocks.
#pragma once

#include <arm_neon.h>

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "arm/neon/qs8_requant_neon.h"
#include "pack/gemm_16c4_neon.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {
namespace {

constexpr int kGemmKc = 2048;        // K values per panel chunk, a multiple of 16
constexpr int kGemmPanelBlocks = 8;  // blocks whose accumulators a chunk parks

constexpr int GemmMin(int a, int b) { return a < b ? a : b; }
constexpr int GemmMax(int a, int b) { return a > b ? a : b; }

// A span of K values [k_begin, k_end) of one convolution group, read in place
// (`direct`) or through the panel.
struct GemmChunk {
  int k_begin;
  int k_end;
  bool direct;
};

template <class Micro>
struct TileJob {
  const int8_t* rows[Micro::kMr];  // row r's values of the chunk
  int k_length;                    // a multiple of 16
  const uint8_t* block;            // the packed block
  size_t weight_offset;            // from the block's start to the chunk's weights
  size_t requant_offset;           // from the block's start to its requant arrays
  bool resume;                     // start from the parked accumulators
  bool park;                       // end there instead of in the output
  int32x4_t* parked;               // [row][kAcc] of this block
  int8_t* output;                  // row 0, first channel of the block
  int64_t output_stride;
  int store_begin;  // channels of the block (0 .. 16) written to the output
  int store_end;
  NeonOutputQuant quant;
};

template <class Micro, int kRows, bool kInt4>
void RunGemmTile(const TileJob<Micro>& j) {
  constexpr int kAcc = Micro::kAcc;
  int32x4_t acc[kRows][kAcc];
  for (int r = 0; r < kRows; ++r) {
    for (int a = 0; a < kAcc; ++a) acc[r][a] = j.resume ? j.parked[r * kAcc + a] : vdupq_n_s32(0);
  }
  const int8_t* rows[kRows];
  for (int r = 0; r < kRows; ++r) rows[r] = j.rows[r];
  Micro::template Accumulate<kRows, kInt4>(acc, rows, j.k_length, j.block + j.weight_offset);
  if (j.park) {
    for (int r = 0; r < kRows; ++r) {
      for (int a = 0; a < kAcc; ++a) j.parked[r * kAcc + a] = acc[r][a];
    }
    return;
  }
  int32x4_t sums[kRows][4];
  Micro::template Reduce<kRows>(acc, sums);
  const auto* bias = reinterpret_cast<const int32_t*>(j.block);
  const bool whole = j.store_begin == 0 && j.store_end == kNeonGemmNr;
  for (int r = 0; r < kRows; ++r) {
    for (int i = 0; i < 4; ++i) sums[r][i] = vaddq_s32(sums[r][i], vld1q_s32(bias + 4 * i));
    const int8x16_t y = Requantize16(sums[r], j.block + j.requant_offset, j.quant);
    int8_t* out = j.output + r * j.output_stride;
    if (whole) {
      vst1q_s8(out, y);
    } else {
      int8_t staged[kNeonGemmNr];
      vst1q_s8(staged, y);
      std::memcpy(out + j.store_begin, staged + j.store_begin,
                  static_cast<size_t>(j.store_end - j.store_begin));
    }
  }
}

// Fills row r of the panel (at panel + r * kGemmKc) with the im2col values
// [chunk.k_begin, chunk.k_end) of pixel m_begin + r in convolution group `group`,
// then zeros up to the next multiple of 16.
inline void BuildGemmPanel(const Conv2DParams& p, const int8_t* input, int m_begin, int rows,
                           int group, const GemmChunk& chunk, int8_t* panel) {
  const int group_in_c = p.in_c / p.groups;
  const auto outside = static_cast<int8_t>(p.input_zero_point);
  const int length = chunk.k_end - chunk.k_begin;
  const int padded = (length + kNeonGemmKc - 1) / kNeonGemmKc * kNeonGemmKc;
  for (int r = 0; r < rows; ++r) {
    const int m = m_begin + r;
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    int8_t* row = panel + r * kGemmKc;
    for (int k = chunk.k_begin; k < chunk.k_end;) {
      const int position = k / group_in_c;  // ky * kernel_w + kx
      const int i = k - position * group_in_c;
      const int count = GemmMin(group_in_c - i, chunk.k_end - k);
      const int iy = y * p.stride_h - p.pad_top + position / p.kernel_w * p.dilation_h;
      const int ix = x * p.stride_w - p.pad_left + position % p.kernel_w * p.dilation_w;
      int8_t* dst = row + (k - chunk.k_begin);
      if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) {
        std::memset(dst, outside, static_cast<size_t>(count));
      } else {
        const int64_t pixel = (int64_t{n} * p.in_h + iy) * p.in_w + ix;
        std::memcpy(dst, input + pixel * p.in_c + int64_t{group} * group_in_c + i,
                    static_cast<size_t>(count));
      }
      k += count;
    }
    std::memset(row + length, 0, static_cast<size_t>(padded - length));
  }
}

// Whether every pixel's im2col row lies in place in the input: a 1x1 kernel
// without padding whose strided pixels stay inside the image.
inline bool RowsInPlace(const Conv2DParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.pad_top == 0 && p.pad_left == 0 &&
         (p.out_h - 1) * p.stride_h < p.in_h && (p.out_w - 1) * p.stride_w < p.in_w;
}

template <class Micro, bool kInt4>
void RunImplicitGemm(const Conv2DParams& p, const int8_t* input, const uint8_t* packed,
                     int8_t* output, const OutputTile& tile) {
  constexpr int kMr = Micro::kMr;
  constexpr int kAcc = Micro::kAcc;
  using TileFn = void (*)(const TileJob<Micro>&);
  static constexpr TileFn kTiles[4] = {
      RunGemmTile<Micro, GemmMin(1, kMr), kInt4>, RunGemmTile<Micro, GemmMin(2, kMr), kInt4>,
      RunGemmTile<Micro, GemmMin(3, kMr), kInt4>, RunGemmTile<Micro, GemmMin(4, kMr), kInt4>};
  static_assert(kMr >= 1 && kMr <= 4);

  const NeonGemmGeometry g = GeometryNeonGemm(p);
  const int group_in_c = p.in_c / p.groups;
  const size_t bytes_per_k = g.weight_bytes / static_cast<size_t>(g.k_padded);
  // The chunks of K: in place up to the last multiple of 16, the rest through the
  // panel; or everything through the panel, kGemmKc at a time.
  GemmChunk chunks_in_place[2];
  int chunk_count = 0;
  const bool in_place = RowsInPlace(p);
  const int k_in_place = in_place ? g.k / kNeonGemmKc * kNeonGemmKc : 0;
  if (k_in_place > 0) chunks_in_place[chunk_count++] = {0, k_in_place, true};
  if (in_place && k_in_place < g.k) chunks_in_place[chunk_count++] = {k_in_place, g.k, false};
  const int panel_chunks = in_place ? (k_in_place < g.k ? 1 : 0) : (g.k + kGemmKc - 1) / kGemmKc;
  const int total_chunks = in_place ? chunk_count : panel_chunks;
  auto chunk_at = [&](int c) -> GemmChunk {
    if (in_place) return chunks_in_place[c];
    return {c * kGemmKc, GemmMin(g.k, (c + 1) * kGemmKc), false};
  };

  alignas(16) int8_t panel[kMr * kGemmKc];
  int32x4_t parked[kGemmPanelBlocks * kMr * kAcc];
  TileJob<Micro> j{};
  j.requant_offset = kNeonGemmBiasBytes + g.weight_bytes;
  j.output_stride = p.out_c;
  j.quant = MakeNeonOutputQuant(p.output_zero_point, p.clamp.lo, p.clamp.hi);
  const int group_first = tile.n_begin / g.group_channels;
  const int group_end = (tile.n_end + g.group_channels - 1) / g.group_channels;
  for (int m0 = tile.m_begin; m0 < tile.m_end; m0 += kMr) {
    const int rows = GemmMin(kMr, tile.m_end - m0);
    for (int group = group_first; group < group_end; ++group) {
      // The tile's channels in this group, numbered within the group.
      const int base = group * g.group_channels;
      const int c_begin = GemmMax(tile.n_begin, base) - base;
      const int c_end = GemmMin(tile.n_end, base + g.group_channels) - base;
      const int block_end = (c_end + kNeonGemmNr - 1) / kNeonGemmNr;
      const uint8_t* group_blocks =
          packed + static_cast<size_t>(group) * static_cast<size_t>(g.group_blocks) * g.block_bytes;
      bool panel_ready = false;
      for (int b0 = c_begin / kNeonGemmNr; b0 < block_end; b0 += kGemmPanelBlocks) {
        const int b1 = GemmMin(b0 + kGemmPanelBlocks, block_end);
        for (int c = 0; c < total_chunks; ++c) {
          const GemmChunk chunk = chunk_at(c);
          if (chunk.direct) {
            for (int r = 0; r < rows; ++r) {
              const int m = m0 + r;
              const int x = m % p.out_w;
              const int y = m / p.out_w % p.out_h;
              const int n = m / p.out_w / p.out_h;
              const int64_t pixel =
                  (int64_t{n} * p.in_h + y * p.stride_h) * p.in_w + int64_t{x} * p.stride_w;
              j.rows[r] = input + pixel * p.in_c + int64_t{group} * group_in_c;
            }
            j.k_length = chunk.k_end - chunk.k_begin;
          } else {
            if (!panel_ready) BuildGemmPanel(p, input, m0, rows, group, chunk, panel);
            // One panel chunk per group serves every block of the group.
            panel_ready = panel_chunks == 1;
            for (int r = 0; r < rows; ++r) j.rows[r] = panel + r * kGemmKc;
            j.k_length =
                (chunk.k_end - chunk.k_begin + kNeonGemmKc - 1) / kNeonGemmKc * kNeonGemmKc;
          }
          j.weight_offset = kNeonGemmBiasBytes + static_cast<size_t>(chunk.k_begin) * bytes_per_k;
          j.resume = c > 0;
          j.park = c + 1 < total_chunks;
          for (int b = b0; b < b1; ++b) {
            const int first_channel = b * kNeonGemmNr;
            j.block = group_blocks + static_cast<size_t>(b) * g.block_bytes;
            j.parked = parked + (b - b0) * kMr * kAcc;
            j.output = output + int64_t{m0} * p.out_c + base + first_channel;
            j.store_begin = GemmMax(c_begin - first_channel, 0);
            j.store_end = GemmMin(c_end - first_channel, kNeonGemmNr);
            kTiles[rows - 1](j);
          }
        }
      }
    }
  }
}

// The entry of a path's convolution kernel: dispatches on the weight type.
template <class Micro>
void RunNeonConv2D(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
                   int8_t* output, const OutputTile& tile) {
  if (tile.m_begin >= tile.m_end || tile.n_begin >= tile.n_end) return;
  const auto* packed = static_cast<const uint8_t*>(packed_weights);
  if (p.weight_type == WeightType::kInt4) {
    RunImplicitGemm<Micro, true>(p, input, packed, output, tile);
  } else {
    RunImplicitGemm<Micro, false>(p, input, packed, output, tile);
  }
}

}  // namespace
}  // namespace qrt::kernels
