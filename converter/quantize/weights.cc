#include "weights.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qrt::converter {

int32_t MaxWeight(WeightBits bits) { return bits == WeightBits::kInt4 ? 7 : 127; }

QuantizedWeights QuantizePerChannel(std::span<const float> values, int64_t rows, WeightBits bits) {
  const int32_t qmax = MaxWeight(bits);
  const size_t k = rows > 0 ? values.size() / static_cast<size_t>(rows) : 0;
  QuantizedWeights out;
  out.values.resize(values.size());
  out.scales.resize(static_cast<size_t>(rows));
  for (size_t r = 0; r < out.scales.size(); ++r) {
    std::span<const float> row = values.subspan(r * k, k);
    float max_abs = 0;
    for (float w : row) max_abs = std::max(max_abs, std::abs(w));
    float scale = max_abs / static_cast<float>(qmax);
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
