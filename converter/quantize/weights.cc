#include "weights.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qrt::converter {

int32_t MaxWeight(WeightBits bits) { return bits == WeightBits::kInt4 ? 7 : 127; }

namespace {

// Sum of squared errors of `row` quantized with `scale` to [-qmax, qmax].
double RowError(std::span<const float> row, float scale, int32_t qmax) {
  double error = 0;
  for (float w : row) {
    const double q =
        std::clamp<double>(std::nearbyint(static_cast<double>(w) / scale), -qmax, qmax);
    const double e = static_cast<double>(w) - q * scale;
    error += e * e;
  }
  return error;
}

}  // namespace

float ChannelScale(std::span<const float> row, WeightBits bits) {
  const int32_t qmax = MaxWeight(bits);
  float max_abs = 0;
  for (float w : row) max_abs = std::max(max_abs, std::abs(w));
  float best = max_abs / static_cast<float>(qmax);
  if (bits == WeightBits::kInt8 || !(best >= std::numeric_limits<float>::min())) return best;
  // int4: the clip c * max|w| for c on a grid over [kMinClip, 1] with the least
  // squared error. With 15 levels, rounding error dominates, and clipping a few
  // large weights buys finer steps for all the others.
  constexpr int kSteps = 100;
  constexpr double kMinClip = 0.3;
  double best_error = RowError(row, best, qmax);
  for (int i = 0; i < kSteps; ++i) {
    const double clip = kMinClip + (1.0 - kMinClip) * i / kSteps;
    const auto scale = static_cast<float>(clip * max_abs / qmax);
    if (!(scale >= std::numeric_limits<float>::min())) continue;
    const double error = RowError(row, scale, qmax);
    if (error < best_error) {
      best_error = error;
      best = scale;
    }
  }
  return best;
}

std::vector<float> BiasScaleFloor(std::span<const float> bias, double input_scale, int64_t k,
                                  WeightBits bits) {
  // The format's bound counts int4 weights as 8; half the headroom left is the limit.
  const double products = static_cast<double>(k) * 255 * (bits == WeightBits::kInt4 ? 8 : 127);
  const double limit = std::max(1.0, (std::ldexp(1.0, 31) - products) / 2);
  std::vector<float> floor(bias.size());
  for (size_t c = 0; c < bias.size(); ++c) {
    floor[c] = static_cast<float>(std::abs(double{bias[c]}) / (input_scale * limit));
  }
  return floor;
}

QuantizedWeights QuantizePerChannel(std::span<const float> values, int64_t rows, WeightBits bits,
                                    std::span<const float> min_scales) {
  const int32_t qmax = MaxWeight(bits);
  const size_t k = rows > 0 ? values.size() / static_cast<size_t>(rows) : 0;
  QuantizedWeights out;
  out.values.resize(values.size());
  out.scales.resize(static_cast<size_t>(rows));
  for (size_t r = 0; r < out.scales.size(); ++r) {
    std::span<const float> row = values.subspan(r * k, k);
    float scale = ChannelScale(row, bits);
    if (r < min_scales.size()) scale = std::max(scale, min_scales[r]);
    // A zero row, or one so small its scale is not a normal float, quantizes to 0.
    if (!(scale >= std::numeric_limits<float>::min()) || !std::isfinite(scale)) scale = 1;
    out.scales[r] = scale;
    for (size_t i = 0; i < k; ++i) {
      const double q = std::nearbyint(static_cast<double>(row[i]) / scale);
      out.values[r * k + i] = static_cast<int8_t>(std::clamp<double>(q, -qmax, qmax));
    }
  }
  return out;
}

}  // namespace qrt::converter
