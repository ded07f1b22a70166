// Integer layer normalization over the last axis, the formula of LayerNormParams
// (params.h). Per row, with d_i = in_i - zx and F = kLayerNormFractionBits:
//   S = sum d_i, c_i = depth * d_i - S, W = depth * sum d_i^2 - S^2 + epsilon
//   k = floor((62 - bit_width(W)) / 2), r = isqrt(W * 4^k)
//   n_i = floor((2 * c_i * 2^(k + F) + r) / (2 * r))    (0 when W == 0)
//   out_i = Requantize(gamma[i] * n_i + beta[i], requant[i], zy, clamp)
// Why it is the normalized value: sum c_i^2 = depth * (W - epsilon), so
// c_i / sqrt(W) = (d_i - mean) / sqrt(var + eps / Sx^2) in units of Sx, and
// sqrt(W) = sqrt(W * 4^k) / 2^k with W * 4^k in [2^59, 2^62), so r carries at
// least 29 significant bits. Bounds (depth <= 2^16): W < 2^49 + epsilon,
// |c_i| * 2^k <= sqrt(depth - 1) * r < 2^39, so the rounding numerator stays
// below 2^57; gamma * n + beta fits int32 by the model's bound.
#include <bit>
#include <cstdint>

#include "integer_math.h"
#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"

namespace qrt::kernels::ref {

void LayerNorm(const LayerNormParams& params, const int8_t* input, int8_t* output) {
  // A local copy: the stores to `output` (int8, which may alias anything) would
  // otherwise make the compiler reload every parameter for every element.
  const LayerNormParams p = params;
  for (int row = 0; row < p.rows; ++row) {
    const int8_t* in = input + int64_t{row} * p.depth;
    int8_t* out = output + int64_t{row} * p.depth;
    int64_t sum = 0;
    int64_t sum_squares = 0;
    for (int i = 0; i < p.depth; ++i) {
      const int64_t d = in[i] - p.input_zero_point;
      sum += d;
      sum_squares += d * d;
    }
    const int64_t w = p.depth * sum_squares - sum * sum + p.epsilon;
    const int k = (62 - static_cast<int>(std::bit_width(static_cast<uint64_t>(w)))) / 2;
    const auto r = static_cast<int64_t>(ISqrt(static_cast<uint64_t>(w) << (2 * k)));
    for (int i = 0; i < p.depth; ++i) {
      const int64_t c = p.depth * int64_t{in[i] - p.input_zero_point} - sum;
      const int64_t n =
          r == 0 ? 0 : FloorDiv(2 * c * (int64_t{1} << (k + kLayerNormFractionBits)) + r, 2 * r);
      const int64_t acc = p.gamma[i] * n + p.beta[i];
      out[i] = Requantize(static_cast<int32_t>(acc), p.requant.At(i), p.output_zero_point,
                          p.clamp.lo, p.clamp.hi);
    }
  }
}

}  // namespace qrt::kernels::ref
