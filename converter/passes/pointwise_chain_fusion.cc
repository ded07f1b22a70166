// Chains of pointwise nodes merged into one PointwiseChain node.
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "converter/ir/fused_clamp.h"
#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"
#include "converter/reference/ops/pointwise_chain.h"

namespace qrt::converter {
namespace {

// Functions of their first input alone (Clip's bounds are constants); the quantizer
// emits each as a LOOKUP.
const std::set<std::string_view> kUnaryOps = {"Relu",      "LeakyRelu", "Clip",  "HardSigmoid",
                                              "HardSwish", "Sigmoid",   "Tanh",  "Sqrt",
                                              "Erf",       "Gelu",      "Swish", "PointwiseChain"};
// Functions of one activation when the other operand is a scalar constant.
const std::set<std::string_view> kBinaryOps = {"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max"};

// The index of the activation operand of a chain link, nullopt for any other node.
std::optional<size_t> ActivationOperand(const Graph& graph, const Node& node) {
  if (!node.domain.empty() || node.outputs.size() != 1 || !node.HasInput(0)) return std::nullopt;
  if (kUnaryOps.count(node.op_type)) {
    for (size_t i = 1; i < node.inputs.size(); ++i) {
      const Tensor* operand = node.HasInput(i) ? graph.FindTensor(node.inputs[i]) : nullptr;
      if (node.HasInput(i) && (operand == nullptr || !operand->is_constant())) return std::nullopt;
    }
    return 0;
  }
  if (!kBinaryOps.count(node.op_type) || node.inputs.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    const Tensor* x = graph.FindTensor(node.inputs[i]);
    const Tensor* y = graph.FindTensor(node.outputs[0]);
    if (ScalarConstant(graph, node.inputs[1 - i]) && x != nullptr && !x->is_constant() &&
        y != nullptr && x->shape == y->shape) {
      return i;
    }
  }
  return std::nullopt;
}

// Appends the steps `link` applies to `chain`'s attributes.
void AppendSteps(const Graph& graph, const Node& link, size_t x_index, Node* chain) {
  int64_t steps = chain->GetInt("steps", 0);
  if (link.op_type == "PointwiseChain") {
    for (int64_t k = 0; k < link.GetInt("steps", 0); ++k, ++steps) {
      const std::string prefix = PointwiseChainStepKey(k, "");
      for (const auto& [key, value] : link.attributes) {
        if (key.starts_with(prefix))
          chain->attributes[PointwiseChainStepKey(steps, key.substr(prefix.size()))] = value;
      }
    }
  } else {
    chain->attributes[PointwiseChainStepKey(steps, "op")] = link.op_type;
    chain->attributes[PointwiseChainStepKey(steps, "inputs")] =
        static_cast<int64_t>(link.inputs.size());
    chain->attributes[PointwiseChainStepKey(steps, "x")] = static_cast<int64_t>(x_index);
    for (size_t i = 0; i < link.inputs.size(); ++i) {
      if (i == x_index || !link.HasInput(i)) continue;
      chain->attributes[PointwiseChainStepKey(steps, "in" + std::to_string(i))] =
          *graph.FindTensor(link.inputs[i])->constant;
    }
    for (const auto& [key, value] : link.attributes) {
      if (key != kFusedClampMin && key != kFusedClampMax) {
        chain->attributes[PointwiseChainStepKey(steps, "attr:" + key)] = value;
      }
    }
    ++steps;
  }
  chain->attributes["steps"] = steps;
}

// Appends a Clip step applying `clamp` to `chain`: a link's fused clamp, once the link
// is no longer the chain's last. Bounds as attributes and as operands, for Clip before
// and from opset 11.
void AppendClamp(const FusedClamp& clamp, Node* chain) {
  const int64_t steps = chain->GetInt("steps", 0);
  chain->attributes[PointwiseChainStepKey(steps, "op")] = std::string("Clip");
  chain->attributes[PointwiseChainStepKey(steps, "inputs")] = int64_t{3};
  chain->attributes[PointwiseChainStepKey(steps, "x")] = int64_t{0};
  chain->attributes[PointwiseChainStepKey(steps, "in1")] =
      TensorData::FromVector<float>({}, {clamp.min});
  chain->attributes[PointwiseChainStepKey(steps, "in2")] =
      TensorData::FromVector<float>({}, {clamp.max});
  chain->attributes[PointwiseChainStepKey(steps, "attr:min")] = clamp.min;
  chain->attributes[PointwiseChainStepKey(steps, "attr:max")] = clamp.max;
  chain->attributes["steps"] = steps + 1;
}

// Merges the link at `index` with the link reading its output, when that is its sole
// reader.
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  const Node& first = graph->nodes[index];
  const std::optional<size_t> first_x = ActivationOperand(*graph, first);
  if (!first_x) return std::nullopt;
  const std::optional<size_t> reader = SoleReader(*graph, first.outputs[0]);
  if (!reader) return std::nullopt;
  const Node& second = graph->nodes[*reader];
  const std::optional<size_t> second_x = ActivationOperand(*graph, second);
  if (!second_x || second.inputs[*second_x] != first.outputs[0]) return std::nullopt;

  Node chain;
  chain.name = second.name;
  chain.op_type = "PointwiseChain";
  chain.inputs = {first.inputs[*first_x]};
  chain.outputs = second.outputs;
  AppendSteps(*graph, first, *first_x, &chain);
  if (std::optional<FusedClamp> clamp = GetFusedClamp(first)) AppendClamp(*clamp, &chain);
  AppendSteps(*graph, second, *second_x, &chain);
  if (std::optional<FusedClamp> clamp = GetFusedClamp(second)) SetFusedClamp(chain, *clamp);
  graph->nodes[*reader] = std::move(chain);
  return EraseNodes(graph, {index});
}

}  // namespace

Status FusePointwiseChains(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
