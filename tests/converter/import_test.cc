// The importer on bad and edge-case inputs: each gives its own clear error.
#include "converter/onnx/import.h"

#include <doctest/doctest.h>
#include <onnx/onnx_pb.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>

namespace qrt::converter {
namespace {

void AddInput(onnx::GraphProto* g, const std::string& name, std::vector<int64_t> dims) {
  onnx::ValueInfoProto* v = g->add_input();
  v->set_name(name);
  auto* type = v->mutable_type()->mutable_tensor_type();
  type->set_elem_type(onnx::TensorProto::FLOAT);
  for (int64_t d : dims) {
    if (d < 0) {
      type->mutable_shape()->add_dim()->set_dim_param("batch");
    } else {
      type->mutable_shape()->add_dim()->set_dim_value(d);
    }
  }
}

onnx::NodeProto* AddNode(onnx::GraphProto* g, const std::string& name, const std::string& op,
                         std::vector<std::string> inputs, std::vector<std::string> outputs) {
  onnx::NodeProto* n = g->add_node();
  n->set_name(name);
  n->set_op_type(op);
  for (const std::string& i : inputs) n->add_input(i);
  for (const std::string& o : outputs) n->add_output(o);
  return n;
}

// x [N,3,8,8] -> Relu -> Conv(4 filters 3x3, pad 1) -> y, with opset `opset`.
onnx::ModelProto SmallModel(int64_t opset = 13) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(opset);
  onnx::GraphProto* g = m.mutable_graph();
  AddInput(g, "x", {-1, 3, 8, 8});
  onnx::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(onnx::TensorProto::FLOAT);
  for (int64_t d : {4, 3, 3, 3}) w->add_dims(d);
  for (int i = 0; i < 4 * 27; ++i) w->add_float_data(0.01f * static_cast<float>(i % 7));
  AddNode(g, "relu", "Relu", {"x"}, {"r"});
  onnx::NodeProto* conv = AddNode(g, "conv", "Conv", {"r", "w"}, {"y"});
  onnx::AttributeProto* pads = conv->add_attribute();
  pads->set_name("pads");
  pads->set_type(onnx::AttributeProto::INTS);
  for (int i = 0; i < 4; ++i) pads->add_ints(1);
  g->add_output()->set_name("y");
  return m;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("qrt_import_test_" + name)).string();
}

TEST_CASE("a small model imports with inferred shapes and an input-shape override") {
  Graph graph;
  ImportOptions options;
  options.input_shapes["x"] = {2, 3, 8, 8};
  Status s = ImportOnnxBytes(SmallModel().SerializeAsString(), options, &graph);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(graph.opset_version == 13);
  CHECK(graph.inputs == std::vector<std::string>{"x"});
  CHECK(graph.FindTensor("y")->shape == Shape{2, 4, 8, 8});
  CHECK(graph.FindTensor("w")->is_constant());
  // Without the override the batch dim stays unknown.
  REQUIRE(ImportOnnxBytes(SmallModel().SerializeAsString(), {}, &graph).ok());
  CHECK(graph.FindTensor("y")->shape == Shape{-1, 4, 8, 8});
}

TEST_CASE("an input-shape override that contradicts the model is rejected") {
  Graph graph;
  ImportOptions options;
  options.input_shapes["x"] = {1, 5, 8, 8};
  Status s = ImportOnnxBytes(SmallModel().SerializeAsString(), options, &graph);
  CHECK(s.code() == StatusCode::kBadShape);
  options.input_shapes = {{"nope", {1}}};
  CHECK(ImportOnnxBytes(SmallModel().SerializeAsString(), options, &graph).code() ==
        StatusCode::kInvalidArgument);
}

TEST_CASE("ParseInputShape reads NAME=AxBxC") {
  std::string name;
  Shape dims;
  REQUIRE(ParseInputShape("x=1x3x48x192", &name, &dims).ok());
  CHECK(name == "x");
  CHECK(dims == Shape{1, 3, 48, 192});
  CHECK(ParseInputShape("x=1,3", &name, &dims).ok());
  CHECK(dims == Shape{1, 3});
  CHECK(ParseInputShape("x", &name, &dims).code() == StatusCode::kInvalidArgument);
  CHECK(ParseInputShape("x=1x0", &name, &dims).code() == StatusCode::kInvalidArgument);
  CHECK(ParseInputShape("x=1xa", &name, &dims).code() == StatusCode::kInvalidArgument);
}

TEST_CASE("a missing file is an IoError naming the path") {
  Graph graph;
  Status s = ImportOnnxFile("/nonexistent/model.onnx", {}, &graph);
  CHECK(s.code() == StatusCode::kIoError);
  CHECK(s.message().find("/nonexistent/model.onnx") != std::string::npos);
}

TEST_CASE("an empty file is NotAModel") {
  const std::string path = TempPath("empty.onnx");
  std::ofstream(path, std::ios::binary).close();
  Graph graph;
  Status s = ImportOnnxFile(path, {}, &graph);
  CHECK(s.code() == StatusCode::kNotAModel);
  CHECK(s.message().find("empty") != std::string::npos);
  std::remove(path.c_str());
}

TEST_CASE("a truncated model is MalformedModel") {
  const std::string bytes = SmallModel().SerializeAsString();
  Graph graph;
  for (size_t cut : {bytes.size() / 2, bytes.size() - 1, bytes.size() * 3 / 4}) {
    CAPTURE(cut);
    Status s = ImportOnnxBytes(std::string_view(bytes).substr(0, cut), {}, &graph);
    CHECK(s.code() == StatusCode::kMalformedModel);
  }
}

TEST_CASE("random bytes are rejected as not an ONNX model") {
  std::mt19937 rng(1234);
  Graph graph;
  for (int trial = 0; trial < 20; ++trial) {
    std::string bytes(256, '\0');
    for (char& c : bytes) c = static_cast<char>(rng() & 0xff);
    Status s = ImportOnnxBytes(bytes, {}, &graph);
    CAPTURE(trial);
    CHECK((s.code() == StatusCode::kMalformedModel || s.code() == StatusCode::kNotAModel));
  }
}

TEST_CASE("every unsupported operator is listed in one error") {
  onnx::ModelProto m = SmallModel();
  onnx::GraphProto* g = m.mutable_graph();
  AddNode(g, "loop1", "Loop", {"y"}, {"z1"});
  AddNode(g, "nms", "NonMaxSuppression", {"y"}, {"z2"});
  AddNode(g, "custom", "MyOp", {"y"}, {"z3"})->set_domain("com.example");
  Graph graph;
  Status s = ImportOnnxBytes(m.SerializeAsString(), {}, &graph);
  CHECK(s.code() == StatusCode::kUnsupportedOperator);
  CHECK(s.message().find("3 unsupported operators") != std::string::npos);
  CHECK(s.message().find("'loop1' (Loop)") != std::string::npos);
  CHECK(s.message().find("'nms' (NonMaxSuppression)") != std::string::npos);
  CHECK(s.message().find("'custom' (com.example::MyOp)") != std::string::npos);
}

TEST_CASE("opsets outside 9..21 are rejected with both numbers") {
  Graph graph;
  for (int64_t opset : {8, 22}) {
    Status s = ImportOnnxBytes(SmallModel(opset).SerializeAsString(), {}, &graph);
    CHECK(s.code() == StatusCode::kUnsupportedVersion);
    CHECK(s.message().find("opset " + std::to_string(opset)) != std::string::npos);
    CHECK(s.message().find("9 to 21") != std::string::npos);
  }
  for (int64_t opset : {9, 21}) {
    CHECK(ImportOnnxBytes(SmallModel(opset).SerializeAsString(), {}, &graph).ok());
  }
}

TEST_CASE("external data, unreadable element types and dangling outputs are rejected") {
  Graph graph;
  onnx::ModelProto external = SmallModel();
  onnx::TensorProto* w = external.mutable_graph()->mutable_initializer(0);
  w->clear_float_data();
  w->set_data_location(onnx::TensorProto::EXTERNAL);
  Status s = ImportOnnxBytes(external.SerializeAsString(), {}, &graph);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(s.message().find("external data") != std::string::npos);

  onnx::ModelProto half = SmallModel();
  half.mutable_graph()->mutable_initializer(0)->set_data_type(onnx::TensorProto::FLOAT16);
  s = ImportOnnxBytes(half.SerializeAsString(), {}, &graph);
  CHECK(s.code() == StatusCode::kBadType);
  CHECK(s.message().find("FLOAT16") != std::string::npos);

  onnx::ModelProto dangling = SmallModel();
  dangling.mutable_graph()->add_output()->set_name("nowhere");
  CHECK(ImportOnnxBytes(dangling.SerializeAsString(), {}, &graph).code() == StatusCode::kBadGraph);
}

TEST_CASE("a model file round-trips through ImportOnnxFile") {
  const std::string path = TempPath("small.onnx");
  {
    std::ofstream file(path, std::ios::binary);
    file << SmallModel().SerializeAsString();
  }
  Graph graph;
  Status s = ImportOnnxFile(path, {}, &graph);
  CHECK_MESSAGE(s.ok(), s.ToString());
  CHECK(graph.nodes.size() == 2);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace qrt::converter
