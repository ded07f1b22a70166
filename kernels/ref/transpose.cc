// Transpose, the formula of TransposeParams (params.h):
//   out[i_0, ..., i_{r-1}] = in[j] with j_{perm[d]} = i_d
// so output dimension d has size in_shape[perm[d]], and walking it steps the input
// by the input stride of dimension perm[d].
#include <array>
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "strided.h"

namespace qrt::kernels::ref {

void Transpose(const TransposeParams& p, const int8_t* input, int8_t* output) {
  const Strides in_strides = RowMajorStrides(p.rank, p.in_shape);
  int32_t out_shape[kMaxRank] = {};
  std::array<Strides, 1> strides{};
  for (int d = 0; d < p.rank; ++d) {
    out_shape[d] = p.in_shape[p.perm[d]];
    strides[0][d] = in_strides[p.perm[d]];
  }
  int64_t out = 0;
  ForEachIndex(p.rank, out_shape, strides, [&](const auto&, const std::array<int64_t, 1>& in) {
    output[out++] = input[in[0]];
  });
}

}  // namespace qrt::kernels::ref
