// Per-tensor activation statistics gathered while the float model runs on the
// calibration set: the exact running min and max, and a 2048-bin histogram that
// the range selection methods (range.h) work on.
//
// Histogram grid. Bin edges are integer multiples of a power-of-two width w, so
// bin k covers [k*w, (k+1)*w) and 0 is always an edge. The histogram keeps the
// 2048 consecutive bins starting at the one holding the minimum, and w is the
// smallest power of two (never smaller than before) for which [min, max] fits in
// them. When a batch widens the range beyond 2048 bins, w doubles (as often as
// needed) and old bin k merges into bin floor(k/2): with power-of-two widths and
// 0-anchored edges a new bin is exactly the union of two old ones, so counts are
// never split or smeared and the result is exactly the histogram of all values
// seen, on the final grid, whatever the batch order or sizes.
//
// The error this introduces is resolution only: w is a power of two, so it can
// be up to twice (max-min)/2048 and [min, max] occupies between 1024 and 2048
// bins. Range selection treats values as uniform inside a bin, so its answers
// are accurate to about one bin width: 1/1024 of the observed range at worst.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "qrt/status.h"

namespace qrt::converter::calib {

inline constexpr int64_t kHistogramBins = 2048;

struct Histogram {
  double bin_width = 0;  // a power of two
  // Grid index of counts[0]: counts[i] holds values in [(first_bin+i)*w, (first_bin+i+1)*w).
  int64_t first_bin = 0;
  std::vector<uint64_t> counts = std::vector<uint64_t>(kHistogramBins, 0);

  double BinLower(size_t i) const {
    return static_cast<double>(first_bin + static_cast<int64_t>(i)) * bin_width;
  }
};

// The grid index that bin k of width w falls into when the width becomes w*2^d:
// floor(k / 2^d). (An arithmetic shift floors negative k too.)
inline int64_t MergedBin(int64_t k, int d) { return k >> (d < 63 ? d : 63); }

// Statistics of one tensor, fed one batch of float values at a time.
class ActivationStats {
 public:
  explicit ActivationStats(std::string tensor_name);

  // Adds every value to the min/max and histogram. A NaN or infinite value is
  // kInvalidArgument naming the tensor (nothing is added): a float model that
  // produces one on calibration data cannot be given a finite range.
  Status Add(std::span<const float> values);

  const std::string& name() const { return name_; }
  uint64_t count() const { return count_; }
  // The exact extremes of everything added; 0 while count() is 0.
  float min() const { return min_; }
  float max() const { return max_; }
  // How many values were exactly 0 (they are also in the histogram's bin [0, w)).
  // Post-ReLU tensors and zero padding make a spike there that range selection
  // treats as a point: 0 is exact under every candidate range.
  uint64_t zero_count() const { return zero_count_; }
  const Histogram& histogram() const { return histogram_; }

 private:
  // Moves the counts onto the grid of width 2^exponent starting at first_bin.
  void Regrid(int exponent, int64_t first_bin);

  std::string name_;
  uint64_t count_ = 0;
  uint64_t zero_count_ = 0;
  float min_ = 0;
  float max_ = 0;
  // log2 of histogram_.bin_width. It starts below float's smallest subnormal
  // (2^-149) so that any first batch, even all zeros, fits on the grid.
  int exponent_ = -160;
  Histogram histogram_;
};

}  // namespace qrt::converter::calib
