// Mul and Add of per-channel constants after a Conv or ConvTranspose folded into its
// weights and bias.
#include <optional>
#include <string>
#include <vector>

#include "converter/passes/channel_affine.h"
#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// The values `operand` applies to each of `channels` channels (dim 1) of an output of
// rank `rank`: a single value, or one per channel with every other dim 1 once aligned
// to the right as broadcasting does ([C, 1, 1], [1, C, 1, 1]; [C] alone would run
// along W).
std::optional<std::vector<double>> ChannelValues(const TensorData& operand, size_t rank,
                                                 int64_t channels) {
  const Shape& shape = operand.shape();
  const std::vector<float> values = operand.ToFloats();
  if (values.size() == 1) return std::vector<double>(static_cast<size_t>(channels), values[0]);
  if (shape.size() > rank || shape.size() + 1 < rank ||
      static_cast<int64_t>(values.size()) != channels) {
    return std::nullopt;
  }
  // Dim 1 of the output, in `shape`; with C elements in all, every other dim is 1.
  if (shape[shape.size() + 1 - rank] != channels) return std::nullopt;
  return std::vector<double>(values.begin(), values.end());
}

// Folds Mul or Add node `index`, with a constant operand, into the Conv or
// ConvTranspose producing its other operand.
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  const Node& node = graph->nodes[index];
  const bool is_mul = node.op_type == "Mul";
  if ((!is_mul && node.op_type != "Add") || !node.domain.empty() || node.inputs.size() != 2 ||
      !node.HasInput(0) || !node.HasInput(1) || node.outputs.size() != 1) {
    return std::nullopt;
  }
  for (size_t operand = 0; operand < 2; ++operand) {
    const std::string& conv_output = node.inputs[operand];
    const TensorData* constant = FloatConstant(*graph, node.inputs[1 - operand]);
    const std::optional<size_t> producer = graph->Producer(conv_output);
    const Tensor* y = graph->FindTensor(conv_output);
    if (constant == nullptr || !producer || SoleReader(*graph, conv_output) != index ||
        y == nullptr || y->shape.size() < 3 || y->shape[1] < 0) {
      continue;
    }
    const std::string& op = graph->nodes[*producer].op_type;
    if (op != "Conv" && op != "ConvTranspose") continue;
    const std::optional<std::vector<double>> values =
        ChannelValues(*constant, y->shape.size(), y->shape[1]);
    if (!values) continue;
    ChannelAffine affine;
    affine.scale = is_mul ? *values : std::vector<double>(values->size(), 1.0);
    affine.shift = is_mul ? std::vector<double>(values->size(), 0.0) : *values;
    const std::optional<FusedClamp> clamp = GetFusedClamp(node);
    const std::string output = node.outputs[0];
    if (!FoldChannelAffine(graph, *producer, affine, output)) continue;
    if (clamp) SetFusedClamp(graph->nodes[*producer], *clamp);
    return EraseNodes(graph, {index});
  }
  return std::nullopt;
}

}  // namespace

Status FuseConvAffine(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
