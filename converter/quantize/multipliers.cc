#include "multipliers.h"

#include <cmath>
#include <limits>
#include <string>

#include "qrt/schema/mantissa.h"

namespace qrt::converter {

namespace {

// Rounds a normalised dyadic's multiplier to a multiple of 2^schema::kMantissaShift; false
// when rounding up to 2^31 would need a shift below the minimum.
bool RoundToMantissa(kernels::Dyadic* d) {
  if (d->multiplier == 0) return true;
  constexpr int64_t kUnit = int64_t{1} << schema::kMantissaShift;
  int64_t mantissa = (int64_t{d->multiplier} + kUnit / 2) >> schema::kMantissaShift;
  int32_t shift = d->shift;
  if (mantissa == (int64_t{1} << (31 - schema::kMantissaShift))) {
    mantissa >>= 1;
    shift -= 1;
  }
  if (shift < kernels::kMinShift) return false;
  *d = {static_cast<int32_t>(mantissa << schema::kMantissaShift), shift};
  return true;
}

}  // namespace

Status ToDyadic(double real, const Node& node, std::string_view what, kernels::Dyadic* out) {
  switch (kernels::QuantizeMultiplier(real, out)) {
    case kernels::QuantizeMultiplierError::kOk:
      if (RoundToMantissa(out)) return Status::Ok();
      break;
    case kernels::QuantizeMultiplierError::kNotPositiveFinite:
      return Status(StatusCode::kBadRequantization, node.Describe() + ": " + std::string(what) +
                                                        " " + std::to_string(real) +
                                                        " is not positive and finite");
    case kernels::QuantizeMultiplierError::kTooLarge:
      break;
  }
  return Status(StatusCode::kBadRequantization,
                node.Describe() + ": " + std::string(what) + " " + std::to_string(real) +
                    " is too large for a dyadic multiplier (at most 2^30)");
}

int32_t QuantizeBias(double bias, double scale, bool* saturated) {
  const double q = std::nearbyint(bias / scale);
  constexpr double kMin = std::numeric_limits<int32_t>::min();
  constexpr double kMax = std::numeric_limits<int32_t>::max();
  *saturated = !(q >= kMin && q <= kMax);
  if (std::isnan(q)) return 0;
  return static_cast<int32_t>(q < kMin ? kMin : q > kMax ? kMax : q);
}

}  // namespace qrt::converter
