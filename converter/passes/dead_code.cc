// Removal of nodes and tensors that cannot affect a graph output.
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {

Status RemoveDeadCode(Graph* graph, bool* changed) {
  *changed = false;
  // Backwards over the sorted nodes, every reader of a tensor is seen before its
  // producer, so one sweep finds every node that feeds a graph output.
  std::set<std::string> needed(graph->outputs.begin(), graph->outputs.end());
  std::vector<size_t> dead;
  for (size_t i = graph->nodes.size(); i-- > 0;) {
    const Node& node = graph->nodes[i];
    const bool live = std::any_of(
        node.outputs.begin(), node.outputs.end(),
        [&needed](const std::string& out) { return !out.empty() && needed.count(out) != 0; });
    if (live) {
      needed.insert(node.inputs.begin(), node.inputs.end());
    } else {
      dead.push_back(i);
    }
  }
  if (!dead.empty()) {
    EraseNodes(graph, dead);
    *changed = true;
  }
  std::set<std::string> referenced(graph->inputs.begin(), graph->inputs.end());
  referenced.insert(graph->outputs.begin(), graph->outputs.end());
  for (const Node& node : graph->nodes) {
    referenced.insert(node.inputs.begin(), node.inputs.end());
    referenced.insert(node.outputs.begin(), node.outputs.end());
  }
  for (auto it = graph->tensors.begin(); it != graph->tensors.end();) {
    if (referenced.count(it->first) != 0) {
      ++it;
      continue;
    }
    it = graph->tensors.erase(it);
    *changed = true;
  }
  return Status::Ok();
}

}  // namespace qrt::converter
