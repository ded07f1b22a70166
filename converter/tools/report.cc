#include "report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "quant_sharing.h"

namespace qrt::converter {
namespace {

using Json = nlohmann::json;

// JSON has no infinity: an exact tensor (no quantization noise at all) is null.
Json DbJson(double db) { return std::isfinite(db) ? Json(db) : Json(nullptr); }

std::string DbText(std::optional<double> db) { return db ? FormatDb(*db) : "-"; }

std::string RangeText(const calib::ClipRange& range) {
  char text[64];
  std::snprintf(text, sizeof(text), "[%.4g, %.4g]", range.alpha, range.beta);
  return text;
}

// The method that chose the tensor's quantization: calibration's, or "shared" where
// the tensor takes its input's parameters.
std::string MethodText(const LayerRow& row) {
  const calib::ActivationQuant& calibrated = row.calibration.quant;
  if (calibrated.scale != row.quant.scale || calibrated.zero_point != row.quant.zero_point) {
    return "shared";
  }
  return calib::FormatCalibrationMethod(row.calibration.choice.method);
}

double Ratio(const ConversionReport& report) {
  return report.onnx_bytes == 0
             ? 0.0
             : static_cast<double>(report.qrt_bytes) / static_cast<double>(report.onnx_bytes);
}

void AddRow(const std::string& tensor, const std::string& op, int weight_bits,
            const calib::ActivationQuant& quant, const std::map<std::string, double>& sqnr_db,
            const CalibrationResult& calibration, std::vector<LayerRow>* rows) {
  const auto calibrated = calibration.find(tensor);
  if (calibrated == calibration.end()) return;
  const auto sqnr = sqnr_db.find(tensor);
  rows->push_back({tensor, op, weight_bits,
                   sqnr == sqnr_db.end() ? std::nullopt : std::optional<double>(sqnr->second),
                   calibrated->second, quant});
}

}  // namespace

std::vector<LayerRow> MakeLayerRows(const Graph& graph, const CalibrationResult& calibration,
                                    const EmitReport& emitted,
                                    const std::map<std::string, double>& sqnr_db) {
  ActivationQuantMap quant = QuantMapOf(calibration);
  ShareQuantization(graph, &quant);
  std::map<std::string, int> weight_bits;
  for (const NodeReport& node : emitted.nodes) weight_bits[node.node] = node.weight_bits;
  std::vector<LayerRow> rows;
  for (const std::string& input : graph.inputs) {
    AddRow(input, "(graph input)", 0, quant[input], sqnr_db, calibration, &rows);
  }
  for (const Node& node : graph.nodes) {
    for (const std::string& output : node.outputs) {
      AddRow(output, node.op_type, weight_bits[node.name], quant[output], sqnr_db, calibration,
             &rows);
    }
  }
  return rows;
}

void PrintReport(const ConversionReport& report) {
  size_t tensor_width = std::string_view("tensor").size();
  size_t op_width = std::string_view("op").size();
  for (const LayerRow& row : report.layers) {
    tensor_width = std::max(tensor_width, row.tensor.size());
    op_width = std::max(op_width, row.op_type.size());
  }
  const int tw = static_cast<int>(tensor_width);
  const int ow = static_cast<int>(op_width);
  std::printf("%-*s  %-*s  %5s  %9s  %-24s  %-17s  %-12s  %4s\n", tw, "tensor", ow, "op", "wbits",
              "SQNR", "range [alpha, beta]", "method", "scale", "zp");
  for (const LayerRow& row : report.layers) {
    const std::string bits = row.weight_bits == 0 ? "-" : std::to_string(row.weight_bits);
    std::printf("%-*s  %-*s  %5s  %9s  %-24s  %-17s  %-12.6g  %4d\n", tw, row.tensor.c_str(), ow,
                row.op_type.c_str(), bits.c_str(), DbText(row.sqnr_db).c_str(),
                RangeText(row.calibration.choice.range).c_str(), MethodText(row).c_str(),
                static_cast<double>(row.quant.scale), row.quant.zero_point);
  }
  std::printf("\noutput SQNR on %zu evaluation inputs (%s):\n", report.eval_samples,
              report.eval_spec.c_str());
  for (const auto& [name, db] : report.output_sqnr_db) {
    std::printf("  %-*s  %s\n", tw, name.c_str(), FormatDb(db).c_str());
  }
  if (!report.plan.layers.empty()) {
    std::printf(
        "\nint4 sensitivity (output SQNR with only that layer int4), most sensitive "
        "first:\n");
    for (const LayerSensitivity& layer : report.plan.layers) {
      std::printf("  %-*s  %9s  %s\n", tw, layer.node.c_str(), FormatDb(layer.sqnr_db).c_str(),
                  layer.kept_int8 ? "kept int8" : "int4");
    }
  }
  std::printf("\nsize: %s %lld bytes -> %s %lld bytes (%.1f%%)\n", report.onnx_path.c_str(),
              static_cast<long long>(report.onnx_bytes), report.qrt_path.c_str(),
              static_cast<long long>(report.qrt_bytes), 100 * Ratio(report));
}

Status WriteJsonReport(const ConversionReport& report, const std::string& path) {
  Json layers = Json::array();
  for (const LayerRow& row : report.layers) {
    const calib::ClipRange& range = row.calibration.choice.range;
    layers.push_back({{"tensor", row.tensor},
                      {"op_type", row.op_type},
                      {"weight_bits", row.weight_bits},
                      {"sqnr_db", row.sqnr_db ? DbJson(*row.sqnr_db) : Json(nullptr)},
                      {"range", {range.alpha, range.beta}},
                      {"method", MethodText(row)},
                      {"expected_mse", row.calibration.choice.mse},
                      {"scale", row.quant.scale},
                      {"zero_point", row.quant.zero_point}});
  }
  Json outputs = Json::array();
  for (const auto& [name, db] : report.output_sqnr_db) {
    outputs.push_back({{"name", name}, {"sqnr_db", DbJson(db)}});
  }
  std::map<std::string, const LayerSensitivity*> sensitivity;
  for (const LayerSensitivity& layer : report.plan.layers) sensitivity[layer.node] = &layer;
  Json weight_layers = Json::array();
  for (const NodeReport& node : report.weight_layers) {
    Json layer = {{"node", node.node},
                  {"op_type", node.op_type},
                  {"weight_bits", node.weight_bits},
                  {"weight_bytes", node.weight_bytes}};
    const auto it = sensitivity.find(node.node);
    if (it != sensitivity.end()) {
      layer["int4_sensitivity_sqnr_db"] = DbJson(it->second->sqnr_db);
      layer["kept_int8"] = it->second->kept_int8;
    }
    weight_layers.push_back(std::move(layer));
  }
  Json target = Json::object();
  if (report.target.min_sqnr_db) target["min_sqnr_db"] = *report.target.min_sqnr_db;
  if (report.target.size_budget) target["size_budget_bytes"] = *report.target.size_budget;
  Json kept_int8 = Json::array();
  for (const LayerSensitivity& layer : report.plan.layers) {
    if (!layer.kept_int8) continue;
    kept_int8.push_back(
        {{"node", layer.node}, {"int4_sensitivity_sqnr_db", DbJson(layer.sqnr_db)}});
  }
  if (!report.plan.layers.empty()) {
    target["kept_int8"] = kept_int8;
    target["why"] = report.target.min_sqnr_db
                        ? "the most sensitive layers (lowest output SQNR when only they are int4), "
                          "added until the output SQNR reached min_sqnr_db"
                        : "the most sensitive layers whose int8 weights still fit in "
                          "size_budget_bytes";
  }
  const Json json = {
      {"model", report.onnx_path},
      {"output", report.qrt_path},
      {"calibration",
       {{"data", report.calib_spec}, {"samples", report.calib_samples}, {"method", report.method}}},
      {"evaluation", {{"data", report.eval_spec}, {"samples", report.eval_samples}}},
      {"weights", report.weights},
      {"target", target},
      {"sizes",
       {{"onnx_bytes", report.onnx_bytes},
        {"qrt_bytes", report.qrt_bytes},
        {"ratio", Ratio(report)}}},
      {"outputs", outputs},
      {"layers", layers},
      {"weight_layers", weight_layers}};
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  file << json.dump(2) << "\n";
  file.close();
  if (!file) return Status(StatusCode::kIoError, "cannot write the report '" + path + "'");
  return Status::Ok();
}

}  // namespace qrt::converter
