// The calibrated float graph written back as an ONNX model in QDQ form, carrying
// qrt's own quantization: the peer benchmark "ONNX Runtime int8 on the same
// quantization" (qrt-convert --emit-qdq).
#pragma once

#include <string>

#include "converter/ir/graph.h"
#include "converter/quantize/quantize.h"
#include "qrt/status.h"

namespace qrt::converter {

// Serializes `graph` (after the clean-up passes: BatchNormalization folded, clamps
// fused) as an ONNX ModelProto in QDQ form, at opset 13 or the graph's own opset when
// higher (14 with HardSwish, 17 with LayerNormalization):
//   - every float activation with an entry in `activation_quant` (after
//     ShareQuantization, as the .qrt gets it) is followed by QuantizeLinear to int8
//     with its scale and zero point, and each reader reads its own DequantizeLinear
//     of that, so ONNX Runtime can group every operator with its Q/DQ neighbours;
//   - the weights of Conv, ConvTranspose (group 1), Gemm and 2-D MatMul are int8
//     initializers quantized per output channel exactly as the .qrt's (int4-range
//     values where `options` asks for int4), read through a per-axis
//     DequantizeLinear; their bias is int32 at scale Sx * Sw[c], as the .qrt's;
//   - a fused clamp becomes a Relu (or Clip) after its node again; the passes' own
//     node types become ONNX operators again (Swish: x * Sigmoid(x); PointwiseChain:
//     its steps, with float intermediates, as the .qrt's one LOOKUP has no rounding
//     between them);
//   - operators whose form changed between the graph's opset and the written one
//     (Clip's bounds, Pad's pads, Slice's starts/ends, the axes of Squeeze,
//     Unsqueeze, ReduceSum and Split, Softmax's axis) are rewritten to the new form.
// Graph inputs and outputs keep their names, float32 type and shapes.
//
// Errors: kUnsupportedOperator for a Softmax-like node whose old semantics the new
// opset cannot express, or an op whose old form this writer does not know how to
// upgrade (Upsample, Resize before opset 11).
Status WriteQdqModel(const Graph& graph, const ActivationQuantMap& activation_quant,
                     const QuantizeOptions& options, const std::string& path);

}  // namespace qrt::converter
