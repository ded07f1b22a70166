// The table of operators the converter supports: for each ONNX op type, a shape/type
// inference function and a float reference kernel (ONNX semantics, NCHW).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "converter/ir/graph.h"
#include "qrt/status.h"

namespace qrt::converter {

// What is known about one operand while inferring shapes or running a node.
struct ValueInfo {
  bool present = false;  // false for an omitted optional input
  DType dtype = DType::kFloat32;
  Shape shape;
  // Contents when known: constants, values computed from other known values (shape
  // subgraphs) and, during execution, every input.
  const TensorData* value = nullptr;
};

// One inferred output. `value` is set by operators whose output follows from shapes
// alone (Shape), which lets shape subgraphs be evaluated before run time.
struct OutputInfo {
  DType dtype = DType::kFloat32;
  Shape shape;
  std::optional<TensorData> value;
};

// Fills one OutputInfo per node output (outputs has node.outputs.size() entries on
// entry). Dims that cannot be known yet are -1.
using InferFn = Status (*)(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                           std::span<OutputInfo> outputs);
// Computes the outputs, already allocated with the shapes InferFn gave for these inputs.
// inputs[i] is nullptr for an omitted optional input.
using RunFn = Status (*)(const Node& node, int64_t opset, std::span<const TensorData* const> inputs,
                         std::span<TensorData> outputs);

struct OpKernel {
  std::string_view op_type;
  InferFn infer;
  RunFn run;
};

// nullptr when the converter does not support op_type (default domain only).
const OpKernel* FindOpKernel(std::string_view op_type);

}  // namespace qrt::converter
