#include "simd/plan.h"

#include <cstdint>

namespace qrt::kernels::simd {
namespace {

constexpr int64_t kBias = int64_t{1} << 62;

// Requantize before its clamp, in int64.
int64_t Unclamped(int64_t x, Dyadic d, int32_t zy) {
  return Rescale(static_cast<int32_t>(x), d) + zy;
}

// The largest x in int32 with Unclamped(x) <= lo, INT32_MIN if there is none.
int32_t LargestAtMost(Dyadic d, int32_t zy, int32_t lo) {
  int64_t below = INT32_MIN;  // Unclamped(below) <= lo
  int64_t above = INT32_MAX;  // Unclamped(above) > lo
  if (Unclamped(below, d, zy) > lo) return INT32_MIN;
  if (Unclamped(above, d, zy) <= lo) return INT32_MAX;
  while (above - below > 1) {
    const int64_t mid = below + (above - below) / 2;
    (Unclamped(mid, d, zy) <= lo ? below : above) = mid;
  }
  return static_cast<int32_t>(below);
}

// The smallest x in int32 with Unclamped(x) >= hi, INT32_MAX if there is none.
int32_t SmallestAtLeast(Dyadic d, int32_t zy, int32_t hi) {
  int64_t below = INT32_MIN;  // Unclamped(below) < hi
  int64_t above = INT32_MAX;  // Unclamped(above) >= hi
  if (Unclamped(above, d, zy) < hi) return INT32_MAX;
  if (Unclamped(below, d, zy) >= hi) return INT32_MIN;
  while (above - below > 1) {
    const int64_t mid = below + (above - below) / 2;
    (Unclamped(mid, d, zy) >= hi ? above : below) = mid;
  }
  return static_cast<int32_t>(above);
}

}  // namespace

RescalePlan MakeRescalePlan(Dyadic d, int32_t offset) {
  RescalePlan plan;
  plan.multiplier = d.multiplier;
  plan.shift = d.shift;
  plan.add = (int64_t{1} << (d.shift - 1)) + kBias;
  plan.sub = (kBias >> d.shift) - offset;
  return plan;
}

bool MakeRequantPlan(Dyadic d, int32_t zy, int32_t lo, int32_t hi, RequantPlan* plan) {
  if (lo < INT8_MIN || lo > INT8_MAX || hi < INT8_MIN || hi > INT8_MAX) return false;
  plan->rescale = MakeRescalePlan(d, zy);
  plan->x_lo = LargestAtMost(d, zy, lo);
  plan->x_hi = SmallestAtLeast(d, zy, hi);
  plan->lo = lo;
  plan->hi = hi;
  return true;
}

BroadcastPlan MakeBroadcastPlan(const BroadcastShapes& s) {
  BroadcastPlan plan{};
  plan.count = 1;
  for (int d = 0; d < s.rank; ++d) plan.count *= s.out[d];
  plan.row_length = 1;
  plan.a_period = 1;
  plan.b_period = 1;
  if (plan.count == 0) return plan;

  struct Dim {
    int64_t size;
    bool a_full, b_full;
  };
  Dim dims[kMaxRank];
  int rank = 0;
  for (int d = 0; d < s.rank; ++d) {
    if (s.out[d] == 1) continue;
    const Dim dim{s.out[d], s.a[d] != 1, s.b[d] != 1};
    if (rank > 0 && dims[rank - 1].a_full == dim.a_full && dims[rank - 1].b_full == dim.b_full) {
      dims[rank - 1].size *= dim.size;
    } else {
      dims[rank++] = dim;
    }
  }
  if (rank == 0) return plan;  // one element

  const Dim& inner = dims[rank - 1];
  // Two dimensions that are not merged differ in some operand, so one full in
  // both below one full in a single operand is exactly the repeated pattern.
  const bool repeats = rank >= 2 && inner.a_full && inner.b_full && inner.size <= kMaxPeriod;
  const int row_rank = repeats ? 2 : 1;
  int64_t a_inner = 1;  // elements of a below the dimension being walked
  int64_t b_inner = 1;
  plan.row_length = 1;
  for (int k = rank - row_rank; k < rank; ++k) {
    plan.row_length *= dims[k].size;
    if (dims[k].a_full) a_inner *= dims[k].size;
    if (dims[k].b_full) b_inner *= dims[k].size;
  }
  // An operand's period is the elements it has in the row: all of them, the
  // inner dimension's, or one.
  plan.a_period = a_inner;
  plan.b_period = b_inner;
  plan.outer_rank = rank - row_rank;
  for (int k = plan.outer_rank - 1; k >= 0; --k) {
    plan.outer_size[k] = dims[k].size;
    plan.a_stride[k] = dims[k].a_full ? a_inner : 0;
    plan.b_stride[k] = dims[k].b_full ? b_inner : 0;
    if (dims[k].a_full) a_inner *= dims[k].size;
    if (dims[k].b_full) b_inner *= dims[k].size;
  }
  return plan;
}

}  // namespace qrt::kernels::simd
