// qrt-convert's activation equalization before depthwise convolutions (the
// cross-layer equalization of Nagel et al., "Data-Free Quantization Through Weight
// Equalization and Bias Correction", 2019, section 4.1, turned from weights to
// activations): a convolution whose output only a depthwise convolution reads, with
// no activation between them, may scale its output channel c by any k_c > 0 if the
// depthwise convolution divides its channel c's weights by k_c. The float model's
// outputs do not change, and neither does the int8 weights' precision (both sides are
// quantized per output channel, and channel c of a depthwise convolution is its
// output channel c). What changes is the int8 tensor between them, which has one
// scale: channels whose ranges are far narrower than the widest one (a stem
// convolution's outputs span 10-40x; each narrow channel then gets only a few int8
// steps) are stretched towards it, so that every channel keeps its resolution.
#pragma once

#include "converter/ir/graph.h"
#include "data_source.h"

namespace qrt::converter {

struct DepthwiseEqualizationReport {
  int pairs = 0;             // convolution -> depthwise convolution pairs equalized
  double median_factor = 1;  // the median k_c over every equalized channel
};

// The largest factor a channel is stretched by: beyond it a channel that is nearly
// constant on the calibration inputs would take over the tensor's range on others.
inline constexpr double kMaxEqualizationFactor = 16;

// Equalizes every such pair of `graph` from the per-channel ranges of the float
// graph on every sample of `source`: channel c of the tensor between them, with range
// [lo_c, hi_c], is scaled by k_c = min(H / hi_c, L / lo_c, 16) (of the sides where the
// channel has values; at least 1), with [L, H] the union of the channels' ranges, so
// that each channel fills as much of the shared range as it can without widening it.
Status EqualizeDepthwiseInputs(calib::CalibrationSource* source, Graph* graph,
                               DepthwiseEqualizationReport* report);

}  // namespace qrt::converter
