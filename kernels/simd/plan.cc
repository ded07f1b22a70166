#include "simd/plan.h"

#include <cstdint>

namespace qrt::kernels::simd {
namespace {

constexpr int64_t kBias = int64_t{1} << 62;

// GCC's 128-bit integer (__extension__ keeps -Wpedantic quiet): the bounds below
// reach (2^31 + 2^8) * 2^62, past int64.
__extension__ typedef __int128 Int128;

int32_t ClampToInt32(Int128 x) {
  return static_cast<int32_t>(x < INT32_MIN   ? Int128{INT32_MIN}
                              : x > INT32_MAX ? Int128{INT32_MAX}
                                              : x);
}

// floor(num / den) and ceil(num / den) for den > 0 (`/` truncates toward zero).
Int128 FloorDiv(Int128 num, Int128 den) { return num / den - (num % den < 0 ? 1 : 0); }
Int128 CeilDiv(Int128 num, Int128 den) { return num / den + (num % den > 0 ? 1 : 0); }

// With r = 2^(s-1), Rescale(x, d) + zy = floor((x * m + r) / 2^s) + zy, so for
// m > 0 and an integer bound t:
//   Rescale(x, d) + zy <= t  <=>  x * m + r < (t - zy + 1) * 2^s
//                            <=>  x <= floor(((t - zy + 1) * 2^s - r - 1) / m)
//   Rescale(x, d) + zy >= t  <=>  x * m + r >= (t - zy) * 2^s
//                            <=>  x >= ceil(((t - zy) * 2^s - r) / m)
// Clamping the bound to int32 gives INT32_MIN / INT32_MAX where no int32 (or
// every int32) satisfies the inequality. m == 0 makes Rescale(x, d) + zy == zy.

// The largest x in int32 with Rescale(x, d) + zy <= lo, INT32_MIN if there is none.
int32_t LargestAtMost(Dyadic d, int32_t zy, int32_t lo) {
  if (d.multiplier == 0) return zy <= lo ? INT32_MAX : INT32_MIN;
  const Int128 rounding = Int128{1} << (d.shift - 1);
  const Int128 limit = ((Int128{lo} - zy + 1) << d.shift) - rounding - 1;
  return ClampToInt32(FloorDiv(limit, d.multiplier));
}

// The smallest x in int32 with Rescale(x, d) + zy >= hi, INT32_MAX if there is none.
int32_t SmallestAtLeast(Dyadic d, int32_t zy, int32_t hi) {
  if (d.multiplier == 0) return zy >= hi ? INT32_MIN : INT32_MAX;
  const Int128 rounding = Int128{1} << (d.shift - 1);
  const Int128 limit = ((Int128{hi} - zy) << d.shift) - rounding;
  return ClampToInt32(CeilDiv(limit, d.multiplier));
}

bool InInt32(int64_t x) { return x >= INT32_MIN && x <= INT32_MAX; }

// OperandRescalePlan of Rescale((q - z) << left_shift, d); false where a product
// or sum of it leaves int32 for some int8 q.
bool MakeOperandRescalePlan(Dyadic d, int32_t z, int32_t left_shift, OperandRescalePlan* plan) {
  // The reference forms (q - z) << left_shift in int32.
  const int64_t x_max = INT8_MAX - int64_t{z};
  const int64_t x_min = INT8_MIN - int64_t{z};
  if (!InInt32(x_max * (int64_t{1} << left_shift)) ||
      !InInt32(x_min * (int64_t{1} << left_shift))) {
    return false;
  }
  if (d.multiplier == 0) {  // Rescale(x, {0, s}) == 0
    *plan = {0, 0, 0};
    return true;
  }
  int t = 0;
  while ((d.multiplier >> t & 1) == 0) ++t;
  const int64_t odd = d.multiplier >> t;
  const int e = d.shift - left_shift - t;
  int64_t multiplier = odd;
  int64_t rounding = 0;
  if (e <= 0) {
    if (-e >= 31 || odd > (int64_t{INT32_MAX} >> -e)) return false;
    multiplier = odd << -e;
  } else {
    if (e > 31) return false;
    rounding = int64_t{1} << (e - 1);
  }
  const int64_t add = rounding - z * multiplier;
  if (!InInt32(add) || !InInt32(INT8_MIN * multiplier + add) ||
      !InInt32(INT8_MAX * multiplier + add)) {
    return false;
  }
  *plan = {static_cast<int32_t>(multiplier), static_cast<int32_t>(add), e > 0 ? e : 0};
  return true;
}

// The plan's value for q (the multiplier is never negative: non-decreasing in q).
int64_t OperandValue(const OperandRescalePlan& plan, int32_t q) {
  return (int64_t{q} * plan.multiplier + plan.add) >> plan.shift;
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

bool MakeHighRescalePlan(Dyadic d, int32_t offset, int64_t x_min, int64_t x_max,
                         HighRescalePlan* plan) {
  if (d.shift < 32 || x_min < INT32_MIN || x_max > INT32_MAX) return false;
  const int64_t add = (int64_t{1} << (d.shift - 32)) + (int64_t{offset} << (d.shift - 31));
  // x * m is non-decreasing in x (m >= 0), and |x * m| < 2^62.
  const int64_t sum_min = ((x_min * d.multiplier) >> 31) + add;
  const int64_t sum_max = ((x_max * d.multiplier) >> 31) + add;
  if (add > INT32_MAX || add < INT32_MIN || sum_min < INT32_MIN || sum_max > INT32_MAX) {
    return false;
  }
  *plan = {d.multiplier, static_cast<int32_t>(add), d.shift - 31};
  return true;
}

bool MakeAddPlan(const AddParams& p, AddPlan* plan) {
  if (p.clamp.lo < INT8_MIN || p.clamp.lo > INT8_MAX || p.clamp.hi < INT8_MIN ||
      p.clamp.hi > INT8_MAX) {
    return false;
  }
  if (!MakeOperandRescalePlan(p.a_requant, p.a_zero_point, p.left_shift, &plan->a) ||
      !MakeOperandRescalePlan(p.b_requant, p.b_zero_point, p.left_shift, &plan->b)) {
    return false;
  }
  const int64_t sum_min = OperandValue(plan->a, INT8_MIN) + OperandValue(plan->b, INT8_MIN);
  const int64_t sum_max = OperandValue(plan->a, INT8_MAX) + OperandValue(plan->b, INT8_MAX);
  plan->lo = p.clamp.lo;
  plan->hi = p.clamp.hi;
  return MakeHighRescalePlan(p.out_requant, p.output_zero_point, sum_min, sum_max, &plan->out);
}

void MakeRequantTable(Dyadic d, int32_t z, int32_t zy, int8_t (&table)[256]) {
  for (int32_t q = INT8_MIN; q <= INT8_MAX; ++q) {
    table[q - INT8_MIN] = Requantize(q - z, d, zy, INT8_MIN, INT8_MAX);
  }
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
