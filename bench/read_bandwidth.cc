// Timing of the read loop (baseline code: the loop itself lives in
// read_bandwidth_avx512.cc, compiled with AVX-512 flags).
#include "read_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <vector>

namespace qrt::bench {
namespace {

constexpr int kWarmupPasses = 20;
constexpr int kPasses = 201;

volatile int64_t g_sink = 0;

struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};

}  // namespace

double MeasureReadBandwidthGbps(size_t bytes) {
  const size_t size = (bytes + 511) / 512 * 512;
  std::unique_ptr<uint8_t, FreeDeleter> buffer(static_cast<uint8_t*>(std::aligned_alloc(64, size)));
  if (buffer == nullptr) return 0.0;
  std::memset(buffer.get(), 1, size);
  for (int p = 0; p < kWarmupPasses; ++p) g_sink = SumBytesAvx512(buffer.get(), size);
  std::vector<double> gbps;
  for (int p = 0; p < kPasses; ++p) {
    const auto start = std::chrono::steady_clock::now();
    g_sink = SumBytesAvx512(buffer.get(), size);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    gbps.push_back(static_cast<double>(size) / seconds * 1e-9);
  }
  std::nth_element(gbps.begin(), gbps.begin() + kPasses / 2, gbps.end());
  return gbps[kPasses / 2];
}

}  // namespace qrt::bench
