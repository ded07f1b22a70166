// The requantization rule (requant.h) against the __int128 oracle, and
// QuantizeMultiplier's decomposition of real multipliers.
#include "qrt/kernels/requant.h"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "kernels/oracle.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Dyadic;
using kernels::QuantizeMultiplier;
using kernels::QuantizeMultiplierError;
using kernels::Requantize;
using kernels::Rescale;

constexpr int32_t kInt32Min = std::numeric_limits<int32_t>::min();
constexpr int32_t kInt32Max = std::numeric_limits<int32_t>::max();

void CheckRescale(int32_t x, Dyadic d) {
  CAPTURE(x);
  CAPTURE(d.multiplier);
  CAPTURE(d.shift);
  CHECK(Rescale(x, d) == OracleRescale(x, d));
  CHECK(Requantize(x, d, 0, -128, 127) == OracleRequantize(x, d, 0, -128, 127));
}

TEST_CASE("rescale rounds ties toward +infinity for both signs") {
  // m = 2^30, s = 31: x * m / 2^s = x / 2, so odd x are exact ties.
  const Dyadic half{1 << 30, 31};
  CHECK(Rescale(1, half) == 1);
  CHECK(Rescale(3, half) == 2);
  CHECK(Rescale(-1, half) == 0);
  CHECK(Rescale(-3, half) == -1);
  CHECK(Rescale(-5, half) == -2);
  // m / 2^s = 3/2: x * m = k * 2^s + 2^(s-1) for every odd x, of either sign.
  const Dyadic three_halves{3 << 29, 30};
  CHECK(Rescale(1, three_halves) == 2);
  CHECK(Rescale(-1, three_halves) == -1);
  CHECK(Rescale(3, three_halves) == 5);    // 4.5 -> 5
  CHECK(Rescale(-3, three_halves) == -4);  // -4.5 -> -4
  // Just off the tie rounds to nearest.
  const Dyadic just_below{(1 << 30) + 1, 31};  // slightly above 1/2
  CHECK(Rescale(-1, just_below) == -1);
  CHECK(Rescale(1, just_below) == 1);
  for (int32_t x : {1, -1, 3, -3, 12345, -12345, kInt32Max, kInt32Min + 1}) {
    CheckRescale(x, half);
    CheckRescale(x, three_halves);
    CheckRescale(x, just_below);
  }
}

TEST_CASE("rescale at the extremes of accumulator, multiplier and shift") {
  for (int32_t x : {kInt32Min, kInt32Min + 1, -1, 0, 1, kInt32Max - 1, kInt32Max}) {
    for (int32_t m : {0, 1 << 30, (1 << 30) + 1, kInt32Max - 1, kInt32Max}) {
      for (int32_t s : {1, 2, 30, 31, 32, 61, 62}) CheckRescale(x, Dyadic{m, s});
    }
  }
  CHECK(Rescale(kInt32Min, Dyadic{kInt32Max, 1}) == OracleRescale(kInt32Min, Dyadic{kInt32Max, 1}));
  CHECK(Rescale(kInt32Max, Dyadic{kInt32Max, 62}) == 1);  // (2^31-1)^2 / 2^62 ~ 1
  CHECK(Rescale(kInt32Min, Dyadic{kInt32Max, 62}) == -1);
  CHECK(Rescale(kInt32Max, Dyadic{0, 1}) == 0);
  CHECK(Rescale(kInt32Min, Dyadic{0, 62}) == 0);
}

TEST_CASE("requantize saturates to the clamp after adding the zero point") {
  const Dyadic one{1 << 30, 30};
  CHECK(Requantize(kInt32Max, Dyadic{kInt32Max, 1}, 127, -128, 127) == 127);
  CHECK(Requantize(kInt32Min, Dyadic{kInt32Max, 1}, -128, -128, 127) == -128);
  CHECK(Requantize(100, one, 27, -128, 127) == 127);
  CHECK(Requantize(101, one, 27, -128, 127) == 127);
  CHECK(Requantize(-1, one, -128, -128, 127) == -128);
  CHECK(Requantize(5, one, 0, -3, 4) == 4);
  CHECK(Requantize(-5, one, 0, -3, 4) == -3);
  CHECK(Requantize(3, one, 0, 3, 3) == 3);
  // A zero point that would overflow int8 on its own is still exact in int64.
  CHECK(Requantize(-300, one, 200, -128, 127) == -100);
}

TEST_CASE("rescale and requantize match the oracle on random inputs") {
  const uint64_t seed = 0x5eed0001;
  CAPTURE(seed);
  Rng rng(seed);
  for (int i = 0; i < 100000; ++i) {
    const Dyadic d{rng.Int(0, 7) == 0 ? 0 : static_cast<int32_t>(rng.Int(1 << 30, kInt32Max)),
                   static_cast<int32_t>(rng.Int(1, 62))};
    const auto x =
        static_cast<int32_t>(rng.Bool() ? rng.Int(kInt32Min, kInt32Max) : rng.Int(-70000, 70000));
    const auto zy = static_cast<int32_t>(rng.Int(-128, 127));
    const auto lo = static_cast<int32_t>(rng.Int(-128, 127));
    const auto hi = static_cast<int32_t>(rng.Int(lo, 127));
    CAPTURE(i);
    CAPTURE(x);
    CAPTURE(d.multiplier);
    CAPTURE(d.shift);
    REQUIRE(Rescale(x, d) == OracleRescale(x, d));
    REQUIRE(Requantize(x, d, zy, lo, hi) == OracleRequantize(x, d, zy, lo, hi));
  }
}

Dyadic Quantized(double m) {
  Dyadic d{-1, -1};
  CAPTURE(m);
  REQUIRE(QuantizeMultiplier(m, &d) == QuantizeMultiplierError::kOk);
  CHECK(kernels::IsValidDyadic(d));
  return d;
}

TEST_CASE("QuantizeMultiplier: powers of two are exact") {
  for (int e = -32; e < 30; ++e) {
    CAPTURE(e);
    const Dyadic d = Quantized(std::ldexp(1.0, e));
    CHECK(d.multiplier == 1 << 30);
    CHECK(d.shift == 30 - e);
  }
  CHECK(Quantized(0.75).multiplier == 3 << 29);
  CHECK(Quantized(0.75).shift == 31);
}

TEST_CASE("QuantizeMultiplier: a mantissa rounding to 2^31 is renormalized") {
  // Just below 1: the mantissa rounds up to 2^31 -> {2^30, 30}, i.e. exactly 1.
  const Dyadic d = Quantized(1.0 - std::ldexp(1.0, -40));
  CHECK(d.multiplier == 1 << 30);
  CHECK(d.shift == 30);
  const Dyadic e = Quantized(std::ldexp(1.0 - std::ldexp(1.0, -40), -10));
  CHECK(e.multiplier == 1 << 30);
  CHECK(e.shift == 40);
  // Just below the mantissa tie stays below.
  const Dyadic f = Quantized(1.0 - std::ldexp(1.0, -30));
  CHECK(f.multiplier == kInt32Max - 1);
  CHECK(f.shift == 31);
}

TEST_CASE("QuantizeMultiplier: tiny multipliers flush to zero") {
  const Dyadic smallest = Quantized(std::ldexp(1.0, -32));
  CHECK(smallest.multiplier == 1 << 30);
  CHECK(smallest.shift == 62);
  for (double m : {std::ldexp(1.0, -33), std::ldexp(1.5, -34), 1e-300,
                   std::numeric_limits<double>::denorm_min()}) {
    const Dyadic d = Quantized(m);
    CHECK(d.multiplier == 0);
    CHECK(d.shift == 1);
  }
}

TEST_CASE("QuantizeMultiplier rejects multipliers it cannot represent") {
  Dyadic d{};
  CHECK(QuantizeMultiplier(std::ldexp(1.0, 30), &d) == QuantizeMultiplierError::kTooLarge);
  CHECK(QuantizeMultiplier(1e300, &d) == QuantizeMultiplierError::kTooLarge);
  // Rounds up to 2^30 and so becomes too large too.
  CHECK(QuantizeMultiplier(std::ldexp(1.0 - std::ldexp(1.0, -40), 30), &d) ==
        QuantizeMultiplierError::kTooLarge);
  CHECK(Quantized(std::ldexp(1.0, 30) * (1.0 - std::ldexp(1.0, -20))).shift == 1);
  for (double m :
       {0.0, -0.0, -1.0, -1e-300, std::numeric_limits<double>::quiet_NaN(),
        std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity()}) {
    CAPTURE(m);
    CHECK(QuantizeMultiplier(m, &d) == QuantizeMultiplierError::kNotPositiveFinite);
  }
}

TEST_CASE("QuantizeMultiplier: relative error below 2^-30 on random multipliers") {
  const uint64_t seed = 0x5eed0002;
  CAPTURE(seed);
  Rng rng(seed);
  for (int i = 0; i < 20000; ++i) {
    const double m = std::exp2(rng.Real(-31.0, 29.99));
    CAPTURE(m);
    const Dyadic d = Quantized(m);
    const double back = std::ldexp(static_cast<double>(d.multiplier), -d.shift);
    REQUIRE(std::fabs(back - m) / m < std::ldexp(1.0, -30));
    CHECK(back == kernels::DyadicToDouble(d));
  }
}

}  // namespace
}  // namespace qrt::test
