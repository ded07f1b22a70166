// Range selection: from a tensor's ActivationStats to the clipping range
// [alpha, beta] its int8 quantization will cover (background.md section 6).
//
//   minmax        the observed range.
//   percentile:P  the P-th and (100-P)-th percentiles of the histogram (values
//                 interpolated linearly inside a bin), e.g. percentile:99.99.
//   entropy       TensorRT's KL-divergence threshold search, adapted to
//                 asymmetric int8. The signed histogram (extended to 0) is cut
//                 at [max(-T, min), min(T, max)] for every whole-bin threshold
//                 T; P is the cut histogram with the clipped values added to its
//                 end bins, Q the in-range values quantized to the 255 steps of
//                 that range's own int8 grid and spread back over P's non-empty
//                 bins. The T minimising the generalised divergence with P and Q
//                 both divided by the total count wins (Q then lacks the clipped
//                 mass, so clipping is charged for: TensorRT's renormalised Q
//                 judged a cut below nearly all of the data perfect). Exact zeros
//                 are left out (as pytorch-quantization's skip_zeros): 0 is
//                 exact under every threshold, and the post-ReLU spike at 0
//                 would otherwise pull the threshold down.
//   mse           the range minimising ExpectedQuantMse. One-sided tensors
//                 search the free end; two-sided ones alternate searching beta
//                 with alpha fixed and alpha with beta fixed, 4 times, starting
//                 from the observed range. Each 1-D search scans 128 evenly
//                 spaced candidates then 64 around the best.
//   auto          per tensor, whichever of minmax, percentile:99.99, entropy and
//                 mse gives the least ExpectedQuantMse (the NVIDIA study found
//                 no single method best for every network).
// Every range contains 0 and lies within the observed [min, max].
#pragma once

#include <string>
#include <string_view>

#include "activation_quant.h"
#include "histogram.h"
#include "qrt/status.h"

namespace qrt::converter::calib {

enum class MethodKind { kMinMax, kPercentile, kEntropy, kMse, kAuto };

struct CalibrationMethod {
  MethodKind kind = MethodKind::kMinMax;
  double percentile = 99.99;  // used by kPercentile only
};

// Parses the CLI syntax minmax | percentile:P | entropy | mse | auto, P in (0, 100].
// Errors are kInvalidArgument quoting the text and listing what is accepted.
Status ParseCalibrationMethod(std::string_view text, CalibrationMethod* method);

// The CLI syntax again, e.g. "percentile:99.99".
std::string FormatCalibrationMethod(const CalibrationMethod& method);

struct RangeChoice {
  ClipRange range;
  // The method that produced the range: the requested one, or auto's pick.
  CalibrationMethod method;
  // ExpectedQuantMse of the range, for reports and for auto.
  double mse = 0;
};

// kFailedPrecondition naming the tensor when no value was ever added.
Status SelectRange(const ActivationStats& stats, const CalibrationMethod& method,
                   RangeChoice* choice);

// The expected squared error per value of quantizing the tensor's values with
// `quant` (no fused activation): rounding error inside the represented range
// [S(-128-Z), S(127-Z)] plus clipping error outside it. Values are taken as
// uniformly spread inside each histogram bin (the end bins trimmed to the exact
// min and max), which makes both terms closed-form integrals per bin.
double ExpectedQuantMse(const ActivationStats& stats, const ActivationQuant& quant);

}  // namespace qrt::converter::calib
