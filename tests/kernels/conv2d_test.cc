// ref::Conv2D against an im2col oracle: the input is copied into an explicitly
// padded buffer (padding = zx), each output position gathers its patch into a
// column, and a plain int64 matrix product with the unpacked weights gives the
// accumulators, requantized by the __int128 oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Conv2DParams;
using kernels::WeightType;

struct ConvCase {
  Conv2DParams p{};
  int pad_bottom = 0;
  int pad_right = 0;
  std::vector<int8_t> input;
  std::vector<int8_t> weights;  // unpacked, OHWI
  std::vector<int32_t> bias;
};

// Accumulators [n, y, x, c] of the formula in params.h, via padding + im2col + GEMM.
std::vector<int64_t> OracleAccumulators(const ConvCase& t) {
  const Conv2DParams& p = t.p;
  const int ph = p.in_h + p.pad_top + t.pad_bottom;
  const int pw = p.in_w + p.pad_left + t.pad_right;
  std::vector<int32_t> padded(static_cast<size_t>(p.batch) * ph * pw * p.in_c, p.input_zero_point);
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.in_h; ++y) {
      for (int x = 0; x < p.in_w; ++x) {
        for (int c = 0; c < p.in_c; ++c) {
          padded[((static_cast<size_t>(n) * ph + y + p.pad_top) * pw + x + p.pad_left) * p.in_c +
                 c] = t.input[((static_cast<size_t>(n) * p.in_h + y) * p.in_w + x) * p.in_c + c];
        }
      }
    }
  }
  const int cin_g = p.in_c / p.groups;
  const int cout_g = p.out_c / p.groups;
  const size_t k_len = static_cast<size_t>(p.kernel_h) * p.kernel_w * cin_g;
  std::vector<int64_t> acc;
  std::vector<int64_t> column(k_len);
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      for (int x = 0; x < p.out_w; ++x) {
        for (int g = 0; g < p.groups; ++g) {
          size_t k = 0;
          for (int ky = 0; ky < p.kernel_h; ++ky) {
            for (int kx = 0; kx < p.kernel_w; ++kx) {
              const int py = y * p.stride_h + ky * p.dilation_h;
              const int px = x * p.stride_w + kx * p.dilation_w;
              for (int i = 0; i < cin_g; ++i) {
                column[k++] = padded[((static_cast<size_t>(n) * ph + py) * pw + px) * p.in_c +
                                     g * cin_g + i] -
                              p.input_zero_point;
              }
            }
          }
          for (int oc = 0; oc < cout_g; ++oc) {
            const size_t c = static_cast<size_t>(g) * cout_g + oc;
            int64_t sum = t.bias[c];
            for (size_t j = 0; j < k_len; ++j) sum += column[j] * t.weights[c * k_len + j];
            acc.push_back(sum);
          }
        }
      }
    }
  }
  return acc;
}

ConvCase DrawCase(Rng& rng) {
  ConvCase t;
  Conv2DParams& p = t.p;
  p.batch = static_cast<int>(rng.Int(1, 2));
  const bool depthwise = rng.Int(0, 2) == 0;
  int cin_g = 0;
  int cout_g = 0;
  if (depthwise) {
    p.groups = static_cast<int>(rng.Int(1, 9));
    cin_g = 1;
    cout_g = static_cast<int>(rng.Int(1, 3));  // channel multiplier
  } else {
    p.groups = rng.Bool() ? 1 : static_cast<int>(rng.Int(2, 3));
    cin_g = static_cast<int>(rng.Int(1, 7));
    cout_g = static_cast<int>(rng.Int(1, 7));
  }
  p.in_c = p.groups * cin_g;
  p.out_c = p.groups * cout_g;
  p.kernel_h = static_cast<int>(rng.Pick(std::vector<int64_t>{1, 3, 5, 7, 2}));
  p.kernel_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(1, 4)) : p.kernel_h;
  p.stride_h = static_cast<int>(rng.Int(1, 3));
  p.stride_w = static_cast<int>(rng.Int(1, 3));
  p.dilation_h = rng.Int(0, 3) == 0 ? 2 : 1;
  p.dilation_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(2, 3)) : 1;
  p.in_h = static_cast<int>(rng.Int(1, 9));
  p.in_w = static_cast<int>(rng.Int(1, 9));
  const int eff_h = p.dilation_h * (p.kernel_h - 1) + 1;
  const int eff_w = p.dilation_w * (p.kernel_w - 1) + 1;
  p.pad_top = static_cast<int>(rng.Int(0, eff_h));
  p.pad_left = static_cast<int>(rng.Int(0, eff_w));
  t.pad_bottom = std::max(static_cast<int>(rng.Int(0, eff_h)), eff_h - p.in_h - p.pad_top);
  t.pad_right = std::max(static_cast<int>(rng.Int(0, eff_w)), eff_w - p.in_w - p.pad_left);
  p.out_h = (p.in_h + p.pad_top + t.pad_bottom - eff_h) / p.stride_h + 1;
  p.out_w = (p.in_w + p.pad_left + t.pad_right - eff_w) / p.stride_w + 1;
  p.input_zero_point = rng.ZeroPoint();
  p.weight_type = rng.Bool() ? WeightType::kInt4 : WeightType::kInt8;
  const int32_t w_max = p.weight_type == WeightType::kInt4 ? 7 : 127;
  const int32_t w_min = p.weight_type == WeightType::kInt4 ? -8 : -127;
  const size_t k_len = static_cast<size_t>(p.kernel_h) * p.kernel_w * cin_g;
  const size_t w_count = static_cast<size_t>(p.out_c) * k_len;
  t.weights = rng.Int8s(w_count, w_min, w_max);
  if (rng.Int(0, 3) == 0) {  // only the extremes, the worst case for the accumulator
    for (int8_t& w : t.weights) w = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
  }
  t.input = rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c);
  t.bias = rng.Int32s(static_cast<size_t>(p.out_c), -20000, 20000);
  return t;
}

TEST_CASE("Conv2D matches the im2col oracle on random shapes and quantizations") {
  size_t interior = 0;  // outputs strictly inside the clamp, so rounding, not saturation, is tested
  size_t total = 0;
  for (uint64_t seed = 1; seed <= 3000; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    ConvCase t = DrawCase(rng);
    Conv2DParams& p = t.p;
    CAPTURE(p.groups);
    CAPTURE(p.in_c);
    CAPTURE(p.out_c);
    CAPTURE(p.kernel_h);
    CAPTURE(p.kernel_w);
    CAPTURE(p.stride_h);
    CAPTURE(p.dilation_w);
    CAPTURE(static_cast<int>(p.weight_type));
    const std::vector<int64_t> acc = OracleAccumulators(t);
    REQUIRE(acc.size() == static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c);
    for (int64_t a : acc) REQUIRE(a == static_cast<int32_t>(a));

    // Per-channel multipliers chosen from each channel's accumulator range.
    ChannelRequantStorage requant;
    int32_t zy = 0;
    for (int c = 0; c < p.out_c; ++c) {
      int64_t lo = INT64_MAX;
      int64_t hi = INT64_MIN;
      for (size_t i = static_cast<size_t>(c); i < acc.size(); i += static_cast<size_t>(p.out_c)) {
        lo = std::min(lo, acc[i]);
        hi = std::max(hi, acc[i]);
      }
      const OutputQuant q = OutputQuantForRange(lo, hi, rng);
      requant.Push(q.requant);
      if (c == 0) zy = q.zero_point;
    }
    p.output_zero_point = rng.Int(0, 4) == 0 ? rng.ZeroPoint() : zy;
    p.requant = requant.View();
    p.clamp = DrawClamp(p.output_zero_point, rng);

    const size_t k_len = static_cast<size_t>(p.kernel_h) * p.kernel_w * (p.in_c / p.groups);
    std::vector<uint8_t> packed;
    const void* weights = t.weights.data();
    if (p.weight_type == WeightType::kInt4) {
      packed = PackInt4Rows(t.weights, static_cast<size_t>(p.out_c), k_len);
      weights = packed.data();
    }
    std::vector<int8_t> out(acc.size());
    kernels::ref::Conv2D(p, t.input.data(), weights, t.bias.data(), out.data(),
                         kernels::WholeOutput(p));
    for (size_t i = 0; i < acc.size(); ++i) {
      CAPTURE(i);
      const size_t c = i % static_cast<size_t>(p.out_c);
      REQUIRE(out[i] ==
              OracleRequantize(acc[i], requant.At(c), p.output_zero_point, p.clamp.lo, p.clamp.hi));
      interior += out[i] > p.clamp.lo && out[i] < p.clamp.hi;
    }
    total += acc.size();
  }
  CHECK(interior * 5 > total);
}

TEST_CASE("Conv2D with windows entirely in the padding gives the bias alone") {
  Conv2DParams p{};
  p.batch = 1;
  p.in_h = p.in_w = 1;
  p.in_c = 1;
  p.out_h = p.out_w = 3;
  p.out_c = 1;
  p.kernel_h = p.kernel_w = 1;
  p.stride_h = p.stride_w = 1;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = 1;
  p.groups = 1;
  p.input_zero_point = -5;
  p.output_zero_point = 3;
  p.weight_type = WeightType::kInt8;
  ChannelRequantStorage requant;
  requant.Push(MustQuantizeMultiplier(1.0));
  p.requant = requant.View();
  p.clamp = {-128, 127};
  const int8_t input[] = {7};
  const int8_t weights[] = {-2};
  const int32_t bias[] = {10};
  int8_t out[9] = {};
  kernels::ref::Conv2D(p, input, weights, bias, out, kernels::WholeOutput(p));
  for (int i = 0; i < 9; ++i) {
    CAPTURE(i);
    CHECK(out[i] == (i == 4 ? 10 + (7 + 5) * -2 + 3 : 13));
  }
}

}  // namespace
}  // namespace qrt::test
