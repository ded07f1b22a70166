// The AVX2 convolution kernel (with its packing) against ref::Conv2D, byte for
// byte (gemm_check.h: guard pages, canaries, random output tiles): kernels 1x1 to
// 7x7 and non-square, strides, dilations, asymmetric padding, groups (also one
// input channel per group), odd channel counts, K past the 1024-value chunk and
// groups past the 128-channel panel, int8 and int4 weights. Where the path was not
// built or the CPU lacks AVX2 the sweeps report a skip, but the last test case
// fails if the path was built, the CPU has it and no case ran it.
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

using kernels::Conv2DKernel;
using kernels::Conv2DParams;
using kernels::Isa;
using kernels::WeightType;

#if QRT_HAVE_AVX2
constexpr bool kAvx2Built = true;
#else
constexpr bool kAvx2Built = false;
#endif

constexpr char kSkipMessage[] = "skipped: the AVX2 path was not built or the CPU lacks it";

// Kernel runs of the AVX2 convolution, for the coverage check at the end.
int g_avx2_runs = 0;

bool Avx2Runnable() {
  return kAvx2Built && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx2);
}

Conv2DKernel Avx2Conv2D() { return kernels::SelectKernels(Isa::kAvx2).conv2d; }

// One random case of shape s (conv_cases.h: DrawConvCase) on the AVX2 kernel.
void RunRandomCase(const ConvShape& s, uint64_t seed) {
  Rng rng(seed);
  Conv2DParams p;
  CaseData d;
  const DrawnGeometry geometry = DrawConvCase(s, rng, &p, &d);
  CAPTURE(geometry);
  g_avx2_runs += ExpectGemmMatchesReference(Avx2Conv2D(), kernels::ref::Conv2D, p, d.in,
                                            d.weights->data(), d.bias, rng);
}

TEST_CASE("SelectKernels: the AVX2 convolution at kAvx2, the reference below") {
  CHECK(kernels::SelectKernels(Isa::kReference).conv2d.isa == Isa::kReference);
  const Conv2DKernel avx2 = Avx2Conv2D();
  if (kAvx2Built) {
    CHECK(avx2.isa == Isa::kAvx2);
    CHECK((avx2.fn != &kernels::ref::Conv2D));
    CHECK((avx2.packed_size != nullptr));
    CHECK((avx2.pack != nullptr));
  } else {
    CHECK(avx2.isa == Isa::kReference);
  }
}

TEST_CASE("AVX2 convolution matches the reference over kernels, strides and dilations") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  SweepKernelsStridesDilations(40, 35, RunRandomCase);
}

TEST_CASE("AVX2 convolution with one input channel per group, long K and wide groups") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  // {kernel, groups, group_in_c, group_out_c}: depthwise-like groups (also with a
  // channel multiplier), K = 9 * 120 and 49 * 23 past the 1024-value chunk, and
  // groups of 129 and 136 channels past the 128-channel panel.
  static constexpr int kShapes[][4] = {{3, 5, 1, 1},   {3, 4, 1, 2},    {5, 7, 1, 3},
                                       {3, 1, 120, 9}, {7, 1, 23, 17},  {1, 1, 5, 129},
                                       {3, 2, 6, 136}, {3, 2, 120, 130}};
  uint64_t seed = 5000;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const auto& shape : kShapes) {
      for (int i = 0; i < 3; ++i) {
        ++seed;
        ConvShape s{shape[0], shape[0], 1 + i % 2, 1 + i % 2, 1,   1,
                    shape[1], shape[2], shape[3],  9,         type};
        CAPTURE(s);
        CAPTURE(seed);
        RunRandomCase(s, seed);
      }
    }
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("The AVX2 convolution kernel ran wherever it was built and the CPU has it") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  CHECK(g_avx2_runs > 0);
}

}  // namespace
}  // namespace qrt::test
