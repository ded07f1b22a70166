// The AVX2 fully connected kernel (with its packing) against ref::FullyConnected,
// byte for byte (gemm_check.h: guard pages, canaries, random output tiles), over
// every remainder of its 4-row x 16-channel tiles and K padding, the 1024-value K
// chunks and the 128-channel panel reuse, for int8 and int4 weights. Where the
// path was not built or the CPU lacks AVX2 the sweeps report a skip, but the last
// test case fails if the path was built, the CPU has it and no case ran it.
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

using kernels::FullyConnectedKernel;
using kernels::FullyConnectedParams;
using kernels::Isa;
using kernels::WeightType;

#if QRT_HAVE_AVX2
constexpr bool kAvx2Built = true;
#else
constexpr bool kAvx2Built = false;
#endif

constexpr char kSkipMessage[] = "skipped: the AVX2 path was not built or the CPU lacks it";

// Kernel runs of the AVX2 fully connected, for the coverage check at the end.
int g_avx2_runs = 0;

bool Avx2Runnable() {
  return kAvx2Built && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx2);
}

FullyConnectedKernel Avx2FullyConnected() {
  return kernels::SelectKernels(Isa::kAvx2).fully_connected;
}

// One random case of shape rows x in_features k x out_features n.
void RunRandomCase(int rows, int k, int n, WeightType type, uint64_t seed) {
  Rng rng(seed);
  FullyConnectedParams p;
  CaseData d;
  DrawFullyConnectedCase(rows, k, n, type, rng, &p, &d);
  g_avx2_runs += ExpectGemmMatchesReference(Avx2FullyConnected(), kernels::ref::FullyConnected, p,
                                            d.in, d.weights->data(), d.bias, rng);
}

// (Function pointers are compared inside extra parentheses: doctest cannot print them.)
TEST_CASE("SelectKernels: the AVX2 fully connected at kAvx2, the reference below") {
  CHECK(kernels::SelectKernels(Isa::kReference).fully_connected.isa == Isa::kReference);
  const FullyConnectedKernel avx2 = Avx2FullyConnected();
  if (kAvx2Built) {
    CHECK(avx2.isa == Isa::kAvx2);
    CHECK((avx2.fn != &kernels::ref::FullyConnected));
    CHECK((avx2.packed_size != nullptr));
    CHECK((avx2.pack != nullptr));
  } else {
    CHECK(avx2.isa == Isa::kReference);
  }
}

TEST_CASE("AVX2 fully connected matches the reference over M x K x N remainders") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  static constexpr int kRows[] = {1, 2, 3, 4, 5, 6, 9};
  static constexpr int kKs[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 33, 100, 1023, 1024, 1025, 2100};
  static constexpr int kNs[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 31, 33, 129, 136, 161};
  uint64_t seed = 0;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const int rows : kRows) {
      for (const int k : kKs) {
        for (const int n : kNs) {
          ++seed;
          CAPTURE(rows);
          CAPTURE(k);
          CAPTURE(n);
          CAPTURE(static_cast<int>(type));
          CAPTURE(seed);
          RunRandomCase(rows, k, n, type, seed);
        }
      }
    }
  }
}

TEST_CASE("AVX2 fully connected at the accumulator extremes") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  g_avx2_runs += ExpectFullyConnectedExtremes(Avx2FullyConnected(), 5);
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("The AVX2 fully connected kernel ran wherever it was built and the CPU has it") {
  if (!Avx2Runnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  CHECK(g_avx2_runs > 0);
}

}  // namespace
}  // namespace qrt::test
