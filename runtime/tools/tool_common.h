// Helpers shared by qrt-run and qrt-bench: one set of rules for naming inputs on
// the command line, for which .npy files an input accepts, and for output file
// names, so the two tools never disagree.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "npy.h"
#include "qrt/qrt.h"
#include "qrt/status.h"

namespace qrt::tools {

// One --input argument: "NAME=PATH", or a bare "PATH" (name empty until
// ResolveInputSpecs gives it the model's only input).
struct InputSpec {
  std::string name;
  std::string path;
};

// Checks the syntax only (no model needed).
Status ParseInputSpec(std::string_view text, InputSpec* spec);

// Parses the --input arguments (before touching any file, so a typo is reported
// first), loads the model with LoadOptions::max_isa = max_isa, then names bare
// specs after the model's only input and rejects unknown names and inputs given
// twice. Errors from the library are prefixed with the model's path.
Status LoadModelAndInputs(const std::string& model_path, const std::string& max_isa,
                          const std::vector<std::string>& input_args,
                          std::shared_ptr<const Model>* model, std::vector<InputSpec>* specs);

// The spec for a graph input, or nullptr when none names it.
const InputSpec* FindInputSpec(const std::vector<InputSpec>& specs, std::string_view name);

// Session::Create with the error prefixed.
Status CreateSession(std::shared_ptr<const Model> model, const SessionOptions& options,
                     std::unique_ptr<Session>* session);

// Values for one graph input in a form Session::SetInput takes: int8 holds
// quantized values, float real values (quantized by the library for an int8 input).
struct InputData {
  std::string name;
  std::variant<std::vector<int8_t>, std::vector<float>> values;
};

// Checks the array against the input and converts it: an int8 input takes int8
// (quantized) or float32/float64 (real) arrays; a float32 input takes any array
// that converts to float32 without loss (and float64). The shape must equal the
// input's, except for leading 1s on either side.
Status ArrayToInput(const TensorInfo& info, const NpyArray& array, InputData* data);

Status SetInput(Session* session, const InputData& data);

// Runs once the library has every input: ReadNpy + ArrayToInput + SetInput.
Status FeedInputFile(Session* session, const TensorInfo& info, const std::string& path);

// The file name for an output tensor: the name with every byte outside
// [A-Za-z0-9_.-] (and a leading '.') percent-encoded as %XX, plus ".npy". Names
// like "logits/BiasAdd:0" become "logits%2FBiasAdd%3A0.npy": no path separators,
// no hidden files, and distinct names never collide. An empty name gives "%.npy".
std::string OutputFileName(std::string_view tensor_name);

// The --isa option, described alike in every tool.
void AddIsaOption(CLI::App* app, std::string* isa);

// Runs a tool's main: a failed Status is printed as "TOOL: error: MESSAGE" with
// exit code 1, and so is an unexpected exception (e.g. std::bad_alloc) instead
// of reaching std::terminate.
int RunToolMain(const char* tool, int argc, char** argv, int (*tool_main)(int, char**));
int ReportError(const char* tool, const Status& status);

}  // namespace qrt::tools
