// Seeded random test data. Every test draws from an Rng with a fixed seed and
// CAPTUREs it, so a failure names the seed that reproduces it.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "qrt/kernels/params.h"
#include "qrt/kernels/requant.h"

namespace qrt::test {

class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}

  // Uniform in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(engine_);
  }
  // Uniform in [lo, hi).
  double Real(double lo, double hi) {
    return std::uniform_real_distribution<double>(lo, hi)(engine_);
  }
  bool Bool() { return Int(0, 1) == 1; }

  template <class T>
  const T& Pick(const std::vector<T>& choices) {
    return choices[static_cast<size_t>(Int(0, static_cast<int64_t>(choices.size()) - 1))];
  }

  std::vector<int8_t> Int8s(size_t n, int32_t lo = -128, int32_t hi = 127);
  std::vector<int32_t> Int32s(size_t n, int32_t lo, int32_t hi);

  // An activation zero point: half the time one of the extremes -128, -1, 0, 127,
  // otherwise uniform in [-128, 127].
  int32_t ZeroPoint();

 private:
  std::mt19937_64 engine_;
};

// The output quantization of a tensor whose accumulators span [acc_min, acc_max]:
// M ~ 255 / (acc_max - acc_min) (jittered by up to 2x either way) and a zero point
// that centres the span, so outputs cover int8 with only occasional saturation
// (the way XNNPACK's testers choose their output scale).
struct OutputQuant {
  kernels::Dyadic requant;
  int32_t zero_point;
};
OutputQuant OutputQuantForRange(int64_t acc_min, int64_t acc_max, Rng& rng);

// An output clamp: mostly the full range, sometimes a ReLU at zero_point, sometimes
// a random [lo, hi].
kernels::OutputClamp DrawClamp(int32_t zero_point, Rng& rng);

// Owns per-channel requantization arrays and views them as a ChannelRequant.
struct ChannelRequantStorage {
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;

  void Push(kernels::Dyadic d);
  kernels::Dyadic At(size_t c) const { return {multiplier[c], shift[c]}; }
  kernels::ChannelRequant View() const { return {multiplier.data(), shift.data()}; }
};

// Operand shapes of a numpy broadcast: rank 0..6, output dimensions 1..4, and
// each operand dimension either the output's or 1 (some operands end up scalars).
kernels::BroadcastShapes DrawBroadcastShapes(Rng& rng);

// QuantizeMultiplier that must succeed (fails the current test otherwise).
kernels::Dyadic MustQuantizeMultiplier(double real_multiplier);

// MustQuantizeMultiplier rounded to 16 significant bits (a multiple of 2^15), as
// the converter stores every multiplier (schema version 3's mantissas).
kernels::Dyadic MustQuantizeMantissa(double real_multiplier);

}  // namespace qrt::test
