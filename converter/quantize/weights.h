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

// The scale of one output channel's weights. int8: S = max|w| / 127. int4: the
// S = c * max|w| / 7 with the least squared weight error, c searched on a grid of
// 100 points in [0.3, 1] (c = 1 included): MSE-optimal clipping, which on typical
// (heavy-tailed) weights gains several dB of weight SQNR over max-abs at 4 bits.
float ChannelScale(std::span<const float> row, WeightBits bits);

// Quantizes `values` ([rows, K] row-major, rows = output channels) per row:
// S = ChannelScale(row) (as the float the file stores), raised to min_scales[row]
// where given, q = clamp(round(w / S), -qmax, qmax). A row of zeros gets S = 1 so
// that every scale is positive.
QuantizedWeights QuantizePerChannel(std::span<const float> values, int64_t rows, WeightBits bits,
                                    std::span<const float> min_scales = {});

// The least weight scale of each channel at which its int32 bias, bias[c] /
// (input_scale * S), leaves the accumulator of K = `k` products headroom under 2^31
// (the format's bound, docs/format.md). A channel whose weights are all but zero
// (trained-away channels of PP-OCRv4's detector have max |w| near 1e-34) would
// otherwise get a scale so small that its bias saturates; at the floor its weights
// round to 0 and the bias stays exact to a part in 10^8.
std::vector<float> BiasScaleFloor(std::span<const float> bias, double input_scale, int64_t k,
                                  WeightBits bits);

}  // namespace qrt::converter
