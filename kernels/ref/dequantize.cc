// int8 to float at the model boundary, the formula of DequantizeParams (params.h):
//   x = scale * (q - zero_point)
// q - zero_point is an exact integer below 2^24 in magnitude, so the only rounding
// is the single-precision product.
#include <cstdint>

#include "qrt/kernels/reference.h"

namespace qrt::kernels::ref {

void Dequantize(const DequantizeParams& p, const int8_t* input, float* output) {
  for (int64_t i = 0; i < p.count; ++i) {
    output[i] = p.scale * static_cast<float>(input[i] - p.zero_point);
  }
}

}  // namespace qrt::kernels::ref
