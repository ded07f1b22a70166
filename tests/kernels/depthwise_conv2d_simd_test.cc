// The x86 depthwise convolution kernels (AVX2 and AVX-512 VNNI, with their
// packing) against ref::Conv2D, byte for byte (gemm_check.h: guard pages,
// canaries, random output tiles): channel counts around every block width,
// kernels 1x1 to 7x7 and 1xN / Nx1, strides, dilations, asymmetric padding,
// batches, rows long enough for several column chunks, kernels too wide for the
// column buffer, 5x5 rows realigned to the few input rows of short images,
// int8 and int4 weights, and quantizations that put blocks in the
// fast and the exact requantization mode. Every path that was built and that the
// CPU supports runs; the last test case fails if such a path ran no case, or if a
// requantization mode never ran.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kernels/conv_cases.h"
#include "kernels/gemm_check.h"
#include "kernels/oracle.h"
#include "pack/depthwise_conv2d_tap_dwords.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Conv2DKernel;
using kernels::Conv2DParams;
using kernels::Isa;
using kernels::WeightType;

struct Path {
  Isa isa;
  bool built;
  int runs = 0;
};

Path g_paths[] = {
#if QRT_HAVE_AVX2
    {Isa::kAvx2, true},
#else
    {Isa::kAvx2, false},
#endif
#if QRT_HAVE_AVX512VNNI
    {Isa::kAvx512Vnni, true},
#else
    {Isa::kAvx512Vnni, false},
#endif
};

// Cases whose first block packed in each requantization mode.
int g_fast_blocks = 0;
int g_exact_blocks = 0;

bool Runnable(const Path& path) {
  return path.built && kernels::CpuSupports(kernels::DetectCpuFeatures(), path.isa);
}

Conv2DKernel Depthwise(Isa isa) { return kernels::SelectKernels(isa).depthwise_conv2d; }

struct DwShape {
  int channels;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int max_in_h, max_in_w;
  WeightType type;
};

// Counts the requantization mode the first block of p packs in.
void CountFirstBlockMode(const Conv2DKernel& kernel, const Conv2DParams& p, const void* weights,
                         const std::vector<int32_t>& bias) {
  std::unique_ptr<uint8_t, GemmFreeDeleter> packed(
      static_cast<uint8_t*>(std::aligned_alloc(64, (kernel.packed_size(p) + 63) / 64 * 64)));
  REQUIRE(packed != nullptr);
  kernel.pack(p, weights, bias.data(), packed.get());
  int32_t mode = 0;
  std::memcpy(&mode, packed.get(), sizeof(mode));
  ++(mode == kernels::kDwRequantFast ? g_fast_blocks : g_exact_blocks);
}

// One random case of shape s on every runnable path: image size, padding
// (asymmetric, up to the whole receptive field), batch, zero points, data and
// quantization drawn from seed.
void RunRandomCase(const DwShape& s, uint64_t seed) {
  Rng rng(seed);
  Conv2DParams p{};
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.in_c = p.out_c = p.groups = s.channels;
  p.kernel_h = s.kernel_h;
  p.kernel_w = s.kernel_w;
  p.stride_h = s.stride_h;
  p.stride_w = s.stride_w;
  p.dilation_h = s.dilation_h;
  p.dilation_w = s.dilation_w;
  p.in_h = static_cast<int>(rng.Int(1, s.max_in_h));
  p.in_w = static_cast<int>(rng.Int(1, s.max_in_w));
  // Each side padded by less than the dilated kernel (more would add only
  // windows entirely in the padding).
  const DrawnGeometry geometry = DrawPaddingAndOutput(&p, p.dilation_h * (p.kernel_h - 1),
                                                      p.dilation_w * (p.kernel_w - 1), rng);
  p.input_zero_point = rng.ZeroPoint();
  p.weight_type = s.type;
  const bool int4 = s.type == WeightType::kInt4;
  const int32_t w_min = int4 ? -8 : -128;
  const int32_t w_max = int4 ? 7 : 127;
  const auto channels = static_cast<size_t>(p.out_c);
  const auto taps = static_cast<size_t>(p.kernel_h) * static_cast<size_t>(p.kernel_w);
  std::vector<int8_t> w = rng.Int8s(channels * taps, w_min, w_max);
  if (rng.Int(0, 3) == 0) {
    for (int8_t& v : w) v = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
  }
  std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * channels);
  if (rng.Int(0, 7) == 0) {
    std::fill(in.begin(), in.end(), static_cast<int8_t>(rng.Bool() ? -128 : 127));
  }
  // Now and then a bias anywhere in int32, so accumulators wrap as the reference's do.
  const std::vector<int32_t> bias = rng.Int(0, 7) == 0 ? rng.Int32s(channels, INT32_MIN, INT32_MAX)
                                                       : rng.Int32s(channels, -5000, 5000);
  std::vector<int64_t> lo;
  std::vector<int64_t> hi;
  ConvAccumulatorRanges(p, in, w, bias, &lo, &hi);
  // Half the cases with a calibrated-like quantization only (blocks in the fast
  // mode), half with DrawRequantForRanges's extremes too (mostly the exact mode).
  DrawnRequant requant;
  if (rng.Bool()) {
    for (size_t c = 0; c < channels; ++c) {
      const OutputQuant q = OutputQuantForRange(lo[c], hi[c], rng);
      requant.requant.Push(q.requant);
      if (c == 0) requant.zero_point = q.zero_point;
    }
    requant.clamp = DrawClamp(requant.zero_point, rng);
  } else {
    requant = DrawRequantForRanges(lo, hi, rng);
  }
  p.output_zero_point = requant.zero_point;
  p.requant = requant.requant.View();
  p.clamp = requant.clamp;
  const KernelWeights weights(w, s.type, channels, taps);
  CAPTURE(geometry);
  for (Path& path : g_paths) {
    if (!Runnable(path)) continue;
    const std::string isa_name = kernels::IsaName(path.isa);
    CAPTURE(isa_name);
    const Conv2DKernel kernel = Depthwise(path.isa);
    CountFirstBlockMode(kernel, p, weights.data(), bias);
    path.runs +=
        ExpectGemmMatchesReference(kernel, kernels::ref::Conv2D, p, in, weights.data(), bias, rng);
  }
}

TEST_CASE("SelectKernels: each x86 path's depthwise convolution, the reference below") {
  CHECK(Depthwise(Isa::kReference).isa == Isa::kReference);
  CHECK((Depthwise(Isa::kReference).fn == &kernels::ref::Conv2D));
  for (const Path& path : g_paths) {
    const Conv2DKernel kernel = Depthwise(path.isa);
    const std::string isa_name = kernels::IsaName(path.isa);
    CAPTURE(isa_name);
    if (path.built) {
      CHECK(kernel.isa == path.isa);
      CHECK((kernel.fn != &kernels::ref::Conv2D));
      CHECK((kernel.packed_size != nullptr));
      CHECK((kernel.pack != nullptr));
    } else {
      CHECK(kernel.isa != path.isa);
    }
  }
}

TEST_CASE("Depthwise convolution matches the reference over channels and kernel shapes") {
  struct KernelSize {
    int h, w;
  };
  // Kernels 3 wide take the sliding-column path (at stride and dilation 1 in
  // width), those at most 3 high two output rows at a time on VNNI; 4x3 fills
  // all four taps of a dword.
  static constexpr KernelSize kKernels[] = {{1, 1}, {2, 2}, {3, 3}, {4, 4}, {5, 5}, {6, 6}, {7, 7},
                                            {1, 5}, {5, 1}, {1, 3}, {3, 1}, {9, 2}, {2, 3}, {4, 3}};
  uint64_t seed = 5000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const KernelSize k : kKernels) {
      for (int i = 0; i < 40; ++i) {
        ++seed;
        Rng rng(seed);
        DwShape s{};
        // Odd counts 1..69, and now and then one on or next to a block boundary.
        s.channels =
            rng.Int(0, 3) == 0
                ? static_cast<int>(rng.Pick<int64_t>({16, 31, 32, 33, 63, 64, 65, 96, 128, 144}))
                : static_cast<int>(2 * rng.Int(0, 34) + 1);
        s.kernel_h = k.h;
        s.kernel_w = k.w;
        s.stride_h = static_cast<int>(rng.Int(1, 2));
        s.stride_w = static_cast<int>(rng.Int(1, 2));
        s.dilation_h = static_cast<int>(rng.Int(1, 2));
        s.dilation_w = static_cast<int>(rng.Int(1, 2));
        s.max_in_h = 9;
        s.max_in_w = 12;
        s.type = type;
        CAPTURE(s.channels);
        CAPTURE(s.kernel_h);
        CAPTURE(s.kernel_w);
        CAPTURE(s.stride_h);
        CAPTURE(s.stride_w);
        CAPTURE(s.dilation_h);
        CAPTURE(s.dilation_w);
        CAPTURE(static_cast<int>(type));
        CAPTURE(seed);
        RunRandomCase(s, seed);
      }
    }
  }
}

TEST_CASE("Depthwise convolution over long rows and kernels wider than the column buffer") {
  // Rows of up to 150 pixels take several column chunks of the buffer; 1x40 with
  // dilation 2 spans 79 columns, more than the buffer holds, and runs per pixel.
  // 3x3 at stride 1 slides its columns, two rows at a time; on VNNI a last
  // block of 32 channels (32 channels) runs two pixels per vector and one that
  // computes at most 16 (144 = 64 + 64 + 16, 24) four.
  static constexpr DwShape kShapes[] = {
      {70, 3, 3, 1, 1, 1, 1, 4, 150, WeightType::kInt8},
      {32, 3, 3, 1, 1, 1, 1, 7, 61, WeightType::kInt8},
      {144, 3, 3, 1, 1, 1, 1, 7, 41, WeightType::kInt4},
      {24, 2, 3, 1, 1, 1, 1, 7, 33, WeightType::kInt8},
      {33, 5, 5, 1, 1, 1, 1, 6, 150, WeightType::kInt4},
      {64, 7, 7, 1, 2, 2, 2, 14, 150, WeightType::kInt8},
      {17, 1, 40, 1, 1, 1, 2, 2, 120, WeightType::kInt8},
      {40, 3, 3, 2, 2, 1, 1, 5, 150, WeightType::kInt4},
      // 5x5 on images at most 3 high: every row sees at most 3 input rows, so
      // each runs on realigned weights (one row group of 4 taps, not two).
      {200, 5, 5, 1, 1, 1, 1, 2, 100, WeightType::kInt8},
      {104, 5, 5, 2, 1, 1, 1, 3, 100, WeightType::kInt4},
      {88, 5, 5, 1, 1, 1, 1, 3, 100, WeightType::kInt8},
  };
  uint64_t seed = 9000;
  for (const DwShape& s : kShapes) {
    for (int i = 0; i < 6; ++i) {
      ++seed;
      CAPTURE(s.channels);
      CAPTURE(s.kernel_h);
      CAPTURE(s.kernel_w);
      CAPTURE(seed);
      RunRandomCase(s, seed);
    }
  }
}

// Dead channels (weights 0, or +-1 with the tiny multiplier a calibration gives
// them, shift 58-60; one with a bias far from 0) beside live ones, with an output
// zero point: its zy * 2^(s - 32)
// does not fit the fast mode's addend, but every accumulator it can have
// requantizes to one value, so it must leave its block in the fast mode (a block
// in the exact mode runs 4x slower: the PP-OCRv4 recogniser had four such
// layers), and give the reference's bytes.
TEST_CASE("A dead channel keeps its depthwise block in the fast mode") {
  Rng rng(77);
  Conv2DParams p{};
  p.batch = 1;
  p.in_h = p.in_w = 6;
  p.in_c = p.out_c = p.groups = 64;
  p.kernel_h = p.kernel_w = 3;
  p.stride_h = p.stride_w = p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = 1;
  p.out_h = p.out_w = 6;
  p.input_zero_point = 5;
  p.output_zero_point = -77;
  p.clamp = {-128, 127};
  p.weight_type = WeightType::kInt8;
  std::vector<int8_t> w = rng.Int8s(64 * 9);
  std::fill_n(w.begin() + 10 * 9, 9, int8_t{0});
  for (int t = 0; t < 9; ++t) w[20 * 9 + t] = static_cast<int8_t>(t % 2 == 0 ? 1 : -1);
  std::fill_n(w.begin() + 30 * 9, 9, int8_t{0});
  // Channel 30's constant is 4: bias 2^30 at a multiplier of 2^-28.
  std::vector<int32_t> bias = rng.Int32s(64, -5000, 5000);
  bias[30] = 1 << 30;
  ChannelRequantStorage requant;
  for (int c = 0; c < 64; ++c) {
    requant.Push(c == 10 || c == 20 ? kernels::Dyadic{1627914240, 60}
                 : c == 30          ? kernels::Dyadic{1 << 30, 58}
                                    : MustQuantizeMultiplier(0.0005));
  }
  p.requant = requant.View();
  const std::vector<int8_t> in = rng.Int8s(6 * 6 * 64);
  const KernelWeights weights(w, WeightType::kInt8, 64, 9);
  for (Path& path : g_paths) {
    if (!Runnable(path)) continue;
    const std::string isa_name = kernels::IsaName(path.isa);
    CAPTURE(isa_name);
    const Conv2DKernel kernel = Depthwise(path.isa);
    std::unique_ptr<uint8_t, GemmFreeDeleter> packed(
        static_cast<uint8_t*>(std::aligned_alloc(64, (kernel.packed_size(p) + 63) / 64 * 64)));
    REQUIRE(packed != nullptr);
    kernel.pack(p, weights.data(), bias.data(), packed.get());
    int32_t mode = 0;
    std::memcpy(&mode, packed.get(), sizeof(mode));
    CHECK(mode == kernels::kDwRequantFast);
    path.runs +=
        ExpectGemmMatchesReference(kernel, kernels::ref::Conv2D, p, in, weights.data(), bias, rng);
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("Every depthwise path built and supported ran, in both requantization modes") {
  bool any = false;
  for (const Path& path : g_paths) {
    const std::string isa_name = kernels::IsaName(path.isa);
    CAPTURE(isa_name);
    if (!Runnable(path)) {
      MESSAGE("skipped: the path was not built or the CPU lacks it");
      continue;
    }
    any = true;
    CHECK(path.runs > 0);
  }
  if (any) {
    CHECK(g_fast_blocks > 0);
    CHECK(g_exact_blocks > 0);
  }
}

}  // namespace
}  // namespace qrt::test
