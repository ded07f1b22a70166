#include "histogram.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace qrt::converter::calib {
namespace {

int64_t GridIndex(double x, double inverse_width) {
  return static_cast<int64_t>(std::floor(x * inverse_width));
}

// The smallest exponent >= `exponent` whose grid holds [lo, hi] in kHistogramBins
// bins. It also keeps |x| / 2^e below 2^50 so that grid indices are exact in a
// double and far from int64 overflow.
int RequiredExponent(double lo, double hi, int exponent) {
  const double abs_max = std::max(std::fabs(lo), std::fabs(hi));
  if (abs_max > 0) exponent = std::max(exponent, std::ilogb(abs_max) - 50);
  if (hi > lo) exponent = std::max(exponent, std::ilogb((hi - lo) / kHistogramBins));
  while (true) {
    const double inverse_width = std::ldexp(1.0, -exponent);
    if (GridIndex(hi, inverse_width) - GridIndex(lo, inverse_width) < kHistogramBins) {
      return exponent;
    }
    ++exponent;
  }
}

}  // namespace

ActivationStats::ActivationStats(std::string tensor_name) : name_(std::move(tensor_name)) {
  histogram_.bin_width = std::ldexp(1.0, exponent_);
}

Status ActivationStats::Add(std::span<const float> values) {
  if (values.empty()) return Status::Ok();
  float lo = values[0];
  float hi = values[0];
  for (size_t i = 0; i < values.size(); ++i) {
    const float v = values[i];
    if (!std::isfinite(v)) {
      return Status(StatusCode::kInvalidArgument,
                    "tensor '" + name_ + "': calibration produced a non-finite value (" +
                        std::to_string(v) + ") at element " + std::to_string(i) +
                        " of a batch; the float model or its calibration inputs are broken");
    }
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  if (count_ > 0) {
    lo = std::min(lo, min_);
    hi = std::max(hi, max_);
  }
  const int exponent = RequiredExponent(lo, hi, exponent_);
  const int64_t first_bin = GridIndex(lo, std::ldexp(1.0, -exponent));
  if (exponent != exponent_ || first_bin != histogram_.first_bin) Regrid(exponent, first_bin);
  min_ = lo;
  max_ = hi;
  count_ += values.size();

  const double inverse_width = std::ldexp(1.0, -exponent_);
  for (const float v : values) {
    ++histogram_.counts[GridIndex(v, inverse_width) - first_bin];
    zero_count_ += v == 0 ? 1 : 0;
  }
  return Status::Ok();
}

void ActivationStats::Regrid(int exponent, int64_t first_bin) {
  std::vector<uint64_t> counts(kHistogramBins, 0);
  const int shift = exponent - exponent_;
  for (size_t i = 0; i < counts.size(); ++i) {
    if (histogram_.counts[i] == 0) continue;
    const int64_t k = MergedBin(histogram_.first_bin + static_cast<int64_t>(i), shift);
    counts[k - first_bin] += histogram_.counts[i];
  }
  exponent_ = exponent;
  histogram_.bin_width = std::ldexp(1.0, exponent);
  histogram_.first_bin = first_bin;
  histogram_.counts = std::move(counts);
}

}  // namespace qrt::converter::calib
