// From a real clipping range [alpha, beta] to the int8 asymmetric quantization of
// an activation tensor: r = S * (q - Z), q in [-128, 127].
#pragma once

#include <cstdint>

namespace qrt::converter::calib {

struct ClipRange {
  double alpha = 0;
  double beta = 0;
};

// The activation fused into the operator that produces the tensor.
enum class FusedActivation { kNone, kRelu, kRelu6 };

struct ActivationQuant {
  float scale = 1;
  int32_t zero_point = 0;  // in [-128, 127]
};

// S = (beta - alpha) / 255 and Z = round(-128 - alpha / S), after widening the
// range to contain 0 (a zero-padded or zero-initialised activation must be
// exact, so 0 must be a grid point; with an integer Z it is, q = Z).
// Rounding Z moves the represented range [S(-128-Z), S(127-Z)] by under S/2.
//
// Snapping, so that the integer clamp a kernel applies for the fused activation
// (FusedClamp) is exactly the float one:
//   kRelu:  alpha = 0, so Z = -128 and the clamp lo = Z is the int8 minimum.
//   kRelu6: alpha = 0 and beta = min(beta, 6). When the chosen range reaches 6,
//           S = 6/255 and hi = Z + round(6/S) = -128 + 255 = 127 exactly; when it
//           stops short of 6 (the method clipped), 6/S > 255 and the fused clamp
//           is the int8 saturation itself.
// A range of width 0 (a tensor that was always 0) gets S = 1, Z = -128.
ActivationQuant ChooseActivationQuant(ClipRange range, FusedActivation activation);

struct IntClamp {
  int32_t lo = -128;
  int32_t hi = 127;
};

// The int8 output clamp implementing `activation` under `quant`: max(0) is
// q >= Z, min(6) is q <= Z + round(6/S), each intersected with [-128, 127].
IntClamp FusedClamp(const ActivationQuant& quant, FusedActivation activation);

}  // namespace qrt::converter::calib
