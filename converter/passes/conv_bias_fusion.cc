// The Add of a per-channel constant after a Conv or ConvTranspose fused into its bias.
#include <optional>
#include <string>
#include <vector>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

const TensorData* FloatConstant(const Graph& graph, const std::string& name) {
  const Tensor* t = graph.FindTensor(name);
  if (t == nullptr || !t->is_constant() || t->constant->dtype() != DType::kFloat32) {
    return nullptr;
  }
  return &*t->constant;
}

// The values `addend` adds to each of `channels` channels (dim 1) of an output of rank
// `rank`: a single value, or one per channel with every other dim 1 once aligned to the
// right as broadcasting does ([C, 1, 1], [1, C, 1, 1]; [C] alone would run along W).
std::optional<std::vector<float>> ChannelValues(const TensorData& addend, size_t rank,
                                                int64_t channels) {
  const Shape& shape = addend.shape();
  std::vector<float> values = addend.ToFloats();
  if (values.size() == 1) return std::vector<float>(static_cast<size_t>(channels), values[0]);
  if (shape.size() > rank || shape.size() + 1 < rank ||
      static_cast<int64_t>(values.size()) != channels) {
    return std::nullopt;
  }
  // Dim 1 of the output, in `shape`; with C elements in all, every other dim is 1.
  const size_t channel_dim = shape.size() + 1 - rank;
  if (shape[channel_dim] != channels) return std::nullopt;
  return values;
}

// Fuses Add node `add_index` into the Conv or ConvTranspose producing one operand.
std::optional<size_t> TryFuse(Graph* graph, size_t add_index) {
  const Node& add = graph->nodes[add_index];
  if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || !add.HasInput(0) ||
      !add.HasInput(1) || add.outputs.size() != 1) {
    return std::nullopt;
  }
  for (size_t operand = 0; operand < 2; ++operand) {
    const std::string& conv_output = add.inputs[operand];
    const TensorData* addend = FloatConstant(*graph, add.inputs[1 - operand]);
    const std::optional<size_t> producer_index = graph->Producer(conv_output);
    if (addend == nullptr || !producer_index || SoleReader(*graph, conv_output) != add_index) {
      continue;
    }
    const Node& conv = graph->nodes[*producer_index];
    const Tensor* y = graph->FindTensor(conv_output);
    // A clamp fused into the convolution applies before the Add, where the bias has no
    // place.
    if ((conv.op_type != "Conv" && conv.op_type != "ConvTranspose") || !conv.domain.empty() ||
        conv.outputs.size() != 1 || !conv.HasInput(1) || GetFusedClamp(conv) || y == nullptr ||
        y->shape.size() < 3 || y->shape[1] < 0) {
      continue;
    }
    const std::optional<std::vector<float>> added =
        ChannelValues(*addend, y->shape.size(), y->shape[1]);
    if (!added) continue;
    std::vector<float> bias(added->size(), 0.0f);
    if (conv.HasInput(2)) {
      const TensorData* old = FloatConstant(*graph, conv.inputs[2]);
      if (old == nullptr || old->num_elements() != static_cast<int64_t>(bias.size())) continue;
      bias = old->ToFloats();
    }
    for (size_t c = 0; c < bias.size(); ++c) bias[c] += (*added)[c];
    // A new constant rather than an edit in place: the old bias may have other readers.
    const std::string bias_name = UniqueTensorName(*graph, conv.outputs[0] + "_bias");
    SetConstant(graph, bias_name,
                TensorData::FromVector<float>({static_cast<int64_t>(bias.size())}, bias));
    const std::optional<FusedClamp> clamp = GetFusedClamp(add);
    const std::string output = add.outputs[0];
    Node& fused = graph->nodes[*producer_index];
    fused.inputs.resize(3);
    fused.inputs[2] = bias_name;
    fused.outputs[0] = output;
    if (clamp) SetFusedClamp(fused, *clamp);
    return EraseNodes(graph, {add_index});
  }
  return std::nullopt;
}

}  // namespace

Status FuseConvBias(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
