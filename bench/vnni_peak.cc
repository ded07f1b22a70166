// Timing of the vpdpbusd loop (baseline code: the loop itself lives in
// vnni_peak_avx512vnni.cc, compiled with AVX-512 flags).
#include "vnni_peak.h"

#include <algorithm>
#include <chrono>

namespace qrt::bench {
namespace {

// The best of many short trials: on a shared machine most trials are
// interrupted, the best one is not.
constexpr int kTrials = 20;
constexpr double kTrialSeconds = 0.008;
// Long enough for the core to leave any low-power state before the trials.
constexpr double kWarmupSeconds = 0.05;

// The volatile seed keeps the operands unknown to the compiler.
volatile int32_t g_seed = 0x01020304;
volatile int32_t g_sink = 0;

double SecondsFor(int64_t iterations) {
  const auto start = std::chrono::steady_clock::now();
  g_sink = RunVpdpbusdChains(iterations, g_seed);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

double MeasureVpdpbusdPeakGops() {
  // Grow the iteration count until one run lasts kWarmupSeconds.
  int64_t iterations = 1 << 10;
  while (SecondsFor(iterations) < kWarmupSeconds) iterations *= 2;
  const double seconds_per_iteration = SecondsFor(iterations) / static_cast<double>(iterations);
  const auto trial_iterations =
      std::max<int64_t>(1, static_cast<int64_t>(kTrialSeconds / seconds_per_iteration));
  double best = 0.0;
  for (int t = 0; t < kTrials; ++t) {
    const double ops = static_cast<double>(trial_iterations) * kVpdpbusdChains * kOpsPerVpdpbusd;
    best = std::max(best, ops / SecondsFor(trial_iterations) * 1e-9);
  }
  return best;
}

}  // namespace qrt::bench
