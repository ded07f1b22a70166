// The source coordinate of a resize, shared by the nearest and bilinear reference
// kernels: along one axis, output coordinate x maps to the exact rational source
// coordinate num / den (den > 0):
//   asymmetric:    x * in / out
//   half_pixel:    ((2x + 1) * in - out) / (2 * out)
//   align_corners: x * (in - 1) / (out - 1), 0 when out == 1
// Integer arithmetic keeps ties and fractions exact where a float coordinate would
// round them either way.
#pragma once

#include <cstdint>

#include "integer_math.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels::ref {

struct SourceFraction {
  int64_t num;
  int64_t den;
};

inline SourceFraction SourceCoordinate(int x, int in, int out, CoordinateTransform transform) {
  switch (transform) {
    case CoordinateTransform::kAsymmetric:
      return {int64_t{x} * in, out};
    case CoordinateTransform::kHalfPixel:
      return {(2 * int64_t{x} + 1) * in - out, 2 * int64_t{out}};
    case CoordinateTransform::kAlignCorners:
      if (out > 1) return {int64_t{x} * (in - 1), out - 1};
      break;
  }
  return {0, 1};
}

}  // namespace qrt::kernels::ref
