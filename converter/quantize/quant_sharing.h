// Quantization sharing: the runtime's data-movement operators (MAX_POOL_2D, RESHAPE,
// TRANSPOSE, PAD, RESIZE_NEAREST) copy int8 values without rescaling, so their
// output must carry exactly their input's scale and zero point (docs/format.md
// section 7). Calibration observes each tensor on its own and gives them slightly
// different ranges; this step overrides the outputs' parameters with the inputs'.
#pragma once

#include <string_view>

#include "converter/ir/graph.h"
#include "quantize.h"

namespace qrt::converter {

// Whether `op_type` becomes a pure data-movement operator whose output shares the
// quantization of its input 0: MaxPool, GlobalMaxPool, Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout, Transpose, Pad, Resize.
bool SharesInputQuantization(std::string_view op_type);

// In node order (so chains such as Transpose -> Reshape propagate), sets the output
// quantization of every data-movement node to its input's. A Concat whose inputs
// all have one quantization gives it to its output too, so that its requantization
// is the identity. Tensors without an entry are left alone (emission reports them).
void ShareQuantization(const Graph& graph, ActivationQuantMap* quant);

}  // namespace qrt::converter
