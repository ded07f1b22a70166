// ref::MaxPool2D and ref::AveragePool2D against oracles that classify every
// position of the padded plane (input, padding, or beyond the padding) and scan
// each window in full, counting the window's divisor separately from its sum.
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

using kernels::Pool2DParams;

enum class Where { kInput, kPadding, kBeyond };

// What lies at coordinate `i` of an axis with `size` inputs and the given pads.
Where Classify(int i, int size, int pad_begin, int pad_end) {
  if (i >= 0 && i < size) return Where::kInput;
  if (i >= -pad_begin && i < size + pad_end) return Where::kPadding;
  return Where::kBeyond;
}

Pool2DParams DrawPool(Rng& rng) {
  Pool2DParams p{};
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.channels = static_cast<int>(rng.Int(1, 5));
  p.in_h = static_cast<int>(rng.Int(1, 9));
  p.in_w = static_cast<int>(rng.Int(1, 9));
  if (rng.Int(0, 4) == 0) {  // global pooling
    p.kernel_h = p.in_h;
    p.kernel_w = p.in_w;
    p.stride_h = p.stride_w = 1;
    p.out_h = p.out_w = 1;
  } else {
    p.kernel_h = static_cast<int>(rng.Int(1, 4));
    p.kernel_w = static_cast<int>(rng.Int(1, 4));
    p.stride_h = static_cast<int>(rng.Int(1, 3));
    p.stride_w = static_cast<int>(rng.Int(1, 3));
    // Pads up to the kernel size, so some windows lie entirely in the padding.
    p.pad_top = static_cast<int>(rng.Int(0, p.kernel_h));
    p.pad_left = static_cast<int>(rng.Int(0, p.kernel_w));
    p.pad_bottom =
        std::max(static_cast<int>(rng.Int(0, p.kernel_h)), p.kernel_h - p.in_h - p.pad_top);
    p.pad_right =
        std::max(static_cast<int>(rng.Int(0, p.kernel_w)), p.kernel_w - p.in_w - p.pad_left);
    // Floor mode, or ceil mode where the last window may extend beyond the padding.
    const int extra_h = rng.Bool() ? p.stride_h - 1 : 0;
    const int extra_w = rng.Bool() ? p.stride_w - 1 : 0;
    p.out_h = (p.in_h + p.pad_top + p.pad_bottom - p.kernel_h + extra_h) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + p.pad_right - p.kernel_w + extra_w) / p.stride_w + 1;
  }
  p.input_zero_point = rng.ZeroPoint();
  p.output_zero_point = rng.ZeroPoint();
  p.clamp = DrawClamp(p.output_zero_point, rng);
  p.count_include_pad = rng.Bool();
  return p;
}

size_t InputSize(const Pool2DParams& p) {
  return static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.channels;
}
size_t OutputSize(const Pool2DParams& p) {
  return static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.channels;
}

// Calls f(out_offset, n, y, x, c) for every output element in NHWC order.
template <class F>
void ForEachOutput(const Pool2DParams& p, F&& f) {
  size_t o = 0;
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      for (int x = 0; x < p.out_w; ++x) {
        for (int c = 0; c < p.channels; ++c) f(o++, n, y, x, c);
      }
    }
  }
}

int8_t InputAt(const Pool2DParams& p, const std::vector<int8_t>& in, int n, int iy, int ix, int c) {
  return in[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.channels + c];
}

TEST_CASE("MaxPool2D matches the full-window oracle") {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    const Pool2DParams p = DrawPool(rng);
    const std::vector<int8_t> in = rng.Int8s(InputSize(p));
    std::vector<int8_t> out(OutputSize(p));
    kernels::ref::MaxPool2D(p, in.data(), out.data());
    ForEachOutput(p, [&](size_t o, int n, int y, int x, int c) {
      bool any = false;
      int32_t max = -1000;
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int iy = y * p.stride_h - p.pad_top + ky;
          const int ix = x * p.stride_w - p.pad_left + kx;
          if (Classify(iy, p.in_h, p.pad_top, p.pad_bottom) == Where::kInput &&
              Classify(ix, p.in_w, p.pad_left, p.pad_right) == Where::kInput) {
            any = true;
            max = std::max<int32_t>(max, InputAt(p, in, n, iy, ix, c));
          }
        }
      }
      const int32_t expected = std::clamp(any ? max : p.input_zero_point, p.clamp.lo, p.clamp.hi);
      CAPTURE(o);
      REQUIRE(out[o] == expected);
    });
  }
}

TEST_CASE("AveragePool2D matches the full-window oracle with separate counts") {
  for (uint64_t seed = 1; seed <= 2000; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    Pool2DParams p = DrawPool(rng);
    CAPTURE(p.count_include_pad);
    // Entry n-1 is r / n for a random input/output scale ratio r.
    const double ratio = std::exp2(rng.Real(-1.0, 1.0));
    ChannelRequantStorage count_requant;
    for (int n = 1; n <= p.kernel_h * p.kernel_w; ++n) {
      count_requant.Push(MustQuantizeMultiplier(ratio / n));
    }
    p.count_requant = count_requant.View();
    const std::vector<int8_t> in = rng.Int8s(InputSize(p));
    std::vector<int8_t> out(OutputSize(p));
    kernels::ref::AveragePool2D(p, in.data(), out.data());
    ForEachOutput(p, [&](size_t o, int n, int y, int x, int c) {
      int count = 0;
      int64_t sum = 0;
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int iy = y * p.stride_h - p.pad_top + ky;
          const int ix = x * p.stride_w - p.pad_left + kx;
          const Where wy = Classify(iy, p.in_h, p.pad_top, p.pad_bottom);
          const Where wx = Classify(ix, p.in_w, p.pad_left, p.pad_right);
          if (wy == Where::kBeyond || wx == Where::kBeyond) continue;
          const bool inside = wy == Where::kInput && wx == Where::kInput;
          count += inside || p.count_include_pad;
          if (inside) sum += InputAt(p, in, n, iy, ix, c) - p.input_zero_point;
        }
      }
      CAPTURE(o);
      CAPTURE(count);
      const int8_t expected =
          count == 0 ? static_cast<int8_t>(std::clamp(p.output_zero_point, p.clamp.lo, p.clamp.hi))
                     : OracleRequantize(sum, count_requant.At(static_cast<size_t>(count - 1)),
                                        p.output_zero_point, p.clamp.lo, p.clamp.hi);
      REQUIRE(out[o] == expected);
    });
  }
}

TEST_CASE("AveragePool2D rounds the mean half up") {
  // Global average of {0, 1} with Sx = Sy: 1/2 -> 1; of {0, -1}: -1/2 -> 0.
  Pool2DParams p{};
  p.batch = 1;
  p.in_h = 1;
  p.in_w = 2;
  p.channels = 2;
  p.out_h = p.out_w = 1;
  p.kernel_h = 1;
  p.kernel_w = 2;
  p.stride_h = p.stride_w = 1;
  p.clamp = {-128, 127};
  ChannelRequantStorage count_requant;
  count_requant.Push(MustQuantizeMultiplier(1.0));
  count_requant.Push(MustQuantizeMultiplier(0.5));
  p.count_requant = count_requant.View();
  const int8_t in[] = {0, 0, 1, -1};
  int8_t out[2] = {};
  kernels::ref::AveragePool2D(p, in, out);
  CHECK(out[0] == 1);
  CHECK(out[1] == 0);
}

}  // namespace
}  // namespace qrt::test
