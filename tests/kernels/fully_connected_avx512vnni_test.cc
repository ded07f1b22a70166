// The AVX-512 VNNI fully connected kernel (with its packing) against
// ref::FullyConnected, byte for byte, over every remainder of its 4-row x 16-channel
// blocks and K groups, for int8 and int4 weights. Inputs end at a PROT_NONE page
// and outputs and packed buffers are followed by canaries, so reads past an input
// row fault and stray writes are caught. Where the path was not built or the CPU
// lacks it the sweeps report a skip, but the last test case fails if the path was
// built, the CPU has it and no case ran it (ruy's "covered paths" check).
#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

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
constexpr size_t kCanaryBytes = 64;
constexpr uint8_t kCanary = 0xA5;

// Cases run through the VNNI kernel, for the coverage check at the end.
int g_vnni_cases = 0;

bool VnniRunnable() {
  return kVnniBuilt && kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx512Vnni);
}

// Bytes that end exactly where an inaccessible page begins (MLAS's
// MatrixGuardBuffer), so any read past the end faults.
class GuardedBytes {
 public:
  explicit GuardedBytes(const std::vector<int8_t>& data) {
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t data_pages = (data.size() + page - 1) / page;
    size_ = (data_pages + 1) * page;
    void* map = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    base_ = static_cast<uint8_t*>(map);
    REQUIRE(mprotect(base_ + data_pages * page, page, PROT_NONE) == 0);
    data_ = reinterpret_cast<int8_t*>(base_ + data_pages * page - data.size());
    std::memcpy(data_, data.data(), data.size());
  }
  GuardedBytes(const GuardedBytes&) = delete;
  GuardedBytes& operator=(const GuardedBytes&) = delete;
  ~GuardedBytes() { munmap(base_, size_); }

  const int8_t* data() const { return data_; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  int8_t* data_ = nullptr;
};

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

bool CanariesIntact(const uint8_t* bytes, size_t count) {
  return std::all_of(bytes, bytes + count, [](uint8_t b) { return b == kCanary; });
}

// Packs the weights as `kernel` asks (64-byte aligned, canaries after), runs it
// and the reference, and requires identical outputs and untouched canaries.
void ExpectMatchesReference(const FullyConnectedKernel& kernel, const FullyConnectedParams& p,
                            const std::vector<int8_t>& input, const void* weights,
                            const std::vector<int32_t>& bias) {
  const size_t count = static_cast<size_t>(p.rows) * static_cast<size_t>(p.out_features);
  std::vector<int8_t> expected(count);
  kernels::ref::FullyConnected(p, input.data(), weights, bias.data(), expected.data(),
                               kernels::WholeOutput(p));

  const size_t packed_size = kernel.packed_size(p);
  const size_t allocated = (packed_size + kCanaryBytes + 63) / 64 * 64;
  std::unique_ptr<uint8_t, FreeDeleter> packed(
      static_cast<uint8_t*>(std::aligned_alloc(64, allocated)));
  REQUIRE(packed != nullptr);
  std::memset(packed.get(), kCanary, allocated);
  kernel.pack(p, weights, bias.data(), packed.get());
  REQUIRE(CanariesIntact(packed.get() + packed_size, allocated - packed_size));

  const GuardedBytes guarded_input(input);
  std::vector<int8_t> out(count + kCanaryBytes, static_cast<int8_t>(kCanary));
  kernel.fn(p, guarded_input.data(), packed.get(), bias.data(), out.data(),
            kernels::WholeOutput(p));
  ++g_vnni_cases;
  if (std::memcmp(out.data(), expected.data(), count) != 0) {
    const auto mismatch = std::mismatch(expected.begin(), expected.end(), out.begin());
    const auto index = static_cast<size_t>(mismatch.first - expected.begin());
    const auto channel = static_cast<int>(index % static_cast<size_t>(p.out_features));
    CAPTURE(index);
    CAPTURE(channel);
    CAPTURE(static_cast<int>(*mismatch.first));
    CAPTURE(static_cast<int>(*mismatch.second));
    CAPTURE(p.requant.multiplier[channel]);
    CAPTURE(static_cast<int>(p.requant.shift[channel]));
    CAPTURE(p.output_zero_point);
    CAPTURE(p.clamp.lo);
    CAPTURE(p.clamp.hi);
    FAIL("the VNNI kernel differs from ref::FullyConnected");
  }
  REQUIRE(CanariesIntact(reinterpret_cast<const uint8_t*>(out.data()) + count, kCanaryBytes));
}

// One random case of shape rows x out_features x in_features.
void RunRandomCase(const FullyConnectedKernel& kernel, int rows, int k, int n, WeightType type,
                   uint64_t seed) {
  Rng rng(seed);
  FullyConnectedParams p{};
  p.rows = rows;
  p.in_features = k;
  p.out_features = n;
  p.input_zero_point = rng.ZeroPoint();
  p.weight_type = type;
  const bool int4 = type == WeightType::kInt4;
  const int32_t w_min = int4 ? -8 : -127;
  const int32_t w_max = int4 ? 7 : 127;
  const auto n_out = static_cast<size_t>(n);
  const auto k_len = static_cast<size_t>(k);
  std::vector<int8_t> w = rng.Int8s(n_out * k_len, w_min, w_max);
  if (rng.Int(0, 3) == 0) {
    for (int8_t& v : w) v = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
  }
  std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(rows) * k_len);
  if (rng.Int(0, 7) == 0) {
    const auto extreme = static_cast<int8_t>(rng.Bool() ? -128 : 127);
    std::fill(in.begin(), in.end(), extreme);
  }
  // Now and then a bias anywhere in int32, so accumulators wrap as the reference's
  // do (out of the accumulator bound, but the kernels must agree even there).
  const bool wide_bias = rng.Int(0, 7) == 0;
  const std::vector<int32_t> bias =
      wide_bias ? rng.Int32s(n_out, INT32_MIN, INT32_MAX) : rng.Int32s(n_out, -5000, 5000);

  // Per-channel output scales from the exact accumulator range, so outputs span
  // int8; some channels get an arbitrary multiplier and shift, or zero.
  ChannelRequantStorage requant;
  int32_t zy = 0;
  for (size_t c = 0; c < n_out; ++c) {
    int64_t lo = INT64_MAX;
    int64_t hi = INT64_MIN;
    for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
      int64_t acc = bias[c];
      for (size_t i = 0; i < k_len; ++i) {
        acc += (in[r * k_len + i] - p.input_zero_point) * int64_t{w[c * k_len + i]};
      }
      lo = std::min(lo, acc);
      hi = std::max(hi, acc);
    }
    const OutputQuant q = OutputQuantForRange(lo, hi, rng);
    switch (rng.Int(0, 15)) {
      case 0:
        requant.Push({static_cast<int32_t>(rng.Int(int64_t{1} << 30, INT32_MAX)),
                      static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))});
        break;
      case 1:
        requant.Push({0, static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))});
        break;
      default:
        requant.Push(q.requant);
    }
    if (c == 0) zy = rng.Int(0, 3) == 0 ? rng.ZeroPoint() : q.zero_point;
  }
  p.output_zero_point = zy;
  p.requant = requant.View();
  p.clamp = DrawClamp(zy, rng);

  std::vector<uint8_t> int4_rows;
  const void* weights = w.data();
  if (int4) {
    int4_rows = PackInt4Rows(w, n_out, k_len);
    weights = int4_rows.data();
  }
  ExpectMatchesReference(kernel, p, in, weights, bias);
}

FullyConnectedKernel VnniFullyConnected() {
  return kernels::SelectKernels(Isa::kAvx512Vnni).fully_connected;
}

// (Function pointers are compared inside extra parentheses: doctest cannot print them.)
TEST_CASE("SelectKernels: the VNNI fully connected at kAvx512Vnni, the reference below") {
  const FullyConnectedKernel reference = kernels::SelectKernels(Isa::kReference).fully_connected;
  CHECK(reference.isa == Isa::kReference);
  CHECK((reference.fn == &kernels::ref::FullyConnected));
  CHECK((reference.packed_size == nullptr));
  CHECK((reference.pack == nullptr));
  CHECK(kernels::SelectKernels(Isa::kAvx2).fully_connected.isa == Isa::kReference);
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
  const FullyConnectedKernel kernel = VnniFullyConnected();
  static constexpr int kRows[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 33};
  static constexpr int kKs[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 31, 64, 100, 257, 1000};
  static constexpr int kNs[] = {1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11,
                                12, 13, 14, 15, 16, 17, 31, 32, 33, 64, 100};
  uint64_t seed = 0;
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    for (const int rows : kRows) {
      for (const int k : kKs) {
        for (const int n : kNs) {
          ++seed;
          CAPTURE(rows);
          CAPTURE(n);
          CAPTURE(k);
          CAPTURE(static_cast<int>(type));
          CAPTURE(seed);
          RunRandomCase(kernel, rows, k, n, type, seed);
        }
      }
    }
  }
}

TEST_CASE("VNNI fully connected at the accumulator extremes") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  // The largest K the validator accepts for int8 weights with |x - zx| = 255 and
  // every weight at an extreme, over a tile and a remainder of rows and channels.
  constexpr int kK = 66311;
  const FullyConnectedKernel kernel = VnniFullyConnected();
  for (const WeightType type : {WeightType::kInt8, WeightType::kInt4}) {
    const bool int4 = type == WeightType::kInt4;
    for (const int32_t w_value : {int4 ? -8 : -127, int4 ? 7 : 127}) {
      CAPTURE(static_cast<int>(type));
      CAPTURE(w_value);
      FullyConnectedParams p{};
      p.rows = 5;
      p.in_features = kK;
      p.out_features = 17;
      p.input_zero_point = 127;
      p.output_zero_point = 0;
      p.weight_type = type;
      ChannelRequantStorage requant;
      for (int c = 0; c < p.out_features; ++c) {
        requant.Push(MustQuantizeMultiplier(1.0 / (kK * 127.0 * 255.0 / (100.0 + c))));
      }
      p.requant = requant.View();
      p.clamp = {-128, 127};
      const std::vector<int8_t> in(static_cast<size_t>(p.rows) * kK, -128);
      const std::vector<int8_t> w(size_t{17} * kK, static_cast<int8_t>(w_value));
      const std::vector<int32_t> bias(17, 0);
      const std::vector<uint8_t> int4_rows =
          int4 ? PackInt4Rows(w, 17, kK) : std::vector<uint8_t>{};
      ExpectMatchesReference(kernel, p, in,
                             int4 ? static_cast<const void*>(int4_rows.data()) : w.data(), bias);
    }
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("The VNNI fully connected kernel ran wherever it was built and the CPU has it") {
  if (!VnniRunnable()) {
    MESSAGE(kSkipMessage);
    return;
  }
  CHECK(g_vnni_cases > 0);
}

}  // namespace
}  // namespace qrt::test
