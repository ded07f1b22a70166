#include "calibrate.h"

#include <limits>

#include "converter/ir/fused_clamp.h"
#include "converter/reference/executor.h"
#include "histogram.h"
#include "progress.h"

namespace qrt::converter {
namespace {

// The activation whose integer clamp the emitted operator will apply (emit.cc turns
// exactly these two fused clamps into calib::FusedClamp), so the range must be
// snapped to it; any other clip is quantized as plain values.
calib::FusedActivation FusedActivationOf(const Graph& graph, const std::string& tensor) {
  const std::optional<size_t> producer = graph.Producer(tensor);
  if (!producer) return calib::FusedActivation::kNone;
  const std::optional<FusedClamp> clamp = GetFusedClamp(graph.nodes[*producer]);
  if (!clamp || clamp->min != 0) return calib::FusedActivation::kNone;
  if (clamp->max == std::numeric_limits<float>::infinity()) return calib::FusedActivation::kRelu;
  if (clamp->max == 6) return calib::FusedActivation::kRelu6;
  return calib::FusedActivation::kNone;
}

// status, named after calibration input `index` when it is an error.
Status AtCalibrationInput(size_t index, const Status& status) {
  if (status.ok()) return status;
  return Status(status.code(),
                "calibration input " + std::to_string(index) + ": " + status.message());
}

}  // namespace

std::vector<calib::InputSpec> GraphInputSpecs(const Graph& graph) {
  std::vector<calib::InputSpec> specs;
  for (const std::string& name : graph.inputs) {
    specs.push_back({name, graph.FindTensor(name)->shape});
  }
  return specs;
}

Status ReadSample(const Graph& graph, calib::CalibrationSource* source, size_t index,
                  std::map<std::string, TensorData>* inputs) {
  std::vector<calib::CalibTensor> sample;
  QRT_RETURN_IF_ERROR(source->Read(index, &sample));
  inputs->clear();
  for (size_t i = 0; i < sample.size(); ++i) {
    inputs->emplace(graph.inputs[i],
                    TensorData::FromVector(std::move(sample[i].shape), sample[i].values));
  }
  return Status::Ok();
}

Status RunCalibrationInput(const ReferenceExecutor& executor, size_t index,
                           const std::map<std::string, TensorData>& inputs,
                           const TensorObserver& observer) {
  std::map<std::string, TensorData> outputs;
  return AtCalibrationInput(index, executor.Run(inputs, &outputs, observer));
}

Status Calibrate(const Graph& graph, calib::CalibrationSource* source,
                 const calib::CalibrationMethod& method, CalibrationResult* result) {
  std::map<std::string, calib::ActivationStats> stats;
  const ReferenceExecutor executor(graph);
  calib::ProgressBar progress(source->size());
  for (size_t i = 0; i < source->size(); ++i) {
    std::map<std::string, TensorData> inputs;
    QRT_RETURN_IF_ERROR(ReadSample(graph, source, i, &inputs));
    Status observed;
    QRT_RETURN_IF_ERROR(RunCalibrationInput(
        executor, i, inputs, [&](const std::string& name, const TensorData& value) {
          if (value.dtype() != DType::kFloat32 || !observed.ok()) return;
          observed = stats.try_emplace(name, name).first->second.Add(value.values<float>());
        }));
    QRT_RETURN_IF_ERROR(AtCalibrationInput(i, observed));
    progress.Update(i + 1);
  }
  result->clear();
  for (const auto& [name, tensor_stats] : stats) {
    TensorCalibration& t = (*result)[name];
    QRT_RETURN_IF_ERROR(calib::SelectRange(tensor_stats, method, &t.choice));
    t.activation = FusedActivationOf(graph, name);
    t.quant = calib::ChooseActivationQuant(t.choice.range, t.activation);
  }
  return Status::Ok();
}

ActivationQuantMap QuantMapOf(const CalibrationResult& result) {
  ActivationQuantMap quant;
  for (const auto& [name, t] : result) quant[name] = t.quant;
  return quant;
}

}  // namespace qrt::converter
