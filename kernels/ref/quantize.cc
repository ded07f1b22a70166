// Float to int8 at the model boundary, the formula of QuantizeParams (params.h):
//   q = clamp(round_half_even(x / scale) + zero_point, -128, 127), NaN -> zero_point
// x / scale is one IEEE single-precision division (correctly rounded), then
// std::nearbyint rounds half to even under the default rounding mode. The clamp is
// done in double, where round(x / scale) + zero_point is exact for every finite
// float and +-inf saturate, before anything is converted to an integer.
#include <algorithm>
#include <cmath>
#include <cstdint>

#include "qrt/kernels/reference.h"

namespace qrt::kernels::ref {

void Quantize(const QuantizeParams& p, const float* input, int8_t* output) {
  for (int64_t i = 0; i < p.count; ++i) {
    const float scaled = input[i] / p.scale;
    if (std::isnan(scaled)) {
      output[i] = static_cast<int8_t>(std::clamp(p.zero_point, -128, 127));
      continue;
    }
    const double q = static_cast<double>(std::nearbyint(scaled)) + p.zero_point;
    output[i] = static_cast<int8_t>(std::clamp(q, -128.0, 127.0));
  }
}

}  // namespace qrt::kernels::ref
