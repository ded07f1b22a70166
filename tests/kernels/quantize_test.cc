// ref::Quantize and ref::Dequantize at the model boundary: round half to even on
// the single-precision quotient, saturation, NaN and infinities.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

// round_half_even(x / scale) + zero_point clamped to int8, with ties decided by
// comparing the fractional part with 1/2 and the parity of the floor.
int8_t OracleQuantize(float x, float scale, int32_t zero_point) {
  const float quotient = x / scale;  // the one float division the spec names
  if (std::isnan(quotient)) return static_cast<int8_t>(zero_point);
  if (quotient >= 1000.0f) return 127;
  if (quotient <= -1000.0f) return -128;
  const double q = quotient;
  const double f = std::floor(q);
  double r = f;
  if (q - f > 0.5 || (q - f == 0.5 && std::fmod(f, 2.0) != 0.0)) r = f + 1;
  const double y = r + zero_point;
  return static_cast<int8_t>(y < -128 ? -128 : (y > 127 ? 127 : y));
}

int8_t Quantize(float x, float scale, int32_t zero_point) {
  int8_t q = 0;
  kernels::ref::Quantize(kernels::QuantizeParams{1, scale, zero_point}, &x, &q);
  return q;
}

TEST_CASE("Quantize rounds ties to even and saturates") {
  CHECK(Quantize(0.5f, 1.0f, 0) == 0);
  CHECK(Quantize(1.5f, 1.0f, 0) == 2);
  CHECK(Quantize(2.5f, 1.0f, 0) == 2);
  CHECK(Quantize(-0.5f, 1.0f, 0) == 0);
  CHECK(Quantize(-1.5f, 1.0f, 0) == -2);
  CHECK(Quantize(-2.5f, 1.0f, 0) == -2);
  CHECK(Quantize(0.75f, 0.5f, 3) == 5);   // 1.5 -> 2, + 3
  CHECK(Quantize(1.25f, 0.5f, -1) == 1);  // 2.5 -> 2, - 1
  CHECK(Quantize(2.4999998f, 1.0f, 0) == 2);
  CHECK(Quantize(127.5f, 1.0f, 0) == 127);
  CHECK(Quantize(-128.5f, 1.0f, 0) == -128);
  CHECK(Quantize(100.0f, 1.0f, 100) == 127);
  CHECK(Quantize(-100.0f, 1.0f, -100) == -128);
  CHECK(Quantize(1e30f, 1e-30f, 0) == 127);
  CHECK(Quantize(-3e38f, 0.5f, 127) == -128);  // quotient overflows to -inf
  constexpr float kInf = std::numeric_limits<float>::infinity();
  constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
  CHECK(Quantize(kInf, 0.1f, -128) == 127);
  CHECK(Quantize(-kInf, 0.1f, 127) == -128);
  CHECK(Quantize(kNaN, 0.1f, 5) == 5);
  CHECK(Quantize(-kNaN, 0.1f, -128) == -128);
  CHECK(Quantize(-0.0f, 0.1f, 7) == 7);
}

TEST_CASE("Quantize matches the oracle on random values and ties") {
  const uint64_t seed = 3;
  CAPTURE(seed);
  Rng rng(seed);
  for (int trial = 0; trial < 200; ++trial) {
    // Power-of-two scales make k + 1/2 quotients exact ties.
    const auto scale =
        static_cast<float>(rng.Bool() ? std::exp2(static_cast<double>(rng.Int(-10, 4)))
                                      : std::exp2(rng.Real(-10.0, 4.0)));
    const int32_t zero_point = rng.ZeroPoint();
    std::vector<float> x(500);
    for (float& v : x) {
      v = rng.Bool() ? static_cast<float>((static_cast<double>(rng.Int(-300, 300)) + 0.5) * scale)
                     : static_cast<float>(rng.Real(-300.0, 300.0) * scale);
    }
    std::vector<int8_t> q(x.size());
    kernels::ref::Quantize(
        kernels::QuantizeParams{static_cast<int64_t>(x.size()), scale, zero_point}, x.data(),
        q.data());
    for (size_t i = 0; i < x.size(); ++i) {
      CAPTURE(x[i]);
      CAPTURE(scale);
      REQUIRE(q[i] == OracleQuantize(x[i], scale, zero_point));
    }
  }
}

TEST_CASE("Dequantize is the single-precision product scale * (q - zero_point)") {
  for (float scale : {1.0f, 0.1f, 3.7e-5f, 1e30f}) {
    for (int32_t zero_point : {-128, -1, 0, 127}) {
      std::vector<int8_t> q(256);
      for (int i = 0; i < 256; ++i) q[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
      std::vector<float> x(q.size());
      kernels::ref::Dequantize(kernels::DequantizeParams{256, scale, zero_point}, q.data(),
                               x.data());
      for (size_t i = 0; i < q.size(); ++i) {
        CAPTURE(i);
        // The double product of two floats is exact; one rounding to float remains.
        const double exact = static_cast<double>(scale) * (q[i] - zero_point);
        REQUIRE(x[i] == static_cast<float>(exact));
      }
    }
  }
}

}  // namespace
}  // namespace qrt::test
