// qrt-run: runs a .qrt model on .npy inputs and writes every output as .npy.
//
//   qrt-run model.qrt --input image=cat.npy --output-dir out/
//   qrt-run model.qrt --input images/ --output-dir out/    # one run per file
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "atomic_file.h"
#include "npy.h"
#include "qrt/qrt.h"
#include "tool_common.h"

namespace qrt::tools {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDescription =
    R"(Runs a .qrt model once and writes each output to DIR as a .npy file.

Inputs: --input NAME=FILE.npy for each graph input (a bare FILE.npy names a
model's only input). An int8 input takes an int8 array (quantized values) or a
float32/float64 array (real values, quantized with the input's scale and zero
point); a float32 input takes a float array. The array's shape must equal the
input's, except for leading 1s.

Batch: with a one-input, one-output model, --input DIR (or NAME=DIR) runs every
*.npy file in DIR in sorted name order and writes the output for DIR/x.npy to
OUTPUT_DIR/x.npy.

Outputs: OUTPUT_DIR/<output name>.npy, float32 for a float32 output tensor and
int8 (quantized values) otherwise. Bytes of the name outside [A-Za-z0-9_.-] and
a leading '.' are written as %XX, e.g. "logits/BiasAdd:0" -> logits%2FBiasAdd%3A0.npy.

Timings: --timings FILE.json writes {"<input file name>": milliseconds, ...}, the
wall time of each run (input quantize to output dequantize; not reading or writing
files), the same layout as bench/ort/run_model.mjs --timings.)";

struct Args {
  std::string model_path;
  std::vector<std::string> inputs;
  std::string output_dir;
  std::string isa;
  std::string timings_path;
  int threads = 1;
};

// Each run's wall time in milliseconds, by input file name.
using RunTimings = nlohmann::ordered_json;

Status WriteTimings(const RunTimings& timings, const std::string& path) {
  const std::string text = timings.dump(1) + "\n";
  return WriteFileAtomically(path, {std::as_bytes(std::span<const char>(text))});
}

template <typename T>
Status WriteOutputAs(const Session& session, const TensorInfo& info, const fs::path& path) {
  std::vector<T> values(info.element_count);
  const Status status = session.GetOutput(info.name, values.data(), values.size());
  if (!status.ok()) {
    return Status(status.code(), "output '" + info.name + "': " + status.ToString());
  }
  return WriteNpy(path.string(), MakeNpyArray<T>({info.shape.begin(), info.shape.end()},
                                                 std::span<const T>(values)));
}

Status WriteOutput(const Session& session, const TensorInfo& info, const fs::path& path) {
  if (info.type == ElementType::kFloat32) return WriteOutputAs<float>(session, info, path);
  return WriteOutputAs<int8_t>(session, info, path);
}

// Runs once and records the run's wall time under `name`.
Status RunSession(Session* session, const std::string& name, RunTimings* timings) {
  const auto start = std::chrono::steady_clock::now();
  const Status status = session->Run();
  const std::chrono::duration<double, std::milli> elapsed =
      std::chrono::steady_clock::now() - start;
  if (!status.ok()) return Status(status.code(), "run failed: " + status.ToString());
  (*timings)[name] = elapsed.count();
  return status;
}

Status MakeOutputDir(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (!fs::is_directory(dir)) {
    return Status(StatusCode::kIoError, "cannot create output dir '" + dir.string() + "'" +
                                            (ec ? ": " + ec.message() : std::string()));
  }
  return Status::Ok();
}

// The regular *.npy files directly in `dir`, sorted by name.
Status ListNpyFiles(const fs::path& dir, std::vector<fs::path>* files) {
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".npy" && it->is_regular_file(ec)) files->push_back(it->path());
  }
  if (ec) {
    return Status(StatusCode::kIoError, "cannot list '" + dir.string() + "': " + ec.message());
  }
  if (files->empty()) {
    return Status(StatusCode::kInvalidArgument, "no .npy files in '" + dir.string() + "'");
  }
  std::sort(files->begin(), files->end());
  return Status::Ok();
}

Status RunDirectory(const Model& model, Session* session, const fs::path& input_dir,
                    const fs::path& output_dir, RunTimings* timings) {
  if (model.inputs().size() != 1 || model.outputs().size() != 1) {
    return Status(StatusCode::kInvalidArgument,
                  "--input '" + input_dir.string() + "' is a directory, which needs a model with " +
                      "one input and one output (this one has " +
                      std::to_string(model.inputs().size()) + " and " +
                      std::to_string(model.outputs().size()) + ")");
  }
  std::vector<fs::path> files;
  QRT_RETURN_IF_ERROR(ListNpyFiles(input_dir, &files));
  QRT_RETURN_IF_ERROR(MakeOutputDir(output_dir));
  std::error_code ec;
  if (fs::equivalent(input_dir, output_dir, ec)) {
    return Status(StatusCode::kInvalidArgument,
                  "--output-dir is the input directory; outputs would overwrite the inputs");
  }
  for (const fs::path& file : files) {
    QRT_RETURN_IF_ERROR(FeedInputFile(session, model.inputs()[0], file.string()));
    QRT_RETURN_IF_ERROR(RunSession(session, file.filename().string(), timings));
    QRT_RETURN_IF_ERROR(WriteOutput(*session, model.outputs()[0], output_dir / file.filename()));
  }
  std::cout << "wrote " << files.size() << " outputs to " << output_dir.string() << "\n";
  return Status::Ok();
}

Status RunOnce(const Model& model, Session* session, const std::vector<InputSpec>& specs,
               const fs::path& output_dir, RunTimings* timings) {
  for (const TensorInfo& input : model.inputs()) {
    const InputSpec* spec = FindInputSpec(specs, input.name);
    if (spec == nullptr) {
      return Status(
          StatusCode::kInvalidArgument,
          "input '" + input.name + "' is not given; pass --input " + input.name + "=FILE.npy");
    }
    QRT_RETURN_IF_ERROR(FeedInputFile(session, input, spec->path));
  }
  QRT_RETURN_IF_ERROR(RunSession(session, fs::path(specs[0].path).filename().string(), timings));
  QRT_RETURN_IF_ERROR(MakeOutputDir(output_dir));
  for (const TensorInfo& output : model.outputs()) {
    const fs::path path = output_dir / OutputFileName(output.name);
    QRT_RETURN_IF_ERROR(WriteOutput(*session, output, path));
    std::cout << "wrote " << path.string() << "\n";
  }
  return Status::Ok();
}

Status Run(const Args& args) {
  std::shared_ptr<const Model> model;
  std::vector<InputSpec> specs;
  QRT_RETURN_IF_ERROR(LoadModelAndInputs(args.model_path, args.isa, args.inputs, &model, &specs));
  std::unique_ptr<Session> session;
  SessionOptions options;
  options.num_threads = args.threads;
  QRT_RETURN_IF_ERROR(CreateSession(model, options, &session));
  RunTimings timings = RunTimings::object();
  std::error_code ec;
  if (specs.size() == 1 && fs::is_directory(specs[0].path, ec)) {
    QRT_RETURN_IF_ERROR(
        RunDirectory(*model, session.get(), specs[0].path, args.output_dir, &timings));
  } else {
    QRT_RETURN_IF_ERROR(RunOnce(*model, session.get(), specs, args.output_dir, &timings));
  }
  return args.timings_path.empty() ? Status::Ok() : WriteTimings(timings, args.timings_path);
}

int Main(int argc, char** argv) {
  CLI::App app(kDescription, "qrt-run");
  Args args;
  app.add_option("model", args.model_path, "The .qrt model file")
      ->required()
      ->check(CLI::ExistingFile);
  app.add_option("-i,--input", args.inputs,
                 "NAME=FILE.npy, FILE.npy, or a directory of .npy files");
  app.add_option("-o,--output-dir", args.output_dir,
                 "Directory for the outputs (created if missing)")
      ->required();
  AddIsaOption(&app, &args.isa);
  app.add_option("--threads", args.threads, "Threads per run (outputs do not depend on it)")
      ->check(CLI::Range(1, kMaxSessionThreads))
      ->capture_default_str();
  app.add_option("--timings", args.timings_path,
                 "Write each run's wall time in milliseconds to this JSON file");
  CLI11_PARSE(app, argc, argv);

  return ReportError("qrt-run", Run(args));
}

}  // namespace
}  // namespace qrt::tools

int main(int argc, char** argv) {
  return qrt::tools::RunToolMain("qrt-run", argc, argv, qrt::tools::Main);
}
