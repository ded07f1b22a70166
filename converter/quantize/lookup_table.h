// The converter's tables: LOOKUP tables for pointwise functions of one int8 input
// and SOFTMAX's exponential table (docs/quantization.md section 7).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "activation_quant.h"
#include "converter/ir/fused_clamp.h"
#include "converter/ir/graph.h"
#include "qrt/schema/qrt_generated.h"
#include "qrt/status.h"

namespace qrt::converter {

// clamp(round_half_even(x / S) + Z, -128, 127), NaN -> Z: what QUANTIZE does.
int8_t QuantizeValue(double x, const calib::ActivationQuant& quant);

// The 256-entry table of a pointwise node: table[q + 128] = quantize_out(clamp(f(
// dequantize_in(q)))), where f is the node's own float reference kernel (so the
// table follows exactly the semantics calibration saw) run on all 256 input values
// at once. Input `activation_input` is that activation; `operands[i]` holds the
// other inputs' constant values (nullptr where omitted); `clamp` is the node's fused
// clamp (the whole line when none). The node must be elementwise in its activation
// (the caller's responsibility): kUnsupportedOperator when the kernel's output does
// not have 256 elements.
Status BuildLookupTable(const Node& node, int64_t opset, size_t activation_input,
                        std::span<const TensorData* const> operands,
                        const calib::ActivationQuant& in, const calib::ActivationQuant& out,
                        const FusedClamp& clamp, std::vector<int8_t>* table);

// The integer parameters of a HardSigmoid (its alpha and beta) or HardSwish node
// (kernels/params.h: HardActivationParams), from which the runtime builds its
// table (schema version 4), for quantizations `in` and `out` and the runtime clamp
// [lo, hi]. fraction_bits is the largest that keeps width and offset in range;
// the multiplier is QuantizeMultiplier's. nullopt for any other node, or where no
// parameters represent the function (alpha <= 0, extreme scales): the caller then
// stores the table.
std::optional<schema::HardActivation> HardActivationParameters(const Node& node,
                                                               const calib::ActivationQuant& in,
                                                               const calib::ActivationQuant& out,
                                                               int8_t lo, int8_t hi);

// E[d] = round(2^16 * exp(-Sx * d)), d = 0 .. 255.
std::vector<int32_t> SoftmaxExpTable(float input_scale);

}  // namespace qrt::converter
