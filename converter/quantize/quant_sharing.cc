#include "quant_sharing.h"

#include <set>

namespace qrt::converter {
namespace {

bool SameQuant(const calib::ActivationQuant& a, const calib::ActivationQuant& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

}  // namespace

bool SharesInputQuantization(std::string_view op_type) {
  static const std::set<std::string_view> kOps = {
      "MaxPool",  "GlobalMaxPool", "Reshape",   "Flatten", "Squeeze", "Unsqueeze",
      "Identity", "Dropout",       "Transpose", "Pad",     "Resize",  "Slice"};
  return kOps.count(op_type) != 0;
}

void ShareQuantization(const Graph& graph, ActivationQuantMap* quant) {
  for (const Node& node : graph.nodes) {
    if (node.outputs.empty() || node.outputs[0].empty() || !node.HasInput(0)) continue;
    auto first = quant->find(node.inputs[0]);
    if (first == quant->end()) continue;
    bool share = SharesInputQuantization(node.op_type);
    if (node.op_type == "Concat") {
      share = true;
      for (const std::string& input : node.inputs) {
        auto it = quant->find(input);
        share = share && it != quant->end() && SameQuant(it->second, first->second);
      }
    }
    if (share) (*quant)[node.outputs[0]] = first->second;
  }
}

}  // namespace qrt::converter
