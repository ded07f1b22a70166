// PointwiseChain: a converter-only node applying a sequence of pointwise steps, each a
// one-activation function (an activation, or a binary op with a constant operand),
// written by FusePointwiseChains so the quantizer emits the whole chain as one LOOKUP.
// Its attributes: converter/reference/ops/pointwise_chain.h.
#include "converter/reference/ops/pointwise_chain.h"

#include <string>
#include <vector>

#include "converter/reference/op_registry.h"
#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

Status InferPointwiseChain(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                           std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = inputs[0].shape;
  return Status::Ok();
}

Status RunPointwiseChain(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                         std::span<TensorData> out) {
  TensorData x = *in[0];
  for (int64_t k = 0; k < node.GetInt("steps", 0); ++k) {
    Node step;
    step.name = node.name + "/" + std::to_string(k);
    step.op_type = node.GetString(PointwiseChainStepKey(k, "op"), "");
    const OpKernel* kernel = FindOpKernel(step.op_type);
    if (kernel == nullptr) return OpError(node, "step '" + step.op_type + "' has no float kernel");
    const std::string prefix = PointwiseChainStepKey(k, "attr:");
    for (const auto& [key, value] : node.attributes) {
      if (key.starts_with(prefix)) step.attributes[key.substr(prefix.size())] = value;
    }
    const auto count = static_cast<size_t>(node.GetInt(PointwiseChainStepKey(k, "inputs"), 1));
    const auto x_index = static_cast<size_t>(node.GetInt(PointwiseChainStepKey(k, "x"), 0));
    std::vector<const TensorData*> operands(count, nullptr);
    step.inputs.assign(count, "");
    for (size_t i = 0; i < count; ++i) {
      operands[i] =
          i == x_index ? &x : node.GetTensor(PointwiseChainStepKey(k, "in" + std::to_string(i)));
      if (operands[i] != nullptr) step.inputs[i] = "in" + std::to_string(i);
    }
    std::vector<TensorData> y;
    y.emplace_back(DType::kFloat32, x.shape());
    QRT_RETURN_IF_ERROR(kernel->run(step, opset, operands, y));
    x = std::move(y[0]);
  }
  out[0] = std::move(x);
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> PointwiseChainKernels() {
  return {{"PointwiseChain", InferPointwiseChain, RunPointwiseChain}};
}

}  // namespace qrt::converter
