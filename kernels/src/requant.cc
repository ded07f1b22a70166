#include "qrt/kernels/requant.h"

#include <cmath>

namespace qrt::kernels {

QuantizeMultiplierError QuantizeMultiplier(double real_multiplier, Dyadic* out) {
  if (!(real_multiplier > 0.0) || !std::isfinite(real_multiplier)) {
    return QuantizeMultiplierError::kNotPositiveFinite;
  }
  int exponent = 0;
  const double fraction = std::frexp(real_multiplier, &exponent);  // in [0.5, 1)
  int64_t multiplier = std::llround(fraction * 2147483648.0);      // in [2^30, 2^31]
  if (multiplier == (int64_t{1} << 31)) {
    multiplier = int64_t{1} << 30;
    ++exponent;
  }
  const int shift = 31 - exponent;
  if (shift < kMinShift) return QuantizeMultiplierError::kTooLarge;
  if (shift > kMaxShift) {
    *out = Dyadic{0, kMinShift};
    return QuantizeMultiplierError::kOk;
  }
  *out = Dyadic{static_cast<int32_t>(multiplier), shift};
  return QuantizeMultiplierError::kOk;
}

double DyadicToDouble(Dyadic d) { return std::ldexp(static_cast<double>(d.multiplier), -d.shift); }

}  // namespace qrt::kernels
