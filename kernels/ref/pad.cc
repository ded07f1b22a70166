// Constant padding, the formula of PadParams (params.h): output dimension d has
// size in_shape[d] + pads_begin[d] + pads_end[d];
//   out[i] = in[i - pads_begin] when every i_d - pads_begin[d] is in [0, in_shape[d]),
//   otherwise value.
// Written from the output side, so negative pads (cropping) follow the same rule.
#include <array>
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "strided.h"

namespace qrt::kernels::ref {

void Pad(const PadParams& p, const int8_t* input, int8_t* output) {
  int32_t out_shape[kMaxRank] = {};
  for (int d = 0; d < p.rank; ++d) out_shape[d] = p.in_shape[d] + p.pads_begin[d] + p.pads_end[d];
  const Strides in_strides = RowMajorStrides(p.rank, p.in_shape);
  int64_t begin_offset = 0;  // input offset of output index 0, possibly out of range
  for (int d = 0; d < p.rank; ++d) begin_offset -= int64_t{p.pads_begin[d]} * in_strides[d];
  int64_t out = 0;
  ForEachIndex(p.rank, out_shape, std::array<Strides, 1>{in_strides},
               [&](const std::array<int32_t, kMaxRank>& index, const std::array<int64_t, 1>& in) {
                 bool inside = true;
                 for (int d = 0; d < p.rank; ++d) {
                   const int32_t i = index[d] - p.pads_begin[d];
                   inside = inside && i >= 0 && i < p.in_shape[d];
                 }
                 output[out++] = inside ? input[begin_offset + in[0]] : p.value;
               });
}

}  // namespace qrt::kernels::ref
