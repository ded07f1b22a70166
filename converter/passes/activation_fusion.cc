// Relu and Clip fused into their producer as a fused clamp.
#include <algorithm>
#include <array>
#include <optional>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

// The operators the quantizer gives a requantizing output, where a clamp costs nothing.
constexpr std::array<const char*, 8> kClampableProducers = {
    "Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "AveragePool", "GlobalAveragePool"};

bool IsClampable(const Node& node) {
  return node.domain.empty() && node.outputs.size() == 1 &&
         std::any_of(kClampableProducers.begin(), kClampableProducers.end(),
                     [&node](const char* op) { return node.op_type == op; });
}

// Fuses the activation node `index` into its producer.
std::optional<size_t> TryFuse(Graph* graph, size_t index) {
  const Node& activation = graph->nodes[index];
  std::optional<FusedClamp> clamp = ClampActivationRange(*graph, activation);
  // A Clip with min > max outputs max everywhere: no range to quantize to.
  if (!clamp || clamp->min > clamp->max || !activation.HasInput(0) ||
      activation.outputs.size() != 1) {
    return std::nullopt;
  }
  const std::optional<size_t> producer_index = graph->Producer(activation.inputs[0]);
  if (!producer_index || SoleReader(*graph, activation.inputs[0]) != index) return std::nullopt;
  Node& producer = graph->nodes[*producer_index];
  if (!IsClampable(producer)) return std::nullopt;
  if (const std::optional<FusedClamp> inner = GetFusedClamp(producer)) {
    // Two clamps are one clamp to the intersection of their ranges; disjoint ranges
    // would make a constant, which one clamp cannot express.
    if (inner->max < clamp->min || inner->min > clamp->max) return std::nullopt;
    clamp = FusedClamp{std::max(inner->min, clamp->min), std::min(inner->max, clamp->max)};
  }
  SetFusedClamp(producer, *clamp);
  producer.outputs[0] = activation.outputs[0];
  return EraseNodes(graph, {index});
}

}  // namespace

Status FuseActivations(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
