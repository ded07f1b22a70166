// Softmax along the last axis of rows x depth, the formula of SoftmaxParams
// (params.h):
//   d = max(row) - x in [0, 255], sum = sum over the row of E[d],
//   p = floor((E[d] * 2^30 + sum / 2) / sum)   (the probability in Q30, rounded)
//   out = Requantize(p, requant, zy, clamp)
// E[d] <= 2^16 and depth < 2^31 keep E[d] * 2^30 + sum / 2 below 2^47 + 2^46, and
// p <= 2^30 fits int32. A row whose entries are all 0 (only possible with
// E[0] == 0) has no distribution; it gets p = 0.
#include <algorithm>
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"

namespace qrt::kernels::ref {

void Softmax(const SoftmaxParams& params, const int8_t* input, int8_t* output) {
  // A local copy: the stores to `output` (int8, which may alias anything) would
  // otherwise make the compiler reload every parameter for every element.
  const SoftmaxParams p = params;
  for (int r = 0; r < p.rows; ++r) {
    const int8_t* in = input + int64_t{r} * p.depth;
    int8_t* out = output + int64_t{r} * p.depth;
    int32_t max = INT8_MIN;
    for (int i = 0; i < p.depth; ++i) max = std::max<int32_t>(max, in[i]);
    int64_t sum = 0;
    for (int i = 0; i < p.depth; ++i) sum += p.exp_table[max - in[i]];
    for (int i = 0; i < p.depth; ++i) {
      const int64_t e = p.exp_table[max - in[i]];
      const int64_t prob = sum == 0 ? 0 : ((e << 30) + sum / 2) / sum;
      out[i] = Requantize(static_cast<int32_t>(prob), p.requant, p.output_zero_point, p.clamp.lo,
                          p.clamp.hi);
    }
  }
}

}  // namespace qrt::kernels::ref
