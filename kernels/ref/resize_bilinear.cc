// Bilinear resize of NHWC planes, the formula of ResizeBilinearParams (params.h).
// Along each axis the exact source coordinate num / den (resize_coordinate.h) is
// clamped to [0, in - 1]; i0 = floor(src), i1 = min(i0 + 1, in - 1), and the
// fraction rem / den = src - i0 becomes the weight of i1,
//   f = floor((2 * rem * 2^B + den) / (2 * den))   (round half up, B = kResizeBilinearWeightBits)
// with 2^B - f for i0. Per output:
//   acc = sum over (iy, ix) in {i0, i1}^2 of wy * wx * (in(n, iy, ix, c) - zx)
//   out = Requantize(acc, requant, zy, clamp)
// Weights of each axis sum to 2^B, so |acc| <= 255 * 2^(2B) < 2^31.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "resize_coordinate.h"

namespace qrt::kernels::ref {
namespace {

struct Taps {
  int i0, i1;
  int32_t w0, w1;
};

Taps AxisTaps(int x, int in, int out, CoordinateTransform transform) {
  const auto [num, den] = SourceCoordinate(x, in, out, transform);
  constexpr int64_t kOne = int64_t{1} << kResizeBilinearWeightBits;
  Taps t{};
  if (num <= 0) {
    t = {0, 0, static_cast<int32_t>(kOne), 0};
  } else if (num >= int64_t{in - 1} * den) {
    t = {in - 1, in - 1, static_cast<int32_t>(kOne), 0};
  } else {
    const int64_t i0 = num / den;
    const int64_t rem = num - i0 * den;
    const int64_t f = (2 * rem * kOne + den) / (2 * den);
    t = {static_cast<int>(i0), static_cast<int>(i0) + 1, static_cast<int32_t>(kOne - f),
         static_cast<int32_t>(f)};
  }
  return t;
}

}  // namespace

void ResizeBilinear(const ResizeBilinearParams& p, const int8_t* input, int8_t* output) {
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      const Taps ty = AxisTaps(y, p.in_h, p.out_h, p.transform);
      for (int x = 0; x < p.out_w; ++x) {
        const Taps tx = AxisTaps(x, p.in_w, p.out_w, p.transform);
        const int iys[2] = {ty.i0, ty.i1};
        const int ixs[2] = {tx.i0, tx.i1};
        const int32_t wys[2] = {ty.w0, ty.w1};
        const int32_t wxs[2] = {tx.w0, tx.w1};
        int8_t* out = output + ((int64_t{n} * p.out_h + y) * p.out_w + x) * p.channels;
        for (int c = 0; c < p.channels; ++c) {
          int32_t acc = 0;
          for (int a = 0; a < 2; ++a) {
            for (int b = 0; b < 2; ++b) {
              const int8_t v =
                  input[((int64_t{n} * p.in_h + iys[a]) * p.in_w + ixs[b]) * p.channels + c];
              acc += wys[a] * wxs[b] * (v - p.input_zero_point);
            }
          }
          out[c] = Requantize(acc, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi);
        }
      }
    }
  }
}

}  // namespace qrt::kernels::ref
