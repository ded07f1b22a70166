// simd::MakeRequantPlan's closed-form clamp bounds (kernels/simd/plan.cc) against
// their definition, evaluated here by binary search over int32: x_lo is the
// largest x with Rescale(x, d) + zy <= lo (INT32_MIN if none), x_hi the smallest
// with Rescale(x, d) + zy >= hi (INT32_MAX if none). Multipliers, shifts, zero
// points and clamps are drawn up to the extremes of requant.h's invariants, with
// zero points aimed so that the bounds land inside int32 as well as beyond it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

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

TEST_CASE("requant is a narrowing only with int8's clamp and results inside int32") {
  using kernels::simd::RequantIsNarrowing;
  // Rescale(x, {2^30, 1}) == x * 2^29: for zy = 0 in int32 exactly for x in
  // [-4, 3], for zy = -1 exactly for x in [-3, 4].
  const Dyadic d{int32_t{1} << 30, 1};
  CHECK(RequantIsNarrowing(d, 0, -128, 127, -4, 3));
  CHECK_FALSE(RequantIsNarrowing(d, 0, -128, 127, -5, 3));
  CHECK_FALSE(RequantIsNarrowing(d, 0, -128, 127, -4, 4));
  CHECK(RequantIsNarrowing(d, -1, -128, 127, -3, 4));
  CHECK_FALSE(RequantIsNarrowing(d, -1, -128, 127, -4, 4));
  CHECK_FALSE(RequantIsNarrowing(d, -1, -128, 127, -3, 5));
  // Any other clamp needs the clamps.
  CHECK_FALSE(RequantIsNarrowing(d, 0, -127, 127, 0, 0));
  CHECK_FALSE(RequantIsNarrowing(d, 0, -128, 126, 0, 0));
  // Accumulators beyond int32 are refused even where the rescale would fit.
  const Dyadic tiny{int32_t{1} << 30, kernels::kMaxShift};
  CHECK(RequantIsNarrowing(tiny, 0, -128, 127, kInt32Min, kInt32Max));
  CHECK_FALSE(RequantIsNarrowing(tiny, 0, -128, 127, int64_t{kInt32Min} - 1, 0));
  CHECK_FALSE(RequantIsNarrowing(tiny, 0, -128, 127, 0, int64_t{kInt32Max} + 1));
}

}  // namespace
}  // namespace qrt::test
