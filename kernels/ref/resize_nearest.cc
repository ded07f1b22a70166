// Nearest-neighbour resize of NHWC planes, the formula of ResizeNearestParams
// (params.h). Along each axis the output coordinate x maps to the exact rational
// source coordinate num / den of resize_coordinate.h, which is rounded to an
// integer (floor, ceil, or to nearest with ties to the floor or ceiling) and
// clamped to [0, in - 1].
#include <algorithm>
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "resize_coordinate.h"

namespace qrt::kernels::ref {

int NearestSourceIndex(int x, int in, int out, CoordinateTransform transform,
                       NearestRounding rounding) {
  const auto [num, den] = SourceCoordinate(x, in, out, transform);
  int64_t i = 0;
  switch (rounding) {
    case NearestRounding::kFloor:
      i = FloorDiv(num, den);
      break;
    case NearestRounding::kCeil:
      i = -FloorDiv(-num, den);
      break;
    case NearestRounding::kRoundPreferFloor:  // ceil(num / den - 1/2)
      i = -FloorDiv(den - 2 * num, 2 * den);
      break;
    case NearestRounding::kRoundPreferCeil:  // floor(num / den + 1/2)
      i = FloorDiv(2 * num + den, 2 * den);
      break;
  }
  return static_cast<int>(std::clamp<int64_t>(i, 0, in - 1));
}

void ResizeNearest(const ResizeNearestParams& p, const int8_t* input, int8_t* output) {
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      const int iy = NearestSourceIndex(y, p.in_h, p.out_h, p.transform, p.rounding);
      for (int x = 0; x < p.out_w; ++x) {
        const int ix = NearestSourceIndex(x, p.in_w, p.out_w, p.transform, p.rounding);
        const int8_t* in = input + ((int64_t{n} * p.in_h + iy) * p.in_w + ix) * p.channels;
        int8_t* out = output + ((int64_t{n} * p.out_h + y) * p.out_w + x) * p.channels;
        for (int c = 0; c < p.channels; ++c) out[c] = in[c];
      }
    }
  }
}

}  // namespace qrt::kernels::ref
