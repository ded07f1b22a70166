// Emission of the integer-only .qrt model from a calibrated float graph: the last
// stage of qrt-convert. The float graph (ONNX semantics, NCHW) and one activation
// quantization per float tensor go in; a ModelBuilder holding the int8/int4 model
// (NHWC, dyadic multipliers, docs/quantization.md) comes out.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "activation_quant.h"
#include "converter/ir/graph.h"
#include "qrt/schema/model_builder.h"
#include "qrt/status.h"

namespace qrt::converter {

// Tensor name -> int8 quantization, for every float activation the model computes,
// graph inputs included (calibration's result).
using ActivationQuantMap = std::map<std::string, calib::ActivationQuant>;

enum class WeightBits { kInt8, kInt4 };

struct QuantizeOptions {
  // The weight precision of Conv, Gemm and MatMul nodes.
  WeightBits default_weights = WeightBits::kInt8;
  // Names of nodes kept at int8 when default_weights is kInt4 (the sensitive ones).
  std::set<std::string> keep_int8;

  // The weight precision of the node called `node`.
  WeightBits WeightBitsOf(const std::string& node) const {
    return default_weights == WeightBits::kInt4 && keep_int8.count(node) ? WeightBits::kInt8
                                                                         : default_weights;
  }
};

// What one float node (or one graph input/output boundary) became.
struct NodeReport {
  std::string node;                    // node name, or "input 'x'" / "output 'y'" for the boundary
  std::string op_type;                 // ONNX op type, or "(graph input)" / "(graph output)"
  std::vector<std::string> operators;  // the .qrt operators emitted, e.g. {"CONV_2D"}
  int weight_bits = 0;                 // 8 or 4; 0 for nodes without weights
  int64_t weight_bytes = 0;            // bytes of weight and bias constants
  int64_t saturated_bias = 0;          // bias values clamped to the int32 range
};

struct EmitReport {
  std::vector<NodeReport> nodes;
};

// Appends the quantized model of `graph` to `builder` (which should be empty) and sets
// its graph inputs and outputs.
//
// `graph` must be topologically sorted with fully known shapes (InferShapes with a
// fixed batch), BatchNormalization folded, and clamps fused by the fusion pass
// (converter/ir/fused_clamp.h) where possible. Graph inputs and outputs keep their
// ONNX names, NCHW shapes and float32 type: each input is QUANTIZEd (then
// TRANSPOSEd to NHWC when 4-D), each output TRANSPOSEd back and DEQUANTIZEd. Inside,
// every 4-D activation is NHWC; other ranks keep ONNX order. Nodes producing only
// non-float tensors (shape computations already folded into the IR's shapes) emit
// nothing.
//
// Before emission, the outputs of data-movement nodes take their input's
// quantization, whatever `activation_quant` says (ShareQuantization), because the
// runtime moves their bytes without rescaling.
//
// Errors: kUnsupportedOperator listing every unsupported node (name and op type), or
// naming the node and the unsupported attribute, layout or operand;
// kFailedPrecondition naming a tensor without activation quantization or with an
// unknown shape; kBadShape when an accumulator could overflow int32;
// kBadRequantization when a multiplier cannot be a dyadic number.
Status EmitQuantizedModel(const Graph& graph, const ActivationQuantMap& activation_quant,
                          const QuantizeOptions& options, ModelBuilder* builder,
                          EmitReport* report);

}  // namespace qrt::converter
