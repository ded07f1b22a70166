#include "interleaved_timer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

namespace qrt::bench {
namespace {

double SecondsPerRun(const std::function<void()>& run, int runs) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < runs; ++i) run();
  const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  return elapsed.count() / runs;
}

double Median(std::vector<double> values) {
  const size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid), values.end());
  const double upper = values[mid];
  if (values.size() % 2 == 1) return upper;
  return (*std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(mid)) +
          upper) /
         2.0;
}

}  // namespace

PairTiming TimeInterleaved(const std::function<void()>& a, const std::function<void()>& b,
                           const TimingPlan& plan) {
  // The first runs touch every page and let oneDNN finish its lazy setup; the
  // second sizes the repetitions.
  a();
  b();
  const double a_once = SecondsPerRun(a, 1);
  const double b_once = SecondsPerRun(b, 1);

  PairTiming t;
  t.reps = plan.reps;
  if (!plan.exact_reps) {
    const auto affordable = static_cast<int>(plan.min_time_s / std::max(a_once, b_once));
    t.reps = std::clamp(affordable, std::min(kMinReps, plan.reps), plan.reps);
  }
  const double rep_seconds = plan.min_time_s / t.reps;
  const auto runs_for = [rep_seconds](double once) {
    return std::max(1, static_cast<int>(std::lround(rep_seconds / once)));
  };
  t.a_runs_per_rep = runs_for(a_once);
  t.b_runs_per_rep = runs_for(b_once);

  std::vector<double> a_times, b_times;
  const auto time_a = [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(plan.gap_s));
    a_times.push_back(SecondsPerRun(a, t.a_runs_per_rep));
  };
  const auto time_b = [&] {
    std::this_thread::sleep_for(std::chrono::duration<double>(plan.gap_s));
    b_times.push_back(SecondsPerRun(b, t.b_runs_per_rep));
  };
  for (int rep = 0; rep < t.reps; ++rep) {
    if (rep % 2 == 0) {
      time_a();
      time_b();
    } else {
      time_b();
      time_a();
    }
  }
  std::vector<double> ratios;
  for (size_t rep = 0; rep < a_times.size(); ++rep) ratios.push_back(b_times[rep] / a_times[rep]);
  t.b_over_a = Median(std::move(ratios));
  t.a_min_seconds = *std::min_element(a_times.begin(), a_times.end());
  t.b_min_seconds = *std::min_element(b_times.begin(), b_times.end());
  t.a_seconds = Median(std::move(a_times));
  t.b_seconds = Median(std::move(b_times));
  return t;
}

}  // namespace qrt::bench
