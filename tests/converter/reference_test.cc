// The reference executor beyond single operators: shape subgraphs folded during
// inference, the observer seeing every intermediate, dynamic batch.
#include <doctest/doctest.h>

#include "converter/reference/executor.h"
#include "converter/reference/shape_inference.h"

namespace qrt::converter {
namespace {

Node MakeNode(const std::string& op, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = op + "_" + out[0];
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x [N,2,3] -> Shape -> Gather(0) -> Unsqueeze -> Concat([N], [-1]) -> Reshape(x) -> Relu.
Graph FlattenBySubgraph() {
  Graph g;
  g.opset_version = 13;
  g.inputs = {"x"};
  Tensor& x = g.GetOrAddTensor("x");
  x.shape = {-1, 2, 3};
  auto add_constant = [&g](const std::string& name, TensorData value) {
    Tensor& t = g.GetOrAddTensor(name);
    t.dtype = value.dtype();
    t.shape = value.shape();
    t.constant = std::move(value);
  };
  add_constant("zero", TensorData::FromVector<int64_t>({}, {0}));
  add_constant("axes", TensorData::FromVector<int64_t>({1}, {0}));
  add_constant("minus_one", TensorData::FromVector<int64_t>({1}, {-1}));
  g.nodes = {MakeNode("Shape", {"x"}, {"s"}),
             MakeNode("Gather", {"s", "zero"}, {"n"}),
             MakeNode("Unsqueeze", {"n", "axes"}, {"n1"}),
             MakeNode("Concat", {"n1", "minus_one"}, {"target"}),
             MakeNode("Reshape", {"x", "target"}, {"flat"}),
             MakeNode("Relu", {"flat"}, {"y"})};
  g.nodes[3].attributes["axis"] = int64_t{0};
  g.outputs = {"y"};
  return g;
}

TEST_CASE("shape subgraphs are evaluated during shape inference") {
  Graph g = FlattenBySubgraph();
  REQUIRE(InferShapes(&g, {{"x", {4, 2, 3}}}).ok());
  CHECK(g.FindTensor("target")->shape == Shape{2});
  CHECK(g.FindTensor("y")->shape == Shape{4, 6});
  CHECK(g.FindTensor("s")->dtype == DType::kInt64);

  Graph dynamic = FlattenBySubgraph();
  REQUIRE(InferShapes(&dynamic).ok());
  CHECK(dynamic.FindTensor("y")->shape == Shape{-1, -1});
}

TEST_CASE("the executor runs a dynamic batch and reports every intermediate") {
  Graph g = FlattenBySubgraph();
  REQUIRE(InferShapes(&g).ok());
  std::vector<float> values = {-1, 2, -3, 4, -5, 6, 7, -8, 9, -10, 11, -12};
  std::map<std::string, TensorData> inputs = {
      {"x", TensorData::FromVector<float>({2, 2, 3}, values)}};
  std::map<std::string, TensorData> outputs;
  std::vector<std::string> seen;
  Status s = ReferenceExecutor(g).Run(
      inputs, &outputs, [&](const std::string& name, const TensorData&) { seen.push_back(name); });
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  CHECK(seen == std::vector<std::string>{"x", "s", "n", "n1", "target", "flat", "y"});
  const TensorData& y = outputs.at("y");
  CHECK(y.shape() == Shape{2, 6});
  CHECK(y.ToFloats() == std::vector<float>{0, 2, 0, 4, 0, 6, 7, 0, 9, 0, 11, 0});
}

TEST_CASE("the executor rejects inputs that contradict the graph") {
  Graph g = FlattenBySubgraph();
  REQUIRE(InferShapes(&g).ok());
  std::map<std::string, TensorData> outputs;
  std::map<std::string, TensorData> wrong = {{"x", TensorData(DType::kFloat32, {2, 3, 3})}};
  CHECK(ReferenceExecutor(g).Run(wrong, &outputs).code() == StatusCode::kInvalidArgument);
  CHECK(ReferenceExecutor(g).Run({}, &outputs).code() == StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace qrt::converter
