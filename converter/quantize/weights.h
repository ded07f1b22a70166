// Per-output-channel symmetric weight quantization, shared by CONV_2D and
// FULLY_CONNECTED (docs/quantization.md section 1).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "quantize.h"

namespace qrt::converter {

struct QuantizedWeights {
  std::vector<int8_t> values;  // row-major like the input, in [-qmax, qmax]
  std::vector<float> scales;   // one per row (output channel)
};

// The largest weight magnitude: 127 for int8 (the format excludes -128) and 7 for
// int4. int4 could reach -8, but a symmetric [-7, 7] grid keeps w -> q odd
// (q(-w) = -q(w)), so weights of either sign get the same resolution; the extra
// level would only serve the negative side.
int32_t MaxWeight(WeightBits bits);

// Quantizes `values` ([rows, K] row-major, rows = output channels) per row:
// S = max|w| / qmax (as the float the file stores), q = round(w / S). A row of
// zeros gets S = 1 so that every scale is positive.
QuantizedWeights QuantizePerChannel(std::span<const float> values, int64_t rows, WeightBits bits);

}  // namespace qrt::converter
