// The NEON depthwise convolution kernel (the depthwise entry of both NEON paths,
// with its packing) against ref::Conv2D, byte for byte (gemm_check.h: guard pages,
// canaries, random output tiles): channel counts around the 16-channel block,
// kernels 1x1 to 7x7 and 1xN / Nx1 (odd and even tap counts), strides, dilations,
// asymmetric padding, batches, int8 and int4 weights. The last test case fails if
// the path was built, the CPU has it and no case ran it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/conv_cases.h"
#include "kernels/gemm_check.h"
#include "kernels/oracle.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Conv2DParams;
using kernels::Isa;
using kernels::WeightType;

#if QRT_HAVE_NEON
constexpr bool kNeonBuilt = true;
#else
constexpr bool kNeonBuilt = false;
#endif

int g_neon_runs = 0;

bool NeonRunnable() {
  return kNeonBuilt && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kNeon);
}

void RunDepthwiseCase(int channels, int kernel_h, int kernel_w, int stride, int dilation,
                      WeightType type, uint64_t seed) {
  Rng rng(seed);
  Conv2DParams p{};
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.in_c = p.out_c = p.groups = channels;
  p.kernel_h = kernel_h;
  p.kernel_w = kernel_w;
  p.stride_h = stride;
  p.stride_w = rng.Int(0, 3) == 0 ? 3 - stride : stride;
  p.dilation_h = p.dilation_w = dilation;
  p.in_h = static_cast<int>(rng.Int(1, 8));
  p.in_w = static_cast<int>(rng.Int(1, 8));
  const DrawnGeometry geometry =
      DrawPaddingAndOutput(&p, dilation * (kernel_h - 1), dilation * (kernel_w - 1), rng);
  p.input_zero_point = rng.ZeroPoint();
  p.weight_type = type;
  const bool int4 = type == WeightType::kInt4;
  const int32_t w_min = int4 ? -8 : -127;
  const int32_t w_max = int4 ? 7 : 127;
  const auto taps = static_cast<size_t>(kernel_h) * kernel_w;
  const auto c_count = static_cast<size_t>(channels);
  std::vector<int8_t> w = rng.Int8s(c_count * taps, w_min, w_max);
  if (rng.Int(0, 3) == 0) {
    for (int8_t& v : w) v = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
  }
  std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * c_count);
  if (rng.Int(0, 7) == 0)
    std::fill(in.begin(), in.end(), static_cast<int8_t>(rng.Bool() ? -128 : 127));
  const std::vector<int32_t> bias = rng.Int(0, 7) == 0 ? rng.Int32s(c_count, INT32_MIN, INT32_MAX)
                                                       : rng.Int32s(c_count, -5000, 5000);
  std::vector<int64_t> lo(c_count, INT64_MAX);
  std::vector<int64_t> hi(c_count, INT64_MIN);
  for (int m = 0; m < p.batch * p.out_h * p.out_w; ++m) {
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    for (size_t c = 0; c < c_count; ++c) {
      int64_t acc = bias[c];
      for (int t = 0; t < kernel_h * kernel_w; ++t) {
        const int iy = y * p.stride_h - p.pad_top + t / kernel_w * dilation;
        const int ix = x * p.stride_w - p.pad_left + t % kernel_w * dilation;
        if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
        const size_t at = ((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * c_count + c;
        acc += (in[at] - p.input_zero_point) * int64_t{w[c * taps + static_cast<size_t>(t)]};
      }
      lo[c] = std::min(lo[c], acc);
      hi[c] = std::max(hi[c], acc);
    }
  }
  const DrawnRequant requant = DrawRequantForRanges(lo, hi, rng);
  p.output_zero_point = requant.zero_point;
  p.requant = requant.requant.View();
  p.clamp = requant.clamp;
  const std::vector<uint8_t> int4_rows =
      int4 ? PackInt4Rows(w, c_count, taps) : std::vector<uint8_t>{};
  const void* weights = int4 ? static_cast<const void*>(int4_rows.data()) : w.data();
  CAPTURE(geometry);
  g_neon_runs += ExpectGemmMatchesReference(kernels::SelectKernels(Isa::kNeon).depthwise_conv2d,
                                            kernels::ref::Conv2D, p, in, weights, bias, rng);
}

TEST_CASE("SelectKernels: the NEON depthwise kernel on both NEON paths") {
  for (const Isa isa : {Isa::kNeon, Isa::kNeonDot}) {
    const kernels::Conv2DKernel dw = kernels::SelectKernels(isa).depthwise_conv2d;
    CHECK(dw.isa == (kNeonBuilt ? Isa::kNeon : Isa::kReference));
    if (kNeonBuilt) CHECK((dw.pack != nullptr));
  }
}

TEST_CASE("NEON depthwise convolution matches the reference") {
  if (!NeonRunnable()) {
    MESSAGE("skipped: the NEON path was not built or the CPU lacks it");
    return;
  }
  static constexpr int kChannels[] = {1, 7, 15, 16, 17, 32, 40};
  static constexpr int kKernels[][2] = {{1, 1}, {3, 3}, {5, 5}, {7, 7}, {1, 4}, {3, 1}, {2, 2}};
  uint64_t seed = 9000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const int channels : kChannels) {
      for (const auto& kernel : kKernels) {
        for (const int stride : {1, 2}) {
          ++seed;
          const int dilation = seed % 3 == 0 ? 2 : 1;
          CAPTURE(channels);
          CAPTURE(kernel[0]);
          CAPTURE(kernel[1]);
          CAPTURE(stride);
          CAPTURE(dilation);
          CAPTURE(static_cast<int>(type));
          CAPTURE(seed);
          RunDepthwiseCase(channels, kernel[0], kernel[1], stride, dilation, type, seed);
        }
      }
    }
  }
}

// Last in this file, so it runs after every case above.
TEST_CASE("The NEON depthwise kernel ran wherever it was built and the CPU has it") {
  if (NeonRunnable()) CHECK(g_neon_runs > 0);
}

}  // namespace
}  // namespace qrt::test
