// The AVX-512 VNNI fully connected kernel (with its packing) against
// ref::FullyConnected, byte for byte (gemm_check.h: guard pages, canaries, random
// output tiles), over every remainder of its 4-row x 16-channel blocks and K
// groups, for int8 and int4 weights. Where the path was not built or the CPU
// lacks it the sweeps report a skip, but the last test case fails if the path was
// built, the CPU has it and no case ran it (ruy's "covered paths" check).
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <initializer_list>
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

#if QRT_HAVE_AVX512VNNI
constexpr bool kVnniBuilt = true;
#else
constexpr bool kVnniBuilt = false;
#endif

constexpr char kSkipMessage[] = "skipped: the AVX-512 VNNI path was not built or the CPU lacks it";

// Kernel runs of the VNNI kernel, for the coverage check at the end.
int g_vnni_runs = 0;

bool VnniRunnable() {
  return kVnniBuilt && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx512Vnni);
}

FullyConnectedKernel VnniFullyConnected() {
  return kernels::SelectKernels(Isa::kAvx512Vnni).fully_connected;
}

void ExpectMatchesReference(const FullyConnectedParams& p, const std::vector<int8_t>& input,
                            const void* weights, const std::vector<int32_t>& bias, Rng& rng) {
  g_vnni_runs += ExpectGemmMatchesReference(VnniFullyConnected(), kernels::ref::FullyConnected, p,
                                            input, weights, bias, rng);
}

// One random case of shape rows x out_features x in_features.
void RunRandomCase(int rows, int k, int n, WeightType type, uint64_t seed) {
  Rng rng(seed);
  FullyConnectedParams p;
  CaseData d;
  DrawFullyConnectedCase(rows, k, n, type, rng, &p, &d);
  ExpectMatchesReference(p, d.in, d.weights->data(), d.bias, rng);
}

// RunRandomCase for int8 and then int4 weights over every rows x k x n, the seeds
// counting up from first_seed + 1.
void Sweep(std::initializer_list<int> rows_list, std::initializer_list<int> ks,
           std::initializer_list<int> ns, uint64_t first_seed) {
  uint64_t seed = first_seed;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const int rows : rows_list) {
      for (const int k : ks) {
        for (const int n : ns) {
          ++seed;
          CAPTURE(rows);
          CAPTURE(n);
          CAPTURE(k);
          CAPTURE(static_cast<int>(type));
          CAPTURE(seed);
          RunRandomCase(rows, k, n, type, seed);
        }
      }
    }
  }
}

// (Function pointers are compared inside extra parentheses: doctest cannot print them.)
TEST_CASE("SelectKernels: the VNNI fully connected at kAvx512Vnni only") {
  const FullyConnectedKernel reference = kernels::SelectKernels(Isa::kReference).fully_connected;
  CHECK(reference.isa == Isa::kReference);
  CHECK((reference.fn == &kernels::ref::FullyConnected));
  CHECK((reference.packed_size == nullptr));
  CHECK((reference.pack == nullptr));
  CHECK(kernels::SelectKernels(Isa::kAvx2).fully_connected.isa != Isa::kAvx512Vnni);
  const FullyConnectedKernel vnni = VnniFullyConnected();
  if (kVnniBuilt) {
    CHECK(vnni.isa == Isa::kAvx512Vnni);
    CHECK((vnni.fn != &kernels::ref::FullyConnected));
    CHECK((vnni.packed_size != nullptr));
    CHECK((vnni.pack != nullptr));
  } else {
    CHECK(vnni.isa == Isa::kReference);
  }
}

TEST_CASE("VNNI fully connected matches the reference over M x K x N remainders") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  Sweep({1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33},
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64, 100, 257, 1000},
        {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 33, 64, 100}, 0);
}

// M = 1 and 2 with long K: int4 tiles of one or two rows (biased low nibbles) sum
// their activations in a pass of their own, 256 bytes a step, then 64, then a
// partial step; these K values take each of them, with and without a partial group.
TEST_CASE("VNNI fully connected of 1-2 rows over long K") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  Sweep({1, 2}, {2047, 2048, 2049, 4096, 4100, 6001}, {1, 17, 64}, 1000000);
}

TEST_CASE("VNNI fully connected at the accumulator extremes") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  g_vnni_runs += ExpectFullyConnectedExtremes(VnniFullyConnected(), 5);
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("The VNNI fully connected kernel ran wherever it was built and the CPU has it") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  CHECK(g_vnni_runs > 0);
}

}  // namespace
}  // namespace qrt::test
