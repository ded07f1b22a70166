#include "evaluate.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <string_view>

#include "calibrate.h"
#include "converter/reference/executor.h"

namespace qrt::converter {
namespace {

Status SampleError(size_t index, const Status& status) {
  return Status(status.code(),
                "evaluation input " + std::to_string(index) + ": " + status.message());
}

Status CreateSession(const std::shared_ptr<const Model>& model, std::unique_ptr<Session>* session) {
  const Status status = Session::Create(model, session);
  if (status.ok()) return status;
  return Status(status.code(), "the quantized model: " + status.message());
}

// Feeds the sample's float inputs and runs the quantized model.
Status RunQuantized(const EvalSample& sample, Session* session) {
  for (const auto& [name, value] : sample.inputs) {
    const std::span<const float> values = value.values<float>();
    QRT_RETURN_IF_ERROR(session->SetInput(name, values.data(), values.size()));
  }
  return session->Run();
}

Status GetFloatOutput(const Session& session, const TensorInfo& info, std::vector<float>* values) {
  values->resize(info.element_count);
  return session.GetOutput(info.name, values->data(), values->size());
}

Status Compare(const std::string& name, std::span<const float> reference,
               std::span<const float> quantized, SqnrMeter* meter) {
  if (reference.size() != quantized.size()) {
    return Status(StatusCode::kFailedPrecondition,
                  "tensor '" + name + "' has " + std::to_string(quantized.size()) +
                      " values in the quantized model and " + std::to_string(reference.size()) +
                      " in the float model");
  }
  meter->Add(reference, quantized);
  return Status::Ok();
}

// NHWC values of runtime shape [N, H, W, C] in ONNX's NCHW order.
std::vector<float> NhwcToNchw(const std::vector<float>& nhwc, const std::vector<int32_t>& shape) {
  const size_t n = shape[0], h = shape[1], w = shape[2], c = shape[3];
  std::vector<float> nchw(nhwc.size());
  for (size_t in = 0; in < n; ++in) {
    for (size_t y = 0; y < h; ++y) {
      for (size_t x = 0; x < w; ++x) {
        for (size_t ch = 0; ch < c; ++ch) {
          nchw[((in * c + ch) * h + y) * w + x] = nhwc[((in * h + y) * w + x) * c + ch];
        }
      }
    }
  }
  return nchw;
}

constexpr std::string_view kRandomPrefix = "random:";

// Samples [offset, size) of another source.
class OffsetSource : public calib::CalibrationSource {
 public:
  OffsetSource(std::unique_ptr<calib::CalibrationSource> source, size_t offset)
      : source_(std::move(source)), offset_(offset) {}

  size_t size() const override { return source_->size() - offset_; }
  Status Read(size_t index, std::vector<calib::CalibTensor>* sample) override {
    return source_->Read(offset_ + index, sample);
  }

 private:
  std::unique_ptr<calib::CalibrationSource> source_;
  size_t offset_;
};

}  // namespace

bool IsRandomData(const std::string& spec) { return spec.starts_with(kRandomPrefix); }

Status OpenEvalSource(const std::string& eval_spec, const std::string& calib_spec,
                      size_t calib_samples, const std::vector<calib::InputSpec>& inputs,
                      const calib::ImageOptions& image_options,
                      std::unique_ptr<calib::CalibrationSource>* source) {
  std::error_code error;
  if (!IsRandomData(eval_spec) && !IsRandomData(calib_spec) &&
      std::filesystem::equivalent(eval_spec, calib_spec, error)) {
    return Status(StatusCode::kInvalidArgument,
                  "--eval '" + eval_spec + "' is the calibration data; evaluation needs " +
                      "held-out inputs (another directory, or random:N)");
  }
  QRT_RETURN_IF_ERROR(calib::OpenCalibrationSource(eval_spec, inputs, image_options, source));
  if (!IsRandomData(eval_spec) || !IsRandomData(calib_spec)) return Status::Ok();
  // random:N[:distribution] -> random:(calib_samples + N)[:distribution]; the spec
  // parsed above, so N is a number.
  const size_t count_end = eval_spec.find(':', kRandomPrefix.size());
  const std::string extended = std::string(kRandomPrefix) +
                               std::to_string(calib_samples + (*source)->size()) +
                               (count_end == std::string::npos ? "" : eval_spec.substr(count_end));
  std::unique_ptr<calib::CalibrationSource> all;
  QRT_RETURN_IF_ERROR(calib::OpenCalibrationSource(extended, inputs, image_options, &all));
  *source = std::make_unique<OffsetSource>(std::move(all), calib_samples);
  return Status::Ok();
}

Status LoadEvalSamples(const Graph& graph, calib::CalibrationSource* source,
                       std::vector<EvalSample>* samples) {
  const ReferenceExecutor executor(graph);
  samples->assign(source->size(), EvalSample());
  for (size_t i = 0; i < samples->size(); ++i) {
    EvalSample& sample = (*samples)[i];
    Status status = ReadSample(graph, source, i, &sample.inputs);
    if (status.ok()) status = executor.Run(sample.inputs, &sample.outputs);
    if (!status.ok()) return SampleError(i, status);
  }
  return Status::Ok();
}

void SqnrMeter::Add(std::span<const float> reference, std::span<const float> quantized) {
  for (size_t i = 0; i < reference.size(); ++i) {
    const double x = reference[i];
    const double error = x - static_cast<double>(quantized[i]);
    signal_ += x * x;
    noise_ += error * error;
  }
}

double SqnrMeter::Db() const {
  if (noise_ == 0) return std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal_ / noise_);
}

std::string FormatDb(double db) {
  if (!std::isfinite(db)) return "exact";
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f dB", db);
  return text;
}

Status InMemoryModel::Load(const std::vector<uint8_t>& bytes) {
  model_.reset();
  storage_.assign((bytes.size() + sizeof(Line) - 1) / sizeof(Line), Line());
  std::memcpy(storage_.data(), bytes.data(), bytes.size());
  const Status status = Model::LoadBuffer(storage_.data(), bytes.size(), &model_);
  if (status.ok()) return status;
  return Status(status.code(), "the quantized model does not load: " + status.message());
}

Status MeasureOutputSqnr(const std::shared_ptr<const Model>& model,
                         const std::vector<EvalSample>& samples,
                         std::map<std::string, double>* sqnr_db) {
  std::unique_ptr<Session> session;
  QRT_RETURN_IF_ERROR(CreateSession(model, &session));
  std::map<std::string, const TensorInfo*> infos;
  for (const TensorInfo& info : model->outputs()) infos[info.name] = &info;
  std::map<std::string, SqnrMeter> meters;
  std::vector<float> values;
  for (size_t i = 0; i < samples.size(); ++i) {
    Status status = RunQuantized(samples[i], session.get());
    for (const auto& [name, reference] : samples[i].outputs) {
      if (!status.ok()) break;
      const auto info = infos.find(name);
      if (info == infos.end()) {
        status = Status(StatusCode::kFailedPrecondition,
                        "the quantized model has no output '" + name + "'");
        break;
      }
      status = GetFloatOutput(*session, *info->second, &values);
      if (status.ok()) status = Compare(name, reference.values<float>(), values, &meters[name]);
    }
    if (!status.ok()) return SampleError(i, status);
  }
  sqnr_db->clear();
  for (const auto& [name, meter] : meters) (*sqnr_db)[name] = meter.Db();
  return Status::Ok();
}

std::map<std::string, LayerOutput> AddLayerOutputs(const Graph& graph, ModelBuilder* builder) {
  schema::ModelT& model = builder->model();
  std::set<std::string> names;
  for (const auto& tensor : model.tensors) names.insert(tensor->name);
  std::map<std::string, LayerOutput> layers;
  for (const std::string& name : graph.outputs) layers[name] = {name, false};
  std::vector<int32_t> outputs = model.outputs;
  const size_t emitted_tensors = model.tensors.size();
  for (size_t i = 0; i < emitted_tensors; ++i) {
    // Copies: adding tensors below may move the ones already there.
    const std::string name = model.tensors[i]->name;
    const std::vector<int32_t> shape = model.tensors[i]->shape;
    const Tensor* tensor = graph.FindTensor(name);
    if (tensor == nullptr || tensor->is_constant() || tensor->dtype != DType::kFloat32 ||
        model.tensors[i]->type != schema::ElementType::INT8 || model.tensors[i]->buffer != 0) {
      continue;
    }
    std::string output = name + "/dequantized";
    while (!names.insert(output).second) output += "_";
    const int32_t dequantized = builder->AddFloatTensor(output, shape);
    builder->Dequantize(static_cast<int32_t>(i), dequantized);
    outputs.push_back(dequantized);
    // Rank-4 activations are NHWC except attention's, which the emitter keeps in ONNX
    // order: those have the ONNX shape itself (where that differs from the NHWC one).
    const std::vector<int32_t> onnx(tensor->shape.begin(), tensor->shape.end());
    const bool nhwc =
        shape.size() == 4 && (shape != onnx || (onnx[1] == onnx[2] && onnx[2] == onnx[3]));
    layers[output] = {name, nhwc};
  }
  builder->SetOutputs(std::move(outputs));
  return layers;
}

Status MeasureLayerSqnr(const Graph& graph, const std::shared_ptr<const Model>& debug_model,
                        const std::map<std::string, LayerOutput>& layers,
                        const std::vector<EvalSample>& samples,
                        std::map<std::string, double>* sqnr_db) {
  std::unique_ptr<Session> session;
  QRT_RETURN_IF_ERROR(CreateSession(debug_model, &session));
  const ReferenceExecutor executor(graph);
  std::map<std::string, SqnrMeter> meters;
  for (size_t i = 0; i < samples.size(); ++i) {
    Status status = RunQuantized(samples[i], session.get());
    // The quantized values of this sample, in ONNX order, by float tensor name.
    std::map<std::string, std::vector<float>> quantized;
    for (const TensorInfo& info : debug_model->outputs()) {
      const auto layer = layers.find(info.name);
      if (!status.ok() || layer == layers.end()) continue;
      std::vector<float>& values = quantized[layer->second.tensor];
      status = GetFloatOutput(*session, info, &values);
      if (layer->second.nhwc) values = NhwcToNchw(values, info.shape);
    }
    std::map<std::string, TensorData> outputs;
    Status compared;
    if (status.ok()) {
      status = executor.Run(
          samples[i].inputs, &outputs, [&](const std::string& name, const TensorData& value) {
            const auto q = quantized.find(name);
            if (q == quantized.end() || !compared.ok()) return;
            compared = Compare(name, value.values<float>(), q->second, &meters[name]);
          });
    }
    if (status.ok()) status = compared;
    if (!status.ok()) return SampleError(i, status);
  }
  sqnr_db->clear();
  for (const auto& [name, meter] : meters) (*sqnr_db)[name] = meter.Db();
  return Status::Ok();
}

}  // namespace qrt::converter
