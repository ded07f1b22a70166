// How a GEMM-shaped output [M, N] (params.h: OutputTile) is cut into tiles for
// threads. Shared by the runtime and the benchmarks so both measure the same split.
//
// Policy (SplitOutput):
// - Only one dimension is cut. M is cut when M >= N (convolutions: many pixels,
//   few channels), N otherwise (fully connected with few rows). Cutting M makes
//   every tile read all the weights and its own rows of the input; cutting N makes
//   every tile read all the input and its own slice of the weights, so the split
//   re-reads the smaller operand. If the preferred dimension has fewer units than
//   threads, the other one is cut instead, when it has more.
// - M is cut at multiples of kTileRowAlign rows (kernels compute a few rows at a
//   time; aligned cuts add no partial row blocks), N at multiples of the kernel's
//   channel_block, so n_begin is always a multiple of channel_block. Depthwise
//   convolutions are cut at pairs of output rows instead (below).
// - A tile holds at least kMinTileMacs multiply-accumulates' worth of work, so that a
//   tile amortises handing it to a thread; an output smaller than two such tiles stays
//   whole. Each weight counts as kWeightCostMacs more: with few rows the kernels stream
//   weights rather than compute (M = 1 GEMMs run at about a fifth of the large GEMMs'
//   GOP/s), and without it a 1x1024x1024 GEMM (2^20 MACs) was never split, leaving
//   the second core's bandwidth unused (2 threads: 1.00x of 1 thread, oneDNN 1.84x;
//   with it 1.9-2.2x, streaming from two L2 caches). 2^20
//   (some 10-20 us of work): with 2^17 the PP-OCR classifier, whose largest
//   operators hold 0.5-1.2M, split them and ran slower on 2 threads than on 1 in
//   bench/ort/ort_compare.mjs's interleaved rounds (0.187 against 0.174 ms) and on a
//   loaded machine (a worker that is late or preempted holds up the tile it
//   claimed). Long qrt-bench runs alone on an idle machine favour 2^17 (0.152 against
//   0.172 ms): the split pays only while the second thread is already awake.
//   A depthwise multiply-accumulate counts as kDepthwiseCostMacs: the depthwise
//   kernels run at a fifth to a quarter of the dense kernels' GOP/s. Counted as
//   dense work, the 14x14x576 3x3 depthwise benchmark (just under 2^20 MACs, 9 us)
//   stayed whole, and 2 threads ran it no faster than 1. Depthwise kernels compute
//   two whole output rows at a time, which share their input rows, so their M cuts
//   fall between pairs of rows: cut every kTileRowAlign pixels, 56x56x144 fell into
//   tiles of 7 rows, one of them computed alone, and 2 threads ran it 13% slower.
// - Otherwise there are up to kTilesPerThread tiles per thread, rounded down to a
//   multiple of the thread count, the units dealt out as evenly as possible (tile
//   sizes differ by at most one unit, the smaller tiles first: PartBegin). Threads
//   claim tiles dynamically, so with a few tiles each, a thread that is preempted or
//   wakes late holds up at most one small tile while the others take the rest; for
//   the shapes worth splitting the extra re-reading is of operands that stay in
//   cache.
// The split depends only on the shape and the thread count, and any split gives
// the same bytes (params.h), so results do not depend on the thread count.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kTileRowAlign = 4;
inline constexpr int kTilesPerThread = 4;
inline constexpr int64_t kMinTileMacs = int64_t{1} << 20;
inline constexpr int64_t kWeightCostMacs = 4;
inline constexpr int64_t kDepthwiseCostMacs = 4;

// Part `part` of `parts` near-equal parts of `units` units (0 <= part <= parts)
// begins at unit PartBegin(units, part, parts). Sizes differ by at most one unit,
// the smaller parts first: threads claim parts in order, so those of one size pair
// up, and the last unit, often partial (the channels past the last whole block),
// lands in a larger part. (Sizes alternating 3, 4, 3, 4 units gave one of 2
// threads every larger tile of a depthwise convolution, 16 units against 12; the
// larger parts first left 1x2048x1000's half-block last in a smaller tile, 5%
// slower on 2 threads.)
inline int64_t PartBegin(int64_t units, int64_t part, int64_t parts) {
  const int64_t smaller = parts - units % parts;
  return part * (units / parts) + (part > smaller ? part - smaller : 0);
}

// A split of [0, m) x [0, n) into count() tiles along one dimension. Tile(i) is
// computed on demand, so a split needs no storage.
class TileGrid {
 public:
  TileGrid() = default;
  TileGrid(int m, int n, bool split_m, int unit, int tile_count);

  int count() const { return tile_count_; }
  // Tile i, 0 <= i < count(). The tiles are disjoint and cover [0, m) x [0, n).
  OutputTile Tile(int index) const;

 private:
  int m_ = 0;
  int n_ = 0;
  bool split_m_ = true;
  int unit_ = 1;  // rows or channels per unit of the cut dimension
  int units_ = 1;
  int tile_count_ = 1;
};

// Cuts the [m, n] output of a GEMM-shaped kernel whose output elements each cost
// `depth` multiply-accumulates (fully connected: in_features; convolution:
// kernel_h * kernel_w * in_c / groups) into tiles for num_threads threads, per the
// policy above, M at multiples of row_unit rows. channel_block is the kernel's
// (dispatch.h). Any non-positive argument gives one whole-output tile.
TileGrid SplitOutput(int m, int n, int64_t depth, int channel_block, int num_threads,
                     int row_unit = kTileRowAlign);

// The same for the whole output of a kernel (WholeOutput(p)).
TileGrid SplitOutput(const FullyConnectedParams& p, int channel_block, int num_threads);
TileGrid SplitOutput(const Conv2DParams& p, int channel_block, int num_threads);

}  // namespace qrt::kernels
