// Calibration statistics, range selection and activation quantization on
// synthetic distributions whose answers are known.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "activation_quant.h"
#include "histogram.h"
#include "progress.h"
#include "range.h"

namespace qrt::converter::calib {
namespace {

std::vector<float> Gaussian(size_t n, uint64_t seed) {
  std::mt19937_64 engine(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> values(n);
  for (float& v : values) v = normal(engine);
  return values;
}

ActivationStats StatsOf(const std::vector<float>& values) {
  ActivationStats stats("t");
  REQUIRE(stats.Add(values).ok());
  return stats;
}

RangeChoice Select(const ActivationStats& stats, const char* method_text) {
  CalibrationMethod method;
  REQUIRE(ParseCalibrationMethod(method_text, &method).ok());
  RangeChoice choice;
  REQUIRE(SelectRange(stats, method, &choice).ok());
  return choice;
}

uint64_t Total(const Histogram& histogram) {
  uint64_t total = 0;
  for (const uint64_t c : histogram.counts) total += c;
  return total;
}

TEST_CASE("histogram: exact extremes, power-of-two grid, every value counted") {
  const std::vector<float> values = Gaussian(10000, 1);
  const ActivationStats stats = StatsOf(values);
  CHECK(stats.count() == values.size());
  CHECK(stats.min() == *std::min_element(values.begin(), values.end()));
  CHECK(stats.max() == *std::max_element(values.begin(), values.end()));
  const Histogram& histogram = stats.histogram();
  CHECK(Total(histogram) == values.size());
  int exponent = 0;
  CHECK(std::frexp(histogram.bin_width, &exponent) == 0.5);
  // The grid is the finest power of two holding the range: at least 1024 bins used.
  const double span = stats.max() - stats.min();
  CHECK(span / histogram.bin_width > 1024 - 1);
  CHECK(span / histogram.bin_width < kHistogramBins);
}

TEST_CASE("histogram: growing range re-bins exactly, whatever the batch order") {
  // Batches of widening range (including a first all-zero batch) must give the
  // same histogram as one batch of everything.
  std::vector<std::vector<float>> batches{std::vector<float>(100, 0.0f)};
  for (int b = 0; b < 6; ++b) {
    std::vector<float> batch = Gaussian(2000, 10 + b);
    for (float& v : batch) v *= std::pow(4.0f, static_cast<float>(b)) * 0.01f;
    batches.push_back(batch);
  }
  batches.push_back({-300.0f, 1e-3f});
  ActivationStats incremental("t");
  std::vector<float> all;
  for (const auto& batch : batches) {
    REQUIRE(incremental.Add(batch).ok());
    all.insert(all.end(), batch.begin(), batch.end());
  }
  std::reverse(batches.begin(), batches.end());
  ActivationStats reversed("t");
  for (const auto& batch : batches) REQUIRE(reversed.Add(batch).ok());
  const ActivationStats at_once = StatsOf(all);
  for (const ActivationStats* stats : {&incremental, &reversed}) {
    CHECK(stats->histogram().bin_width == at_once.histogram().bin_width);
    CHECK(stats->histogram().first_bin == at_once.histogram().first_bin);
    CHECK(stats->histogram().counts == at_once.histogram().counts);
    CHECK(stats->min() == -300.0f);
  }
  CHECK(Total(at_once.histogram()) == all.size());
}

TEST_CASE("histogram: a non-finite value is an error naming the tensor") {
  ActivationStats stats("conv1_out");
  const std::vector<float> values{1.0f, NAN, 2.0f};
  const Status status = stats.Add(values);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(status.message().find("conv1_out") != std::string::npos);
  CHECK(stats.count() == 0);
  const std::vector<float> infinite{INFINITY};
  CHECK_FALSE(stats.Add(infinite).ok());
}

TEST_CASE("method parsing") {
  CalibrationMethod method;
  for (const char* text : {"minmax", "entropy", "mse", "auto", "percentile:99.99", "percentile:100",
                           "percentile:0.5"}) {
    CAPTURE(text);
    REQUIRE(ParseCalibrationMethod(text, &method).ok());
    CHECK(FormatCalibrationMethod(method) == text);
  }
  REQUIRE(ParseCalibrationMethod("percentile:99.9", &method).ok());
  CHECK(method.kind == MethodKind::kPercentile);
  CHECK(method.percentile == 99.9);

  for (const char* text :
       {"", "max", "percentile", "percentile:", "percentile:0", "percentile:100.5", "percentile:-1",
        "percentile:abc", "percentile:99x", "percentile:nan", "mse:3", "MSE"}) {
    CAPTURE(text);
    const Status status = ParseCalibrationMethod(text, &method);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.message().find("'" + std::string(text) + "'") != std::string::npos);
  }
}

TEST_CASE("ranges: a Gaussian with a few huge outliers") {
  // Two outliers in a million: rare enough that clipping them costs less
  // squared error than the coarser steps of the full range would.
  std::vector<float> values = Gaussian(1000000, 2);
  for (const float outlier : {30.0f, -30.0f}) values.push_back(outlier);
  const ActivationStats stats = StatsOf(values);

  const RangeChoice minmax = Select(stats, "minmax");
  CHECK(minmax.range.alpha == -30.0);
  CHECK(minmax.range.beta == 30.0);

  // The 99.99th percentile of N(0, 1) is 3.72.
  const RangeChoice percentile = Select(stats, "percentile:99.99");
  CHECK(percentile.range.beta == doctest::Approx(3.72).epsilon(0.05));
  CHECK(percentile.range.alpha == doctest::Approx(-3.72).epsilon(0.05));

  // The entropy search cannot cut below 128 of the |x| histogram's bins, here
  // 128 * 2^-5 = 4 sigma, TensorRT's resolution limit too.
  const RangeChoice entropy = Select(stats, "entropy");
  CHECK(entropy.range.beta >= 3.0);
  CHECK(entropy.range.beta <= 8.0);
  CHECK(entropy.range.alpha == -entropy.range.beta);

  // Squared error weighs outliers heavily: even two in a million pull the
  // MSE-optimal clip out from ~4 sigma (see below), but it stays far inside them.
  const RangeChoice mse = Select(stats, "mse");
  CHECK(mse.range.beta > 3.0);
  CHECK(mse.range.beta < 12.0);
  CHECK(mse.range.alpha < -3.0);
  CHECK(mse.range.alpha > -12.0);

  for (const RangeChoice* choice : {&percentile, &entropy, &mse}) {
    CHECK(choice->mse < minmax.mse / 2);
  }
  CHECK(mse.mse <= percentile.mse);
  CHECK(mse.mse <= entropy.mse);

  const RangeChoice automatic = Select(stats, "auto");
  CHECK(automatic.method.kind != MethodKind::kAuto);
  for (const RangeChoice* choice : {&minmax, &percentile, &entropy, &mse}) {
    CHECK(automatic.mse <= choice->mse);
  }
}

TEST_CASE("ranges: the MSE-optimal int8 clip of a Gaussian is about 4 sigma") {
  const ActivationStats stats = StatsOf(Gaussian(200000, 7));
  const RangeChoice mse = Select(stats, "mse");
  CHECK(mse.range.beta == doctest::Approx(3.9).epsilon(0.12));
  CHECK(mse.range.alpha == doctest::Approx(-3.9).epsilon(0.12));
  CHECK(mse.range.beta < stats.max());
}

TEST_CASE("ranges: uniform data keeps about the full range with every method") {
  std::mt19937_64 engine(3);
  std::uniform_real_distribution<float> uniform(-1.0f, 3.0f);
  std::vector<float> values(100000);
  for (float& v : values) v = uniform(engine);
  const ActivationStats stats = StatsOf(values);
  for (const std::string method : {"minmax", "percentile:99.99", "entropy", "mse", "auto"}) {
    CAPTURE(method);
    const RangeChoice choice = Select(stats, method.c_str());
    CHECK(choice.range.alpha == doctest::Approx(-1.0).epsilon(0.03));
    CHECK(choice.range.beta == doctest::Approx(3.0).epsilon(0.03));
  }
}

TEST_CASE("ranges: post-ReLU half-Gaussian gets alpha 0 and zero point -128") {
  std::vector<float> values = Gaussian(100000, 4);
  for (float& v : values) v = std::max(v, 0.0f);
  const ActivationStats stats = StatsOf(values);
  for (const std::string method : {"minmax", "percentile:99.9", "entropy", "mse", "auto"}) {
    CAPTURE(method);
    const RangeChoice choice = Select(stats, method.c_str());
    CHECK(choice.range.alpha == 0.0);
    CHECK(choice.range.beta > 2.5);
    CHECK(ChooseActivationQuant(choice.range, FusedActivation::kNone).zero_point == -128);
    CHECK(ChooseActivationQuant(choice.range, FusedActivation::kRelu).zero_point == -128);
  }
}

TEST_CASE("ranges: one-sided negative data gets beta 0 and zero point 127") {
  std::vector<float> values = Gaussian(50000, 5);
  for (float& v : values) v = -std::fabs(v);
  const ActivationStats stats = StatsOf(values);
  for (const std::string method : {"minmax", "percentile:99.99", "entropy", "mse"}) {
    CAPTURE(method);
    const RangeChoice choice = Select(stats, method.c_str());
    CHECK(choice.range.beta == 0.0);
    CHECK(choice.range.alpha < -2.5);
    CHECK(ChooseActivationQuant(choice.range, FusedActivation::kNone).zero_point == 127);
  }
}

TEST_CASE("ranges: a constant tensor and an empty one") {
  const ActivationStats zeros = StatsOf(std::vector<float>(64, 0.0f));
  const RangeChoice choice = Select(zeros, "auto");
  CHECK(choice.range.alpha == 0.0);
  CHECK(choice.range.beta == 0.0);
  const ActivationQuant quant = ChooseActivationQuant(choice.range, FusedActivation::kNone);
  CHECK(quant.scale == 1.0f);
  CHECK(quant.zero_point == -128);

  const ActivationStats positive = StatsOf(std::vector<float>(64, 2.5f));
  CHECK(Select(positive, "entropy").range.beta == 2.5);
  CHECK(Select(positive, "mse").range.beta == doctest::Approx(2.5).epsilon(0.01));

  ActivationStats empty("never_run");
  RangeChoice unused;
  const Status status = SelectRange(empty, CalibrationMethod{}, &unused);
  CHECK(status.code() == StatusCode::kFailedPrecondition);
  CHECK(status.message().find("never_run") != std::string::npos);
}

TEST_CASE("expected MSE of uniform data under min-max is the rounding error S^2/12") {
  std::vector<float> values(200000);
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(i) / static_cast<float>(values.size() - 1);
  }
  const ActivationStats stats = StatsOf(values);
  const ActivationQuant quant = ChooseActivationQuant({0.0, 1.0}, FusedActivation::kNone);
  const double step = quant.scale;
  CHECK(ExpectedQuantMse(stats, quant) == doctest::Approx(step * step / 12).epsilon(0.02));
  // Clipping half the range adds the clipped half's squared distance: mean of
  // (x - 0.5)^2 over [0.5, 1] is 1/12, times the half of values clipped.
  const ActivationQuant half = ChooseActivationQuant({0.0, 0.5}, FusedActivation::kNone);
  CHECK(ExpectedQuantMse(stats, half) == doctest::Approx(1.0 / 24).epsilon(0.02));
}

TEST_CASE("activation quantization: zero exact, ReLU and ReLU6 snapping") {
  ActivationQuant quant = ChooseActivationQuant({-1.0, 3.0}, FusedActivation::kNone);
  CHECK(quant.scale == static_cast<float>(4.0 / 255));
  CHECK(quant.zero_point == -64);  // round(-128 + 63.75)
  CHECK(FusedClamp(quant, FusedActivation::kNone).lo == -128);
  CHECK(FusedClamp(quant, FusedActivation::kNone).hi == 127);

  // A range not containing 0 is widened to contain it.
  quant = ChooseActivationQuant({2.0, 5.1}, FusedActivation::kNone);
  CHECK(quant.zero_point == -128);
  CHECK(quant.scale == static_cast<float>(5.1 / 255));

  quant = ChooseActivationQuant({-0.3, 4.0}, FusedActivation::kRelu);
  CHECK(quant.zero_point == -128);
  CHECK(quant.scale == static_cast<float>(4.0 / 255));
  CHECK(FusedClamp(quant, FusedActivation::kRelu).lo == -128);

  for (const double beta : {6.0, 6.0001, 7.5, 100.0}) {
    CAPTURE(beta);
    quant = ChooseActivationQuant({0.0, beta}, FusedActivation::kRelu6);
    CHECK(quant.zero_point == -128);
    CHECK(quant.scale == static_cast<float>(6.0 / 255));
    const IntClamp clamp = FusedClamp(quant, FusedActivation::kRelu6);
    CHECK(clamp.lo == -128);
    CHECK(clamp.hi == 127);
    CHECK(quant.zero_point + std::nearbyint(6.0 / quant.scale) == 127);
  }
  // Clipped below 6: the ReLU6 clamp is beyond int8, saturation implements it.
  quant = ChooseActivationQuant({0.0, 4.0}, FusedActivation::kRelu6);
  CHECK(quant.scale == static_cast<float>(4.0 / 255));
  CHECK(FusedClamp(quant, FusedActivation::kRelu6).hi == 127);
  // Relu6 on data calibrated through ReLU6: the range [0, 6] from the histogram.
  std::vector<float> values = Gaussian(20000, 6);
  for (float& v : values) v = std::clamp(v * 4.0f, 0.0f, 6.0f);
  const ActivationStats stats = StatsOf(values);
  const RangeChoice minmax = Select(stats, "minmax");
  quant = ChooseActivationQuant(minmax.range, FusedActivation::kRelu6);
  CHECK(quant.zero_point == -128);
  CHECK(FusedClamp(quant, FusedActivation::kRelu6).hi == 127);
}

TEST_CASE("progress bar: text, and silence when the stream is not a terminal") {
  CHECK(RenderProgress(37, 100, 10) == "calibrating [###.......] 37/100 inputs");
  CHECK(RenderProgress(0, 3, 4) == "calibrating [....] 0/3 inputs");
  CHECK(RenderProgress(3, 3, 4) == "calibrating [####] 3/3 inputs");
  CHECK(RenderProgress(0, 0, 2) == "calibrating [##] 0/0 inputs");

  std::FILE* file = std::tmpfile();
  REQUIRE(file != nullptr);
  {
    ProgressBar bar(5, file);
    for (size_t i = 0; i <= 5; ++i) bar.Update(i);
  }
  CHECK(std::ftell(file) == 0);
  std::fclose(file);
}

}  // namespace
}  // namespace qrt::converter::calib
namespace qrt::converter::calib {
namespace {

// The bug this catches: TensorRT's renormalised Q made a cut just above 0.36 look
// perfect (P and Q both one spike at the cut), clipping every value to 0.36.
// PP-OCR's hard-sigmoid outputs lie like this, far from 0, and entropy calibration
// gave 4 dB of output SQNR on it.
TEST_CASE("ranges: entropy keeps data that lies far from zero") {
  std::mt19937_64 engine(3);
  std::uniform_real_distribution<float> uniform(0.36f, 0.5f);
  std::vector<float> values(20000);
  for (float& v : values) v = uniform(engine);
  const ActivationStats stats = StatsOf(values);
  const RangeChoice entropy = Select(stats, "entropy");
  CHECK(entropy.range.alpha == 0.0);
  CHECK(entropy.range.beta >= 0.49);
  CHECK(entropy.range.beta <= 0.5);
  std::vector<float> negative = values;
  for (float& v : negative) v = -v;
  const RangeChoice mirrored = Select(StatsOf(negative), "entropy");
  CHECK(mirrored.range.beta == 0.0);
  CHECK(mirrored.range.alpha <= -0.49);
}

// Asymmetric two-sided data: the short negative side costs no levels, so the
// positive side is judged on a 255-step grid, not TensorRT's 128.
TEST_CASE("ranges: entropy on a hard-swish-like distribution keeps the negative side") {
  std::mt19937_64 engine(4);
  std::normal_distribution<float> normal(0.0f, 2.0f);
  std::vector<float> values(100000);
  for (float& v : values) {
    const float x = normal(engine);
    v = x * std::clamp(x + 3.0f, 0.0f, 6.0f) / 6.0f;
  }
  const ActivationStats stats = StatsOf(values);
  const RangeChoice entropy = Select(stats, "entropy");
  CHECK(entropy.range.alpha == doctest::Approx(stats.min()).epsilon(0.01));
  CHECK(entropy.range.beta > 3.0);
  CHECK(entropy.range.beta <= stats.max());
}

}  // namespace
}  // namespace qrt::converter::calib
