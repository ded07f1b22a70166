// Layer normalization decompositions fused into one LayerNormalization node.
#include <optional>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// Whether `node` is ReduceMean(input) over the last axis only, keeping dims.
bool IsMeanOverLastAxis(const Graph& graph, const Node& node, const std::string& input) {
  if (!IsPlainOp(node, "ReduceMean") || node.inputs.size() != 1 || node.inputs[0] != input ||
      node.outputs.size() != 1 || node.GetInt("keepdims", 1) != 1) {
    return false;
  }
  const Tensor* x = graph.FindTensor(input);
  const std::vector<int64_t> axes = node.GetInts("axes");
  if (x == nullptr || x->shape.empty() || axes.size() != 1) return false;
  const auto rank = static_cast<int64_t>(x->shape.size());
  return axes[0] == -1 || axes[0] == rank - 1;
}

// Whether `node` squares `operand`: Pow(d, 2) or Mul(d, d).
bool Squares(const Graph& graph, const Node& node, const std::string& operand) {
  if (node.inputs.size() != 2 || node.inputs[0] != operand) return false;
  if (IsPlainOp(node, "Mul")) return node.inputs[1] == operand;
  const std::optional<float> exponent = ScalarConstant(graph, node.inputs[1]);
  return IsPlainOp(node, "Pow") && exponent && *exponent == 2.0f;
}

// The other operand of a two-operand node, when it is a float constant of `count`
// elements that broadcasts along the last axis only (shape [count], [1, count]...).
std::optional<std::string> PerChannelOperand(const Graph& graph, const Node& node,
                                             const std::string& operand, int64_t count) {
  if (node.inputs.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    if (node.inputs[i] != operand) continue;
    const Tensor* t = graph.FindTensor(node.inputs[1 - i]);
    if (t == nullptr || !t->is_constant() || t->dtype != DType::kFloat32 ||
        t->constant->num_elements() != count || t->shape.empty() || t->shape.back() != count) {
      return std::nullopt;
    }
    return node.inputs[1 - i];
  }
  return std::nullopt;
}

// The node reading `name` as its only reader and of type `op_type`.
std::optional<size_t> PlainSoleReader(const Graph& graph, const std::string& name,
                                      const char* op_type) {
  const std::optional<size_t> reader = SoleReader(graph, name);
  if (!reader || !IsPlainOp(graph.nodes[*reader], op_type) ||
      graph.nodes[*reader].outputs.size() != 1) {
    return std::nullopt;
  }
  return reader;
}

// Fuses the decomposition whose first ReduceMean is node `index`:
//   d = x - ReduceMean(x); y = d / Sqrt(ReduceMean(d^2) + eps) [* gamma] [+ beta]
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  const Graph& g = *graph;
  const Node& mean = g.nodes[index];
  if (mean.inputs.size() != 1 || !IsMeanOverLastAxis(g, mean, mean.inputs[0])) return std::nullopt;
  const std::string x = mean.inputs[0];
  const Tensor* x_tensor = g.FindTensor(x);
  if (x_tensor == nullptr || !IsFullyKnown(x_tensor->shape)) return std::nullopt;
  const int64_t depth = x_tensor->shape.back();

  const std::optional<size_t> sub = PlainSoleReader(g, mean.outputs[0], "Sub");
  if (!sub || g.nodes[*sub].inputs != std::vector<std::string>{x, mean.outputs[0]}) {
    return std::nullopt;
  }
  const std::string centred = g.nodes[*sub].outputs[0];
  // The centred value feeds the square and the division, nothing else.
  const std::vector<size_t> readers = g.Consumers(centred);
  if (readers.size() != 2 || IsGraphOutput(g, centred)) return std::nullopt;
  std::optional<size_t> square, divide;
  for (size_t r : readers) {
    if (Squares(g, g.nodes[r], centred)) square = r;
    if (IsPlainOp(g.nodes[r], "Div") && g.nodes[r].inputs.size() == 2 &&
        g.nodes[r].inputs[0] == centred) {
      divide = r;
    }
  }
  if (!square || !divide || g.nodes[*square].outputs.size() != 1) return std::nullopt;
  const std::optional<size_t> variance = SoleReader(g, g.nodes[*square].outputs[0]);
  if (!variance || !IsMeanOverLastAxis(g, g.nodes[*variance], g.nodes[*square].outputs[0])) {
    return std::nullopt;
  }
  const std::optional<size_t> add_eps = PlainSoleReader(g, g.nodes[*variance].outputs[0], "Add");
  if (!add_eps || g.nodes[*add_eps].inputs.size() != 2 ||
      g.nodes[*add_eps].inputs[0] != g.nodes[*variance].outputs[0]) {
    return std::nullopt;
  }
  const std::optional<float> epsilon = ScalarConstant(g, g.nodes[*add_eps].inputs[1]);
  const std::optional<size_t> root = PlainSoleReader(g, g.nodes[*add_eps].outputs[0], "Sqrt");
  if (!epsilon || *epsilon < 0 || !root || SoleReader(g, g.nodes[*root].outputs[0]) != divide ||
      g.nodes[*divide].inputs[1] != g.nodes[*root].outputs[0] ||
      g.nodes[*divide].outputs.size() != 1) {
    return std::nullopt;
  }

  std::vector<size_t> erased = {index, *sub, *square, *variance, *add_eps, *root};
  size_t result = *divide;
  std::optional<std::string> gamma, beta;
  if (const std::optional<size_t> mul = PlainSoleReader(g, g.nodes[result].outputs[0], "Mul")) {
    gamma = PerChannelOperand(g, g.nodes[*mul], g.nodes[result].outputs[0], depth);
    if (gamma) {
      erased.push_back(result);
      result = *mul;
    }
  }
  if (const std::optional<size_t> add = PlainSoleReader(g, g.nodes[result].outputs[0], "Add")) {
    beta = PerChannelOperand(g, g.nodes[*add], g.nodes[result].outputs[0], depth);
    if (beta) {
      erased.push_back(result);
      result = *add;
    }
  }
  const Tensor* y = g.FindTensor(g.nodes[result].outputs[0]);
  if (y == nullptr || y->shape != x_tensor->shape) return std::nullopt;

  if (!gamma) {
    gamma = UniqueTensorName(g, x + "/layer_norm_scale");
    SetConstant(graph, *gamma,
                TensorData::FromVector<float>(
                    {depth}, std::vector<float>(static_cast<size_t>(depth), 1.0f)));
  }
  Node& fused = graph->nodes[result];
  fused.op_type = "LayerNormalization";
  fused.inputs = {x, *gamma};
  if (beta) fused.inputs.push_back(*beta);
  fused.attributes = {{"axis", int64_t{-1}}, {"epsilon", *epsilon}};
  return EraseNodes(graph, erased);
}

}  // namespace

Status FuseLayerNorm(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
