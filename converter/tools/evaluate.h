// qrt-convert's evaluation: a quantized model, run by libqrt on held-out inputs, is
// compared with the float graph as SQNR = 10 log10(sum x^2 / sum (x - x_q)^2), per
// graph output and, through a debug copy of the model, per quantized activation.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "data_source.h"
#include "qrt/qrt.h"
#include "qrt/schema/model_builder.h"

namespace qrt::converter {

// One held-out input and the float graph's outputs on it.
struct EvalSample {
  std::map<std::string, TensorData> inputs;
  std::map<std::string, TensorData> outputs;
};

// Whether a --calib or --eval value names generated data rather than files.
bool IsRandomData(const std::string& spec);

// Opens the held-out evaluation inputs, `eval_spec` in --calib syntax. Directories
// must differ from the calibration directory. Random samples are seeded by their
// index, so after random calibration data random evaluation data skips the
// calibration's indices to stay held out.
Status OpenEvalSource(const std::string& eval_spec, const std::string& calib_spec,
                      size_t calib_samples, const std::vector<calib::InputSpec>& inputs,
                      const calib::ImageOptions& image_options,
                      std::unique_ptr<calib::CalibrationSource>* source);

// Reads every sample of `source` and runs the float graph on it.
Status LoadEvalSamples(const Graph& graph, calib::CalibrationSource* source,
                       std::vector<EvalSample>* samples);

// Accumulates signal and noise energy over any number of tensors, so that one SQNR
// covers a whole evaluation set rather than averaging per-sample decibels.
class SqnrMeter {
 public:
  void Add(std::span<const float> reference, std::span<const float> quantized);
  // +inf when the quantized values were exact.
  double Db() const;

 private:
  double signal_ = 0;
  double noise_ = 0;
};

// "31.42 dB", or "exact" for +inf.
std::string FormatDb(double db);

// A .qrt model in memory, copied to the 64-byte aligned storage LoadBuffer needs.
class InMemoryModel {
 public:
  Status Load(const std::vector<uint8_t>& bytes);
  const std::shared_ptr<const Model>& model() const { return model_; }

 private:
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  std::vector<Line> storage_;
  std::shared_ptr<const Model> model_;  // after storage_, so it is destroyed first
};

// SQNR of each output of the float graph, read from the same-named output of `model`
// (which may have more, as the debug model does), over `samples`.
Status MeasureOutputSqnr(const std::shared_ptr<const Model>& model,
                         const std::vector<EvalSample>& samples,
                         std::map<std::string, double>* sqnr_db);

// The float tensor a graph output of the debug model shows, and whether the runtime
// holds it in NHWC (every rank-4 activation inside the model) rather than ONNX order.
struct LayerOutput {
  std::string tensor;
  bool nhwc = false;
};

// Turns an emitted model into its debug version: every int8 activation named after a
// float tensor of `graph` (the emitter keeps ONNX names) is also dequantized into a
// new graph output, by DEQUANTIZE operators appended after the model's own, which
// leave the original outputs' values unchanged. Returns every graph output of the
// debug model, the original ones included, by name.
std::map<std::string, LayerOutput> AddLayerOutputs(const Graph& graph, ModelBuilder* builder);

// SQNR of every float tensor that `layers` shows, over `samples`, by tensor name.
Status MeasureLayerSqnr(const Graph& graph, const std::shared_ptr<const Model>& debug_model,
                        const std::map<std::string, LayerOutput>& layers,
                        const std::vector<EvalSample>& samples,
                        std::map<std::string, double>* sqnr_db);

}  // namespace qrt::converter
