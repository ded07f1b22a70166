// The NEON convolution and fully connected kernels (both paths: smull/sadalp
// "neon" and sdot "neondot", with their shared packing) against ref::Conv2D and
// ref::FullyConnected, byte for byte (gemm_check.h: guard pages, canaries, random
// output tiles): kernels 1x1 to 5x5 and non-square, strides, dilations, asymmetric
// padding, groups, channel and K remainders of the 16-channel blocks and 16-value
// K steps, K past the 2048-value panel chunk, in-place 1x1 rows with and without a
// K tail, int8 and int4 weights, accumulators at the extremes. Where a path was
// not built or the CPU lacks it the sweeps skip it, but the last test case fails
// if a path was built, the CPU has it and no case ran it. Under qemu-aarch64,
// -cpu max runs both paths and a core without dotprod (cortex-a72) the baseline.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
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
using kernels::FullyConnectedParams;
using kernels::Isa;
using kernels::WeightType;

#if QRT_HAVE_NEON
constexpr bool kNeonBuilt = true;
#else
constexpr bool kNeonBuilt = false;
#endif
#if QRT_HAVE_NEONDOT
constexpr bool kNeonDotBuilt = true;
#else
constexpr bool kNeonDotBuilt = false;
#endif

constexpr std::array<Isa, 2> kNeonPaths = {Isa::kNeon, Isa::kNeonDot};

std::string PathName(Isa isa) { return kernels::IsaName(isa); }

bool Built(Isa isa) { return isa == Isa::kNeon ? kNeonBuilt : kNeonDotBuilt; }
bool Runnable(Isa isa) {
  return Built(isa) && kernels::CpuSupports(kernels::DetectCpuFeatures(), isa);
}

// Kernel runs per path (index 0 neon, 1 neondot), for the coverage check.
std::array<int, 2> g_runs = {0, 0};
int& Runs(Isa isa) { return g_runs[isa == Isa::kNeon ? 0 : 1]; }

// The shape of a convolution case; the rest is drawn.
struct NeonConvShape {
  int kernel_h, kernel_w;
  int stride, dilation;
  int groups, group_in_c, group_out_c;
  bool pad;  // draw padding (else none, so 1x1 kernels read rows in place)
  WeightType type;
};

void RunConvCase(Isa isa, const NeonConvShape& s, uint64_t seed) {
  Rng rng(seed);
  Conv2DParams p{};
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.kernel_h = s.kernel_h;
  p.kernel_w = s.kernel_w;
  p.stride_h = s.stride;
  p.stride_w = rng.Int(0, 3) == 0 ? 3 - s.stride : s.stride;
  p.dilation_h = s.dilation;
  p.dilation_w = s.dilation;
  p.groups = s.groups;
  p.in_c = s.groups * s.group_in_c;
  p.out_c = s.groups * s.group_out_c;
  p.in_h = static_cast<int>(rng.Int(1, 7));
  p.in_w = static_cast<int>(rng.Int(1, 7));
  const DrawnGeometry geometry =
      DrawPaddingAndOutput(&p, s.pad ? p.dilation_h * (p.kernel_h - 1) + 1 : 0,
                           s.pad ? p.dilation_w * (p.kernel_w - 1) + 1 : 0, rng);
  CaseData d;
  DrawCaseData(&p, s.type, rng, &d);
  CAPTURE(geometry);
  Runs(isa) += ExpectGemmMatchesReference(kernels::SelectKernels(isa).conv2d, kernels::ref::Conv2D,
                                          p, d.in, d.weights->data(), d.bias, rng);
}

void RunFullyConnectedCase(Isa isa, int rows, int k, int n, WeightType type, uint64_t seed) {
  Rng rng(seed);
  FullyConnectedParams p;
  CaseData d;
  DrawFullyConnectedCase(rows, k, n, type, rng, &p, &d);
  Runs(isa) += ExpectGemmMatchesReference(kernels::SelectKernels(isa).fully_connected,
                                          kernels::ref::FullyConnected, p, d.in, d.weights->data(),
                                          d.bias, rng);
}

// (Function pointers are compared inside extra parentheses: doctest cannot print them.)
TEST_CASE("SelectKernels: the NEON GEMM kernels at kNeon and kNeonDot") {
  for (const Isa isa : kNeonPaths) {
    CAPTURE(PathName(isa));
    const kernels::KernelTable t = kernels::SelectKernels(isa);
    if (Built(isa)) {
      CHECK(t.conv2d.isa == isa);
      CHECK(t.fully_connected.isa == isa);
      CHECK((t.conv2d.fn != &kernels::ref::Conv2D));
      CHECK((t.fully_connected.fn != &kernels::ref::FullyConnected));
      CHECK((t.conv2d.pack != nullptr));
      CHECK((t.fully_connected.pack != nullptr));
      CHECK(t.conv2d.channel_block == 16);
    } else {
      CHECK(t.conv2d.isa == Isa::kReference);
      CHECK(t.fully_connected.isa == Isa::kReference);
    }
  }
}

TEST_CASE("NEON fully connected matches the reference over M x K x N remainders") {
  static constexpr int kRows[] = {1, 2, 3, 4, 5, 9};
  static constexpr int kKs[] = {1, 3, 8, 15, 16, 17, 33, 100, 257};
  static constexpr int kNs[] = {1, 5, 15, 16, 17, 33, 50};
  for (const Isa isa : kNeonPaths) {
    if (!Runnable(isa)) {
      MESSAGE("skipped: path " << PathName(isa) << " was not built or the CPU lacks it");
      continue;
    }
    uint64_t seed = 0;
    for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
      for (const int rows : kRows) {
        for (const int k : kKs) {
          for (const int n : kNs) {
            ++seed;
            CAPTURE(PathName(isa));
            CAPTURE(rows);
            CAPTURE(k);
            CAPTURE(n);
            CAPTURE(static_cast<int>(type));
            CAPTURE(seed);
            RunFullyConnectedCase(isa, rows, k, n, type, seed);
          }
        }
      }
    }
  }
}

TEST_CASE("NEON fully connected at the accumulator extremes") {
  for (const Isa isa : kNeonPaths) {
    if (!Runnable(isa)) continue;
    CAPTURE(PathName(isa));
    Runs(isa) += ExpectFullyConnectedExtremes(kernels::SelectKernels(isa).fully_connected, 3);
  }
}

TEST_CASE("NEON convolution matches the reference over kernels, strides, dilations and groups") {
  for (const Isa isa : kNeonPaths) {
    if (!Runnable(isa)) {
      MESSAGE("skipped: path " << PathName(isa) << " was not built or the CPU lacks it");
      continue;
    }
    uint64_t seed = 1000;
    for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
      for (const int kernel : {1, 3, 5}) {
        for (const int stride : {1, 2}) {
          for (const int dilation : {1, 2}) {
            for (int i = 0; i < 6; ++i) {
              ++seed;
              Rng rng(seed);
              NeonConvShape s{};
              s.kernel_h = kernel;
              s.kernel_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(1, 4)) : kernel;
              s.stride = stride;
              s.dilation = dilation;
              s.groups = rng.Int(0, 2) == 0 ? static_cast<int>(rng.Int(2, 3)) : 1;
              s.group_in_c = static_cast<int>(rng.Int(1, 40));
              s.group_out_c = static_cast<int>(rng.Int(1, 35));
              s.pad = rng.Int(0, 2) != 0;
              s.type = type;
              CAPTURE(PathName(isa));
              CAPTURE(s.kernel_h);
              CAPTURE(s.kernel_w);
              CAPTURE(stride);
              CAPTURE(dilation);
              CAPTURE(s.groups);
              CAPTURE(s.group_in_c);
              CAPTURE(s.group_out_c);
              CAPTURE(s.pad);
              CAPTURE(static_cast<int>(type));
              CAPTURE(seed);
              RunConvCase(isa, s, seed);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("NEON convolution with one channel per group, long K and wide groups") {
  // {kernel, groups, group_in_c, group_out_c, pad}: depthwise-like groups (also with
  // a channel multiplier), K = 9 * 240 and 25 * 90 past the 2048-value chunk, a 1x1
  // in-place K of 2100 with a tail, and 136 channels past the 8-block parking.
  static constexpr int kShapes[][5] = {{3, 5, 1, 1, 1},   {3, 4, 1, 2, 1},    {3, 1, 240, 9, 1},
                                       {5, 1, 90, 17, 1}, {1, 1, 2100, 5, 0}, {1, 2, 48, 136, 0},
                                       {3, 2, 6, 136, 1}};
  for (const Isa isa : kNeonPaths) {
    if (!Runnable(isa)) continue;
    uint64_t seed = 5000;
    for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
      for (const auto& shape : kShapes) {
        for (int i = 0; i < 2; ++i) {
          ++seed;
          const NeonConvShape s{shape[0], shape[0], 1 + i % 2,     1,   shape[1],
                                shape[2], shape[3], shape[4] != 0, type};
          CAPTURE(PathName(isa));
          CAPTURE(shape[0]);
          CAPTURE(s.groups);
          CAPTURE(s.group_in_c);
          CAPTURE(s.group_out_c);
          CAPTURE(static_cast<int>(type));
          CAPTURE(seed);
          RunConvCase(isa, s, seed);
        }
      }
    }
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("Each NEON GEMM path ran wherever it was built and the CPU has it") {
  for (const Isa isa : kNeonPaths) {
    CAPTURE(PathName(isa));
    if (Runnable(isa)) CHECK(Runs(isa) > 0);
  }
}

}  // namespace
}  // namespace qrt::test
