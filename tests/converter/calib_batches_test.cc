// Calibration does not depend on how the same data is split into batches: more
// calibration lines can change a range only through the values they add.
#include <doctest/doctest.h>

#include <random>
#include <span>
#include <vector>

#include "histogram.h"
#include "range.h"

namespace qrt::converter::calib {
namespace {

// A pre-activation: mostly N(0, 1), with a long negative tail down to -12 (a
// channel whose bias pushes it far below zero).
std::vector<float> PreActivation(size_t n, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<float> tail(-12.0f, -3.0f);
  std::vector<float> values(n);
  for (size_t i = 0; i < n; ++i) values[i] = i % 5 == 0 ? tail(engine) : normal(engine);
  return values;
}

TEST_CASE("calibration: the same values in any number of batches give the same ranges") {
  const std::vector<float> values = PreActivation(64000, 8);
  ActivationStats whole("t");
  REQUIRE(whole.Add(values).ok());
  for (const size_t batches : {2, 16, 200}) {
    CAPTURE(batches);
    ActivationStats split("t");
    const size_t size = values.size() / batches;
    for (size_t b = 0; b < batches; ++b) {
      REQUIRE(split.Add(std::span<const float>(values).subspan(b * size, size)).ok());
    }
    CHECK(split.min() == whole.min());
    CHECK(split.max() == whole.max());
    CHECK(split.histogram().bin_width == whole.histogram().bin_width);
    CHECK(split.histogram().first_bin == whole.histogram().first_bin);
    CHECK(split.histogram().counts == whole.histogram().counts);
    for (const char* text : {"mse", "entropy", "percentile:99.9", "auto"}) {
      CAPTURE(text);
      CalibrationMethod method;
      REQUIRE(ParseCalibrationMethod(text, &method).ok());
      RangeChoice a;
      RangeChoice b;
      REQUIRE(SelectRange(whole, method, &a).ok());
      REQUIRE(SelectRange(split, method, &b).ok());
      CHECK(a.range.alpha == b.range.alpha);
      CHECK(a.range.beta == b.range.beta);
    }
  }
}

}  // namespace
}  // namespace qrt::converter::calib
