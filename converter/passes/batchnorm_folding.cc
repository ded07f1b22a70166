// BatchNormalization folded into the Conv, ConvTranspose, Gemm or MatMul producing its
// input.
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "converter/passes/channel_affine.h"
#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

std::optional<ChannelAffine> BatchNormAffine(const Graph& graph, const Node& bn) {
  if (bn.inputs.size() != 5 || bn.GetInt("training_mode", 0) != 0) return std::nullopt;
  std::vector<std::span<const float>> params;  // gamma, beta, mean, var
  for (size_t i = 1; i < 5; ++i) {
    const TensorData* t = bn.HasInput(i) ? FloatConstant(graph, bn.inputs[i]) : nullptr;
    if (t == nullptr || t->shape().size() != 1) return std::nullopt;
    params.push_back(t->values<float>());
  }
  const size_t channels = params[0].size();
  for (const auto& p : params) {
    if (p.size() != channels) return std::nullopt;
  }
  const double epsilon = bn.GetFloat("epsilon", 1e-5f);
  ChannelAffine affine;
  for (size_t c = 0; c < channels; ++c) {
    const double scale = params[0][c] / std::sqrt(static_cast<double>(params[3][c]) + epsilon);
    affine.scale.push_back(scale);
    affine.shift.push_back(params[1][c] - params[2][c] * scale);
  }
  return affine;
}

// Folds BatchNormalization node `bn_index` into its producer.
std::optional<size_t> TryFold(Graph* graph, size_t bn_index) {
  const Node& bn = graph->nodes[bn_index];
  if (bn.op_type != "BatchNormalization" || !bn.domain.empty() || !bn.HasInput(0) ||
      bn.outputs.empty()) {
    return std::nullopt;
  }
  const std::optional<ChannelAffine> affine = BatchNormAffine(*graph, bn);
  const std::optional<size_t> producer_index = graph->Producer(bn.inputs[0]);
  if (!affine || !producer_index || SoleReader(*graph, bn.inputs[0]) != bn_index) {
    return std::nullopt;
  }
  const std::string output = bn.outputs[0];
  if (!FoldChannelAffine(graph, *producer_index, *affine, output)) return std::nullopt;
  return EraseNodes(graph, {bn_index});
}

}  // namespace

Status FoldBatchNorms(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFold);
  return Status::Ok();
}

}  // namespace qrt::converter
