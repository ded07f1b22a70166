#include "util/random.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

namespace qrt::test {

std::vector<int8_t> Rng::Int8s(size_t n, int32_t lo, int32_t hi) {
  std::vector<int8_t> v(n);
  for (int8_t& x : v) x = static_cast<int8_t>(Int(lo, hi));
  return v;
}

std::vector<int32_t> Rng::Int32s(size_t n, int32_t lo, int32_t hi) {
  std::vector<int32_t> v(n);
  for (int32_t& x : v) x = static_cast<int32_t>(Int(lo, hi));
  return v;
}

int32_t Rng::ZeroPoint() {
  static constexpr int32_t kExtremes[] = {-128, -1, 0, 127};
  if (Bool()) return kExtremes[Int(0, 3)];
  return static_cast<int32_t>(Int(-128, 127));
}

kernels::Dyadic MustQuantizeMultiplier(double real_multiplier) {
  kernels::Dyadic d{};
  CAPTURE(real_multiplier);
  REQUIRE(kernels::QuantizeMultiplier(real_multiplier, &d) ==
          kernels::QuantizeMultiplierError::kOk);
  return d;
}

kernels::Dyadic MustQuantizeMantissa(double real_multiplier) {
  kernels::Dyadic d = MustQuantizeMultiplier(real_multiplier);
  constexpr int64_t kUnit = int64_t{1} << 15;
  int64_t multiplier = (int64_t{d.multiplier} + kUnit / 2) / kUnit * kUnit;
  if (multiplier > INT32_MAX) {  // rounded up to 2^31: 2^30 with one less shift
    REQUIRE(d.shift > kernels::kMinShift);
    multiplier /= 2;
    --d.shift;
  }
  d.multiplier = static_cast<int32_t>(multiplier);
  return d;
}

OutputQuant OutputQuantForRange(int64_t acc_min, int64_t acc_max, Rng& rng) {
  const double span = static_cast<double>(std::max<int64_t>(acc_max - acc_min, 1));
  const double m = 255.0 / span * std::exp2(rng.Real(-1.0, 1.0));
  const double centre = 0.5 * static_cast<double>(acc_min + acc_max);
  const double zero_point = std::clamp(std::round(-centre * m), -128.0, 127.0);
  return {MustQuantizeMultiplier(m), static_cast<int32_t>(zero_point)};
}

kernels::OutputClamp DrawClamp(int32_t zero_point, Rng& rng) {
  switch (rng.Int(0, 3)) {
    case 0:
      return {zero_point, 127};
    case 1: {
      const auto lo = static_cast<int32_t>(rng.Int(-128, 127));
      return {lo, static_cast<int32_t>(rng.Int(lo, 127))};
    }
    default:
      return {-128, 127};
  }
}

kernels::BroadcastShapes DrawBroadcastShapes(Rng& rng) {
  kernels::BroadcastShapes s{};
  s.rank = static_cast<int>(rng.Int(0, kernels::kMaxRank));
  const bool a_scalar = rng.Int(0, 7) == 0;
  const bool b_scalar = !a_scalar && rng.Int(0, 7) == 0;
  for (int d = 0; d < s.rank; ++d) {
    s.out[d] = static_cast<int32_t>(rng.Int(1, 4));
    s.a[d] = a_scalar || rng.Int(0, 3) == 0 ? 1 : s.out[d];
    s.b[d] = b_scalar || rng.Int(0, 3) == 0 ? 1 : s.out[d];
    if (s.a[d] == 1 && s.b[d] == 1) s.out[d] = 1;  // neither operand can stretch to more
  }
  return s;
}

void ChannelRequantStorage::Push(kernels::Dyadic d) {
  multiplier.push_back(d.multiplier);
  shift.push_back(static_cast<int8_t>(d.shift));
}

}  // namespace qrt::test
