// ONNX backend node tests (../shared/conformance/onnx-node): every case whose operator
// the converter supports for float inputs is imported, run on the reference executor and
// compared with the expected outputs. Cases that cannot pass are listed below with the
// reason, so the list can be reviewed; a listed case that no longer exists fails the test.
#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "converter/onnx/import.h"
#include "converter/onnx/tensor_proto.h"
#include "converter/reference/executor.h"

namespace qrt::converter {
namespace {

namespace fs = std::filesystem;

// Upstream compares with rtol 1e-3; atol 1e-5 absorbs float32 rounding near zero.
constexpr double kRtol = 1e-3;
constexpr double kAtol = 1e-5;

// Why cases are skipped. Every reason is a limit of the float converter by design.
constexpr const char* kUnreadType =
    "int16/uint16/uint32/uint64 tensors: the importer reads float32, int64, int32, int8, uint8 "
    "and bool only";
constexpr const char* kFloat64 = "float64 tensors: the converter computes in float32";
constexpr const char* kIntegerCompute =
    "integer compute on int8/uint8 data (or an integer Pow base): the float reference runs "
    "float32 graphs; integers only appear in shape arithmetic (int32/int64)";
constexpr const char* kQuantizedOp =
    "already-quantized ONNX operator: qrt-convert takes float models and quantizes them itself";
constexpr const char* kIndices = "MaxPool's Indices output is not supported (inference only)";
constexpr const char* kCubic = "Resize mode cubic is not supported (nearest and linear only)";
constexpr const char* kAntialias = "Resize antialias is not supported";
constexpr const char* kCropAndResize =
    "Resize coordinate_transformation_mode tf_crop_and_resize is not supported";

const std::map<std::string, std::string>& SkippedCases() {
  static const std::map<std::string, std::string> skipped = {
      {"test_add_int16", kUnreadType},
      {"test_add_int8", kIntegerCompute},
      {"test_add_uint16", kUnreadType},
      {"test_add_uint32", kUnreadType},
      {"test_add_uint64", kUnreadType},
      {"test_add_uint8", kIntegerCompute},
      {"test_clip_default_int8_inbounds", kIntegerCompute},
      {"test_clip_default_int8_max", kIntegerCompute},
      {"test_clip_default_int8_min", kIntegerCompute},
      {"test_convinteger_with_padding", kQuantizedOp},
      {"test_convinteger_without_padding", kQuantizedOp},
      {"test_dequantizelinear", kQuantizedOp},
      {"test_dequantizelinear_axis", kQuantizedOp},
      {"test_dequantizelinear_blocked", kQuantizedOp},
      {"test_dequantizelinear_int16", kQuantizedOp},
      {"test_dequantizelinear_uint16", kQuantizedOp},
      {"test_div_int16", kUnreadType},
      {"test_div_int8", kIntegerCompute},
      {"test_div_uint16", kUnreadType},
      {"test_div_uint32", kUnreadType},
      {"test_div_uint64", kUnreadType},
      {"test_div_uint8", kIntegerCompute},
      {"test_matmulinteger", kQuantizedOp},
      {"test_max_float64", kFloat64},
      {"test_max_int16", kUnreadType},
      {"test_max_int8", kIntegerCompute},
      {"test_max_uint16", kUnreadType},
      {"test_max_uint32", kUnreadType},
      {"test_max_uint64", kUnreadType},
      {"test_max_uint8", kIntegerCompute},
      {"test_maxpool_2d_uint8", kIntegerCompute},
      {"test_maxpool_with_argmax_2d_precomputed_pads", kIndices},
      {"test_maxpool_with_argmax_2d_precomputed_strides", kIndices},
      {"test_min_float64", kFloat64},
      {"test_min_int16", kUnreadType},
      {"test_min_int8", kIntegerCompute},
      {"test_min_uint16", kUnreadType},
      {"test_min_uint32", kUnreadType},
      {"test_min_uint64", kUnreadType},
      {"test_min_uint8", kIntegerCompute},
      {"test_mul_int16", kUnreadType},
      {"test_mul_int8", kIntegerCompute},
      {"test_mul_uint16", kUnreadType},
      {"test_mul_uint32", kUnreadType},
      {"test_mul_uint64", kUnreadType},
      {"test_mul_uint8", kIntegerCompute},
      {"test_pow_types_float32_uint32", kUnreadType},
      {"test_pow_types_float32_uint64", kUnreadType},
      {"test_pow_types_int32_float32", kIntegerCompute},
      {"test_pow_types_int32_int32", kIntegerCompute},
      {"test_pow_types_int64_float32", kIntegerCompute},
      {"test_pow_types_int64_int64", kIntegerCompute},
      {"test_qlinearconv", kQuantizedOp},
      {"test_qlinearmatmul_2D_int8_float32", kQuantizedOp},
      {"test_qlinearmatmul_2D_uint8_float32", kQuantizedOp},
      {"test_qlinearmatmul_3D_int8_float32", kQuantizedOp},
      {"test_qlinearmatmul_3D_uint8_float32", kQuantizedOp},
      {"test_quantizelinear", kQuantizedOp},
      {"test_quantizelinear_axis", kQuantizedOp},
      {"test_quantizelinear_blocked_asymmetric", kQuantizedOp},
      {"test_quantizelinear_blocked_symmetric", kQuantizedOp},
      {"test_quantizelinear_int16", kQuantizedOp},
      {"test_quantizelinear_uint16", kQuantizedOp},
      {"test_resize_downsample_scales_cubic", kCubic},
      {"test_resize_downsample_scales_cubic_A_n0p5_exclude_outside", kCubic},
      {"test_resize_downsample_scales_cubic_align_corners", kCubic},
      {"test_resize_downsample_scales_cubic_antialias", kCubic},
      {"test_resize_downsample_scales_linear_antialias", kAntialias},
      {"test_resize_downsample_sizes_cubic", kCubic},
      {"test_resize_downsample_sizes_cubic_antialias", kCubic},
      {"test_resize_downsample_sizes_linear_antialias", kAntialias},
      {"test_resize_tf_crop_and_resize", kCropAndResize},
      {"test_resize_tf_crop_and_resize_axes_2_3", kCropAndResize},
      {"test_resize_tf_crop_and_resize_axes_3_2", kCropAndResize},
      {"test_resize_tf_crop_and_resize_extrapolation_value", kCropAndResize},
      {"test_resize_upsample_scales_cubic", kCubic},
      {"test_resize_upsample_scales_cubic_A_n0p5_exclude_outside", kCubic},
      {"test_resize_upsample_scales_cubic_align_corners", kCubic},
      {"test_resize_upsample_scales_cubic_asymmetric", kCubic},
      {"test_resize_upsample_sizes_cubic", kCubic},
      {"test_sub_int16", kUnreadType},
      {"test_sub_int8", kIntegerCompute},
      {"test_sub_uint16", kUnreadType},
      {"test_sub_uint32", kUnreadType},
      {"test_sub_uint64", kUnreadType},
      {"test_sub_uint8", kIntegerCompute},
  };
  return skipped;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  return bytes.str();
}

// input_0.pb, input_1.pb, ... (or output_*) in numeric order.
std::vector<fs::path> DataFiles(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    files.push_back(p);
  }
  return files;
}

// Adapts a case's model to what the converter requires of its input models:
// - The tests were generated with the newest opset of each operator (up to 25). Opsets
//   22 to 25 only added element types (bfloat16, float8, float4e2m1, int2...) to the
//   operators here; their float32 semantics are those of opset 21, which the importer
//   accepts, so the model is imported as opset 21.
// - Some cases feed axes, shapes or pads as graph inputs. The converter needs them
//   constant to infer shapes, as they are in exported models, so integer-typed graph
//   inputs become initializers holding the test data's values.
std::string PrepareModel(const fs::path& dir, const std::vector<fs::path>& input_files) {
  onnx::ModelProto model;
  REQUIRE(model.ParseFromString(ReadFile(dir / "model.onnx")));
  for (onnx::OperatorSetIdProto& opset : *model.mutable_opset_import()) {
    if (opset.domain().empty() && opset.version() > kMaxOnnxOpset) {
      opset.set_version(kMaxOnnxOpset);
    }
  }
  onnx::GraphProto* graph = model.mutable_graph();
  for (const fs::path& file : input_files) {
    onnx::TensorProto tensor;
    REQUIRE(tensor.ParseFromString(ReadFile(file)));
    if (tensor.data_type() != onnx::TensorProto::INT64 &&
        tensor.data_type() != onnx::TensorProto::INT32) {
      continue;
    }
    auto* inputs = graph->mutable_input();
    inputs->erase(
        std::remove_if(inputs->begin(), inputs->end(),
                       [&](const onnx::ValueInfoProto& v) { return v.name() == tensor.name(); }),
        inputs->end());
    *graph->add_initializer() = tensor;
  }
  return model.SerializeAsString();
}

// Runs one case; returns "" on success, otherwise what went wrong.
std::string RunCase(const fs::path& dir) {
  const fs::path data = dir / "test_data_set_0";
  const std::vector<fs::path> input_files = DataFiles(data, "input_");
  Graph graph;
  Status status = ImportOnnxBytes(PrepareModel(dir, input_files), {}, &graph);
  if (!status.ok()) return "import: " + status.ToString();
  std::map<std::string, TensorData> inputs;
  for (const fs::path& file : input_files) {
    TensorData t;
    std::string name;
    status = ReadTensorProtoFile(file.string(), &t, &name);
    if (!status.ok()) return "input: " + status.ToString();
    if (std::find(graph.inputs.begin(), graph.inputs.end(), name) != graph.inputs.end()) {
      inputs[name] = std::move(t);
    }
  }
  std::map<std::string, TensorData> outputs;
  status = ReferenceExecutor(graph).Run(inputs, &outputs);
  if (!status.ok()) return "run: " + status.ToString();
  const std::vector<fs::path> output_files = DataFiles(data, "output_");
  if (output_files.size() != graph.outputs.size()) return "output count differs";
  for (size_t i = 0; i < output_files.size(); ++i) {
    TensorData expected;
    status = ReadTensorProtoFile(output_files[i].string(), &expected, nullptr);
    if (!status.ok()) return "output: " + status.ToString();
    const TensorData& actual = outputs.at(graph.outputs[i]);
    if (actual.dtype() != expected.dtype() || actual.shape() != expected.shape()) {
      return "output " + std::to_string(i) + " is " + DTypeName(actual.dtype()) + " " +
             ShapeToString(actual.shape()) + ", expected " + DTypeName(expected.dtype()) + " " +
             ShapeToString(expected.shape());
    }
    const std::vector<float> a = actual.ToFloats();
    const std::vector<float> e = expected.ToFloats();
    for (size_t k = 0; k < a.size(); ++k) {
      const bool both_nan = std::isnan(a[k]) && std::isnan(e[k]);
      if (!both_nan && !(std::abs(a[k] - e[k]) <= kAtol + kRtol * std::abs(e[k]))) {
        return "output " + std::to_string(i) + " element " + std::to_string(k) + ": " +
               std::to_string(a[k]) + ", expected " + std::to_string(e[k]);
      }
    }
  }
  return "";
}

TEST_CASE("ONNX node conformance cases pass on the float reference") {
  const fs::path root = QRT_ONNX_CONFORMANCE_DIR;
  INFO("conformance folder: " << root.string());
  REQUIRE_MESSAGE(fs::is_directory(root),
                  "the ONNX conformance cases are missing; they belong in "
                  "shared/conformance/onnx-node beside the repository");
  std::vector<std::string> cases;
  for (const fs::directory_entry& e : fs::directory_iterator(root)) {
    if (e.is_directory() && fs::exists(e.path() / "model.onnx")) {
      cases.push_back(e.path().filename().string());
    }
  }
  std::sort(cases.begin(), cases.end());
  REQUIRE(cases.size() > 300);
  for (const auto& [name, reason] : SkippedCases()) {
    CHECK_MESSAGE(std::binary_search(cases.begin(), cases.end(), name),
                  "skip list names a case that does not exist: " << name);
  }
  int passed = 0;
  for (const std::string& name : cases) {
    if (SkippedCases().count(name) != 0) continue;
    const std::string failure = RunCase(root / name);
    CHECK_MESSAGE(failure.empty(), name << ": " << failure);
    if (failure.empty()) ++passed;
  }
  MESSAGE(passed << " cases passed, " << SkippedCases().size() << " skipped of " << cases.size());
}

}  // namespace
}  // namespace qrt::converter
