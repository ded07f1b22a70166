// Matrix product of two activations, the formula of BatchMatMulParams (params.h):
// for every output matrix of the broadcast batch and its operand matrices A, B,
//   out[i, l] = Requantize(sum_j (A[i, j] - za) * (B[j, l] - zb), requant, zy, clamp)
// with B[j, l] read as b[l, j] when transpose_b. The sum fits int32 by the model's
// bound on k.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "strided.h"

namespace qrt::kernels::ref {

void BatchMatMul(const BatchMatMulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  const int64_t a_matrix = int64_t{p.m} * p.k;
  const int64_t b_matrix = int64_t{p.k} * p.n;
  const int64_t out_matrix = int64_t{p.m} * p.n;
  // Element (j, l) of B: row-major [k, n], or [n, k] when transposed.
  const int64_t b_j_stride = p.transpose_b ? 1 : p.n;
  const int64_t b_l_stride = p.transpose_b ? p.k : 1;
  ForEachBroadcast(p.batch, [&](int64_t out_index, int64_t a_index, int64_t b_index) {
    const int8_t* am = a + a_index * a_matrix;
    const int8_t* bm = b + b_index * b_matrix;
    int8_t* om = output + out_index * out_matrix;
    for (int i = 0; i < p.m; ++i) {
      for (int l = 0; l < p.n; ++l) {
        int32_t acc = 0;
        for (int j = 0; j < p.k; ++j) {
          acc += (am[int64_t{i} * p.k + j] - p.a_zero_point) *
                 (bm[j * b_j_stride + l * b_l_stride] - p.b_zero_point);
        }
        om[int64_t{i} * p.n + l] =
            Requantize(acc, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi);
      }
    }
  });
}

}  // namespace qrt::kernels::ref
