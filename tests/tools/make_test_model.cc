// The fixture and the checks of the end-to-end qrt-run / qrt-bench tests
// (e2e_cli.cmake drives them):
//
//   make_test_model write DIR        models and .npy inputs, good and bad
//   make_test_model check-run DIR    qrt-run's outputs equal a direct library run
//   make_test_model check-bench FILE qrt-bench --json output has every key
//
// The models are FullyConnected networks small enough to check against float
// arithmetic: float "x" [1, 8] -> QUANTIZE -> FC -> DEQUANTIZE -> float
// "logits/out:0" [1, 4] (model_float.qrt), and the bare int8 FC, int8 "q" ->
// int8 "fc:0" (model_int8.qrt). The names hold '/' and ':' on purpose.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "npy.h"
#include "qrt/kernels/requant.h"
#include "qrt/qrt.h"
#include "qrt/schema/model_builder.h"
#include "tool_common.h"

namespace qrt::tools {
namespace {

namespace fs = std::filesystem;

constexpr int kIn = 8;
constexpr int kOut = 4;
// Inputs are multiples of kInputScale so quantizing them is exact; the float
// reference then differs from the model by the output rounding only.
constexpr float kInputScale = 0.05f;
constexpr float kWeightScale = 0.01f;
constexpr float kOutputScale = 0.02f;

std::vector<int8_t> Weights() {
  std::vector<int8_t> w(kOut * kIn);
  for (int i = 0; i < kOut * kIn; ++i) w[i] = static_cast<int8_t>((i * 37) % 41 - 20);
  return w;
}

std::vector<int32_t> Bias() { return {100, -50, 0, 25}; }

// Input i of example `seed`: a multiple of kInputScale in [-1, 1].
float InputValue(int seed, int i) {
  return kInputScale * static_cast<float>((seed * 7 + i * 5) % 41 - 20);
}

// Appends the int8 FullyConnected from tensor `in` to a new int8 tensor.
int32_t AddFullyConnected(ModelBuilder* b, int32_t in, const std::string& out_name) {
  const int32_t w =
      b->AddInt8Weights("w", {kOut, kIn}, Weights(), std::vector<float>(kOut, kWeightScale));
  const int32_t bias = b->AddBias("b", Bias());
  const int32_t out = b->AddActivation(out_name, {1, kOut}, kOutputScale, 0);
  kernels::Dyadic requant{};
  if (kernels::QuantizeMultiplier(double{kInputScale} * kWeightScale / kOutputScale, &requant) !=
      kernels::QuantizeMultiplierError::kOk) {
    std::abort();
  }
  b->FullyConnected(in, w, bias, out, std::vector<kernels::Dyadic>(kOut, requant));
  return out;
}

Status WriteModels(const fs::path& dir) {
  ModelBuilder float_model;
  const int32_t x = float_model.AddFloatTensor("x", {1, kIn});
  const int32_t xq = float_model.AddActivation("x_q", {1, kIn}, kInputScale, 0);
  float_model.Quantize(x, xq);
  const int32_t yq = AddFullyConnected(&float_model, xq, "y_q");
  const int32_t y = float_model.AddFloatTensor("logits/out:0", {1, kOut});
  float_model.Dequantize(yq, y);
  float_model.SetInputs({x});
  float_model.SetOutputs({y});
  QRT_RETURN_IF_ERROR(float_model.WriteFile((dir / "model_float.qrt").string()));

  ModelBuilder int8_model;
  const int32_t q = int8_model.AddActivation("q", {1, kIn}, kInputScale, 0);
  int8_model.SetInputs({q});
  int8_model.SetOutputs({AddFullyConnected(&int8_model, q, "fc:0")});
  return int8_model.WriteFile((dir / "model_int8.qrt").string());
}

template <typename T>
Status WriteArray(const fs::path& path, std::vector<int64_t> shape, const std::vector<T>& values) {
  return WriteNpy(path.string(), MakeNpyArray<T>(std::move(shape), std::span<const T>(values)));
}

std::vector<float> InputExample(int seed) {
  std::vector<float> x(kIn);
  for (int i = 0; i < kIn; ++i) x[i] = InputValue(seed, i);
  return x;
}

Status WriteInputs(const fs::path& dir) {
  fs::create_directories(dir / "in");
  fs::create_directories(dir / "batch");
  fs::create_directories(dir / "empty");
  QRT_RETURN_IF_ERROR(WriteArray<float>(dir / "in/x.npy", {1, kIn}, InputExample(0)));
  std::vector<int8_t> q(kIn);
  for (int i = 0; i < kIn; ++i) q[i] = static_cast<int8_t>(i * 9 - 30);
  QRT_RETURN_IF_ERROR(WriteArray<int8_t>(dir / "in/q.npy", {1, kIn}, q));
  // Shape (8,) differs from [1, 8] by a leading 1 only, which is accepted.
  QRT_RETURN_IF_ERROR(WriteArray<float>(dir / "batch/a.npy", {kIn}, InputExample(1)));
  QRT_RETURN_IF_ERROR(WriteArray<float>(dir / "batch/b.npy", {kIn}, InputExample(2)));
  QRT_RETURN_IF_ERROR(WriteArray<float>(dir / "in/wrong_shape.npy", {2, 4}, InputExample(0)));
  QRT_RETURN_IF_ERROR(
      WriteArray<int32_t>(dir / "in/int32.npy", {1, kIn}, std::vector<int32_t>(kIn)));
  std::ofstream(dir / "in/garbage.npy") << "not an array";
  return Status::Ok();
}

// Fails with a message naming `what` when the condition does not hold.
bool Expect(bool condition, const std::string& what) {
  if (!condition) std::cerr << "check failed: " << what << "\n";
  return condition;
}

template <typename T>
bool CheckOutputFile(const fs::path& path, const std::vector<T>& expected) {
  NpyArray array;
  const Status status = ReadNpy(path.string(), &array);
  if (!Expect(status.ok(), status.ToString())) return false;
  std::vector<T> values;
  return Expect(array.dtype == NpyDtypeOf<T>(), path.string() + " has the output's dtype") &&
         Expect(array.shape == std::vector<int64_t>{1, kOut},
                path.string() + " has shape (1, 4)") &&
         Expect(NpyToVector(array, &values).ok() && values == expected,
                path.string() + " equals the library's own output");
}

// The model's output for `input`, computed by the library directly.
template <typename Out, typename In>
std::vector<Out> LibraryOutput(const fs::path& model_path, const std::vector<In>& input) {
  std::shared_ptr<const Model> model;
  std::unique_ptr<Session> session;
  std::vector<Out> output(kOut);
  if (!Model::LoadFile(model_path.string(), &model).ok() ||
      !Session::Create(model, &session).ok() ||
      !session->SetInput(model->inputs()[0].name, input.data(), input.size()).ok() ||
      !session->Run().ok() ||
      !session->GetOutput(model->outputs()[0].name, output.data(), output.size()).ok()) {
    std::cerr << "the library cannot run " << model_path << "\n";
    output.clear();
  }
  return output;
}

// The float network the model quantizes, for a sanity check of the numbers.
bool CloseToFloatReference(const std::vector<float>& x, const std::vector<float>& y) {
  const std::vector<int8_t> w = Weights();
  const std::vector<int32_t> bias = Bias();
  for (int o = 0; o < kOut; ++o) {
    double ref = bias[o] * double{kInputScale} * kWeightScale;
    for (int i = 0; i < kIn; ++i) ref += double{x[i]} * w[o * kIn + i] * kWeightScale;
    ref = std::fmin(std::fmax(ref, -128.0 * kOutputScale), 127.0 * kOutputScale);
    if (!Expect(std::fabs(y[o] - ref) <= 0.51 * kOutputScale + 1e-6,
                "output " + std::to_string(o) + " = " + std::to_string(y[o]) +
                    " is within half a step of the float reference " + std::to_string(ref))) {
      return false;
    }
  }
  return true;
}

bool CheckRun(const fs::path& dir) {
  const std::vector<float> x = InputExample(0);
  const std::vector<float> y = LibraryOutput<float>(dir / "model_float.qrt", x);
  bool ok = CheckOutputFile(dir / "out" / OutputFileName("logits/out:0"), y) &&
            CloseToFloatReference(x, y);

  NpyArray q_array;
  std::vector<int8_t> q;
  ok = ok && ReadNpy((dir / "in/q.npy").string(), &q_array).ok() && NpyToVector(q_array, &q).ok() &&
       CheckOutputFile(dir / "out_int8/fc%3A0.npy",
                       LibraryOutput<int8_t>(dir / "model_int8.qrt", q));

  for (const auto& [name, seed] : {std::pair{"a.npy", 1}, std::pair{"b.npy", 2}}) {
    ok = ok && CheckOutputFile(dir / "out_batch" / name,
                               LibraryOutput<float>(dir / "model_float.qrt", InputExample(seed)));
  }
  return ok && Expect(std::distance(fs::directory_iterator(dir / "out_batch"),
                                    fs::directory_iterator()) == 2,
                      "out_batch holds exactly one output per input file");
}

bool CheckBench(const fs::path& json_path) {
  std::ifstream in(json_path);
  const nlohmann::json report = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (!Expect(report.is_object(), json_path.string() + " is one JSON object")) return false;
  bool ok = true;
  for (const char* key : {"model", "isa", "threads", "warmup", "iters", "latency_ms",
                          "throughput_per_s", "arena_bytes", "weight_bytes", "operators"}) {
    ok = Expect(report.contains(key), std::string("key '") + key + "'") && ok;
  }
  if (!ok) return false;
  for (const char* key : {"min", "median", "p90"}) {
    ok = Expect(report["latency_ms"].contains(key) && report["latency_ms"][key].is_number(),
                std::string("latency_ms.") + key) &&
         ok;
  }
  const nlohmann::json& ops = report["operators"];
  ok = Expect(ops.is_array() && ops.size() == 3, "three profiled operators") && ok;
  for (const nlohmann::json& op : ops) {
    for (const char* key : {"name", "type", "kernel", "mean_ms", "share_pct"}) {
      ok = Expect(op.contains(key), std::string("operators[].") + key) && ok;
    }
  }
  return Expect(report["iters"] == 5 && report["threads"] == 2, "iters and threads as passed") &&
         Expect(report["latency_ms"]["min"] <= report["latency_ms"]["p90"], "min <= p90") && ok;
}

int Main(int argc, char** argv) {
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "write") {
    // A fresh directory, so no output of an earlier run can pass a check.
    fs::remove_all(argv[2]);
    fs::create_directories(argv[2]);
    Status status = WriteModels(argv[2]);
    if (status.ok()) status = WriteInputs(argv[2]);
    return ReportError("make_test_model", status);
  }
  if (mode == "check-run") return CheckRun(argv[2]) ? 0 : 1;
  if (mode == "check-bench") return CheckBench(argv[2]) ? 0 : 1;
  std::cerr << "usage: make_test_model write|check-run|check-bench PATH\n";
  return 2;
}

}  // namespace
}  // namespace qrt::tools

int main(int argc, char** argv) {
  return qrt::tools::RunToolMain("make_test_model", argc, argv, qrt::tools::Main);
}
