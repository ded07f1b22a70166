// HardSwish decompositions fused into one HardSwish node.
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// Exporters write 1/6 with 7 to 9 significant digits.
bool Near(float value, float target) {
  return std::fabs(value - target) <= 1e-6f * std::fabs(target);
}

bool IsScalar(const Graph& graph, const std::string& name, float target) {
  const std::optional<float> value = ScalarConstant(graph, name);
  return value && Near(*value, target);
}

// Whether a two-operand node reads exactly `a` and `b`, in either order.
bool ReadsPair(const Node& node, const std::string& a, const std::string& b) {
  return node.inputs.size() == 2 && ((node.inputs[0] == a && node.inputs[1] == b) ||
                                     (node.inputs[0] == b && node.inputs[1] == a));
}

// The non-constant operand of an Add of the scalar `target`, in either order.
std::optional<std::string> AddendOf(const Graph& graph, const Node& node, float target) {
  if (!IsPlainOp(node, "Add") || node.inputs.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    if (IsScalar(graph, node.inputs[1 - i], target)) return node.inputs[i];
  }
  return std::nullopt;
}

// Whether `node` computes operand / 6, as a Div by 6 or a Mul by 1/6.
bool DividesBySix(const Graph& graph, const Node& node, const std::string& operand) {
  if (IsPlainOp(node, "Div")) {
    return node.inputs.size() == 2 && node.inputs[0] == operand &&
           IsScalar(graph, node.inputs[1], 6.0f);
  }
  if (!IsPlainOp(node, "Mul") || node.inputs.size() != 2) return false;
  for (size_t i = 0; i < 2; ++i) {
    if (node.inputs[i] == operand && IsScalar(graph, node.inputs[1 - i], 1.0f / 6.0f)) return true;
  }
  return false;
}

// A matched decomposition of HardSwish(x): the node computing the result (rewritten
// in place) and the other nodes (erased).
struct Match {
  std::string x;
  size_t result = 0;
  std::vector<size_t> erased;
};

// x * Clip(x + 3, 0, 6) / 6 (either association), matched from its Clip.
std::optional<Match> MatchClipForm(const Graph& graph, size_t clip_index) {
  const Node& clip = graph.nodes[clip_index];
  const std::optional<FusedClamp> range = ClampActivationRange(graph, clip);
  if (!range || clip.op_type != "Clip" || !clip.HasInput(0) || clip.outputs.size() != 1 ||
      range->min != 0.0f || range->max != 6.0f) {
    return std::nullopt;
  }
  const std::optional<size_t> add_index = graph.Producer(clip.inputs[0]);
  if (!add_index || SoleReader(graph, clip.inputs[0]) != clip_index) return std::nullopt;
  const std::optional<std::string> x = AddendOf(graph, graph.nodes[*add_index], 3.0f);
  const std::optional<size_t> first = SoleReader(graph, clip.outputs[0]);
  if (!x || !first) return std::nullopt;
  const Node& n1 = graph.nodes[*first];
  if (n1.outputs.size() != 1) return std::nullopt;
  const std::optional<size_t> second = SoleReader(graph, n1.outputs[0]);
  if (!second) return std::nullopt;
  const Node& n2 = graph.nodes[*second];
  const bool multiply_first = IsPlainOp(n1, "Mul") && ReadsPair(n1, *x, clip.outputs[0]) &&
                              DividesBySix(graph, n2, n1.outputs[0]);
  const bool divide_first = DividesBySix(graph, n1, clip.outputs[0]) && IsPlainOp(n2, "Mul") &&
                            ReadsPair(n2, *x, n1.outputs[0]);
  if (!multiply_first && !divide_first) return std::nullopt;
  return Match{*x, *second, {*add_index, clip_index, *first}};
}

// x * HardSigmoid(x, 1/6, 0.5), matched from its HardSigmoid.
std::optional<Match> MatchHardSigmoidForm(const Graph& graph, size_t index) {
  const Node& hs = graph.nodes[index];
  if (!IsPlainOp(hs, "HardSigmoid") || !hs.HasInput(0) || hs.outputs.size() != 1 ||
      !Near(hs.GetFloat("alpha", 0.2f), 1.0f / 6.0f) || !Near(hs.GetFloat("beta", 0.5f), 0.5f)) {
    return std::nullopt;
  }
  const std::optional<size_t> mul = SoleReader(graph, hs.outputs[0]);
  if (!mul || !IsPlainOp(graph.nodes[*mul], "Mul") ||
      !ReadsPair(graph.nodes[*mul], hs.inputs[0], hs.outputs[0])) {
    return std::nullopt;
  }
  return Match{hs.inputs[0], *mul, {index}};
}

// Replaces the decomposition matched at node `index` by one HardSwish node.
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  std::optional<Match> match = MatchClipForm(*graph, index);
  if (!match) match = MatchHardSigmoidForm(*graph, index);
  if (!match) return std::nullopt;
  // A scalar of higher rank than x broadcasts x up; HardSwish(x) would not.
  const Tensor* x = graph->FindTensor(match->x);
  const Tensor* y = graph->FindTensor(graph->nodes[match->result].outputs[0]);
  if (x == nullptr || y == nullptr || x->shape != y->shape) return std::nullopt;
  Node& result = graph->nodes[match->result];
  result.op_type = "HardSwish";
  result.inputs = {match->x};
  result.attributes.clear();
  return EraseNodes(graph, match->erased);
}

}  // namespace

Status FuseHardSwish(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
