#include "ops/row_split.h"

#include <algorithm>
#include <limits>

namespace qrt::internal {

int RowRunCount(int64_t rows, int64_t row_ps, int num_threads) {
  if (num_threads <= 1 || rows <= 1 || row_ps <= 0) return 1;
  const int max_runs = kernels::kTilesPerThread * num_threads;
  // rows * row_ps saturates instead of overflowing: past max_runs runs it no longer matters.
  const int64_t work = rows > std::numeric_limits<int64_t>::max() / row_ps
                           ? std::numeric_limits<int64_t>::max()
                           : rows * row_ps;
  const auto runs =
      static_cast<int>(std::min({work / kMinRunPs, rows, static_cast<int64_t>(max_runs)}));
  if (runs < 2) return 1;
  return runs < num_threads ? runs : runs - runs % num_threads;
}

int BroadcastRowAxis(const kernels::BroadcastShapes& shapes) {
  for (int d = 0; d < shapes.rank; ++d) {
    if (shapes.out[d] > 1) return d;
  }
  return -1;
}

RowLayout<3> BroadcastRowLayout(const kernels::BroadcastShapes& shapes, int64_t a_block,
                                int64_t b_block, int64_t out_block, int64_t block_ps) {
  const int axis = BroadcastRowAxis(shapes);
  int64_t a_row = a_block;
  int64_t b_row = b_block;
  int64_t out_row = out_block;
  for (int d = axis + 1; d < shapes.rank; ++d) {
    a_row *= shapes.a[d];
    b_row *= shapes.b[d];
    out_row *= shapes.out[d];
  }
  RowLayout<3> layout;
  layout.rows = shapes.out[axis];
  layout.row_ps = out_row / out_block * block_ps;
  layout.row_bytes = {shapes.a[axis] == 1 ? 0 : a_row, shapes.b[axis] == 1 ? 0 : b_row, out_row};
  return layout;
}

kernels::BroadcastShapes NarrowBroadcast(const kernels::BroadcastShapes& shapes, int64_t count) {
  const int axis = BroadcastRowAxis(shapes);
  const auto extent = static_cast<int32_t>(count);
  kernels::BroadcastShapes narrow = shapes;
  narrow.out[axis] = extent;
  if (shapes.a[axis] != 1) narrow.a[axis] = extent;
  if (shapes.b[axis] != 1) narrow.b[axis] = extent;
  return narrow;
}

}  // namespace qrt::internal
