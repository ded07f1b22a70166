#include "bias_correction.h"

#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "calibrate.h"
#include "converter/ir/fused_clamp.h"
#include "converter/reference/executor.h"
#include "evaluate.h"
#include "mixed_precision.h"

namespace qrt::converter {
namespace {

// One Conv, ConvTranspose or Gemm node and its float output's per-channel statistics
// over the calibration samples.
struct Layer {
  size_t node = 0;  // index in Graph::nodes
  std::string output;
  int64_t channels = 0;
  int64_t inner = 1;  // consecutive ONNX-order elements of one channel (H * W, or 1)
  std::optional<FusedClamp> clamp;
  std::vector<double> float_sum;  // per channel, over the counted elements
  std::vector<int64_t> count;
  // With a clamp: per sample and ONNX-order element, whether the float value is
  // strictly inside it (and so counted).
  std::vector<std::vector<uint8_t>> inside;
};

bool IsFloatConstant(const Tensor* t) {
  return t != nullptr && t->is_constant() && t->constant->dtype() == DType::kFloat32;
}

// The nodes to correct, in graph order: those whose bias the emitter folds into the
// int32 accumulator, with a bias it can take (a constant, or none).
std::vector<Layer> FindLayers(const Graph& graph, const ActivationQuantMap& quant) {
  std::vector<Layer> layers;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    const bool conv = node.op_type == "Conv" || node.op_type == "ConvTranspose";
    if ((!conv && node.op_type != "Gemm") || node.outputs.empty() ||
        !quant.count(node.outputs[0])) {
      continue;
    }
    if (node.HasInput(2) && !IsFloatConstant(graph.FindTensor(node.inputs[2]))) continue;
    if (node.op_type == "Gemm" && node.GetFloat("beta", 1) != 1) continue;
    const Tensor* y = graph.FindTensor(node.outputs[0]);
    if (y == nullptr || !IsFullyKnown(y->shape) || y->shape.size() != (conv ? 4u : 2u)) continue;
    Layer layer;
    layer.node = i;
    layer.output = node.outputs[0];
    layer.channels = y->shape[1];
    layer.inner = conv ? y->shape[2] * y->shape[3] : 1;
    layer.clamp = GetFusedClamp(node);
    layer.float_sum.assign(static_cast<size_t>(layer.channels), 0);
    layer.count.assign(static_cast<size_t>(layer.channels), 0);
    layers.push_back(std::move(layer));
  }
  return layers;
}

bool Inside(const FusedClamp& clamp, float x) { return x > clamp.min && x < clamp.max; }

// Adds one sample's float output of `layer`.
void AddFloat(std::span<const float> values, Layer* layer) {
  std::vector<uint8_t>* inside = nullptr;
  if (layer->clamp) inside = &layer->inside.emplace_back(values.size(), uint8_t{0});
  for (size_t i = 0; i < values.size(); ++i) {
    if (inside != nullptr) {
      if (!Inside(*layer->clamp, values[i])) continue;
      (*inside)[i] = 1;
    }
    const size_t c = (i / static_cast<size_t>(layer->inner)) % static_cast<size_t>(layer->channels);
    layer->float_sum[c] += values[i];
    ++layer->count[c];
  }
}

Status MeasureFloat(const Graph& graph,
                    const std::vector<std::map<std::string, TensorData>>& inputs,
                    std::vector<Layer>* layers) {
  std::map<std::string, Layer*> by_output;
  for (Layer& layer : *layers) by_output[layer.output] = &layer;
  const ReferenceExecutor executor(graph);
  for (size_t i = 0; i < inputs.size(); ++i) {
    QRT_RETURN_IF_ERROR(RunCalibrationInput(executor, i, inputs[i],
                                            [&](const std::string& name, const TensorData& value) {
                                              const auto layer = by_output.find(name);
                                              if (layer != by_output.end())
                                                AddFloat(value.values<float>(), layer->second);
                                            }));
  }
  return Status::Ok();
}

// Per-channel sums of one layer's int8 outputs (dequantized) over the elements its
// float statistics counted.
struct QuantizedSums {
  std::vector<double> sum;
};

// Adds one sample's quantized output of `layer`: `values` as the debug model gives
// them, NHWC (runtime shape [N, H, W, C]) when `nhwc`, else in ONNX order.
void AddQuantized(const Layer& layer, size_t sample, std::span<const float> values, bool nhwc,
                  QuantizedSums* sums) {
  const size_t channels = static_cast<size_t>(layer.channels);
  const size_t inner = static_cast<size_t>(layer.inner);
  for (size_t j = 0; j < values.size(); ++j) {
    size_t c = 0;
    size_t onnx_index = j;
    if (nhwc) {
      c = j % channels;
      const size_t pixel = j / channels;  // n * inner + hw
      onnx_index = ((pixel / inner) * channels + c) * inner + pixel % inner;
    } else {
      c = (j / inner) % channels;
    }
    if (layer.clamp && !layer.inside[sample][onnx_index]) continue;
    sums->sum[c] += values[j];
  }
}

// Whether each layer depends on none of the layers in `pending` (other than itself):
// those can be measured in the same round.
std::vector<bool> Ready(const Graph& graph, const std::vector<Layer>& layers,
                        const std::vector<size_t>& pending) {
  std::set<std::string> downstream;
  for (size_t p : pending) downstream.insert(layers[p].output);
  for (const Node& node : graph.nodes) {
    for (const std::string& input : node.inputs) {
      if (!downstream.count(input)) continue;
      downstream.insert(node.outputs.begin(), node.outputs.end());
      break;
    }
  }
  std::vector<bool> ready(layers.size(), false);
  for (size_t p : pending) {
    const Node& node = graph.nodes[layers[p].node];
    bool depends = false;
    for (const std::string& input : node.inputs) depends = depends || downstream.count(input);
    ready[p] = !depends;
  }
  return ready;
}

// Subtracts `error` (per channel, float) from the bias of `layer`'s node, as a new
// constant so that a bias shared with another node is left as it was.
void ShiftBias(const Layer& layer, const std::vector<double>& error, Graph* graph) {
  Node& node = graph->nodes[layer.node];
  std::vector<float> bias(static_cast<size_t>(layer.channels), 0.0f);
  if (node.HasInput(2)) {
    const std::vector<float> old = graph->FindTensor(node.inputs[2])->constant->ToFloats();
    for (size_t c = 0; c < bias.size(); ++c) bias[c] = old.size() == 1 ? old[0] : old[c];
  }
  for (size_t c = 0; c < bias.size(); ++c) bias[c] -= static_cast<float>(error[c]);
  std::string name = node.name + "/corrected_bias";
  while (graph->FindTensor(name) != nullptr) name += "_";
  Tensor& tensor = graph->GetOrAddTensor(name);
  tensor.dtype = DType::kFloat32;
  tensor.shape = {layer.channels};
  tensor.constant = TensorData::FromVector(tensor.shape, bias);
  node.inputs.resize(std::max<size_t>(node.inputs.size(), 3));
  node.inputs[2] = name;
}

// One round: emits the model from `graph`, measures the layers marked in `ready` on
// every sample and corrects those the model shows.
Status CorrectRound(const ActivationQuantMap& quant, const QuantizeOptions& options,
                    const std::vector<std::map<std::string, TensorData>>& inputs,
                    const std::vector<Layer>& layers, const std::vector<bool>& ready, Graph* graph,
                    BiasCorrectionReport* report) {
  const Emission emission{*graph, quant, {}, {}};
  ModelBuilder builder;
  EmitReport unused;
  QRT_RETURN_IF_ERROR(emission.Emit(options, &builder, &unused));
  const std::map<std::string, LayerOutput> shown = AddLayerOutputs(*graph, &builder);
  InMemoryModel model;
  QRT_RETURN_IF_ERROR(model.Load(builder.Finish()));

  // The debug model's output and layout for each ready layer it shows.
  std::map<size_t, std::pair<const TensorInfo*, bool>> outputs;
  for (const TensorInfo& info : model.model()->outputs()) {
    const auto layer = shown.find(info.name);
    if (layer == shown.end()) continue;
    for (size_t i = 0; i < layers.size(); ++i) {
      if (ready[i] && layers[i].output == layer->second.tensor) {
        outputs[i] = {&info, layer->second.nhwc};
      }
    }
  }
  std::map<size_t, QuantizedSums> sums;
  for (const auto& [i, output] : outputs) {
    sums[i].sum.assign(static_cast<size_t>(layers[i].channels), 0);
  }
  std::unique_ptr<Session> session;
  QRT_RETURN_IF_ERROR(Session::Create(model.model(), &session));
  std::vector<float> values;
  for (size_t s = 0; s < inputs.size(); ++s) {
    for (const auto& [name, value] : inputs[s]) {
      const std::span<const float> x = value.values<float>();
      QRT_RETURN_IF_ERROR(session->SetInput(name, x.data(), x.size()));
    }
    QRT_RETURN_IF_ERROR(session->Run());
    for (const auto& [i, output] : outputs) {
      values.resize(output.first->element_count);
      QRT_RETURN_IF_ERROR(session->GetOutput(output.first->name, values.data(), values.size()));
      AddQuantized(layers[i], s, values, output.second, &sums[i]);
    }
  }

  for (const auto& [i, layer_sums] : sums) {
    const Layer& layer = layers[i];
    std::vector<double> error(layer_sums.sum.size(), 0);
    for (size_t c = 0; c < error.size(); ++c) {
      if (layer.count[c] == 0) continue;
      error[c] = (layer_sums.sum[c] - layer.float_sum[c]) / static_cast<double>(layer.count[c]);
      const double steps = std::abs(error[c]) / quant.at(layer.output).scale;
      if (steps > report->largest_shift_steps) {
        report->largest_shift_steps = steps;
        report->largest_shift_node = graph->nodes[layer.node].name;
      }
      report->channels += error[c] != 0 ? 1 : 0;
    }
    ShiftBias(layer, error, graph);
    ++report->layers;
  }
  return Status::Ok();
}

}  // namespace

Status CorrectBiases(const ActivationQuantMap& quant, const QuantizeOptions& options,
                     calib::CalibrationSource* source, Graph* graph, BiasCorrectionReport* report) {
  *report = BiasCorrectionReport();
  std::vector<Layer> layers = FindLayers(*graph, quant);
  if (layers.empty()) return Status::Ok();
  std::vector<std::map<std::string, TensorData>> inputs(source->size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    QRT_RETURN_IF_ERROR(ReadSample(*graph, source, i, &inputs[i]));
  }
  QRT_RETURN_IF_ERROR(MeasureFloat(*graph, inputs, &layers));

  std::vector<size_t> pending(layers.size());
  for (size_t i = 0; i < pending.size(); ++i) pending[i] = i;
  while (!pending.empty()) {
    // The first pending layer depends on no other pending one, so every round makes
    // progress.
    const std::vector<bool> ready = Ready(*graph, layers, pending);
    QRT_RETURN_IF_ERROR(CorrectRound(quant, options, inputs, layers, ready, graph, report));
    ++report->rounds;
    std::vector<size_t> still_pending;
    for (size_t p : pending) {
      if (!ready[p]) still_pending.push_back(p);
    }
    pending = std::move(still_pending);
  }
  return Status::Ok();
}

}  // namespace qrt::converter
