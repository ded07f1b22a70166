// Constant folding: nodes whose outputs are known before run time become constants.
#include <map>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"
#include "converter/reference/executor.h"
#include "converter/reference/op_registry.h"

namespace qrt::converter {
namespace {

// Runs `node` alone on its constant inputs. Going through the executor rather than
// the kernel keeps whatever it applies after kernels (fused clamps) in one place.
Status Evaluate(const Graph& graph, const Node& node, std::map<std::string, TensorData>* values) {
  Graph single;
  single.opset_version = graph.opset_version;
  single.nodes = {node};
  for (const std::string& in : node.inputs) {
    if (!in.empty()) single.tensors[in] = *graph.FindTensor(in);
  }
  for (const std::string& out : node.outputs) {
    if (!out.empty()) single.outputs.push_back(out);
  }
  return ReferenceExecutor(single).Run({}, values);
}

// Sets *known to whether every output of `node` is known without running the graph,
// and then fills `values` with them, by output name.
Status KnownOutputs(const Graph& graph, const Node& node, bool* known,
                    std::map<std::string, TensorData>* values) {
  *known = false;
  const OpKernel* kernel = FindOpKernel(node.op_type);
  if (kernel == nullptr || !node.domain.empty() || node.outputs.empty()) return Status::Ok();
  std::vector<ValueInfo> inputs(node.inputs.size());
  bool all_constant = true;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    if (node.inputs[i].empty()) continue;
    const Tensor* t = graph.FindTensor(node.inputs[i]);
    if (t == nullptr) {
      return Status(StatusCode::kBadGraph,
                    node.Describe() + ": unknown input '" + node.inputs[i] + "'");
    }
    inputs[i] = {true, t->dtype, t->shape, t->is_constant() ? &*t->constant : nullptr};
    all_constant = all_constant && t->is_constant();
  }
  if (all_constant) {
    QRT_RETURN_IF_ERROR(Evaluate(graph, node, values));
    *known = true;
    return Status::Ok();
  }
  // Operators such as Shape give their value at inference when the shapes suffice.
  std::vector<OutputInfo> outputs(node.outputs.size());
  QRT_RETURN_IF_ERROR(kernel->infer(node, graph.opset_version, inputs, outputs));
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (node.outputs[i].empty()) continue;
    if (!outputs[i].value) {
      values->clear();
      return Status::Ok();
    }
    (*values)[node.outputs[i]] = std::move(*outputs[i].value);
  }
  *known = true;
  return Status::Ok();
}

}  // namespace

Status FoldConstants(Graph* graph, bool* changed) {
  *changed = false;
  // Node order is topological, so a folded node's readers come later in this sweep.
  for (size_t i = 0; i < graph->nodes.size();) {
    bool known = false;
    std::map<std::string, TensorData> values;
    QRT_RETURN_IF_ERROR(KnownOutputs(*graph, graph->nodes[i], &known, &values));
    if (!known) {
      ++i;
      continue;
    }
    for (auto& [name, value] : values) SetConstant(graph, name, std::move(value));
    EraseNodes(graph, {i});
    *changed = true;
  }
  return Status::Ok();
}

}  // namespace qrt::converter
