#include "converter/passes/graph_edit.h"

#include <algorithm>
#include <functional>
#include <string>
#include <utility>

namespace qrt::converter {

bool IsGraphOutput(const Graph& graph, const std::string& name) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), name) != graph.outputs.end();
}

bool IsPlainOp(const Node& node, const char* op_type) {
  return node.domain.empty() && node.op_type == op_type && !GetFusedClamp(node);
}

std::optional<size_t> SoleReader(const Graph& graph, const std::string& name) {
  if (name.empty()) return std::nullopt;
  const std::vector<size_t> readers = graph.Consumers(name);
  if (readers.size() != 1 || IsGraphOutput(graph, name)) return std::nullopt;
  return readers[0];
}

void ReplaceUses(Graph* graph, const std::string& from, const std::string& to) {
  for (Node& node : graph->nodes) std::replace(node.inputs.begin(), node.inputs.end(), from, to);
}

std::string UniqueTensorName(const Graph& graph, const std::string& base) {
  std::string name = base;
  for (int i = 1; graph.FindTensor(name) != nullptr; ++i) name = base + "_" + std::to_string(i);
  return name;
}

void SetConstant(Graph* graph, const std::string& name, TensorData value) {
  Tensor& t = graph->GetOrAddTensor(name);
  t.dtype = value.dtype();
  t.shape = value.shape();
  t.constant = std::move(value);
}

std::optional<float> ScalarConstant(const Graph& graph, const std::string& name) {
  const Tensor* t = graph.FindTensor(name);
  if (t == nullptr || !t->is_constant() || t->constant->dtype() != DType::kFloat32 ||
      t->constant->num_elements() != 1) {
    return std::nullopt;
  }
  return t->constant->values<float>()[0];
}

std::optional<FusedClamp> ClampActivationRange(const Graph& graph, const Node& node) {
  if (!node.domain.empty()) return std::nullopt;
  FusedClamp range;
  if (node.op_type == "Relu") {
    range.min = 0.0f;
    return range;
  }
  if (node.op_type != "Clip") return std::nullopt;
  if (graph.opset_version < 11) {
    range.min = node.GetFloat("min", range.min);
    range.max = node.GetFloat("max", range.max);
    return range;
  }
  for (auto [index, bound] : {std::pair{size_t{1}, &range.min}, std::pair{size_t{2}, &range.max}}) {
    if (!node.HasInput(index)) continue;
    const std::optional<float> value = ScalarConstant(graph, node.inputs[index]);
    if (!value) return std::nullopt;
    *bound = *value;
  }
  return range;
}

size_t EraseNodes(Graph* graph, std::vector<size_t> indices) {
  std::sort(indices.begin(), indices.end(), std::greater<size_t>());
  for (size_t i : indices)
    graph->nodes.erase(graph->nodes.begin() + static_cast<std::ptrdiff_t>(i));
  return indices.back();
}

bool RewriteEachNode(Graph* graph, const NodeRewrite& rewrite) {
  bool changed = false;
  for (size_t i = 0; i < graph->nodes.size();) {
    if (const std::optional<size_t> resume = rewrite(graph, i)) {
      i = *resume;
      changed = true;
    } else {
      ++i;
    }
  }
  return changed;
}

}  // namespace qrt::converter
