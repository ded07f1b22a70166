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

// The signed histogram of the non-zero values on bins [i*w, (i+1)*w) of a grid
// that reaches 0 (bin `zero` starts at 0): the calibration histogram extended to
// 0 when the data lies on one side of it, then merged by a power of two when it
// is longer than kHistogramBins.
struct SignedHistogram {
  double bin_width;
  size_t zero;  // index of the first bin at or above 0; counts.size() when all are below
  std::vector<double> counts;
};

SignedHistogram ToSignedHistogram(const Histogram& histogram, const std::vector<double>& counts) {
  int64_t first = 0;  // grid index of the lowest bin, 0 included
  int64_t last = 0;   // grid index one past the highest bin, 0 included
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const int64_t k = histogram.first_bin + static_cast<int64_t>(i);
    first = std::min(first, k);
    last = std::max(last, k + 1);
  }
  int shift = 0;
  // Both ends stay on merged bin edges: 0 is an edge at every power of two.
  while (MergedBin(last - 1, shift) - MergedBin(first, shift) + 1 > kHistogramBins) ++shift;
  const int64_t lo = MergedBin(first, shift);
  const int64_t hi = last == 0 ? 0 : MergedBin(last - 1, shift) + 1;
  SignedHistogram result{std::ldexp(histogram.bin_width, shift), static_cast<size_t>(-lo),
                         std::vector<double>(static_cast<size_t>(std::max(hi, int64_t{0}) - lo),
                                             0.0)};
  for (size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    const int64_t k = histogram.first_bin + static_cast<int64_t>(i);
    result.counts[static_cast<size_t>(MergedBin(k, shift) - lo)] += counts[i];
  }
  return result;
}

// The number of quantization steps an int8 range is split into (256 levels).
constexpr size_t kEntropyLevels = 255;

// The KL divergence of the histogram clipped to bins [lo, hi) from its int8
// quantization (TensorRT's search, generalised to an asymmetric range):
//   P: the histogram restricted to [lo, hi), with the values below lo added to
//      bin lo and those above to bin hi-1 (what clipping does to them);
//   Q: the in-range histogram (outliers not added) summed over the 255 equal
//      steps of the int8 grid spanning [lo, hi), each step's sum spread evenly
//      back over its bins where P is non-zero.
// Both are divided by the total count, so Q lacks exactly the clipped mass and
// the generalised divergence sum(p log(p/q)) - sum(p) + sum(q) charges for it.
// (With Q renormalised to 1, as TensorRT does, a cut below nearly all of the data
// looks perfect: P and Q are then both a single spike at the cut.) Infinite when
// P has mass in a step whose in-range bins are all empty.
double ClippedKl(const std::vector<double>& h, size_t lo, size_t hi, double below, double above,
                 double total, std::vector<double>* group_sum, std::vector<double>* group_bins) {
  const size_t width = hi - lo;
  const size_t groups = std::min(kEntropyLevels, width);
  group_sum->assign(groups, 0.0);
  group_bins->assign(groups, 0.0);
  const auto p_at = [&](size_t t) {
    return h[t] + (t == lo ? below : 0.0) + (t + 1 == hi ? above : 0.0);
  };
  for (size_t t = lo; t < hi; ++t) {
    const size_t g = (t - lo) * groups / width;
    (*group_sum)[g] += h[t];
    if (p_at(t) > 0) (*group_bins)[g] += 1;
  }
  double divergence = 0;
  double q_mass = 0;
  for (size_t t = lo; t < hi; ++t) {
    const double p = p_at(t);
    if (p == 0) continue;
    const size_t g = (t - lo) * groups / width;
    const double q = (*group_sum)[g] / (*group_bins)[g];
    if (q == 0) return std::numeric_limits<double>::infinity();
    divergence += p / total * std::log(p / q);
    q_mass += q;
  }
  return divergence - 1.0 + q_mass / total;
}

// Searches the clip [max(-T, min), min(T, max)] over thresholds T that are whole
// bins from 0: on a one-sided tensor that is [0, T] (or [-T, 0]); on a two-sided
// one both ends move together until one reaches the data's extreme. Each
// candidate range is judged with its own 255-step grid (ClippedKl), so a short
// negative tail (hard-swish's [-0.375, 0]) costs no levels it does not use.
// Candidates start at 255 bins wide (or the whole histogram when narrower).
ClipRange EntropyRange(const ActivationStats& stats) {
  const double min = stats.min();
  const double max = stats.max();
  const SignedHistogram sh = ToSignedHistogram(stats.histogram(), NonZeroCounts(stats));
  const std::vector<double>& h = sh.counts;
  const size_t n = h.size();
  const size_t z = sh.zero;
  double total = 0;
  for (double c : h) total += c;
  if (total == 0) return ClipRange{std::min(min, 0.0), std::max(max, 0.0)};
  std::vector<double> prefix(n + 1, 0.0);  // prefix[i]: the mass below bin i
  for (size_t i = 0; i < n; ++i) prefix[i + 1] = prefix[i] + h[i];

  const size_t max_t = std::max(z, n - z);
  size_t best_t = max_t;
  double best = std::numeric_limits<double>::infinity();
  std::vector<double> group_sum, group_bins;
  for (size_t t = 1; t <= max_t; ++t) {
    const size_t lo = z - std::min(t, z);
    const size_t hi = z + std::min(t, n - z);
    if (hi - lo < std::min(kEntropyLevels, n) && t < max_t) continue;
    const double divergence =
        ClippedKl(h, lo, hi, prefix[lo], total - prefix[hi], total, &group_sum, &group_bins);
    if (divergence < best) {
      best = divergence;
      best_t = t;
    }
  }
  const double threshold = static_cast<double>(best_t) * sh.bin_width;
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
