// The requantization rule of qrt: the one integer mapping from an int32
// accumulator to an int8 output that every kernel on every ISA reproduces bit
// for bit, and the offline decomposition of a real multiplier into it.
// docs/quantization.md is the prose version of this file.
#pragma once

#include <cstdint>

namespace qrt::kernels {

// Dyadic multiplier M = multiplier / 2^shift.
// Invariant (checked when a model loads): multiplier == 0 or
// 2^30 <= multiplier < 2^31, and 1 <= shift <= 62.
struct Dyadic {
  int32_t multiplier;
  int32_t shift;
};

inline constexpr int32_t kMinShift = 1;
inline constexpr int32_t kMaxShift = 62;
inline constexpr int32_t kMinNormalizedMultiplier = int32_t{1} << 30;

// True when d satisfies the Dyadic invariant.
constexpr bool IsValidDyadic(Dyadic d) {
  const bool multiplier_ok = d.multiplier == 0 || d.multiplier >= kMinNormalizedMultiplier;
  return multiplier_ok && d.shift >= kMinShift && d.shift <= kMaxShift;
}

// rescale(x, M) = floor((x * m + 2^(s-1)) / 2^s): one rounding, ties toward
// +infinity. |x * m| < 2^31 * 2^31 = 2^62 and 2^(s-1) <= 2^61, so the int64 sum
// cannot overflow; `>>` on a negative int64 is an arithmetic (flooring) shift in
// C++20.
constexpr int64_t Rescale(int32_t x, Dyadic d) {
  const int64_t product = int64_t{x} * int64_t{d.multiplier};
  const int64_t rounding = int64_t{1} << (d.shift - 1);
  return (product + rounding) >> d.shift;
}

// The requantization of an accumulator to an int8 output with zero point zy and
// clamp [lo, hi] (the fused activation, int8 values with zy <= hi or not):
//   y = clamp(rescale(acc, M) + zy, lo, hi)
// The clamp happens in int64 before anything is narrowed, so saturation is exact
// whatever the magnitude of rescale(acc, M).
constexpr int8_t Requantize(int32_t acc, Dyadic d, int32_t zy, int32_t lo, int32_t hi) {
  int64_t y = Rescale(acc, d) + zy;
  if (y < lo) y = lo;
  if (y > hi) y = hi;
  return static_cast<int8_t>(y);
}

enum class QuantizeMultiplierError { kOk, kNotPositiveFinite, kTooLarge };

// Decomposes a real multiplier M > 0 into the nearest Dyadic with a normalized
// multiplier: M = f * 2^e with f in [0.5, 1), multiplier = round(f * 2^31),
// shift = 31 - e. A mantissa that rounds up to 2^31 is renormalized to 2^30 with
// one less shift. M too small for shift <= 62 (below about 2^-32) becomes the
// zero multiplier {0, 1}; M >= 2^30 (shift < 1) is kTooLarge.
// The converter and the tests use this one function.
QuantizeMultiplierError QuantizeMultiplier(double real_multiplier, Dyadic* out);

// The real value a Dyadic stands for (for reports and tests, never at run time).
double DyadicToDouble(Dyadic d);

}  // namespace qrt::kernels
