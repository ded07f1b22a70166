// Concatenation along one axis, the formula of ConcatParams (params.h): input i,
// viewed as [outer, axis_sizes[i], inner], fills its slice of the output with
//   out = Requantize(in_i - z_i, requant_i, zy, -128, 127)
// so inputs of different quantizations meet in the output's.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"

namespace qrt::kernels::ref {

void Concat(const ConcatParams& p, const int8_t* const* inputs, int8_t* output) {
  int64_t out_axis = 0;
  for (int i = 0; i < p.num_inputs; ++i) out_axis += p.axis_sizes[i];
  const int64_t out_row = out_axis * p.inner;
  int64_t row_begin = 0;  // where input i starts within an output row
  for (int i = 0; i < p.num_inputs; ++i) {
    const int64_t in_row = int64_t{p.axis_sizes[i]} * p.inner;
    const Dyadic requant = p.requant.At(i);
    for (int64_t o = 0; o < p.outer; ++o) {
      for (int64_t k = 0; k < in_row; ++k) {
        output[o * out_row + row_begin + k] = Requantize(
            inputs[i][o * in_row + k] - p.zero_points[i], requant, p.output_zero_point, -128, 127);
      }
    }
    row_begin += in_row;
  }
}

}  // namespace qrt::kernels::ref
