// Identity and inference-mode Dropout removal.
#include <optional>
#include <string>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// Whether the node only passes its first input through: Identity, or a Dropout whose
// mask output is absent or unread.
bool IsPassThrough(const Graph& graph, const Node& node) {
  if (!node.domain.empty() || node.outputs.empty() || node.outputs[0].empty() ||
      !node.HasInput(0)) {
    return false;
  }
  if (node.op_type == "Identity") return true;
  if (node.op_type != "Dropout") return false;
  if (node.outputs.size() < 2 || node.outputs[1].empty()) return true;
  return graph.Consumers(node.outputs[1]).empty() && !IsGraphOutput(graph, node.outputs[1]);
}

// Removes the pass-through node `index`, rewiring the graph around it; nothing when
// its output is a graph output that no producer can take over.
std::optional<size_t> TryRemove(Graph* graph, size_t index) {
  if (!IsPassThrough(*graph, graph->nodes[index])) return std::nullopt;
  const std::string in = graph->nodes[index].inputs[0];
  const std::string out = graph->nodes[index].outputs[0];
  if (!IsGraphOutput(*graph, out)) {
    ReplaceUses(graph, out, in);
    return EraseNodes(graph, {index});
  }
  // The graph output's name must survive, so the producer of `in` takes it over. Graph
  // inputs, constants and other graph outputs keep their own names.
  const std::optional<size_t> producer = graph->Producer(in);
  if (!producer || IsGraphOutput(*graph, in)) return std::nullopt;
  for (std::string& name : graph->nodes[*producer].outputs) {
    if (name == in) name = out;
  }
  ReplaceUses(graph, in, out);
  return EraseNodes(graph, {index});
}

}  // namespace

Status RemoveIdentities(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryRemove);
  return Status::Ok();
}

}  // namespace qrt::converter
