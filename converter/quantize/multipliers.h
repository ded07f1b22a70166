// Offline arithmetic of requantization: real multipliers to dyadic numbers and float
// biases to the accumulator's int32 scale (docs/quantization.md sections 1-2).
#pragma once

#include <cstdint>
#include <string_view>

#include "converter/ir/graph.h"
#include "qrt/kernels/requant.h"
#include "qrt/status.h"

namespace qrt::converter {

// kernels::QuantizeMultiplier of `real` rounded to 16 significant bits (the
// multiplier a multiple of 2^schema::kMantissaShift, half away from zero), so that the
// file stores it as a 16-bit mantissa (schema version 3). The relative error
// stays below 2^-16, far below an int8 output's resolution. kBadRequantization
// naming the node and `what` (e.g. "output multiplier of channel 3") when `real`
// is not positive and finite or reaches 2^30.
Status ToDyadic(double real, const Node& node, std::string_view what, kernels::Dyadic* out);

// round(bias / scale), saturated to the int32 range; *saturated tells whether it
// had to be (reported to the user: the channel's output is then wrong).
int32_t QuantizeBias(double bias, double scale, bool* saturated);

}  // namespace qrt::converter
