// The AVX-512 VNNI convolution kernel (with its packing) against ref::Conv2D,
// byte for byte (gemm_check.h: guard pages, canaries, random output tiles):
// kernels 1x1 to 7x7 and non-square, strides 1-2, dilations, asymmetric padding
// (also windows entirely in the padding), groups 1-3 with channel counts off the
// 4-value (int8) and 8-value (int4) K groups and the 16-channel blocks, pixel
// counts off the 4-pixel tile, batch 1-2, random zero points, multipliers, shifts
// and clamps, int8 and int4 weights; pointwise convolutions (1x1, stride 1, no
// padding), which the kernel runs on its own row-contiguous tiles; image stems
// (fewer input channels than a K group, 3x3 stride 2, images of many tiles), whose
// one partial K group the kernel reads whole except in the tiles at the input's
// end; padded images of many tiles (the kernel tiles the pixels whose windows
// cross the left and right edges by column and skips kernel positions outside the
// input). Where the CPU also has AVX-512 VBMI, every case runs both entry points:
// qs8_conv2d_6x16c4__avx512vnni and the dispatch table's
// qs8_conv2d_6x16c4__avx512vbmi, whose image stems (at most 4 input and 64
// output channels) take 16-pixel tiles of their own, swept over kernels,
// strides, dilations, padding and images of many tiles. Where the path was not
// built or the CPU lacks it the sweeps report a skip, but the last test case fails
// if the path was built, the CPU has it and some tile variant the kernel picks
// from the parameters (pointwise or not, tall tiles of up to 2 blocks or wide
// ones, int8 or int4, image stems, pair blocks, VBMI stem tiles) never ran.
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
#if QRT_HAVE_AVX512VNNI
#include "x86/avx512vnni/avx512vnni.h"
#endif

namespace qrt::test {
namespace {

using kernels::Conv2DKernel;
using kernels::Conv2DParams;
using kernels::Isa;
using kernels::WeightType;

#if QRT_HAVE_AVX512VNNI
constexpr bool kVnniBuilt = true;
#else
constexpr bool kVnniBuilt = false;
#endif

constexpr char kSkipMessage[] = "skipped: the AVX-512 VNNI path was not built or the CPU lacks it";

// Kernel runs of the VNNI convolution per tile variant, for the coverage check at
// the end: [int4][pointwise][tall]. The kernel takes the pointwise tiles for 1x1
// convolutions with stride 1 and no padding, and tall tiles for channel tiles of
// up to 2 blocks of 16, which a whole-output run of groups of at most 32 output
// channels has (more channels give channel tiles of 3 or 4 blocks).
int g_vnni_runs[2][2][2] = {};
// Kernel runs of the image stem cases, [int4].
int g_stem_runs[2] = {};
// Kernel runs of cases whose last channel block of each group runs as a pair
// block (at most 8 channels, int8, whole K groups and K >= 64: every channel
// tile ending there takes it), [pointwise].
int g_pair_runs[2] = {};
// Runs of qs8_conv2d_6x16c4__avx512vbmi on cases it takes its stem tiles for,
// [some multiplier reaches 1: the tiles clamp their accumulators][more than one
// channel block].
int g_vbmi_stem_runs[2][2] = {};

bool VnniRunnable() {
  return kVnniBuilt && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx512Vnni);
}

Conv2DKernel VnniConv2D() { return kernels::SelectKernels(Isa::kAvx512Vnni).conv2d; }

bool CpuHasVbmi() { return kernels::DetectCpuFeatures().avx512_vbmi; }

// The VNNI entry points the CPU runs: the dispatch table's, and where that is the
// VBMI one, the plain VNNI one too.
std::vector<Conv2DKernel> VnniConv2Ds() {
  std::vector<Conv2DKernel> kernels = {VnniConv2D()};
#if QRT_HAVE_AVX512VNNI
  if (CpuHasVbmi()) {
    Conv2DKernel plain = kernels[0];
    plain.fn = &kernels::qs8_conv2d_6x16c4__avx512vnni;
    kernels.push_back(plain);
  }
#endif
  return kernels;
}

// Whether qs8_conv2d_6x16c4__avx512vbmi runs p on its stem tiles (the kernel's
// RunsStem).
bool TakesStemTiles(const Conv2DParams& p, bool pointwise) {
  const int64_t span =
      (15 * int64_t{p.stride_w} + int64_t{p.kernel_w - 1} * p.dilation_w + 1) * p.in_c;
  return CpuHasVbmi() && !pointwise && p.groups == 1 && p.weight_type == WeightType::kInt8 &&
         p.in_c <= 4 && p.out_c <= 64 && span <= 128 && p.kernel_h * p.kernel_w <= 49;
}

// The number of kernel runs (ExpectGemmMatchesReference) of a random case of shape
// s (conv_cases.h: DrawConvCase).
int RunRandomCase(const ConvShape& s, uint64_t seed) {
  Rng rng(seed);
  Conv2DParams p;
  CaseData d;
  const DrawnGeometry geometry = DrawConvCase(s, rng, &p, &d);
  CAPTURE(geometry);
  const bool pointwise = p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
                         p.pad_top == 0 && p.pad_left == 0 && p.out_h == p.in_h &&
                         p.out_w == p.in_w;
  const bool tall = s.group_out_c <= 32;
  const bool int4 = s.type == WeightType::kInt4;
  int runs = 0;
  for (const Conv2DKernel& kernel : VnniConv2Ds()) {
    runs += ExpectGemmMatchesReference(kernel, kernels::ref::Conv2D, p, d.in, d.weights->data(),
                                       d.bias, rng);
  }
  if (TakesStemTiles(p, pointwise)) {
    const bool clamp = std::any_of(p.requant.shift, p.requant.shift + p.out_c,
                                   [](int32_t shift) { return shift < 31; });
    g_vbmi_stem_runs[clamp][p.out_c > 16] += runs;
  }
  g_vnni_runs[int4][pointwise][tall] += runs;
  const int k = s.kernel_h * s.kernel_w * s.group_in_c;
  const int last_block = s.group_out_c % 16;
  if (!int4 && s.group_in_c % 4 == 0 && last_block >= 1 && last_block <= 8 && k >= 64) {
    g_pair_runs[pointwise] += runs;
  }
  return runs;
}

// (Function pointers are compared inside extra parentheses: doctest cannot print them.)
TEST_CASE("SelectKernels: the VNNI convolution at kAvx512Vnni only") {
  CHECK(kernels::SelectKernels(Isa::kReference).conv2d.isa == Isa::kReference);
  CHECK(kernels::SelectKernels(Isa::kAvx2).conv2d.isa != Isa::kAvx512Vnni);
  const Conv2DKernel vnni = VnniConv2D();
  if (kVnniBuilt) {
    CHECK(vnni.isa == Isa::kAvx512Vnni);
    CHECK((vnni.fn != &kernels::ref::Conv2D));
    CHECK((vnni.packed_size != nullptr));
    CHECK((vnni.pack != nullptr));
    CHECK(vnni.channel_block == 16);
  } else {
    CHECK(vnni.isa != Isa::kAvx512Vnni);
  }
}

TEST_CASE("VNNI convolution matches the reference over kernels, strides and dilations") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  SweepKernelsStridesDilations(12, 70, RunRandomCase);
}

TEST_CASE("VNNI convolution over channel counts around its K groups and channel blocks") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  // {kernel, groups, group_in_c, group_out_c}: in_c 1..9 and 15..17 around the
  // 4- and 8-value K groups; out_c around 16, 64 (one tile) and 144 (9 blocks);
  // groups whose channels straddle 16-channel blocks; one channel per group
  // (depthwise-like, also with a multiplier); a long K (7x7x64).
  static constexpr int kShapes[][4] = {
      {1, 1, 1, 1},   {1, 1, 2, 15},  {1, 1, 3, 16},  {1, 1, 4, 17},   {1, 1, 5, 33},
      {1, 1, 7, 64},  {1, 1, 8, 65},  {1, 1, 9, 144}, {1, 1, 15, 48},  {1, 1, 16, 80},
      {1, 1, 17, 31}, {3, 1, 3, 32},  {3, 1, 24, 20}, {3, 2, 5, 20},   {3, 3, 8, 24},
      {1, 3, 16, 40}, {3, 4, 1, 1},   {3, 5, 1, 3},   {5, 2, 12, 13},  {7, 1, 64, 18},
      {3, 1, 64, 64}, {1, 2, 33, 72}, {3, 3, 6, 7},   {1, 1, 64, 200}, {7, 2, 3, 9}};
  uint64_t seed = 5000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const auto& shape : kShapes) {
      for (int i = 0; i < 3; ++i) {
        ++seed;
        ConvShape s{shape[0], shape[0], 1 + i % 2, 1 + i % 2, 1,   1 + i / 2,
                    shape[1], shape[2], shape[3],  11,        type};
        CAPTURE(s);
        CAPTURE(seed);
        RunRandomCase(s, seed);
      }
    }
  }
}

TEST_CASE("VNNI pointwise convolution (1x1, stride 1, no padding) over channel counts") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  uint64_t seed = 9000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (int i = 0; i < 40; ++i) {
      ++seed;
      Rng rng(seed);
      ConvShape s{};
      s.kernel_h = s.kernel_w = 1;
      s.stride_h = s.stride_w = 1;
      s.dilation_h = s.dilation_w = 1;
      s.groups = rng.Int(0, 3) == 0 ? 2 : 1;
      s.group_in_c = static_cast<int>(rng.Int(1, 80));
      // Half the cases tall tiles (up to 32 channels), half wide ones.
      s.group_out_c = static_cast<int>(i % 2 == 0 ? rng.Int(1, 32) : rng.Int(33, 150));
      s.max_image = 11;
      s.type = type;
      s.no_padding = true;
      CAPTURE(s);
      CAPTURE(seed);
      RunRandomCase(s, seed);
    }
  }
}

// The ranges of DrawWindowedShape.
struct WindowedRanges {
  std::vector<int> kernel_h;  // drawn from
  int max_kernel_w;           // a quarter of the shapes, else square
  int max_stride;
  int max_in_c, max_out_c;
  int min_image, max_image;
  WeightType type;
};

// A one-group shape with padding: kernel_h from r.kernel_h, a quarter of the
// shapes another width, strides from 1 to r.max_stride, dilations 1 (a quarter 2),
// channels and image sizes in r's ranges.
ConvShape DrawWindowedShape(Rng& rng, const WindowedRanges& r) {
  ConvShape s{};
  s.kernel_h = rng.Pick<int>(r.kernel_h);
  s.kernel_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(1, r.max_kernel_w)) : s.kernel_h;
  s.stride_h = static_cast<int>(rng.Int(1, r.max_stride));
  s.stride_w = static_cast<int>(rng.Int(1, r.max_stride));
  s.dilation_h = rng.Int(0, 3) == 0 ? 2 : 1;
  s.dilation_w = rng.Int(0, 3) == 0 ? 2 : 1;
  s.groups = 1;
  s.group_in_c = static_cast<int>(rng.Int(1, r.max_in_c));
  s.group_out_c = static_cast<int>(rng.Int(1, r.max_out_c));
  s.min_image = r.min_image;
  s.max_image = r.max_image;
  s.type = r.type;
  return s;
}

TEST_CASE("VNNI convolution over padded images of many tiles") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  // Images of up to 24 x 24, so that the kernel's bands of output rows and its
  // columns at the left and right edges (whose tiles skip the kernel positions
  // outside the input) hold several tiles, of every width of channel tile.
  uint64_t seed = 14000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (int i = 0; i < 16; ++i) {
      ++seed;
      Rng rng(seed);
      const ConvShape s = DrawWindowedShape(rng, {{3, 3, 3, 5}, 5, 2, 20, 80, 12, 24, type});
      CAPTURE(s);
      CAPTURE(seed);
      RunRandomCase(s, seed);
    }
  }
}

TEST_CASE("VNNI convolution of image stems (a partial K group read whole)") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  uint64_t seed = 12000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    const int group_values = type == WeightType::kInt4 ? 8 : 4;
    for (int in_c = 1; in_c < group_values; ++in_c) {
      for (int i = 0; i < 4; ++i) {
        ++seed;
        ConvShape s{3, 3, 2, 2, 1, 1, 1, in_c, i % 2 == 0 ? 8 : 16, 20, type};
        s.min_image = 8;
        CAPTURE(s);
        CAPTURE(seed);
        g_stem_runs[type == WeightType::kInt4] += RunRandomCase(s, seed);
      }
    }
  }
}

TEST_CASE("VNNI convolution of image stems on 16-pixel tiles (AVX-512 VBMI)") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  if (!CpuHasVbmi()) MESSAGE("the CPU has no AVX-512 VBMI: its stem tiles are not tested");
  // in_c 1-4 and out_c 1-64 (the stem tiles' range), kernels 1x1 (strided or
  // padded: not pointwise) to 7x7 and non-square, strides 1-3, dilations 1-2,
  // images up to 40 wide: rows of several 16-pixel tiles, windows across the
  // left and right edges, tiles cut by the output tile's bounds.
  uint64_t seed = 16000;
  for (int i = 0; i < 80; ++i) {
    ++seed;
    Rng rng(seed);
    const ConvShape s = DrawWindowedShape(
        rng, {{1, 3, 3, 5, 7}, 7, 3, 4, i % 2 == 0 ? 16 : 64, 8, 40, WeightType::kInt8});
    CAPTURE(s);
    CAPTURE(seed);
    RunRandomCase(s, seed);
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("The VNNI convolution kernel ran wherever it was built and the CPU has it") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  for (const int int4 : {0, 1}) {
    for (const int pointwise : {0, 1}) {
      for (const int tall : {0, 1}) {
        CAPTURE(int4);
        CAPTURE(pointwise);
        CAPTURE(tall);
        CHECK(g_vnni_runs[int4][pointwise][tall] > 0);
      }
    }
    CAPTURE(int4);
    CHECK(g_stem_runs[int4] > 0);
  }
  CHECK(g_pair_runs[0] > 0);
  CHECK(g_pair_runs[1] > 0);
  if (CpuHasVbmi()) {
    for (const int clamp : {0, 1}) {
      for (const int blocks : {0, 1}) {
        CAPTURE(clamp);
        CAPTURE(blocks);
        CHECK(g_vbmi_stem_runs[clamp][blocks] > 0);
      }
    }
  }
}

}  // namespace
}  // namespace qrt::test
