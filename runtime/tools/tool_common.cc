#include "tool_common.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>

namespace qrt::tools {
namespace {

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

std::string InputNames(const Model& model) {
  std::string names;
  for (const TensorInfo& input : model.inputs()) {
    names += (names.empty() ? "'" : ", '") + input.name + "'";
  }
  return names;
}

std::span<const int64_t> WithoutLeadingOnes(std::span<const int64_t> shape) {
  while (!shape.empty() && shape.front() == 1) shape = shape.subspan(1);
  return shape;
}

std::string Describe(const TensorInfo& info) {
  const std::vector<int64_t> shape(info.shape.begin(), info.shape.end());
  return std::string("input '") + info.name + "' (" + ElementTypeName(info.type) + " " +
         FormatShape(shape) + ")";
}

Status ResolveInputSpecs(const Model& model, std::vector<InputSpec>* specs) {
  const std::vector<TensorInfo>& inputs = model.inputs();
  for (InputSpec& spec : *specs) {
    if (spec.name.empty()) {
      if (inputs.size() != 1) {
        return Invalid("--input '" + spec.path + "': the model has " +
                       std::to_string(inputs.size()) + " inputs (" + InputNames(model) +
                       "); name one as NAME=FILE.npy");
      }
      spec.name = inputs[0].name;
    }
    const bool known = std::any_of(inputs.begin(), inputs.end(),
                                   [&spec](const TensorInfo& in) { return in.name == spec.name; });
    if (!known) {
      return Invalid("--input: the model has no input '" + spec.name +
                     "' (inputs: " + InputNames(model) + ")");
    }
  }
  for (size_t i = 0; i < specs->size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if ((*specs)[i].name == (*specs)[j].name) {
        return Invalid("--input: input '" + (*specs)[i].name + "' is given twice");
      }
    }
  }
  return Status::Ok();
}

}  // namespace

Status ParseInputSpec(std::string_view text, InputSpec* spec) {
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos) {
    if (text.empty()) return Invalid("--input: empty argument; expected NAME=FILE.npy");
    *spec = {"", std::string(text)};
    return Status::Ok();
  }
  if (equals == 0) {
    return Invalid("--input '" + std::string(text) + "': empty input name before '='");
  }
  if (equals + 1 == text.size()) {
    return Invalid("--input '" + std::string(text) + "': empty path after '='");
  }
  *spec = {std::string(text.substr(0, equals)), std::string(text.substr(equals + 1))};
  return Status::Ok();
}

const InputSpec* FindInputSpec(const std::vector<InputSpec>& specs, std::string_view name) {
  const auto it = std::find_if(specs.begin(), specs.end(),
                               [name](const InputSpec& spec) { return spec.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

Status LoadModelAndInputs(const std::string& model_path, const std::string& max_isa,
                          const std::vector<std::string>& input_args,
                          std::shared_ptr<const Model>* model, std::vector<InputSpec>* specs) {
  specs->resize(input_args.size());
  for (size_t i = 0; i < input_args.size(); ++i) {
    QRT_RETURN_IF_ERROR(ParseInputSpec(input_args[i], &(*specs)[i]));
  }
  LoadOptions options;
  options.max_isa = max_isa;
  const Status status = Model::LoadFile(model_path, model, options);
  if (!status.ok()) {
    return Status(status.code(), "cannot load model '" + model_path + "': " + status.ToString());
  }
  return ResolveInputSpecs(**model, specs);
}

Status CreateSession(std::shared_ptr<const Model> model, const SessionOptions& options,
                     std::unique_ptr<Session>* session) {
  const Status status = Session::Create(std::move(model), session, options);
  if (status.ok()) return status;
  return Status(status.code(), "cannot create a session: " + status.ToString());
}

Status ArrayToInput(const TensorInfo& info, const NpyArray& array, InputData* data) {
  const std::vector<int64_t> expected(info.shape.begin(), info.shape.end());
  if (!std::ranges::equal(WithoutLeadingOnes(expected), WithoutLeadingOnes(array.shape))) {
    return Status(StatusCode::kBadShape, array.source + ": shape " + FormatShape(array.shape) +
                                             " does not match " + Describe(info));
  }
  data->name = info.name;
  const bool is_float_array =
      array.dtype == NpyDtype::kFloat32 || array.dtype == NpyDtype::kFloat64;
  if (info.type == ElementType::kInt8 && array.dtype == NpyDtype::kInt8) {
    return NpyToVector(array, &data->values.emplace<std::vector<int8_t>>());
  }
  if (info.type == ElementType::kFloat32 || (info.type == ElementType::kInt8 && is_float_array)) {
    return NpyToVector(array, &data->values.emplace<std::vector<float>>());
  }
  if (info.type == ElementType::kInt8) {
    return Status(StatusCode::kBadType,
                  array.source + ": dtype " + NpyDtypeName(array.dtype) + " does not fit " +
                      Describe(info) +
                      "; give int8 (quantized values) or float32/float64 (real values)");
  }
  return Status(StatusCode::kBadType, Describe(info) +
                                          ": the library's SetInput only fills int8 and "
                                          "float32 inputs");
}

Status SetInput(Session* session, const InputData& data) {
  const Status status = std::visit(
      [&](const auto& values) {
        return session->SetInput(data.name, values.data(), values.size());
      },
      data.values);
  if (status.ok()) return status;
  return Status(status.code(), "input '" + data.name + "': " + status.ToString());
}

Status FeedInputFile(Session* session, const TensorInfo& info, const std::string& path) {
  NpyArray array;
  QRT_RETURN_IF_ERROR(ReadNpy(path, &array));
  InputData data;
  QRT_RETURN_IF_ERROR(ArrayToInput(info, array, &data));
  return SetInput(session, data);
}

std::string OutputFileName(std::string_view tensor_name) {
  if (tensor_name.empty()) return "%.npy";
  std::string file_name;
  for (size_t i = 0; i < tensor_name.size(); ++i) {
    const char c = tensor_name[i];
    const bool safe = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '-' || (c == '.' && i > 0);
    if (safe) {
      file_name.push_back(c);
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof(escaped), "%%%02X", static_cast<unsigned char>(c));
      file_name += escaped;
    }
  }
  return file_name + ".npy";
}

void AddIsaOption(CLI::App* app, std::string* isa) {
  app->add_option("--isa", *isa,
                  "Most capable instruction set to use: reference, avx2, avx512vnni, neon, "
                  "neondot (default: QRT_ISA, else the best the CPU has)");
}

int ReportError(const char* tool, const Status& status) {
  if (status.ok()) return 0;
  std::cerr << tool << ": error: " << status.message() << "\n";
  return 1;
}

int RunToolMain(const char* tool, int argc, char** argv, int (*tool_main)(int, char**)) {
  try {
    return tool_main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << tool << ": error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace qrt::tools
