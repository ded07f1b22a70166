// The constants of an integer LAYER_NORM (docs/quantization.md section 8): gamma,
// beta, per-channel multipliers and epsilon in the kernel's integer units.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "activation_quant.h"
#include "converter/ir/graph.h"
#include "qrt/kernels/requant.h"
#include "qrt/status.h"

namespace qrt::converter {

struct QuantizedLayerNorm {
  std::vector<int8_t> gamma;             // sign(gamma_i) * g, one common magnitude g in [1, 127]
  std::vector<int32_t> beta;             // in units of Sg_i * 2^-16
  std::vector<kernels::Dyadic> requant;  // Sg_i / (Sy * 2^16)
  int64_t epsilon = 0;                   // round(eps * D^2 / Sx^2)
};

// Quantizes a layer norm over `gamma.size()` channels (beta empty for none) reading x
// and writing y. Gamma's scale is per channel, Sg_i = |gamma_i| / g (an arbitrary
// positive scale where gamma_i = 0), so gamma is exact; g is the largest magnitude for
// which the format's accumulator bound holds. kBadRequantization (naming `node`) when
// no g does or a multiplier is not representable.
Status QuantizeLayerNorm(const Node& node, std::span<const float> gamma,
                         std::span<const float> beta, float epsilon,
                         const calib::ActivationQuant& x, const calib::ActivationQuant& y,
                         QuantizedLayerNorm* out);

}  // namespace qrt::converter
