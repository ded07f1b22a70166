#include "range.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <vector>

namespace qrt::converter::calib {
namespace {

constexpr char kMethodSyntax[] =
    "expected minmax, percentile:P (0 < P <= 100), entropy, mse or auto";

// The histogram's counts without the exact zeros, which stats.zero_count() holds.
std::vector<double> NonZeroCounts(const ActivationStats& stats) {
  const Histogram& histogram = stats.histogram();
  std::vector<double> counts(histogram.counts.begin(), histogram.counts.end());
  const int64_t zero_bin = -histogram.first_bin;  // the bin [0, w)
  if (zero_bin >= 0 && zero_bin < kHistogramBins) {
    counts[zero_bin] -= static_cast<double>(stats.zero_count());
  }
  return counts;
}

// A non-empty histogram bin, trimmed to the observed [min, max]; lo == hi for
// the exact zeros, kept apart as a point.
struct Bin {
  double lo;
  double hi;
  double count;
};

// In ascending order.
std::vector<Bin> NonEmptyBins(const ActivationStats& stats) {
  const Histogram& histogram = stats.histogram();
  const std::vector<double> counts = NonZeroCounts(stats);
  std::vector<Bin> bins;
  for (size_t i = 0; i < counts.size(); ++i) {
    const double lo = histogram.BinLower(i);
    if (lo == 0 && stats.zero_count() > 0) {
      bins.push_back(Bin{0, 0, static_cast<double>(stats.zero_count())});
    }
    if (counts[i] == 0) continue;
    bins.push_back(Bin{std::max(lo, double{stats.min()}),
                       std::min(lo + histogram.bin_width, double{stats.max()}), counts[i]});
  }
  return bins;
}

double Cube(double x) { return x * x * x; }

// The integral over [0, t] of (x - round(x))^2: 1/12 per whole unit, plus the
// part of the last unit (the error rises as x^2 up to 1/2, then falls as (x-1)^2).
double RoundingErrorIntegral(double t) {
  const double whole = std::floor(t);
  const double f = t - whole;
  const double part = f <= 0.5 ? Cube(f) / 3 : 1.0 / 24 + (Cube(f - 1) + 0.125) / 3;
  return whole / 12 + part;
}

double MeanSquaredError(const std::vector<Bin>& bins, const ActivationQuant& quant) {
  const double s = quant.scale;
  const double a = s * (-128 - quant.zero_point);
  const double b = s * (127 - quant.zero_point);
  double total_error = 0;
  double total_count = 0;
  for (const Bin& bin : bins) {
    total_count += bin.count;
    if (!(bin.hi > bin.lo)) {  // all of the bin's values are one point
      const double x = std::clamp(bin.lo, a, b);
      const double q = s * std::nearbyint(x / s);
      total_error += bin.count * (bin.lo - q) * (bin.lo - q);
      continue;
    }
    double integral = 0;
    if (bin.lo < a) integral += (Cube(std::min(bin.hi, a) - a) - Cube(bin.lo - a)) / 3;
    if (bin.hi > b) integral += (Cube(bin.hi - b) - Cube(std::max(bin.lo, b) - b)) / 3;
    const double lo = std::max(bin.lo, a);
    const double hi = std::min(bin.hi, b);
    if (hi > lo) {
      integral += Cube(s) * (RoundingErrorIntegral(hi / s) - RoundingErrorIntegral(lo / s));
    }
    total_error += integral * bin.count / (bin.hi - bin.lo);
  }
  return total_count > 0 ? total_error / total_count : 0;
}

double RangeMse(const std::vector<Bin>& bins, ClipRange range) {
  return MeanSquaredError(bins, ChooseActivationQuant(range, FusedActivation::kNone));
}

// The value below which `fraction` of the values lie.
double Quantile(const std::vector<Bin>& bins, double fraction) {
  double total = 0;
  for (const Bin& bin : bins) total += bin.count;
  const double target = fraction * total;
  double below = 0;
  for (const Bin& bin : bins) {
    if (below + bin.count >= target) {
      return bin.lo + (bin.hi - bin.lo) * std::clamp((target - below) / bin.count, 0.0, 1.0);
    }
    below += bin.count;
  }
  return bins.back().hi;
}

ClipRange PercentileRange(const std::vector<Bin>& bins, double percentile) {
  // P and 100-P name the same pair of tails.
  const double upper = std::max(percentile, 100 - percentile) / 100;
  return ClipRange{std::min(Quantile(bins, 1 - upper), 0.0), std::max(Quantile(bins, upper), 0.0)};
}

enum class Side { kPositive, kNegative, kBoth };

// The histogram of x (kPositive: x >= 0), -x (kNegative: x < 0) or |x| (kBoth)
// on bins [i*w, (i+1)*w) from 0, at most kHistogramBins of them: the grid
// histogram folded at 0, then merged by a power of two when it is too long.
struct OneSidedHistogram {
  double bin_width;
  std::vector<double> counts;
};

OneSidedHistogram Fold(const Histogram& histogram, const std::vector<double>& counts, Side side) {
  std::vector<std::pair<int64_t, double>> folded;
  int64_t last = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const int64_t k = histogram.first_bin + static_cast<int64_t>(i);
    if (k >= 0 ? side == Side::kNegative : side == Side::kPositive) continue;
    const int64_t index = k >= 0 ? k : -k - 1;  // bin [k*w, (k+1)*w) of -x is bin -k-1 of x
    folded.emplace_back(index, counts[i]);
    last = std::max(last, index);
  }
  int shift = 0;
  while (MergedBin(last, shift) >= kHistogramBins) ++shift;
  OneSidedHistogram result{std::ldexp(histogram.bin_width, shift),
                           std::vector<double>(MergedBin(last, shift) + 1, 0.0)};
  for (const auto& [index, count] : folded) {
    result.counts[MergedBin(index, shift)] += count;
  }
  return result;
}

// TensorRT's search (as in NVIDIA's pytorch-quantization): for each threshold
// bin i from `levels` on, P is the histogram cut at i with the outliers added to
// its last bin, Q is the cut histogram merged into `levels` groups and spread
// back evenly over each group's non-empty bins; the i minimising KL(P || Q)
// wins. A threshold where Q is 0 while P is not (an empty last bin receiving
// the outliers) has infinite divergence and is skipped. Returns i.
size_t KlThresholdBins(const std::vector<double>& histogram, size_t levels) {
  const size_t n = histogram.size();
  if (n <= levels) return n;
  std::vector<double> outliers(n + 1, 0.0);  // outliers[i]: the mass at bins >= i
  for (size_t i = n; i-- > 0;) outliers[i] = outliers[i + 1] + histogram[i];

  size_t best = n;
  double best_divergence = std::numeric_limits<double>::infinity();
  std::vector<double> group_sum(levels);
  std::vector<double> group_nonempty(levels);
  for (size_t i = levels; i <= n; ++i) {
    std::fill(group_sum.begin(), group_sum.end(), 0.0);
    std::fill(group_nonempty.begin(), group_nonempty.end(), 0.0);
    for (size_t t = 0; t < i; ++t) {
      if (histogram[t] == 0) continue;
      group_sum[t * levels / i] += histogram[t];
      group_nonempty[t * levels / i] += 1;
    }
    const double p_total = outliers[0];
    const double q_total = outliers[0] - outliers[i];
    double divergence = 0;
    for (size_t t = 0; t < i && std::isfinite(divergence); ++t) {
      const double p = histogram[t] + (t + 1 == i ? outliers[i] : 0.0);
      if (p == 0) continue;
      const size_t group = t * levels / i;
      const double q = histogram[t] == 0 ? 0.0 : group_sum[group] / group_nonempty[group];
      divergence = q == 0 ? std::numeric_limits<double>::infinity()
                          : divergence + p / p_total * std::log((p / p_total) / (q / q_total));
    }
    if (divergence < best_divergence) {
      best_divergence = divergence;
      best = i;
    }
  }
  return best;
}

ClipRange EntropyRange(const ActivationStats& stats) {
  const double min = stats.min();
  const double max = stats.max();
  const Side side = min >= 0 ? Side::kPositive : max <= 0 ? Side::kNegative : Side::kBoth;
  const OneSidedHistogram folded = Fold(stats.histogram(), NonZeroCounts(stats), side);
  const size_t levels = side == Side::kBoth ? 128 : 256;
  const double threshold =
      static_cast<double>(KlThresholdBins(folded.counts, levels)) * folded.bin_width;
  return ClipRange{std::max(-threshold, std::min(min, 0.0)),
                   std::min(threshold, std::max(max, 0.0))};
}

// Minimises the error over one end of the range, the other fixed: `extreme` * t
// for t in (0, 1], on a coarse grid and then finely around the best point.
double SearchEnd(const std::vector<Bin>& bins, ClipRange range, bool search_beta, double extreme) {
  auto error_at = [&](double t) {
    ClipRange candidate = range;
    (search_beta ? candidate.beta : candidate.alpha) = extreme * t;
    return RangeMse(bins, candidate);
  };
  constexpr int kCoarse = 128;
  constexpr int kFine = 64;
  int best_step = kCoarse;
  double best_error = error_at(1.0);
  for (int step = 1; step < kCoarse; ++step) {
    const double error = error_at(static_cast<double>(step) / kCoarse);
    if (error < best_error) {
      best_error = error;
      best_step = step;
    }
  }
  const double lo = static_cast<double>(best_step - 1) / kCoarse;
  const double hi = static_cast<double>(std::min(best_step + 1, kCoarse)) / kCoarse;
  double best_t = static_cast<double>(best_step) / kCoarse;
  for (int step = 0; step <= kFine; ++step) {
    const double t = lo + (hi - lo) * step / kFine;
    if (t <= 0) continue;
    const double error = error_at(t);
    if (error < best_error) {
      best_error = error;
      best_t = t;
    }
  }
  return extreme * best_t;
}

ClipRange MseRange(const std::vector<Bin>& bins, double min, double max) {
  ClipRange range{std::min(min, 0.0), std::max(max, 0.0)};
  const int rounds = min < 0 && max > 0 ? 4 : 1;
  for (int round = 0; round < rounds; ++round) {
    if (max > 0) range.beta = SearchEnd(bins, range, /*search_beta=*/true, max);
    if (min < 0) range.alpha = SearchEnd(bins, range, /*search_beta=*/false, min);
  }
  return range;
}

ClipRange RangeFor(const ActivationStats& stats, const std::vector<Bin>& bins,
                   const CalibrationMethod& method) {
  const double min = stats.min();
  const double max = stats.max();
  switch (method.kind) {
    case MethodKind::kPercentile:
      return PercentileRange(bins, method.percentile);
    case MethodKind::kEntropy:
      return EntropyRange(stats);
    case MethodKind::kMse:
      return MseRange(bins, min, max);
    case MethodKind::kMinMax:
    case MethodKind::kAuto:  // SelectRange expands auto into its candidates
      break;
  }
  return ClipRange{std::min(min, 0.0), std::max(max, 0.0)};
}

}  // namespace

Status ParseCalibrationMethod(std::string_view text, CalibrationMethod* method) {
  const auto error = [&](const std::string& why) {
    return Status(StatusCode::kInvalidArgument,
                  "calibration method '" + std::string(text) + "': " + why);
  };
  const size_t colon = text.find(':');
  const std::string_view name = text.substr(0, colon);
  CalibrationMethod parsed;
  if (name == "percentile") {
    if (colon == std::string_view::npos || colon + 1 == text.size()) {
      return error("percentile needs a value, e.g. percentile:99.99");
    }
    const std::string_view value = text.substr(colon + 1);
    const auto [end, ec] =
        std::from_chars(value.data(), value.data() + value.size(), parsed.percentile);
    if (ec != std::errc() || end != value.data() + value.size()) {
      return error("'" + std::string(value) + "' is not a number");
    }
    if (!(parsed.percentile > 0 && parsed.percentile <= 100)) {
      return error("the percentile must be in (0, 100]");
    }
    parsed.kind = MethodKind::kPercentile;
  } else if (colon != std::string_view::npos) {
    return error("only percentile takes a value; " + std::string(kMethodSyntax));
  } else if (name == "minmax") {
    parsed.kind = MethodKind::kMinMax;
  } else if (name == "entropy") {
    parsed.kind = MethodKind::kEntropy;
  } else if (name == "mse") {
    parsed.kind = MethodKind::kMse;
  } else if (name == "auto") {
    parsed.kind = MethodKind::kAuto;
  } else {
    return error(std::string("unknown method; ") + kMethodSyntax);
  }
  *method = parsed;
  return Status::Ok();
}

std::string FormatCalibrationMethod(const CalibrationMethod& method) {
  switch (method.kind) {
    case MethodKind::kMinMax:
      return "minmax";
    case MethodKind::kPercentile: {
      char buffer[32];
      const auto result = std::to_chars(buffer, buffer + sizeof(buffer), method.percentile);
      return "percentile:" + std::string(buffer, result.ptr);
    }
    case MethodKind::kEntropy:
      return "entropy";
    case MethodKind::kMse:
      return "mse";
    case MethodKind::kAuto:
      break;
  }
  return "auto";
}

Status SelectRange(const ActivationStats& stats, const CalibrationMethod& method,
                   RangeChoice* choice) {
  if (stats.count() == 0) {
    return Status(StatusCode::kFailedPrecondition,
                  "tensor '" + stats.name() + "': no calibration values were recorded");
  }
  const std::vector<Bin> bins = NonEmptyBins(stats);
  std::vector<CalibrationMethod> candidates{method};
  if (method.kind == MethodKind::kAuto) {
    candidates = {{MethodKind::kMinMax},
                  {MethodKind::kPercentile, 99.99},
                  {MethodKind::kEntropy},
                  {MethodKind::kMse}};
  }
  RangeChoice best;
  best.mse = std::numeric_limits<double>::infinity();
  for (const CalibrationMethod& candidate : candidates) {
    const ClipRange range = RangeFor(stats, bins, candidate);
    const double mse = RangeMse(bins, range);
    if (mse < best.mse) best = RangeChoice{range, candidate, mse};
  }
  *choice = best;
  return Status::Ok();
}

double ExpectedQuantMse(const ActivationStats& stats, const ActivationQuant& quant) {
  return MeanSquaredError(NonEmptyBins(stats), quant);
}

}  // namespace qrt::converter::calib
