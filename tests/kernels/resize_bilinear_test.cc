// ref::ResizeBilinear against an oracle that finds each axis's neighbours and
// weight by exact 128-bit rational arithmetic, and against float bilinear
// interpolation with ONNX Resize's coordinate rules (within one output step).
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

constexpr int64_t kOne = int64_t{1} << kernels::kResizeBilinearWeightBits;

struct AxisWeights {
  int i0, i1;
  int64_t w0, w1;
};

// The source coordinate as a fraction: (x + 1/2) * in / out - 1/2 etc.
AxisWeights OracleAxis(int x, int in, int out, kernels::CoordinateTransform t) {
  Int128 num = 0;
  Int128 den = 1;
  if (t == kernels::CoordinateTransform::kAsymmetric) {
    num = Int128{x} * in;
    den = out;
  } else if (t == kernels::CoordinateTransform::kHalfPixel) {
    num = Int128{2 * x + 1} * in - out;  // ((2x + 1) in / (2 out)) - 1/2
    den = Int128{2} * out;
  } else if (out > 1) {
    num = Int128{x} * (in - 1);
    den = out - 1;
  }
  if (num < 0) num = 0;
  if (num > Int128{in - 1} * den) num = Int128{in - 1} * den;
  const auto i0 = static_cast<int>(FloorDiv128(num, den));
  const Int128 rem = num - Int128{i0} * den;
  // round(rem / den * 2^B), ties up.
  const auto f = static_cast<int64_t>(FloorDiv128(2 * rem * kOne + den, 2 * den));
  return {i0, std::min(i0 + 1, in - 1), kOne - f, f};
}

}  // namespace

TEST_CASE("ResizeBilinear matches the oracle") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::ResizeBilinearParams p{};
    p.batch = static_cast<int>(rng.Int(1, 2));
    p.in_h = static_cast<int>(rng.Int(1, 7));
    p.in_w = static_cast<int>(rng.Int(1, 7));
    p.channels = static_cast<int>(rng.Int(1, 5));
    p.out_h = static_cast<int>(rng.Int(1, 15));
    p.out_w = static_cast<int>(rng.Int(1, 15));
    p.transform = static_cast<kernels::CoordinateTransform>(rng.Int(0, 2));
    p.input_zero_point = rng.ZeroPoint();
    const double m = std::exp2(rng.Real(-1.5, 1.5));
    p.requant = MustQuantizeMultiplier(m / static_cast<double>(kOne * kOne));
    p.output_zero_point = rng.ZeroPoint();
    p.clamp = DrawClamp(p.output_zero_point, rng);
    const std::vector<int8_t> in =
        rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.channels);
    std::vector<int8_t> out(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.channels);
    kernels::ref::ResizeBilinear(p, in.data(), out.data());
    for (int n = 0; n < p.batch; ++n) {
      for (int y = 0; y < p.out_h; ++y) {
        const AxisWeights ay = OracleAxis(y, p.in_h, p.out_h, p.transform);
        for (int x = 0; x < p.out_w; ++x) {
          const AxisWeights ax = OracleAxis(x, p.in_w, p.out_w, p.transform);
          for (int c = 0; c < p.channels; ++c) {
            auto at = [&](int iy, int ix) -> int64_t {
              return in[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.channels + c] -
                     p.input_zero_point;
            };
            const int64_t acc = ay.w0 * ax.w0 * at(ay.i0, ax.i0) +
                                ay.w0 * ax.w1 * at(ay.i0, ax.i1) +
                                ay.w1 * ax.w0 * at(ay.i1, ax.i0) + ay.w1 * ax.w1 * at(ay.i1, ax.i1);
            CAPTURE(y);
            CAPTURE(x);
            REQUIRE(out[((static_cast<size_t>(n) * p.out_h + y) * p.out_w + x) * p.channels + c] ==
                    OracleRequantize(acc, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi));
          }
        }
      }
    }
  }
}

// Float bilinear as ONNX Resize (mode linear) computes it: source coordinate in
// float, clamped to [0, in - 1], neighbours floor and floor + 1.
TEST_CASE("ResizeBilinear is within one step of float interpolation") {
  int max_error = 0;
  for (uint64_t seed = 1; seed <= 60; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::ResizeBilinearParams p{};
    p.batch = 1;
    p.in_h = static_cast<int>(rng.Int(1, 9));
    p.in_w = static_cast<int>(rng.Int(1, 9));
    p.channels = 3;
    p.out_h = static_cast<int>(rng.Int(1, 20));
    p.out_w = static_cast<int>(rng.Int(1, 20));
    p.transform = static_cast<kernels::CoordinateTransform>(rng.Int(0, 2));
    p.input_zero_point = 5;
    p.output_zero_point = 5;
    p.requant = MustQuantizeMultiplier(1.0 / static_cast<double>(kOne * kOne));
    p.clamp = {-128, 127};
    const std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.in_h) * p.in_w * p.channels);
    std::vector<int8_t> out(static_cast<size_t>(p.out_h) * p.out_w * p.channels);
    kernels::ref::ResizeBilinear(p, in.data(), out.data());
    auto source = [&](int x, int in_size, int out_size) {
      double s = 0;
      switch (p.transform) {
        case kernels::CoordinateTransform::kAsymmetric:
          s = x * double(in_size) / out_size;
          break;
        case kernels::CoordinateTransform::kHalfPixel:
          s = (x + 0.5) * in_size / out_size - 0.5;
          break;
        case kernels::CoordinateTransform::kAlignCorners:
          s = out_size > 1 ? x * double(in_size - 1) / (out_size - 1) : 0.0;
          break;
      }
      return std::clamp(s, 0.0, double(in_size - 1));
    };
    for (int y = 0; y < p.out_h; ++y) {
      const double sy = source(y, p.in_h, p.out_h);
      const int y0 = static_cast<int>(sy);
      const int y1 = std::min(y0 + 1, p.in_h - 1);
      for (int x = 0; x < p.out_w; ++x) {
        const double sx = source(x, p.in_w, p.out_w);
        const int x0 = static_cast<int>(sx);
        const int x1 = std::min(x0 + 1, p.in_w - 1);
        for (int c = 0; c < p.channels; ++c) {
          auto at = [&](int iy, int ix) {
            return double(in[(static_cast<size_t>(iy) * p.in_w + ix) * p.channels + c]);
          };
          const double fy = sy - y0;
          const double fx = sx - x0;
          const double v = (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) +
                           fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
          const int got = out[(static_cast<size_t>(y) * p.out_w + x) * p.channels + c];
          max_error = std::max(max_error, static_cast<int>(std::abs(std::lround(v) - got)));
        }
      }
    }
  }
  MESSAGE("ResizeBilinear vs float: max error " << max_error << " LSB");
  CHECK(max_error <= 1);
}

}  // namespace qrt::test
