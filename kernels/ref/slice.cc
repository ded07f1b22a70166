// Strided slice, the formula of SliceParams (params.h):
//   out[i_0, ..., i_{r-1}] = in[begin_0 + i_0 * step_0, ..., begin_{r-1} + i_{r-1} * step_{r-1}]
// as one walk over the output with input strides scaled by the steps.
#include <array>
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "strided.h"

namespace qrt::kernels::ref {

void Slice(const SliceParams& p, const int8_t* input, int8_t* output) {
  const Strides in_strides = RowMajorStrides(p.rank, p.in_shape);
  Strides steps{};
  int64_t first = 0;
  for (int d = 0; d < p.rank; ++d) {
    steps[d] = in_strides[d] * p.step[d];
    first += in_strides[d] * p.begin[d];
  }
  int64_t out = 0;
  ForEachIndex(p.rank, p.out_shape, std::array<Strides, 1>{steps},
               [&](const auto&, const std::array<int64_t, 1>& offset) {
                 output[out++] = input[first + offset[0]];
               });
}

}  // namespace qrt::kernels::ref
