// ref::ResizeNearest against the textbook floating-point coordinate formulas. On
// sizes up to 16 every source coordinate is either exactly representable or at
// least 1/32 away from an integer or a half, so double arithmetic decides floor,
// ceil and ties exactly as the rational definition does.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::CoordinateTransform;
using kernels::NearestRounding;

int OracleSource(int x, int in, int out, CoordinateTransform t, NearestRounding r) {
  double c = 0.0;
  switch (t) {
    case CoordinateTransform::kAsymmetric:
      c = x * static_cast<double>(in) / out;
      break;
    case CoordinateTransform::kHalfPixel:
      c = (x + 0.5) * in / out - 0.5;
      break;
    case CoordinateTransform::kAlignCorners:
      c = out == 1 ? 0.0 : x * static_cast<double>(in - 1) / (out - 1);
      break;
  }
  const double f = std::floor(c);
  const double frac = c - f;
  double i = 0.0;
  switch (r) {
    case NearestRounding::kFloor:
      i = f;
      break;
    case NearestRounding::kCeil:
      i = std::ceil(c);
      break;
    case NearestRounding::kRoundPreferFloor:
      i = frac > 0.5 ? f + 1 : f;
      break;
    case NearestRounding::kRoundPreferCeil:
      i = frac >= 0.5 ? f + 1 : f;
      break;
  }
  return std::clamp(static_cast<int>(i), 0, in - 1);
}

TEST_CASE("ResizeNearest matches the coordinate formulas for every transform and rounding") {
  const uint64_t seed = 11;
  CAPTURE(seed);
  Rng rng(seed);
  for (int t = 0; t < 3; ++t) {
    for (int r = 0; r < 4; ++r) {
      for (int trial = 0; trial < 60; ++trial) {
        kernels::ResizeNearestParams p{};
        p.transform = static_cast<CoordinateTransform>(t);
        p.rounding = static_cast<NearestRounding>(r);
        p.batch = static_cast<int>(rng.Int(1, 2));
        p.channels = static_cast<int>(rng.Int(1, 3));
        p.in_h = static_cast<int>(rng.Int(1, 16));
        p.in_w = static_cast<int>(rng.Int(1, 16));
        p.out_h = static_cast<int>(rng.Int(1, 16));
        p.out_w = static_cast<int>(rng.Int(1, 16));
        CAPTURE(t);
        CAPTURE(r);
        CAPTURE(p.in_h);
        CAPTURE(p.out_h);
        CAPTURE(p.in_w);
        CAPTURE(p.out_w);
        const std::vector<int8_t> in =
            rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.channels);
        std::vector<int8_t> out(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.channels);
        kernels::ref::ResizeNearest(p, in.data(), out.data());
        size_t o = 0;
        for (int n = 0; n < p.batch; ++n) {
          for (int y = 0; y < p.out_h; ++y) {
            const int iy = OracleSource(y, p.in_h, p.out_h, p.transform, p.rounding);
            for (int x = 0; x < p.out_w; ++x) {
              const int ix = OracleSource(x, p.in_w, p.out_w, p.transform, p.rounding);
              for (int c = 0; c < p.channels; ++c) {
                CAPTURE(y);
                CAPTURE(x);
                REQUIRE(
                    out[o++] ==
                    in[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.channels + c]);
              }
            }
          }
        }
      }
    }
  }
}

TEST_CASE("ResizeNearest: known rows") {
  // Upsampling a 1x4 row [0 1 2 3] to 1x8 and downsampling to 1x3.
  const int8_t in[] = {0, 1, 2, 3};
  struct Case {
    CoordinateTransform t;
    NearestRounding r;
    int out_w;
    std::vector<int8_t> expected;
  };
  const Case cases[] = {
      // half_pixel 4 -> 8: c = (2x + 1) / 4 - 1/2 = -0.25, 0.25, 0.75, 1.25, ...
      {CoordinateTransform::kHalfPixel,
       NearestRounding::kRoundPreferFloor,
       8,
       {0, 0, 1, 1, 2, 2, 3, 3}},
      // asymmetric 4 -> 8: c = x / 2, ties at odd x.
      {CoordinateTransform::kAsymmetric,
       NearestRounding::kRoundPreferFloor,
       8,
       {0, 0, 1, 1, 2, 2, 3, 3}},
      {CoordinateTransform::kAsymmetric,
       NearestRounding::kRoundPreferCeil,
       8,
       {0, 1, 1, 2, 2, 3, 3, 3}},
      {CoordinateTransform::kAsymmetric, NearestRounding::kCeil, 8, {0, 1, 1, 2, 2, 3, 3, 3}},
      // align_corners 4 -> 3: c = 0, 1.5, 3.
      {CoordinateTransform::kAlignCorners, NearestRounding::kRoundPreferFloor, 3, {0, 1, 3}},
      {CoordinateTransform::kAlignCorners, NearestRounding::kRoundPreferCeil, 3, {0, 2, 3}},
      // half_pixel 4 -> 3: c = 1/6, 3/2, 17/6.
      {CoordinateTransform::kHalfPixel, NearestRounding::kFloor, 3, {0, 1, 2}},
      {CoordinateTransform::kHalfPixel, NearestRounding::kRoundPreferCeil, 3, {0, 2, 3}},
      // align_corners to one output uses coordinate 0.
      {CoordinateTransform::kAlignCorners, NearestRounding::kCeil, 1, {0}},
  };
  for (const Case& c : cases) {
    kernels::ResizeNearestParams p{1, 1, 4, 1, 1, c.out_w, c.t, c.r};
    std::vector<int8_t> out(static_cast<size_t>(c.out_w));
    kernels::ref::ResizeNearest(p, in, out.data());
    CAPTURE(static_cast<int>(c.t));
    CAPTURE(static_cast<int>(c.r));
    CHECK(out == c.expected);
  }
}

}  // namespace
}  // namespace qrt::test
