// qrt-convert's report: a table on stdout and, with --report, the same as JSON plus
// the model sizes and the weight precision of every layer.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "calibrate.h"
#include "mixed_precision.h"

namespace qrt::converter {

// One calibrated float tensor.
struct LayerRow {
  std::string tensor;
  std::string op_type;            // of the node producing it; "(graph input)" for inputs
  int weight_bits = 0;            // of that node; 0 without weights
  std::optional<double> sqnr_db;  // absent when the quantized model has no such tensor
  TensorCalibration calibration;
  // The quantization in the model, which differs from calibration's choice where the
  // tensor shares its input's (ShareQuantization).
  calib::ActivationQuant quant;
};

struct ConversionReport {
  std::string onnx_path;
  std::string qrt_path;
  std::string calib_spec;
  size_t calib_samples = 0;
  std::string method;  // as requested; auto's pick per tensor is in the rows
  std::string eval_spec;
  size_t eval_samples = 0;
  std::string weights;  // "int8" or "int4"
  int64_t onnx_bytes = 0;
  int64_t qrt_bytes = 0;
  std::map<std::string, double> output_sqnr_db;
  std::vector<LayerRow> layers;  // in execution order
  std::vector<NodeReport> weight_layers;
  PrecisionTarget target;
  PrecisionPlan plan;  // empty unless int4 with a target
};

// Rows for every calibrated tensor of `graph`, graph inputs first, then node outputs
// in node order.
std::vector<LayerRow> MakeLayerRows(const Graph& graph, const CalibrationResult& calibration,
                                    const EmitReport& emitted,
                                    const std::map<std::string, double>& sqnr_db);

void PrintReport(const ConversionReport& report);

// kIoError naming the path when it cannot be written.
Status WriteJsonReport(const ConversionReport& report, const std::string& path);

}  // namespace qrt::converter
