// qrt-convert's empirical bias correction (Nagel et al., "Data-Free Quantization
// Through Weight Equalization and Bias Correction", 2019, section 4.2, in the
// empirical form AIMET implements): quantization leaves a mean error in each output
// channel of a convolution or Gemm (rounded weights times a non-zero-mean input,
// requantization rounding, and every error upstream), which averaging layers and
// squeeze-excitation gates turn into a systematic shift of the features. For each
// such channel, the mean of (int8 output dequantized - float output) over the
// calibration inputs is subtracted from its float bias, which the emitter then
// quantizes as usual.
//
// Layers are corrected in graph order, each measured with every layer before it
// already corrected (a layer's error includes what flows in from upstream, so
// correcting all at once would count upstream errors twice). Layers that do not
// depend on each other are measured in the same round.
#pragma once

#include <cstdint>
#include <string>

#include "converter/ir/graph.h"
#include "data_source.h"
#include "quantize.h"

namespace qrt::converter {

struct BiasCorrectionReport {
  int layers = 0;        // Conv, ConvTranspose and Gemm nodes corrected
  int64_t channels = 0;  // output channels whose bias moved
  int rounds = 0;        // emissions of the model it took
  // The largest shift of a bias, in units of its output's quantization step, and
  // the node it belongs to.
  double largest_shift_steps = 0;
  std::string largest_shift_node;
};

// Corrects the biases of every Conv, ConvTranspose and Gemm node of `graph` (adding a
// bias where there is none) for the int8 model emitted from it with `quant` and
// `options`, measured on every sample of `source`. Where a node has a fused clamp,
// only outputs the float model leaves strictly inside it count (clamped ones say
// nothing about the mean before the clamp). Nodes whose output the emitted model
// does not hold as its own int8 tensor are left alone. The ranges in `quant` stay
// as they are.
Status CorrectBiases(const ActivationQuantMap& quant, const QuantizeOptions& options,
                     calib::CalibrationSource* source, Graph* graph, BiasCorrectionReport* report);

}  // namespace qrt::converter
