// Elementwise addition with numpy broadcasting, the formula of AddParams (params.h):
//   a' = Rescale((a - za) << left_shift, a_requant), b' likewise,
//   out = Requantize(a' + b', out_requant, zy, clamp)
// The left shift gives the rescaled operands fractional bits so that a' + b' is
// rounded once, by the output requantization. The shift is a multiplication by
// 2^left_shift; |a - za| <= 255, so left_shift <= 23 keeps it in int32.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "strided.h"

namespace qrt::kernels::ref {

void Add(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  const int32_t scale = int32_t{1} << p.left_shift;
  ForEachBroadcast(p.shapes, [&](int64_t o, int64_t ia, int64_t ib) {
    const int64_t sa = Rescale((a[ia] - p.a_zero_point) * scale, p.a_requant);
    const int64_t sb = Rescale((b[ib] - p.b_zero_point) * scale, p.b_requant);
    output[o] = Requantize(static_cast<int32_t>(sa + sb), p.out_requant, p.output_zero_point,
                           p.clamp.lo, p.clamp.hi);
  });
}

}  // namespace qrt::kernels::ref
