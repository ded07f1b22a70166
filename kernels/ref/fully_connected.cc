// Fully connected layer, the formula of FullyConnectedParams (params.h):
//   out[r, n] = Requantize(bias[n] + sum_k (in[r, k] - zx) * w[n, k], requant[n], zy, clamp)
// As in Conv2D the sum is taken in int64 and narrowed modulo 2^32 to the int32
// accumulator.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "weights.h"

namespace qrt::kernels::ref {

void FullyConnected(const FullyConnectedParams& p, const int8_t* input, const void* weights,
                    const int32_t* bias, int8_t* output, const OutputTile& tile) {
  for (int r = tile.m_begin; r < tile.m_end; ++r) {
    const int8_t* in = input + int64_t{r} * p.in_features;
    for (int n = tile.n_begin; n < tile.n_end; ++n) {
      int64_t acc = bias[n];
      for (int k = 0; k < p.in_features; ++k) {
        acc += (in[k] - p.input_zero_point) *
               int64_t{WeightAt(weights, p.weight_type, p.in_features, n, k)};
      }
      output[int64_t{r} * p.out_features + n] = Requantize(
          static_cast<int32_t>(acc), p.requant.At(n), p.output_zero_point, p.clamp.lo, p.clamp.hi);
    }
  }
}

}  // namespace qrt::kernels::ref
