// The transpose kernel of every fast path this build has and this CPU runs
// (SelectKernels(isa).transpose) against
// kernels/ref/transpose.cc, byte for byte: channel interleaves (NCHW -> NHWC
// and its reductions, with unit dimensions anywhere, column counts around the
// 16-byte block) and random permutations that the fast kernel hands to the
// reference. Inputs end where an inaccessible page begins and outputs are
// followed by canaries. The last test case fails if a path with a fast
// transpose was built, the CPU has it and no interleave ran on it.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "kernels/guarded_memory.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Isa;

constexpr size_t kCanaryBytes = 64;
constexpr uint8_t kCanary = 0xA5;

// The paths that have a fast transpose in this build (the AVX2 interleave, on
// every x86 path) and that the CPU runs.
std::vector<Isa> FastTransposePaths() {
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  std::vector<Isa> paths;
#if QRT_HAVE_AVX2
  for (const Isa isa : {Isa::kAvx2, Isa::kAvx512Vnni}) {
    if (kernels::CpuSupports(cpu, isa)) paths.push_back(isa);
  }
#endif
  static_cast<void>(cpu);
  return paths;
}

std::map<Isa, int>& InterleaveRuns() {
  static std::map<Isa, int> runs;
  return runs;
}

int64_t Count(const kernels::TransposeParams& p) {
  int64_t n = 1;
  for (int d = 0; d < p.rank; ++d) n *= p.in_shape[d];
  return n;
}

// [N, C, H, W] -> [N, H, W, C] with few channels, unit dimensions inserted at
// random places (in both orders), or [C, S] -> [S, C].
kernels::TransposeParams DrawInterleave(Rng& rng) {
  static const int32_t kColumns[] = {1, 2, 15, 16, 17, 31, 32, 33, 48, 100, 192};
  kernels::TransposeParams p{};
  const auto channels = static_cast<int32_t>(rng.Int(1, 10));
  const auto columns = [&] { return kColumns[rng.Int(0, std::size(kColumns) - 1)]; };
  if (rng.Bool()) {
    p.rank = 4;
    const int32_t shape[] = {static_cast<int32_t>(rng.Int(1, 3)), channels, columns(),
                             static_cast<int32_t>(rng.Int(1, 9))};
    const int32_t perm[] = {0, 2, 3, 1};
    std::copy(std::begin(shape), std::end(shape), p.in_shape);
    std::copy(std::begin(perm), std::end(perm), p.perm);
  } else {
    p.rank = 2;
    p.in_shape[0] = channels;
    p.in_shape[1] = columns();
    p.perm[0] = 1;
    p.perm[1] = 0;
  }
  if (rng.Bool() && p.rank < kernels::kMaxRank) {  // a unit dimension at input axis `at`
    const auto at = static_cast<int32_t>(rng.Int(0, p.rank));
    for (int d = p.rank; d > at; --d) p.in_shape[d] = p.in_shape[d - 1];
    p.in_shape[at] = 1;
    for (int d = 0; d < p.rank; ++d) {
      if (p.perm[d] >= at) ++p.perm[d];
    }
    const auto where = static_cast<int>(rng.Int(0, p.rank));  // its place in the output
    for (int d = p.rank; d > where; --d) p.perm[d] = p.perm[d - 1];
    p.perm[where] = at;
    ++p.rank;
  }
  return p;
}

kernels::TransposeParams DrawAnyPermutation(Rng& rng) {
  kernels::TransposeParams p{};
  p.rank = static_cast<int>(rng.Int(1, 5));
  for (int d = 0; d < p.rank; ++d) {
    p.in_shape[d] = static_cast<int32_t>(rng.Int(0, 5) == 0 ? 1 : rng.Int(1, 20));
    p.perm[d] = d;
  }
  for (int d = p.rank - 1; d > 0; --d) std::swap(p.perm[d], p.perm[rng.Int(0, d)]);
  return p;
}

void ExpectSameAsReference(Isa isa, const kernels::TransposeParams& p, Rng& rng) {
  const auto count = static_cast<size_t>(Count(p));
  const GuardedBytes in(rng.Int8s(count));
  std::vector<int8_t> expected(count);
  kernels::ref::Transpose(p, in.data(), expected.data());
  std::vector<uint8_t> got(count + kCanaryBytes, kCanary);
  kernels::SelectKernels(isa).transpose.fn(p, in.data(), reinterpret_cast<int8_t*>(got.data()));
  CHECK(std::memcmp(got.data(), expected.data(), count) == 0);
  for (size_t b = count; b < count + kCanaryBytes; ++b) REQUIRE(got[b] == kCanary);
}

TEST_CASE("Fast transposes interleave channels exactly as the reference") {
  const std::vector<Isa> paths = FastTransposePaths();
  if (paths.empty()) MESSAGE("skipped: no fast transpose was built for this CPU");
  for (const Isa isa : paths) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    for (uint64_t seed = 1; seed <= 600; ++seed) {
      CAPTURE(seed);
      Rng rng(seed);
      const kernels::TransposeParams p = DrawInterleave(rng);
      CAPTURE(p.rank);
      ExpectSameAsReference(isa, p, rng);
      ++InterleaveRuns()[isa];
    }
  }
}

TEST_CASE("Fast transposes match the reference on any permutation") {
  for (const Isa isa : FastTransposePaths()) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    for (uint64_t seed = 1; seed <= 600; ++seed) {
      CAPTURE(seed);
      Rng rng(seed);
      ExpectSameAsReference(isa, DrawAnyPermutation(rng), rng);
    }
  }
}

// Last in this file, so it runs after the cases above (doctest orders by file
// and line).
TEST_CASE("Every fast transpose that was built and the CPU has interleaved") {
  for (const Isa isa : FastTransposePaths()) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    CHECK((kernels::SelectKernels(isa).transpose.fn != &kernels::ref::Transpose));
    CHECK(InterleaveRuns()[isa] > 0);
  }
}

}  // namespace
}  // namespace qrt::test
