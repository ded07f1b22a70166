// qrt-convert's calibration step: the float graph runs on every calibration input,
// each float tensor's values feed its ActivationStats, and one range and one int8
// quantization per tensor follow from them.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "converter/reference/executor.h"
#include "data_source.h"
#include "quantize.h"
#include "range.h"

namespace qrt::converter {

// What calibration decided for one float tensor.
struct TensorCalibration {
  calib::RangeChoice choice;  // the range and the method that picked it
  calib::FusedActivation activation = calib::FusedActivation::kNone;
  calib::ActivationQuant quant;  // after snapping to `activation`
};

using CalibrationResult = std::map<std::string, TensorCalibration>;

// The graph inputs as calibration sources see them (names and fully known shapes).
std::vector<calib::InputSpec> GraphInputSpecs(const Graph& graph);

// Loads sample `index` of `source` as the executor's input map.
Status ReadSample(const Graph& graph, calib::CalibrationSource* source, size_t index,
                  std::map<std::string, TensorData>* inputs);

// ReferenceExecutor::Run on calibration input `index` (`inputs`, from ReadSample):
// every pass over the calibration inputs runs through here, so that an error
// names the input it happened on ("calibration input 3: ...").
Status RunCalibrationInput(const ReferenceExecutor& executor, size_t index,
                           const std::map<std::string, TensorData>& inputs,
                           const TensorObserver& observer);

// Runs the float graph on every sample of `source` (with a progress bar on stderr)
// and selects every float tensor's range with `method`. A tensor produced by a node
// with a fused ReLU or ReLU6 gets its range snapped to that activation.
Status Calibrate(const Graph& graph, calib::CalibrationSource* source,
                 const calib::CalibrationMethod& method, CalibrationResult* result);

// The quantization map EmitQuantizedModel takes.
ActivationQuantMap QuantMapOf(const CalibrationResult& result);

}  // namespace qrt::converter
