// x * Sigmoid(alpha * x) fused into one Swish node.
#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// The scaling Mul(x, alpha) (either order, alpha a scalar constant) producing `name`
// and read only by the sigmoid: its index, x and alpha.
struct Scaling {
  size_t index;
  std::string x;
  float alpha;
};

std::optional<Scaling> ScalingOf(const Graph& graph, const std::string& name) {
  const std::optional<size_t> producer = graph.Producer(name);
  if (!producer || !SoleReader(graph, name)) return std::nullopt;
  const Node& mul = graph.nodes[*producer];
  if (!IsPlainOp(mul, "Mul") || mul.inputs.size() != 2) return std::nullopt;
  for (size_t i = 0; i < 2; ++i) {
    const std::optional<float> alpha = ScalarConstant(graph, mul.inputs[1 - i]);
    const Tensor* x = graph.FindTensor(mul.inputs[i]);
    const Tensor* y = graph.FindTensor(name);
    if (alpha && x != nullptr && y != nullptr && x->shape == y->shape) {
      return Scaling{*producer, mul.inputs[i], *alpha};
    }
  }
  return std::nullopt;
}

// Fuses the Sigmoid at node `index` with the Mul that multiplies it by its own input,
// or by the input of the Mul by a scalar that feeds it.
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  const Node& sigmoid = graph->nodes[index];
  if (!IsPlainOp(sigmoid, "Sigmoid") || !sigmoid.HasInput(0) || sigmoid.outputs.size() != 1) {
    return std::nullopt;
  }
  const std::string s = sigmoid.outputs[0];
  std::string x = sigmoid.inputs[0];
  float alpha = 1.0f;
  std::vector<size_t> erased = {index};
  if (std::optional<Scaling> scaling = ScalingOf(*graph, x)) {
    const std::optional<size_t> product = SoleReader(*graph, s);
    const bool reads_unscaled =
        product && std::count(graph->nodes[*product].inputs.begin(),
                              graph->nodes[*product].inputs.end(), scaling->x) == 1;
    if (reads_unscaled) {
      x = scaling->x;
      alpha = scaling->alpha;
      erased.push_back(scaling->index);
    }
  }
  const std::optional<size_t> mul = SoleReader(*graph, s);
  if (!mul) return std::nullopt;
  const Node& product = graph->nodes[*mul];
  if (!IsPlainOp(product, "Mul") || product.inputs.size() != 2 ||
      !((product.inputs[0] == x && product.inputs[1] == s) ||
        (product.inputs[0] == s && product.inputs[1] == x))) {
    return std::nullopt;
  }
  Node& fused = graph->nodes[*mul];
  fused.op_type = "Swish";
  fused.inputs = {x};
  fused.attributes.clear();
  if (alpha != 1.0f) fused.attributes["alpha"] = alpha;
  return EraseNodes(graph, erased);
}

}  // namespace

Status FuseSwish(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
