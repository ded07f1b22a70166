#include "layer_norm.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "multipliers.h"
#include "qrt/kernels/params.h"

namespace qrt::converter {

Status QuantizeLayerNorm(const Node& node, std::span<const float> gamma,
                         std::span<const float> beta, float epsilon,
                         const calib::ActivationQuant& x, const calib::ActivationQuant& y,
                         QuantizedLayerNorm* out) {
  const size_t depth = gamma.size();
  const double unit = std::ldexp(1.0, kernels::kLayerNormFractionBits);
  float max_gamma = 0;
  for (float v : gamma) max_gamma = std::max(max_gamma, std::fabs(v));
  // A zero gamma still needs a scale for its beta: the largest channel's.
  const double zero_gamma_scale = max_gamma > 0 ? max_gamma : 1.0;
  const auto channel_scale = [&](size_t i, int g) {
    const double magnitude = gamma[i] != 0 ? std::fabs(gamma[i]) : zero_gamma_scale;
    return magnitude / g;
  };
  // The loader's bound: max|gamma_q| * (isqrt(D - 1) + 1) * 2^16 + max|beta_q| < 2^31.
  const auto root = static_cast<int64_t>(std::sqrt(static_cast<double>(depth - 1)));
  const int64_t limit = int64_t{1} << 31;
  for (int g = 127; g >= 1; --g) {
    int64_t max_beta = 0;
    bool fits = true;
    for (size_t i = 0; i < beta.size() && fits; ++i) {
      const double q = std::round(beta[i] * unit / channel_scale(i, g));
      fits = std::fabs(q) < static_cast<double>(limit);
      if (fits) max_beta = std::max(max_beta, static_cast<int64_t>(std::fabs(q)));
    }
    if (!fits || int64_t{g} * (root + 1) * static_cast<int64_t>(unit) + max_beta >= limit) {
      continue;
    }
    out->gamma.assign(depth, 0);
    out->beta.assign(depth, 0);
    out->requant.resize(depth);
    for (size_t i = 0; i < depth; ++i) {
      const double scale = channel_scale(i, g);
      out->gamma[i] = static_cast<int8_t>(gamma[i] > 0 ? g : gamma[i] < 0 ? -g : 0);
      if (!beta.empty()) out->beta[i] = static_cast<int32_t>(std::round(beta[i] * unit / scale));
      QRT_RETURN_IF_ERROR(ToDyadic(scale / (double{y.scale} * unit), node,
                                   "multiplier of channel " + std::to_string(i), &out->requant[i]));
    }
    const double d = static_cast<double>(depth);
    const double eps = std::round(double{epsilon} * d * d / (double{x.scale} * x.scale));
    out->epsilon = static_cast<int64_t>(std::min(eps, std::ldexp(1.0, 60)));
    return Status::Ok();
  }
  return Status(StatusCode::kBadRequantization,
                node.Describe() + ": beta is too large against gamma for the int32 accumulator");
}

}  // namespace qrt::converter
