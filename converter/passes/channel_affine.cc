#include "converter/passes/channel_affine.h"

#include <optional>
#include <span>

#include "converter/passes/graph_edit.h"

namespace qrt::converter {
namespace {

// `weight` with every element multiplied by the scale of its output channel, the
// channel being its index along `axis`.
TensorData ScaleChannels(const TensorData& weight, size_t axis, const ChannelAffine& affine) {
  TensorData scaled = weight;
  const Shape& shape = weight.shape();
  const int64_t inner =
      NumElements(Shape(shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, shape.end()));
  const int64_t channels = shape[axis];
  std::span<float> w = scaled.values<float>();
  for (size_t i = 0; i < w.size(); ++i) {
    const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels);
    w[i] = static_cast<float>(w[i] * affine.scale[c]);
  }
  return scaled;
}

// scale * bias + shift per channel; `bias` (nullptr for none) holds one value per
// channel or a single value for all.
TensorData FoldedBias(const TensorData* bias, double bias_factor, const ChannelAffine& affine) {
  const size_t channels = affine.scale.size();
  std::vector<float> folded(channels);
  for (size_t c = 0; c < channels; ++c) {
    double b = 0.0;
    if (bias != nullptr) b = bias_factor * bias->values<float>()[bias->num_elements() == 1 ? 0 : c];
    folded[c] = static_cast<float>(affine.scale[c] * b + affine.shift[c]);
  }
  return TensorData::FromVector<float>({static_cast<int64_t>(channels)}, folded);
}

// Where a node keeps its weights and bias, and how its output channels lie in them.
struct FoldTarget {
  const TensorData* weight = nullptr;
  size_t channel_axis = 0;           // of the weight
  const TensorData* bias = nullptr;  // nullptr when the node has none
  double bias_factor = 1.0;          // Gemm's beta
};

// The weights of `producer` if BatchNormalization over `channels` can fold into it.
std::optional<FoldTarget> FindFoldTarget(const Graph& graph, const Node& producer,
                                         size_t channels) {
  if (!producer.domain.empty() || producer.outputs.size() != 1 || !producer.HasInput(1) ||
      GetFusedClamp(producer)) {
    return std::nullopt;
  }
  FoldTarget target;
  target.weight = FloatConstant(graph, producer.inputs[1]);
  if (target.weight == nullptr) return std::nullopt;
  const Shape& w = target.weight->shape();
  const TensorData* bias = nullptr;
  if (producer.HasInput(2)) {
    bias = FloatConstant(graph, producer.inputs[2]);
    if (bias == nullptr) return std::nullopt;
  }
  const int64_t n = static_cast<int64_t>(channels);
  if (producer.op_type == "Conv") {
    target.channel_axis = 0;
    if (bias != nullptr && bias->num_elements() != n) return std::nullopt;
  } else if (producer.op_type == "ConvTranspose") {
    // Weights [C_in, C_out / group, k...]: axis 1 is the output channel only in group 1.
    target.channel_axis = 1;
    if (producer.GetInt("group", 1) != 1 || (bias != nullptr && bias->num_elements() != n)) {
      return std::nullopt;
    }
  } else if (producer.op_type == "Gemm") {
    if (w.size() != 2) return std::nullopt;
    target.channel_axis = producer.GetInt("transB", 0) != 0 ? 0 : 1;
    target.bias_factor = producer.GetFloat("beta", 1.0f);
    // C must broadcast along the rows alone to fold into one value per channel.
    if (bias != nullptr && bias->num_elements() != 1) {
      const Shape& c = bias->shape();
      if (bias->num_elements() != n || (c.size() == 2 && c[0] != 1)) return std::nullopt;
    }
  } else if (producer.op_type == "MatMul") {
    // BatchNormalization's channels are dim 1, the MatMul's columns only for 2-D A.
    const Tensor* a = graph.FindTensor(producer.inputs[0]);
    if (w.size() != 2 || a == nullptr || a->shape.size() != 2) return std::nullopt;
    target.channel_axis = 1;
  } else {
    return std::nullopt;
  }
  if (w.size() <= target.channel_axis || w[target.channel_axis] != n) return std::nullopt;
  target.bias = bias;
  return target;
}

}  // namespace

const TensorData* FloatConstant(const Graph& graph, const std::string& name) {
  const Tensor* t = graph.FindTensor(name);
  if (t == nullptr || !t->is_constant() || t->constant->dtype() != DType::kFloat32) {
    return nullptr;
  }
  return &*t->constant;
}

bool FoldChannelAffine(Graph* graph, size_t producer_index, const ChannelAffine& affine,
                       const std::string& output) {
  const std::optional<FoldTarget> target =
      FindFoldTarget(*graph, graph->nodes[producer_index], affine.scale.size());
  if (!target) return false;
  // New constants rather than edits in place: the old ones may have other readers.
  Node& producer = graph->nodes[producer_index];
  const std::string weight_name = UniqueTensorName(*graph, producer.inputs[1] + "_folded");
  SetConstant(graph, weight_name, ScaleChannels(*target->weight, target->channel_axis, affine));
  const std::string bias_name = UniqueTensorName(
      *graph, (producer.HasInput(2) ? producer.inputs[2] : producer.inputs[1]) + "_folded_bias");
  SetConstant(graph, bias_name, FoldedBias(target->bias, target->bias_factor, affine));
  producer.inputs.resize(3);
  producer.inputs[1] = weight_name;
  producer.inputs[2] = bias_name;
  if (producer.op_type == "MatMul") producer.op_type = "Gemm";
  if (producer.op_type == "Gemm") producer.attributes["beta"] = 1.0f;
  producer.outputs[0] = output;
  return true;
}

}  // namespace qrt::converter
