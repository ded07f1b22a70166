// simd::MakeRequantPlan's closed-form clamp bounds (kernels/simd/plan.cc) against
// their definition, evaluated here by binary search over int32: x_lo is the
// largest x with Rescale(x, d) + zy <= lo (INT32_MIN if none), x_hi the smallest
// with Rescale(x, d) + zy >= hi (INT32_MAX if none). Multipliers, shifts, zero
// points and clamps are drawn up to the extremes of requant.h's invariants, with
// zero points aimed so that the bounds land inside int32 as well as beyond it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "simd/plan.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Dyadic;
using kernels::Rescale;

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

int64_t Unclamped(int64_t x, Dyadic d, int32_t zy) {
  return Rescale(static_cast<int32_t>(x), d) + zy;
}

// The specification of x_lo.
int32_t LargestAtMost(Dyadic d, int32_t zy, int32_t lo) {
  int64_t below = kInt32Min;  // Unclamped(below) <= lo
  int64_t above = kInt32Max;  // Unclamped(above) > lo
  if (Unclamped(below, d, zy) > lo) return kInt32Min;
  if (Unclamped(above, d, zy) <= lo) return kInt32Max;
  while (above - below > 1) {
    const int64_t mid = below + (above - below) / 2;
    (Unclamped(mid, d, zy) <= lo ? below : above) = mid;
  }
  return static_cast<int32_t>(below);
}

// The specification of x_hi.
int32_t SmallestAtLeast(Dyadic d, int32_t zy, int32_t hi) {
  int64_t below = kInt32Min;  // Unclamped(below) < hi
  int64_t above = kInt32Max;  // Unclamped(above) >= hi
  if (Unclamped(above, d, zy) < hi) return kInt32Max;
  if (Unclamped(below, d, zy) >= hi) return kInt32Min;
  while (above - below > 1) {
    const int64_t mid = below + (above - below) / 2;
    (Unclamped(mid, d, zy) >= hi ? above : below) = mid;
  }
  return static_cast<int32_t>(above);
}

void CheckPlan(Dyadic d, int32_t zy, int32_t lo, int32_t hi) {
  CAPTURE(d.multiplier);
  CAPTURE(d.shift);
  CAPTURE(zy);
  CAPTURE(lo);
  CAPTURE(hi);
  kernels::simd::RequantPlan plan{};
  REQUIRE(kernels::simd::MakeRequantPlan(d, zy, lo, hi, &plan));
  CHECK(plan.x_lo == LargestAtMost(d, zy, lo));
  CHECK(plan.x_hi == SmallestAtLeast(d, zy, hi));
  CHECK(plan.lo == lo);
  CHECK(plan.hi == hi);
}

Dyadic DrawDyadic(Rng& rng) {
  static const std::vector<int32_t> kMultipliers = {0, kernels::kMinNormalizedMultiplier,
                                                    kernels::kMinNormalizedMultiplier + 1,
                                                    kInt32Max - 1, kInt32Max};
  static const std::vector<int32_t> kShifts = {
      kernels::kMinShift,     kernels::kMinShift + 1, 30, 31, 32,
      kernels::kMaxShift - 1, kernels::kMaxShift};
  Dyadic d;
  d.multiplier = rng.Int(0, 3) == 0
                     ? rng.Pick(kMultipliers)
                     : static_cast<int32_t>(rng.Int(kernels::kMinNormalizedMultiplier, kInt32Max));
  d.shift = rng.Int(0, 3) == 0
                ? rng.Pick(kShifts)
                : static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift));
  return d;
}

// A zero point: an extreme, a small one, any int32, or one that puts the value
// `bound` at Rescale of a random int32 (give or take one), so the bound falls
// inside int32.
int32_t DrawZeroPoint(Dyadic d, int32_t bound, Rng& rng) {
  static const std::vector<int32_t> kExtremes = {
      kInt32Min, kInt32Min + 1, -129, -128, -1, 0, 1, 127, 128, kInt32Max - 1, kInt32Max};
  switch (rng.Int(0, 3)) {
    case 0:
      return rng.Pick(kExtremes);
    case 1:
      return static_cast<int32_t>(rng.Int(-300, 300));
    case 2:
      return static_cast<int32_t>(rng.Int(kInt32Min, kInt32Max));
    default: {
      const auto x = static_cast<int32_t>(rng.Int(kInt32Min, kInt32Max));
      const int64_t zy = bound - Rescale(x, d) + rng.Int(-1, 1);
      return static_cast<int32_t>(std::clamp<int64_t>(zy, kInt32Min, kInt32Max));
    }
  }
}

TEST_CASE("requant plan clamp bounds match their binary-search definition") {
  static const std::vector<int32_t> kClamps = {-128, -127, -1, 0, 1, 126, 127};
  Rng rng(0x5eed'91a7);
  for (int i = 0; i < 20000; ++i) {
    const Dyadic d = DrawDyadic(rng);
    const int32_t lo = rng.Bool() ? rng.Pick(kClamps) : static_cast<int32_t>(rng.Int(-128, 127));
    const int32_t hi = rng.Bool() ? rng.Pick(kClamps) : static_cast<int32_t>(rng.Int(-128, 127));
    const int32_t zy = DrawZeroPoint(d, rng.Bool() ? lo : hi, rng);
    CheckPlan(d, zy, lo, hi);
  }
}

TEST_CASE("requant plan clamp bounds at the corners of the invariants") {
  const std::vector<int32_t> multipliers = {0, kernels::kMinNormalizedMultiplier, kInt32Max};
  const std::vector<int32_t> zero_points = {kInt32Min, -128, 0, 127, kInt32Max};
  for (const int32_t m : multipliers) {
    for (int32_t s = kernels::kMinShift; s <= kernels::kMaxShift; ++s) {
      for (const int32_t zy : zero_points) {
        CheckPlan({m, s}, zy, -128, 127);
        CheckPlan({m, s}, zy, 0, 0);
        CheckPlan({m, s}, zy, 127, -128);
      }
    }
  }
}

TEST_CASE("requant plan refuses clamps outside int8") {
  kernels::simd::RequantPlan plan{};
  const Dyadic d{kernels::kMinNormalizedMultiplier, 31};
  CHECK_FALSE(kernels::simd::MakeRequantPlan(d, 0, -129, 127, &plan));
  CHECK_FALSE(kernels::simd::MakeRequantPlan(d, 0, -128, 128, &plan));
  CHECK(kernels::simd::MakeRequantPlan(d, 0, -128, 127, &plan));
}

// The vector kernels' int32 lane arithmetic, in scalar form: products and sums
// wrap modulo 2^32, shifts are arithmetic.
int32_t Wrap(int64_t x) { return static_cast<int32_t>(static_cast<uint32_t>(x)); }

int32_t HighRescale(const kernels::simd::HighRescalePlan& plan, int32_t x) {
  const int64_t high = (int64_t{x} * plan.multiplier) >> 31;  // Ops<A>::MulHigh31
  REQUIRE(high == Wrap(high));
  return Wrap(high + plan.add) >> plan.shift;
}

int32_t OperandRescale(const kernels::simd::OperandRescalePlan& plan, int32_t q) {
  return Wrap(int64_t{q} * plan.multiplier + plan.add) >> plan.shift;
}

// Requires the high rescale of every x the test draws in [x_min, x_max] to be
// Rescale(x, d) + offset, the sum before the shift never wrapping; true if the
// plan exists.
bool CheckHighRescale(Dyadic d, int32_t offset, int32_t x_min, int32_t x_max, Rng& rng) {
  CAPTURE(d.multiplier);
  CAPTURE(d.shift);
  CAPTURE(offset);
  CAPTURE(x_min);
  CAPTURE(x_max);
  kernels::simd::HighRescalePlan plan{};
  if (!kernels::simd::MakeHighRescalePlan(d, offset, x_min, x_max, &plan)) return false;
  REQUIRE(d.shift >= 32);
  for (int i = 0; i < 64; ++i) {
    const int32_t x = i == 0 ? x_min : i == 1 ? x_max : static_cast<int32_t>(rng.Int(x_min, x_max));
    CAPTURE(x);
    const int64_t high = (int64_t{x} * plan.multiplier) >> 31;
    CHECK(high + plan.add == Wrap(high + plan.add));
    CHECK(HighRescale(plan, x) == Rescale(x, d) + offset);
  }
  return true;
}

TEST_CASE("high rescale plans match Rescale wherever they exist") {
  Rng rng(0x41d6'0c3e);
  int planned = 0;
  for (int i = 0; i < 20000; ++i) {
    const Dyadic d = DrawDyadic(rng);
    const auto offset =
        static_cast<int32_t>(rng.Bool() ? rng.Int(-300, 300) : rng.Int(kInt32Min, kInt32Max));
    const auto a = static_cast<int32_t>(rng.Int(kInt32Min, kInt32Max));
    const auto b = static_cast<int32_t>(rng.Bool() ? rng.Int(kInt32Min, kInt32Max)
                                                   : a + rng.Int(0, 1000) * (a < 0 ? 1 : -1));
    planned += CheckHighRescale(d, offset, std::min(a, b), std::max(a, b), rng);
  }
  CHECK(planned > 2000);
  // Shifts below 32 have no plan; the sum's bounds are exact.
  kernels::simd::HighRescalePlan plan{};
  CHECK_FALSE(kernels::simd::MakeHighRescalePlan({int32_t{1} << 30, 31}, 0, 0, 1, &plan));
  // Rescale(x, {2^30, 32}) + 2^29: high floor(x / 2), add 1 + 2^30, which reaches
  // 2^31 from x = 2^31 - 2 on.
  const Dyadic quarter{int32_t{1} << 30, 32};
  const int32_t offset = int32_t{1} << 29;
  CHECK(kernels::simd::MakeHighRescalePlan(quarter, offset, kInt32Min, kInt32Max - 2, &plan));
  CHECK_FALSE(kernels::simd::MakeHighRescalePlan(quarter, offset, kInt32Min, kInt32Max - 1, &plan));
}

// Add's parameters as the converter writes them (16-bit mantissas, left shift
// 20), or drawn up to the limits of the runtime's checks.
kernels::AddParams DrawAddParams(Rng& rng, bool converter) {
  kernels::AddParams p{};
  p.a_zero_point = rng.ZeroPoint();
  p.b_zero_point = rng.ZeroPoint();
  p.output_zero_point = rng.ZeroPoint();
  p.left_shift = converter ? 20 : static_cast<int32_t>(rng.Int(0, 22));
  const double sa = std::exp2(rng.Real(-12.0, 0.0));
  const double sb = sa * std::exp2(rng.Real(-12.0, 12.0));
  const double so = std::max(sa, sb) * std::exp2(rng.Real(-4.0, 4.0));
  const double twice_max = 2.0 * std::max(sa, sb);
  const auto draw = [&](double real) {
    if (converter) return MustQuantizeMantissa(real);
    switch (rng.Int(0, 2)) {
      case 0:
        return DrawDyadic(rng);
      case 1:
        return MustQuantizeMultiplier(real);
      default:
        return MustQuantizeMantissa(real);
    }
  };
  p.a_requant = draw(sa / twice_max);
  p.b_requant = draw(sb / twice_max);
  p.out_requant = draw(twice_max / (std::ldexp(1.0, p.left_shift) * so));
  p.clamp = converter || rng.Bool() ? DrawClamp(p.output_zero_point, rng)
                                    : kernels::OutputClamp{static_cast<int32_t>(rng.Int(-200, 0)),
                                                           static_cast<int32_t>(rng.Int(0, 200))};
  return p;
}

// Where MakeAddPlan gives a plan, its operands equal the reference's
// Rescale((q - z) << left_shift, d) for every int8 q and its output the
// reference's Requantize of their sum for every pair the test draws.
bool CheckAddPlan(const kernels::AddParams& p, Rng& rng) {
  CAPTURE(p.a_requant.multiplier);
  CAPTURE(p.a_requant.shift);
  CAPTURE(p.b_requant.multiplier);
  CAPTURE(p.b_requant.shift);
  CAPTURE(p.out_requant.multiplier);
  CAPTURE(p.out_requant.shift);
  CAPTURE(p.left_shift);
  kernels::simd::AddPlan plan{};
  if (!kernels::simd::MakeAddPlan(p, &plan)) return false;
  REQUIRE(p.clamp.lo >= -128);
  REQUIRE(p.clamp.hi <= 127);
  const int32_t scale = int32_t{1} << p.left_shift;
  for (int32_t q = -128; q <= 127; ++q) {
    CAPTURE(q);
    CHECK(OperandRescale(plan.a, q) == Rescale((q - p.a_zero_point) * scale, p.a_requant));
    CHECK(OperandRescale(plan.b, q) == Rescale((q - p.b_zero_point) * scale, p.b_requant));
  }
  for (int i = 0; i < 256; ++i) {
    const auto qa = static_cast<int32_t>(i < 2 ? 127 * i - 128 * (1 - i) : rng.Int(-128, 127));
    const auto qb = static_cast<int32_t>(i < 2 ? 127 * i - 128 * (1 - i) : rng.Int(-128, 127));
    const int32_t sum = OperandRescale(plan.a, qa) + OperandRescale(plan.b, qb);
    int8_t expected = 0;
    const int8_t a = static_cast<int8_t>(qa);
    const int8_t b = static_cast<int8_t>(qb);
    kernels::AddParams one = p;
    one.shapes = {};
    one.shapes.rank = 1;
    one.shapes.a[0] = one.shapes.b[0] = one.shapes.out[0] = 1;
    kernels::ref::Add(one, &a, &b, &expected);
    CAPTURE(qa);
    CAPTURE(qb);
    CHECK(std::clamp(HighRescale(plan.out, sum), plan.lo, plan.hi) == expected);
  }
  return true;
}

TEST_CASE("add plans reproduce the reference's Add wherever they exist") {
  Rng rng(0x0add'91a7);
  int planned = 0;
  for (int i = 0; i < 3000; ++i) planned += CheckAddPlan(DrawAddParams(rng, false), rng);
  CHECK(planned > 200);
}

TEST_CASE("add plans exist for every Add the converter writes") {
  Rng rng(0x0add'c0de);
  for (int i = 0; i < 3000; ++i) {
    const kernels::AddParams p = DrawAddParams(rng, true);
    CHECK(CheckAddPlan(p, rng));
  }
}

}  // namespace
}  // namespace qrt::test
