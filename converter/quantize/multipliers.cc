#include "multipliers.h"

#include <cmath>
#include <limits>
#include <string>

namespace qrt::converter {

Status ToDyadic(double real, const Node& node, std::string_view what, kernels::Dyadic* out) {
  switch (kernels::QuantizeMultiplier(real, out)) {
    case kernels::QuantizeMultiplierError::kOk:
      return Status::Ok();
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
