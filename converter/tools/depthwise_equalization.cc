#include "depthwise_equalization.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <vector>

#include "calibrate.h"
#include "converter/passes/channel_affine.h"
#include "converter/passes/graph_edit.h"
#include "converter/reference/executor.h"

namespace qrt::converter {
namespace {

// A convolution (`producer`) whose output only a depthwise convolution (`reader`)
// reads, and that output's per-channel ranges.
struct Pair {
  size_t producer = 0;
  size_t reader = 0;
  std::string tensor;
  int64_t channels = 0;
  int64_t inner = 1;  // H * W: consecutive ONNX-order elements of one channel
  std::vector<float> lo;
  std::vector<float> hi;
};

// Whether `node` is a Conv with constant float weights [C, 1, k...] and group C: each
// output channel reads only the input channel of the same index.
bool IsDepthwise(const Graph& graph, const Node& node, int64_t channels) {
  if (node.op_type != "Conv" || node.GetInt("group", 1) != channels) return false;
  const TensorData* w = FloatConstant(graph, node.inputs[1]);
  return w != nullptr && w->shape().size() >= 2 && w->shape()[0] == channels && w->shape()[1] == 1;
}

std::vector<Pair> FindPairs(const Graph& graph) {
  std::vector<Pair> pairs;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    // FoldChannelAffine checks the rest; a fused clamp would have to scale with it.
    if (!IsPlainOp(node, "Conv") || node.outputs.empty()) continue;
    const Tensor* y = graph.FindTensor(node.outputs[0]);
    if (y == nullptr || y->shape.size() != 4 || !IsFullyKnown(y->shape)) continue;
    const std::optional<size_t> reader = SoleReader(graph, node.outputs[0]);
    if (!reader || graph.nodes[*reader].inputs[0] != node.outputs[0] ||
        !IsDepthwise(graph, graph.nodes[*reader], y->shape[1])) {
      continue;
    }
    Pair pair;
    pair.producer = i;
    pair.reader = *reader;
    pair.tensor = node.outputs[0];
    pair.channels = y->shape[1];
    pair.inner = y->shape[2] * y->shape[3];
    pair.lo.assign(static_cast<size_t>(pair.channels), std::numeric_limits<float>::infinity());
    pair.hi.assign(static_cast<size_t>(pair.channels), -std::numeric_limits<float>::infinity());
    pairs.push_back(std::move(pair));
  }
  return pairs;
}

Status MeasureRanges(const Graph& graph, calib::CalibrationSource* source,
                     std::vector<Pair>* pairs) {
  std::map<std::string, Pair*> by_tensor;
  for (Pair& pair : *pairs) by_tensor[pair.tensor] = &pair;
  const ReferenceExecutor executor(graph);
  for (size_t s = 0; s < source->size(); ++s) {
    std::map<std::string, TensorData> inputs;
    QRT_RETURN_IF_ERROR(ReadSample(graph, source, s, &inputs));
    QRT_RETURN_IF_ERROR(RunCalibrationInput(
        executor, s, inputs, [&](const std::string& name, const TensorData& value) {
          const auto found = by_tensor.find(name);
          if (found == by_tensor.end()) return;
          Pair& pair = *found->second;
          const std::span<const float> x = value.values<float>();
          for (size_t i = 0; i < x.size(); ++i) {
            const size_t c = (i / static_cast<size_t>(pair.inner)) % pair.lo.size();
            pair.lo[c] = std::min(pair.lo[c], x[i]);
            pair.hi[c] = std::max(pair.hi[c], x[i]);
          }
        }));
  }
  return Status::Ok();
}

// k_c as the header defines it.
std::vector<double> Factors(const Pair& pair) {
  const float lo = *std::min_element(pair.lo.begin(), pair.lo.end());
  const float hi = *std::max_element(pair.hi.begin(), pair.hi.end());
  std::vector<double> k(pair.lo.size(), kMaxEqualizationFactor);
  for (size_t c = 0; c < k.size(); ++c) {
    if (pair.hi[c] > 0) k[c] = std::min(k[c], static_cast<double>(hi) / pair.hi[c]);
    if (pair.lo[c] < 0) k[c] = std::min(k[c], static_cast<double>(lo) / pair.lo[c]);
    k[c] = std::max(k[c], 1.0);
  }
  return k;
}

// Divides channel c of the depthwise reader's weights by k[c], as a new constant (the
// old one may have other readers).
void UnscaleReader(const std::vector<double>& k, size_t reader, Graph* graph) {
  Node& node = graph->nodes[reader];
  const TensorData* w = FloatConstant(*graph, node.inputs[1]);
  std::vector<float> values = w->ToFloats();
  const size_t per_channel = values.size() / k.size();
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = static_cast<float>(values[i] / k[i / per_channel]);
  }
  const std::string name = UniqueTensorName(*graph, node.inputs[1] + "_equalized");
  SetConstant(graph, name, TensorData::FromVector(w->shape(), values));
  node.inputs[1] = name;
}

}  // namespace

Status EqualizeDepthwiseInputs(calib::CalibrationSource* source, Graph* graph,
                               DepthwiseEqualizationReport* report) {
  *report = DepthwiseEqualizationReport();
  std::vector<Pair> pairs = FindPairs(*graph);
  if (pairs.empty()) return Status::Ok();
  QRT_RETURN_IF_ERROR(MeasureRanges(*graph, source, &pairs));
  std::vector<double> all_factors;
  for (const Pair& pair : pairs) {
    const std::vector<double> k = Factors(pair);
    ChannelAffine affine;
    affine.scale = k;
    affine.shift.assign(k.size(), 0);
    if (!FoldChannelAffine(graph, pair.producer, affine, pair.tensor)) continue;
    UnscaleReader(k, pair.reader, graph);
    all_factors.insert(all_factors.end(), k.begin(), k.end());
    ++report->pairs;
  }
  if (!all_factors.empty()) {
    std::nth_element(all_factors.begin(), all_factors.begin() + all_factors.size() / 2,
                     all_factors.end());
    report->median_factor = all_factors[all_factors.size() / 2];
  }
  return Status::Ok();
}

}  // namespace qrt::converter
