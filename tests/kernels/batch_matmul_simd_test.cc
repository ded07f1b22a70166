// The x86 BATCH_MATMUL kernels (AVX2, AVX-512 VNNI) against ref::BatchMatMul,
// byte for byte: both operands end at a PROT_NONE page (guarded_memory.h), the
// output is followed by canaries. Shapes: M, N, K of 1, odd, around the packed
// groups (K = 15, 16, 17) and blocks (N = 15, 16, 17, 80), attention's (80 x 15 x
// 80 with transposed B, 80 x 80 x 15), K long enough for several K chunks of the
// stack panel (and M for several row bands), broadcast batch dimensions;
// transposed and plain B; random zero points with the extremes, output
// quantizations from the accumulators' range, arbitrary and zero multipliers,
// every shift, clamps of every kind and one outside int8 (the kernels hand it to
// the reference). Where a path was not built or the CPU lacks it its sweeps
// report a skip, but the last test case fails if a path was built, the CPU has
// it and some variant (plain / transposed B, one / several K chunks) never ran.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "kernels/guarded_memory.h"
#include "kernels/oracle.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::BatchMatMulParams;
using kernels::Isa;

// K values of one chunk of the kernels' stack panel (x86/batch_matmul_template.h).
constexpr int kChunkK = 512;
constexpr size_t kCanaryBytes = 64;
constexpr int8_t kCanary = static_cast<int8_t>(0xA5);

struct Path {
  Isa isa;
  bool built;
  const char* name;
};

constexpr Path kPaths[] = {
#if QRT_HAVE_AVX2
    {Isa::kAvx2, true, "avx2"},
#else
    {Isa::kAvx2, false, "avx2"},
#endif
#if QRT_HAVE_AVX512VNNI
    {Isa::kAvx512Vnni, true, "avx512vnni"},
#else
    {Isa::kAvx512Vnni, false, "avx512vnni"},
#endif
};
constexpr int kPathCount = static_cast<int>(sizeof(kPaths) / sizeof(kPaths[0]));

// Kernel runs per path, for the coverage check: [path][transpose_b][several chunks].
int g_runs[kPathCount][2][2] = {};

bool Runnable(const Path& path) {
  return path.built && kernels::CpuSupports(kernels::DetectCpuFeatures(), path.isa);
}

// The shape of a case; data and quantization are drawn.
struct Shape {
  int m, k, n;
  bool transpose_b;
  kernels::BroadcastShapes batch;
};

// [lo, hi] of every accumulator of the call, in int64.
void AccumulatorRange(const BatchMatMulParams& p, const std::vector<int8_t>& a,
                      const std::vector<int8_t>& b, int64_t* lo, int64_t* hi) {
  *lo = INT64_MAX;
  *hi = INT64_MIN;
  const int64_t out_batches = Product(p.batch.rank, p.batch.out);
  const size_t a_matrix = static_cast<size_t>(p.m) * p.k;
  const size_t b_matrix = static_cast<size_t>(p.k) * p.n;
  for (int64_t batch = 0; batch < out_batches; ++batch) {
    const auto ab =
        static_cast<size_t>(BroadcastOffset(p.batch.rank, p.batch.a, p.batch.out, batch));
    const auto bb =
        static_cast<size_t>(BroadcastOffset(p.batch.rank, p.batch.b, p.batch.out, batch));
    for (int i = 0; i < p.m; ++i) {
      for (int l = 0; l < p.n; ++l) {
        int64_t acc = 0;
        for (int j = 0; j < p.k; ++j) {
          const size_t stored =
              p.transpose_b ? static_cast<size_t>(l) * p.k + j : static_cast<size_t>(j) * p.n + l;
          acc += (a[ab * a_matrix + static_cast<size_t>(i) * p.k + j] - p.a_zero_point) *
                 (b[bb * b_matrix + stored] - p.b_zero_point);
        }
        *lo = std::min(*lo, acc);
        *hi = std::max(*hi, acc);
      }
    }
  }
}

// Runs every built and supported path on one drawn case of `shape`.
void RunCase(const Shape& shape, uint64_t seed) {
  Rng rng(seed);
  BatchMatMulParams p{};
  p.batch = shape.batch;
  p.m = shape.m;
  p.k = shape.k;
  p.n = shape.n;
  p.transpose_b = shape.transpose_b;
  p.a_zero_point = rng.ZeroPoint();
  p.b_zero_point = rng.ZeroPoint();
  const int64_t a_batches = Product(p.batch.rank, p.batch.a);
  const int64_t b_batches = Product(p.batch.rank, p.batch.b);
  const int64_t out_batches = Product(p.batch.rank, p.batch.out);
  // Now and then operands at the extremes, so the accumulators reach K * 255^2.
  const bool extreme = rng.Int(0, 7) == 0;
  const std::vector<int8_t> a =
      extreme ? std::vector<int8_t>(static_cast<size_t>(a_batches) * p.m * p.k,
                                    static_cast<int8_t>(p.a_zero_point >= 0 ? -128 : 127))
              : rng.Int8s(static_cast<size_t>(a_batches) * p.m * p.k);
  const std::vector<int8_t> b =
      extreme ? std::vector<int8_t>(static_cast<size_t>(b_batches) * p.k * p.n,
                                    static_cast<int8_t>(p.b_zero_point >= 0 ? -128 : 127))
              : rng.Int8s(static_cast<size_t>(b_batches) * p.k * p.n);
  int64_t lo = 0;
  int64_t hi = 0;
  AccumulatorRange(p, a, b, &lo, &hi);
  const OutputQuant oq = OutputQuantForRange(lo, hi, rng);
  p.requant = oq.requant;
  p.output_zero_point = oq.zero_point;
  switch (rng.Int(0, 9)) {
    case 0:
      p.requant = {static_cast<int32_t>(rng.Int(int64_t{1} << 30, INT32_MAX)),
                   static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))};
      break;
    case 1:
      p.requant = {0, static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))};
      break;
    case 2:
      p.output_zero_point = rng.ZeroPoint();
      break;
    default:
      break;
  }
  p.clamp = DrawClamp(p.output_zero_point, rng);
  if (rng.Int(0, 49) == 0) p.clamp = {-300, 300};  // outside int8: the reference's narrowing
  CAPTURE(p.m);
  CAPTURE(p.k);
  CAPTURE(p.n);
  CAPTURE(p.transpose_b);
  CAPTURE(p.batch.rank);
  CAPTURE(p.a_zero_point);
  CAPTURE(p.b_zero_point);
  CAPTURE(p.output_zero_point);
  CAPTURE(p.requant.multiplier);
  CAPTURE(p.requant.shift);
  CAPTURE(p.clamp.lo);
  CAPTURE(p.clamp.hi);

  const size_t count = static_cast<size_t>(out_batches) * p.m * p.n;
  std::vector<int8_t> expected(count);
  kernels::ref::BatchMatMul(p, a.data(), b.data(), expected.data());
  const GuardedBytes guarded_a(a);
  const GuardedBytes guarded_b(b);
  for (int path = 0; path < kPathCount; ++path) {
    if (!Runnable(kPaths[path])) continue;
    CAPTURE(kPaths[path].name);
    const kernels::Kernel<kernels::BatchMatMulFn> kernel =
        kernels::SelectKernels(kPaths[path].isa).batch_matmul;
    REQUIRE(kernel.isa == kPaths[path].isa);
    std::vector<int8_t> out(count + kCanaryBytes, kCanary);
    kernel.fn(p, guarded_a.data(), guarded_b.data(), out.data());
    ++g_runs[path][p.transpose_b ? 1 : 0][p.k > kChunkK ? 1 : 0];
    if (std::memcmp(out.data(), expected.data(), count) != 0) {
      const auto mismatch = std::mismatch(expected.begin(), expected.end(), out.begin());
      const auto index = static_cast<size_t>(mismatch.first - expected.begin());
      CAPTURE(index / (static_cast<size_t>(p.m) * p.n));
      CAPTURE(index / p.n % p.m);
      CAPTURE(index % p.n);
      CAPTURE(static_cast<int>(*mismatch.first));
      CAPTURE(static_cast<int>(*mismatch.second));
      FAIL("the kernel differs from the reference");
    }
    REQUIRE(std::all_of(out.begin() + static_cast<std::ptrdiff_t>(count), out.end(),
                        [](int8_t v) { return v == kCanary; }));
  }
}

kernels::BroadcastShapes NoBatch() { return kernels::BroadcastShapes{}; }

kernels::BroadcastShapes Heads(int heads) {
  kernels::BroadcastShapes s{};
  s.rank = 1;
  s.a[0] = s.b[0] = s.out[0] = heads;
  return s;
}

bool AnyRunnable() { return std::any_of(std::begin(kPaths), std::end(kPaths), Runnable); }

constexpr char kSkipMessage[] = "skipped: no x86 batch matmul path was built or the CPU lacks them";

TEST_CASE("x86 batch matmul: attention's shapes (8 heads, 80 tokens, head size 15)") {
  if (!AnyRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  uint64_t seed = 100;
  for (int i = 0; i < 4; ++i) {
    RunCase({80, 15, 80, true, Heads(8)}, ++seed);   // Q K^T
    RunCase({80, 80, 15, false, Heads(8)}, ++seed);  // P V
  }
}

TEST_CASE("x86 batch matmul: M, N, K sweep, plain and transposed B") {
  if (!AnyRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  const std::vector<int> dims = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 63, 64, 65, 80};
  uint64_t seed = 1000;
  for (const int k : {1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 63, 64, 65, 80, 130, 512}) {
    for (int i = 0; i < 12; ++i) {
      Rng rng(++seed);
      const Shape s{rng.Pick(dims), k, rng.Pick(dims), i % 2 == 1, NoBatch()};
      RunCase(s, seed);
    }
  }
}

TEST_CASE("x86 batch matmul: K over several panel chunks, M over several row bands") {
  if (!AnyRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  uint64_t seed = 3000;
  for (const int k : {513, 515, 1024, 1100, 2500}) {
    for (int i = 0; i < 4; ++i) {
      Rng rng(++seed);
      const Shape s{static_cast<int>(rng.Int(1, 140)), k, static_cast<int>(rng.Int(1, 90)),
                    i % 2 == 1, NoBatch()};
      RunCase(s, seed);
    }
  }
}

TEST_CASE("x86 batch matmul: broadcast batch dimensions") {
  if (!AnyRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  for (uint64_t seed = 5000; seed < 5150; ++seed) {
    Rng rng(seed);
    Shape s{static_cast<int>(rng.Int(1, 20)),
            static_cast<int>(rng.Pick(std::vector<int64_t>{1, 3, 4, 15, 16, 17, 40})),
            static_cast<int>(rng.Int(1, 40)), rng.Bool(), DrawBroadcastShapes(rng)};
    if (s.batch.rank > 3) s.batch.rank = 3;
    RunCase(s, seed);
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("Every x86 batch matmul path ran wherever it was built and the CPU has it") {
  for (int path = 0; path < kPathCount; ++path) {
    if (!Runnable(kPaths[path])) {
      MESSAGE("skipped: the " << std::string(kPaths[path].name)
                              << " path was not built or the CPU lacks it");
      continue;
    }
    for (const int transposed : {0, 1}) {
      for (const int several_chunks : {0, 1}) {
        CAPTURE(kPaths[path].name);
        CAPTURE(transposed);
        CAPTURE(several_chunks);
        CHECK(g_runs[path][transposed][several_chunks] > 0);
      }
    }
  }
}

}  // namespace
}  // namespace qrt::test
