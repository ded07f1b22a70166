// Elementwise multiplication with numpy broadcasting, the formula of MulParams
// (params.h):
//   out = Requantize((a - za) * (b - zb), requant, zy, clamp)
// |a - za| and |b - zb| are at most 255, so the product fits int32 exactly.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "strided.h"

namespace qrt::kernels::ref {

void Mul(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  ForEachBroadcast(p.shapes, [&](int64_t o, int64_t ia, int64_t ib) {
    const int32_t product = (a[ia] - p.a_zero_point) * (b[ib] - p.b_zero_point);
    output[o] = Requantize(product, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi);
  });
}

}  // namespace qrt::kernels::ref
