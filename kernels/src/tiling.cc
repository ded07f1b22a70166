#include "qrt/kernels/tiling.h"

#include <algorithm>

namespace qrt::kernels {
namespace {

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

}  // namespace

TileGrid::TileGrid(int m, int n, bool split_m, int unit, int tile_count)
    : m_(std::max(m, 0)), n_(std::max(n, 0)), split_m_(split_m), unit_(std::max(unit, 1)) {
  units_ = CeilDiv(split_m_ ? m_ : n_, unit_);
  // No empty tiles: at most one per unit, and at least the whole output.
  tile_count_ = std::clamp(tile_count, 1, std::max(units_, 1));
}

OutputTile TileGrid::Tile(int index) const {
  const int extent = split_m_ ? m_ : n_;
  const auto unit_at = [this](int i) {
    return static_cast<int>(PartBegin(units_, i, tile_count_));
  };
  const int begin = std::min(unit_at(index) * unit_, extent);
  const int end = std::min(unit_at(index + 1) * unit_, extent);
  return split_m_ ? OutputTile{begin, end, 0, n_} : OutputTile{0, m_, begin, end};
}

TileGrid SplitOutput(int m, int n, int64_t depth, int channel_block, int num_threads,
                     int row_unit) {
  const TileGrid whole(m, n, true, 1, 1);
  if (m <= 0 || n <= 0 || depth <= 0 || channel_block <= 0 || num_threads <= 1 || row_unit <= 0) {
    return whole;
  }
  const int64_t work = (int64_t{m} + kWeightCostMacs) * n * depth;
  const auto max_tiles = static_cast<int>(
      std::min<int64_t>(int64_t{num_threads} * kTilesPerThread, work / kMinTileMacs));
  if (max_tiles < 2) return whole;

  const int m_units = CeilDiv(m, row_unit);
  const int n_units = CeilDiv(n, channel_block);
  bool split_m = m >= n;
  const int preferred_units = split_m ? m_units : n_units;
  const int other_units = split_m ? n_units : m_units;
  if (preferred_units < max_tiles && other_units > preferred_units) split_m = !split_m;
  const int units = split_m ? m_units : n_units;
  int tiles = std::min(max_tiles, units);
  // A multiple of the thread count keeps the threads' shares equal.
  if (tiles > num_threads) tiles -= tiles % num_threads;
  if (tiles < 2) return whole;
  return TileGrid(m, n, split_m, split_m ? row_unit : channel_block, tiles);
}

TileGrid SplitOutput(const FullyConnectedParams& p, int channel_block, int num_threads) {
  return SplitOutput(p.rows, p.out_features, p.in_features, channel_block, num_threads);
}

TileGrid SplitOutput(const Conv2DParams& p, int channel_block, int num_threads) {
  const OutputTile whole = WholeOutput(p);
  const bool depthwise = IsDepthwise(p);
  const int64_t depth = int64_t{p.kernel_h} * p.kernel_w *
                        (p.groups > 0 ? p.in_c / p.groups : p.in_c) *
                        (depthwise ? kDepthwiseCostMacs : 1);
  const int row_unit = depthwise && p.out_w <= INT32_MAX / 2 ? 2 * p.out_w : kTileRowAlign;
  return SplitOutput(whole.m_end, whole.n_end, depth, channel_block, num_threads, row_unit);
}

}  // namespace qrt::kernels
