// Pointwise float activations: Relu, LeakyRelu, Clip,
// HardSigmoid, HardSwish, Sigmoid, Swish, Tanh, Sqrt, Erf, Gelu.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

Status InferUnary(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                  std::span<OutputInfo> outputs) {
  // Clip (opset >= 11) carries min and max as optional scalar inputs.
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, node.op_type == "Clip" ? 3 : 1));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].present) continue;
    QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, i));
    if (i > 0 && NumElements(inputs[i].shape) != 1) {
      return OpError(node, "min and max must be scalars");
    }
  }
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = inputs[0].shape;
  return Status::Ok();
}

template <typename F>
Status Map(std::span<const TensorData* const> inputs, std::span<TensorData> outputs, F f) {
  std::span<const float> x = inputs[0]->values<float>();
  std::transform(x.begin(), x.end(), outputs[0].values<float>().begin(), f);
  return Status::Ok();
}

Status RunRelu(const Node&, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  return Map(in, out, [](float x) { return std::max(x, 0.0f); });
}

Status RunLeakyRelu(const Node& node, int64_t, std::span<const TensorData* const> in,
                    std::span<TensorData> out) {
  const float alpha = node.GetFloat("alpha", 0.01f);
  return Map(in, out, [alpha](float x) { return x < 0 ? alpha * x : x; });
}

Status RunClip(const Node& node, int64_t opset, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  float lo = std::numeric_limits<float>::lowest();
  float hi = std::numeric_limits<float>::max();
  if (opset < 11) {
    lo = node.GetFloat("min", lo);
    hi = node.GetFloat("max", hi);
  } else {
    if (in.size() > 1 && in[1] != nullptr) lo = in[1]->values<float>()[0];
    if (in.size() > 2 && in[2] != nullptr) hi = in[2]->values<float>()[0];
  }
  // min > max gives max everywhere, as ONNX specifies (std::clamp would be undefined).
  return Map(in, out, [lo, hi](float x) { return std::min(std::max(x, lo), hi); });
}

Status RunHardSigmoid(const Node& node, int64_t, std::span<const TensorData* const> in,
                      std::span<TensorData> out) {
  const float alpha = node.GetFloat("alpha", 0.2f);
  const float beta = node.GetFloat("beta", 0.5f);
  return Map(in, out, [alpha, beta](float x) { return std::clamp(alpha * x + beta, 0.0f, 1.0f); });
}

Status RunHardSwish(const Node&, int64_t, std::span<const TensorData* const> in,
                    std::span<TensorData> out) {
  return Map(in, out, [](float x) { return x * std::clamp(x / 6.0f + 0.5f, 0.0f, 1.0f); });
}

Status RunSigmoid(const Node&, int64_t, std::span<const TensorData* const> in,
                  std::span<TensorData> out) {
  return Map(in, out, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
}

// x * sigmoid(alpha * x) (ONNX Swish, opset 24; also what FuseSwish produces).
Status RunSwish(const Node& node, int64_t, std::span<const TensorData* const> in,
                std::span<TensorData> out) {
  const float alpha = node.GetFloat("alpha", 1.0f);
  return Map(in, out, [alpha](float x) { return x / (1.0f + std::exp(-alpha * x)); });
}

Status RunTanh(const Node&, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  return Map(in, out, [](float x) { return std::tanh(x); });
}

Status RunSqrt(const Node&, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  return Map(in, out, [](float x) { return std::sqrt(x); });
}

Status RunErf(const Node&, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Map(in, out, [](float x) { return std::erf(x); });
}

Status RunGelu(const Node& node, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  const std::string approximate = node.GetString("approximate", "none");
  if (approximate == "tanh") {
    const float k = std::sqrt(2.0f / std::numbers::pi_v<float>);
    return Map(in, out, [k](float x) {
      return 0.5f * x * (1.0f + std::tanh(k * (x + 0.044715f * x * x * x)));
    });
  }
  if (approximate != "none") return OpError(node, "unknown approximate '" + approximate + "'");
  return Map(in, out, [](float x) {
    return 0.5f * x * (1.0f + std::erf(x / std::numbers::sqrt2_v<float>));
  });
}

}  // namespace

std::vector<OpKernel> ActivationKernels() {
  return {
      {"Relu", InferUnary, RunRelu},           {"LeakyRelu", InferUnary, RunLeakyRelu},
      {"Clip", InferUnary, RunClip},           {"HardSigmoid", InferUnary, RunHardSigmoid},
      {"HardSwish", InferUnary, RunHardSwish}, {"Sigmoid", InferUnary, RunSigmoid},
      {"Swish", InferUnary, RunSwish},         {"Tanh", InferUnary, RunTanh},
      {"Sqrt", InferUnary, RunSqrt},           {"Erf", InferUnary, RunErf},
      {"Gelu", InferUnary, RunGelu},
  };
}

}  // namespace qrt::converter
