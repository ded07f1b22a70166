// Timing two implementations of one computation against each other in one
// process: repetitions alternate between them (A B, then B A, ...), so frequency
// changes, noisy neighbours and cache state hit both alike, and each side's figure
// is the median over the repetitions.
#pragma once

#include <functional>

namespace qrt::bench {

struct TimingPlan {
  double min_time_s = 0.5;  // measured time per side, split over the repetitions
  int reps = 20;            // alternating repetitions
  // Without exact_reps, a side whose single run takes longer than
  // min_time_s / reps gets fewer repetitions (at least kMinReps), so slow
  // reference kernels do not stretch the run.
  bool exact_reps = false;
  // Idle time before each repetition. Multi-threaded runs need it: worker
  // threads spin for a while after their last task (libgomp's, under oneDNN, for
  // milliseconds by default), and without a pause one side's spinning workers
  // would take the cores from the other side's first runs.
  double gap_s = 0.0;
};

inline constexpr int kMinReps = 3;

struct PairTiming {
  double a_seconds = 0.0;  // median time of one run
  double b_seconds = 0.0;
  double a_min_seconds = 0.0;  // fastest repetition's time of one run
  double b_min_seconds = 0.0;
  // Median over the repetitions of b's time / a's time in the same repetition:
  // each ratio compares runs a few milliseconds apart, so it is steadier than
  // the ratio of the medians when the machine's load drifts.
  double b_over_a = 0.0;
  int reps = 0;
  int a_runs_per_rep = 0;
  int b_runs_per_rep = 0;
};

// Runs a and b once each to warm up and to size the repetitions, then times
// plan.reps (or fewer, see TimingPlan) alternating repetitions, each of as many
// back-to-back runs as fill min_time_s / reps.
PairTiming TimeInterleaved(const std::function<void()>& a, const std::function<void()>& b,
                           const TimingPlan& plan);

}  // namespace qrt::bench
