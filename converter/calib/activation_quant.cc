#include "activation_quant.h"

#include <algorithm>
#include <cmath>

namespace qrt::converter::calib {
namespace {

// Round half to even, as the runtime's QUANTIZE does at the model boundary.
int32_t RoundToInt(double x) { return static_cast<int32_t>(std::nearbyint(x)); }

}  // namespace

ActivationQuant ChooseActivationQuant(ClipRange range, FusedActivation activation) {
  double alpha = std::min(range.alpha, 0.0);
  double beta = std::max(range.beta, 0.0);
  if (activation != FusedActivation::kNone) alpha = 0;
  if (activation == FusedActivation::kRelu6) beta = std::min(beta, 6.0);
  if (!(beta > alpha)) return ActivationQuant{1.0f, -128};

  ActivationQuant quant;
  quant.scale = static_cast<float>((beta - alpha) / 255.0);
  quant.zero_point = std::clamp(RoundToInt(-128.0 - alpha / quant.scale), -128, 127);
  return quant;
}

IntClamp FusedClamp(const ActivationQuant& quant, FusedActivation activation) {
  IntClamp clamp;
  if (activation == FusedActivation::kNone) return clamp;
  clamp.lo = quant.zero_point;
  if (activation == FusedActivation::kRelu6) {
    const double hi = quant.zero_point + std::nearbyint(6.0 / quant.scale);
    clamp.hi = static_cast<int32_t>(std::min(hi, 127.0));
  }
  return clamp;
}

}  // namespace qrt::converter::calib
