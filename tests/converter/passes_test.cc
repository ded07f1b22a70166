// The clean-up and fusion passes: each rewrites the graph as documented (checked on
// its structure) without changing what it computes (the float executor's outputs on
// random inputs agree before and after, within 1e-5 of the output's magnitude).
#include "converter/passes/passes.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "converter/ir/fused_clamp.h"
#include "converter/onnx/import.h"
#include "converter/reference/executor.h"
#include "converter/reference/shape_inference.h"
#include "util/random.h"

namespace qrt::converter {
namespace {

// Builds IR graphs directly; Finish() infers shapes as the importer would.
class Builder {
 public:
  explicit Builder(int64_t opset) { graph_.opset_version = opset; }

  void Input(const std::string& name, Shape shape) {
    graph_.inputs.push_back(name);
    graph_.GetOrAddTensor(name).shape = std::move(shape);
  }
  void Constant(const std::string& name, TensorData value) {
    Tensor& t = graph_.GetOrAddTensor(name);
    t.dtype = value.dtype();
    t.shape = value.shape();
    t.constant = std::move(value);
  }
  // A float constant of uniform random values in [lo, hi).
  void Random(const std::string& name, Shape shape, float lo = -1.0f, float hi = 1.0f) {
    TensorData value(DType::kFloat32, std::move(shape));
    for (float& v : value.values<float>()) v = static_cast<float>(rng_.Real(lo, hi));
    Constant(name, std::move(value));
  }
  void Scalar(const std::string& name, float value) {
    Constant(name, TensorData::FromVector<float>({}, {value}));
  }
  Node& Add(const std::string& op, std::vector<std::string> inputs,
            std::vector<std::string> outputs) {
    Node& n = graph_.nodes.emplace_back();
    n.name = op + "_" + outputs[0];
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = std::move(outputs);
    return n;
  }
  void Output(const std::string& name) { graph_.outputs.push_back(name); }

  Graph Finish() {
    Status s = InferShapes(&graph_);
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    return graph_;
  }

 private:
  Graph graph_;
  test::Rng rng_{42};
};

std::map<std::string, TensorData> RandomInputs(const Graph& graph, uint64_t seed) {
  test::Rng rng(seed);
  std::map<std::string, TensorData> inputs;
  for (const std::string& name : graph.inputs) {
    Shape shape = graph.FindTensor(name)->shape;
    for (int64_t& d : shape) d = d < 0 ? 2 : d;
    TensorData value(DType::kFloat32, shape);
    for (float& v : value.values<float>()) v = static_cast<float>(rng.Real(-4.0, 4.0));
    inputs.emplace(name, std::move(value));
  }
  return inputs;
}

std::map<std::string, TensorData> Run(const Graph& graph,
                                      const std::map<std::string, TensorData>& inputs) {
  std::map<std::string, TensorData> outputs;
  Status s = ReferenceExecutor(graph).Run(inputs, &outputs);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  return outputs;
}

// Runs RunCleanupPasses on `graph` and checks its outputs are unchanged.
void CleanUpAndCompare(Graph* graph) {
  const std::map<std::string, TensorData> inputs = RandomInputs(*graph, 7);
  const std::map<std::string, TensorData> before = Run(*graph, inputs);
  Status s = RunCleanupPasses(graph);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  const std::map<std::string, TensorData> after = Run(*graph, inputs);
  REQUIRE(after.size() == before.size());
  for (const auto& [name, expected] : before) {
    CAPTURE(name);
    const TensorData& actual = after.at(name);
    REQUIRE(actual.shape() == expected.shape());
    const std::vector<float> a = actual.ToFloats();
    const std::vector<float> e = expected.ToFloats();
    float magnitude = 1e-30f;
    float error = 0.0f;
    for (size_t i = 0; i < e.size(); ++i) {
      magnitude = std::max(magnitude, std::fabs(e[i]));
      error = std::max(error, std::fabs(a[i] - e[i]));
    }
    CHECK(error <= 1e-5f * magnitude);
  }
}

size_t CountOps(const Graph& graph, const std::string& op_type) {
  return static_cast<size_t>(std::count_if(graph.nodes.begin(), graph.nodes.end(),
                                           [&](const Node& n) { return n.op_type == op_type; }));
}

const Node& ProducerOf(const Graph& graph, const std::string& tensor) {
  const std::optional<size_t> index = graph.Producer(tensor);
  REQUIRE(index.has_value());
  return graph.nodes[*index];
}

// Adds BatchNormalization(x) -> y over `channels` with random statistics.
void AddBatchNorm(Builder& b, const std::string& x, const std::string& y, int64_t channels) {
  for (const char* param : {"gamma", "beta", "mean"}) b.Random(y + param, {channels});
  b.Random(y + "var", {channels}, 0.1f, 2.0f);
  Node& bn = b.Add("BatchNormalization", {x, y + "gamma", y + "beta", y + "mean", y + "var"}, {y});
  bn.attributes["epsilon"] = 1e-3f;
}

TEST_CASE("BatchNormalization folds into Conv, Gemm and MatMul") {
  Builder b(13);
  b.Input("x", {-1, 3, 8, 8});
  b.Random("w", {4, 3, 3, 3});
  b.Random("bias", {4});
  b.Add("Conv", {"x", "w", "bias"}, {"c"}).attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  AddBatchNorm(b, "c", "conv_bn", 4);
  // A grouped Conv without bias whose weights another Conv also reads.
  b.Random("dw", {4, 1, 3, 3});
  b.Add("Conv", {"conv_bn", "dw"}, {"d"}).attributes["group"] = int64_t{4};
  b.Add("Conv", {"conv_bn", "dw"}, {"d2"}).attributes["group"] = int64_t{4};
  AddBatchNorm(b, "d", "dw_bn", 4);
  b.Add("Add", {"dw_bn", "d2"}, {"sum"});
  // Gemm with transB, a broadcast C and beta, and a MatMul, on [N, 5].
  b.Input("v", {-1, 6});
  b.Random("gw", {5, 6});
  b.Random("gc", {1, 5});
  Node& gemm = b.Add("Gemm", {"v", "gw", "gc"}, {"g"});
  gemm.attributes["transB"] = int64_t{1};
  gemm.attributes["alpha"] = 0.5f;
  gemm.attributes["beta"] = 2.0f;
  AddBatchNorm(b, "g", "gemm_bn", 5);
  b.Random("mw", {5, 5});
  b.Add("MatMul", {"gemm_bn", "mw"}, {"m"});
  AddBatchNorm(b, "m", "matmul_bn", 5);
  b.Output("sum");
  b.Output("matmul_bn");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "BatchNormalization") == 0);
  CHECK(ProducerOf(g, "conv_bn").op_type == "Conv");
  CHECK(ProducerOf(g, "dw_bn").inputs.size() == 3);
  // The shared depthwise weights stay as they were for the other Conv.
  CHECK(ProducerOf(g, "d2").inputs[1] == "dw");
  CHECK(ProducerOf(g, "gemm_bn").GetFloat("beta", 0.0f) == 1.0f);
  CHECK(ProducerOf(g, "matmul_bn").op_type == "Gemm");
  // The replaced parameters are gone.
  for (const char* name : {"w", "bias", "gw", "gc", "mw", "c", "conv_bnvar"}) {
    CAPTURE(name);
    CHECK(g.FindTensor(name) == nullptr);
  }
}

TEST_CASE("a ConvTranspose takes its bias Add, BatchNormalization and Relu") {
  // PP-OCR's detection head: ConvTranspose, Add of a [1, C, 1, 1] bias, BN, Relu.
  Builder b(11);
  b.Input("x", {1, 3, 5, 5});
  b.Random("w", {3, 4, 2, 2});  // [C_in, C_out, KH, KW]: channels are axis 1
  Node& up = b.Add("ConvTranspose", {"x", "w"}, {"u"});
  up.attributes["strides"] = std::vector<int64_t>{2, 2};
  b.Random("bias", {1, 4, 1, 1});
  b.Add("Add", {"bias", "u"}, {"biased"});
  AddBatchNorm(b, "biased", "bn", 4);
  b.Add("Relu", {"bn"}, {"y"});
  // A per-column [4] addend broadcasts along W, not the channels, so it stays an Add.
  b.Random("w2", {4, 4, 1, 1});
  b.Add("ConvTranspose", {"y", "w2"}, {"v"});
  b.Random("row", {10});
  b.Add("Add", {"v", "row"}, {"z"});
  b.Output("z");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(g.nodes.size() == 3);
  const Node& folded = ProducerOf(g, "y");
  CHECK(folded.op_type == "ConvTranspose");
  CHECK(folded.inputs.size() == 3);
  CHECK(GetFusedClamp(folded).has_value());
  CHECK(ProducerOf(g, "z").op_type == "Add");
}

TEST_CASE("a Conv takes the constant Mul and Add after it; a fused clamp stops it") {
  // PP-LCNetV3's learned affine after each convolution: Mul and Add of scalars.
  Builder b(13);
  b.Input("x", {1, 3, 6, 6});
  b.Random("w", {4, 3, 3, 3});
  b.Add("Conv", {"x", "w"}, {"c"});
  b.Random("scale", {4, 1, 1});
  b.Add("Mul", {"c", "scale"}, {"scaled"});
  b.Scalar("shift", 0.25f);
  b.Add("Add", {"shift", "scaled"}, {"shifted"});
  b.Add("Relu", {"shifted"}, {"r"});
  b.Scalar("gain", -2.0f);
  b.Add("Mul", {"r", "gain"}, {"y"});  // after the clamp: stays
  b.Output("y");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(g.nodes.size() == 2);
  CHECK(ProducerOf(g, "r").op_type == "Conv");
  CHECK(ProducerOf(g, "y").op_type == "Mul");
}

TEST_CASE("a grouped ConvTranspose keeps its BatchNormalization") {
  Builder b(13);
  b.Input("x", {1, 4, 3, 3});
  b.Random("w", {4, 1, 2, 2});
  b.Add("ConvTranspose", {"x", "w"}, {"u"}).attributes["group"] = int64_t{2};
  AddBatchNorm(b, "u", "y", 2);
  b.Output("y");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "BatchNormalization") == 1);
}

TEST_CASE("a BatchNormalization whose input has another reader stays") {
  Builder b(13);
  b.Input("x", {1, 2, 4, 4});
  b.Random("w", {2, 2, 1, 1});
  b.Add("Conv", {"x", "w"}, {"c"});
  AddBatchNorm(b, "c", "y", 2);
  b.Add("Add", {"c", "y"}, {"z"});
  // Nor does one after a non-foldable producer.
  AddBatchNorm(b, "x", "xbn", 2);
  b.Add("Add", {"z", "xbn"}, {"out"});
  b.Output("out");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "BatchNormalization") == 2);
}

TEST_CASE("MatMul followed by a bias Add becomes one Gemm") {
  Builder b(13);
  // Bias [N] as the Add's second operand.
  b.Input("x", {-1, 6});
  b.Random("w", {6, 5});
  b.Random("bias", {5});
  b.Add("MatMul", {"x", "w"}, {"m"});
  b.Add("Add", {"m", "bias"}, {"y"});
  // Bias [1, N] as the first operand, then a Relu that fuses onto the Gemm.
  b.Random("w2", {5, 4});
  b.Random("bias2", {1, 4});
  b.Add("MatMul", {"y", "w2"}, {"m2"});
  b.Add("Add", {"bias2", "m2"}, {"y2"});
  b.Add("Relu", {"y2"}, {"r2"});
  b.Output("y");
  b.Output("r2");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "MatMul") == 0);
  CHECK(CountOps(g, "Add") == 0);
  const Node& gemm = ProducerOf(g, "y");
  CHECK(gemm.op_type == "Gemm");
  CHECK(gemm.inputs == std::vector<std::string>{"x", "w", "bias"});
  CHECK(gemm.GetInt("transB", 0) == 0);
  const Node& gemm2 = ProducerOf(g, "r2");
  CHECK(gemm2.op_type == "Gemm");
  CHECK(gemm2.inputs == std::vector<std::string>{"y", "w2", "bias2"});
  CHECK(GetFusedClamp(gemm2).has_value());
  CHECK(g.FindTensor("m") == nullptr);
}

TEST_CASE("a MatMul of a 3-D A and a bias Add become a Gemm on rows between Reshapes") {
  Builder b(9);
  b.Input("x", {2, 3, 6});
  b.Random("w", {6, 5});
  b.Random("bias", {5});
  b.Add("MatMul", {"x", "w"}, {"m"});
  b.Add("Add", {"bias", "m"}, {"y"});
  b.Output("y");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].op_type == "Reshape");
  CHECK(g.nodes[1].op_type == "Gemm");
  CHECK(g.FindTensor(g.nodes[1].inputs[0])->shape == Shape{6, 6});
  CHECK(g.nodes[2].op_type == "Reshape");
  CHECK(g.nodes[2].outputs[0] == "y");
}

TEST_CASE("a MatMul and Add that Gemm cannot express stay apart") {
  Builder b(13);
  b.Input("x", {2, 6});
  b.Random("w", {6, 5});
  b.Random("bias", {5});
  // The MatMul's output has another reader.
  b.Add("MatMul", {"x", "w"}, {"m"});
  b.Add("Add", {"m", "bias"}, {"y"});
  b.Add("Sigmoid", {"m"}, {"s"});
  // A is 3-D with a dynamic dim, so it cannot be reshaped to rows.
  b.Input("x3", {-1, 3, 6});
  b.Add("MatMul", {"x3", "w"}, {"m3"});
  b.Add("Add", {"m3", "bias"}, {"y3"});
  // The bias varies by row.
  b.Random("rows", {2, 5});
  b.Add("MatMul", {"x", "w"}, {"mr"});
  b.Add("Add", {"mr", "rows"}, {"yr"});
  // The MatMul's output is a graph output.
  b.Add("MatMul", {"x", "w"}, {"mo"});
  b.Add("Add", {"mo", "bias"}, {"yo"});
  for (const char* out : {"y", "s", "y3", "yr", "mo", "yo"}) b.Output(out);
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "Gemm") == 0);
  CHECK(CountOps(g, "MatMul") == 4);
  CHECK(CountOps(g, "Add") == 4);
}

TEST_CASE("Relu and Clip fuse into their producer as a clamp") {
  Builder b(13);
  b.Input("x", {-1, 2, 6, 6});
  b.Random("w", {4, 2, 3, 3});
  b.Add("Conv", {"x", "w"}, {"c"});
  b.Add("Relu", {"c"}, {"r"});
  // Clip with a min only, fused into an Add; then Clip(0, 6) on top of the Relu fusion.
  b.Scalar("lo", -0.5f);
  b.Add("Add", {"r", "r"}, {"a"});
  b.Add("Clip", {"a", "lo"}, {"ca"});
  b.Scalar("zero", 0.0f);
  b.Scalar("six", 6.0f);
  b.Add("Mul", {"ca", "ca"}, {"m"});
  b.Add("Relu", {"m"}, {"mr"});
  b.Add("Clip", {"mr", "zero", "six"}, {"m6"});
  b.Add("GlobalAveragePool", {"m6"}, {"gap"});
  b.Add("Clip", {"gap", "", "six"}, {"gap6"});
  // Not fused: MaxPool is no requantizing producer, Conv output read twice, Clip whose
  // bound is computed at run time.
  Node& pool = b.Add("MaxPool", {"m6"}, {"p"});
  pool.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  b.Add("Relu", {"p"}, {"pr"});
  b.Add("Conv", {"x", "w"}, {"c2"});
  b.Add("Relu", {"c2"}, {"c2r"});
  b.Add("Add", {"c2", "c2r"}, {"c2s"});
  b.Add("ReduceMean", {"x"}, {"mean"}).attributes["keepdims"] = int64_t{0};
  b.Add("Conv", {"x", "w"}, {"c3"});
  b.Add("Clip", {"c3", "zero", "mean"}, {"c3c"});
  for (const char* out : {"gap6", "pr", "c2s", "c3c"}) b.Output(out);
  Graph g = b.Finish();
  CleanUpAndCompare(&g);

  const std::optional<FusedClamp> conv = GetFusedClamp(ProducerOf(g, "r"));
  REQUIRE(conv.has_value());
  CHECK(conv->min == 0.0f);
  CHECK(std::isinf(conv->max));
  const Node& add = ProducerOf(g, "ca");
  CHECK(add.op_type == "Add");
  CHECK(GetFusedClamp(add)->min == -0.5f);
  const Node& mul = ProducerOf(g, "m6");
  CHECK(mul.op_type == "Mul");
  CHECK(GetFusedClamp(mul)->min == 0.0f);
  CHECK(GetFusedClamp(mul)->max == 6.0f);
  CHECK(std::isinf(GetFusedClamp(ProducerOf(g, "gap6"))->min));
  CHECK(CountOps(g, "Relu") == 2);  // after MaxPool and after the Conv read twice
  CHECK(CountOps(g, "Clip") == 1);  // the one with a run-time max
  CHECK(g.FindTensor("c") == nullptr);
  // Shape inference reads past the fused clamp attributes.
  Status s = InferShapes(&g);
  CHECK_MESSAGE(s.ok(), s.ToString());
  CHECK(g.FindTensor("m6")->shape == Shape{-1, 4, 4, 4});
}

TEST_CASE("Clip's attribute form before opset 11 fuses; a graph output is never fused") {
  Builder b(10);
  b.Input("v", {3, 4});
  b.Random("gw", {4, 5});
  b.Add("Gemm", {"v", "gw"}, {"g"});
  Node& clip = b.Add("Clip", {"g"}, {"gc"});
  clip.attributes["min"] = -0.25f;
  clip.attributes["max"] = 0.25f;
  b.Add("MatMul", {"v", "gw"}, {"m"});
  b.Add("Relu", {"m"}, {"mr"});
  b.Output("gc");
  b.Output("m");
  b.Output("mr");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  const std::optional<FusedClamp> gemm = GetFusedClamp(ProducerOf(g, "gc"));
  REQUIRE(gemm.has_value());
  CHECK(gemm->min == -0.25f);
  CHECK(gemm->max == 0.25f);
  CHECK_FALSE(GetFusedClamp(ProducerOf(g, "m")).has_value());
  CHECK(CountOps(g, "Relu") == 1);
}

TEST_CASE("the executor applies a fused clamp to its node's output") {
  Builder b(13);
  b.Input("x", {2, 3});
  b.Add("Add", {"x", "x"}, {"y"});
  b.Output("y");
  Graph g = b.Finish();
  SetFusedClamp(g.nodes[0], {-1.0f, 2.0f});
  const TensorData x = TensorData::FromVector<float>({2, 3}, {-3, -0.25f, 0, 0.5f, 1.5f, 4});
  CHECK(Run(g, {{"x", x}}).at("y").ToFloats() == std::vector<float>{-1, -0.5f, 0, 1, 2, 2});
}

TEST_CASE("HardSwish decompositions become one HardSwish node") {
  Builder b(13);
  b.Input("x", {-1, 3, 4, 4});
  b.Scalar("three", 3.0f);
  b.Scalar("zero", 0.0f);
  b.Scalar("six", 6.0f);
  b.Constant("sixth", TensorData::FromVector<float>({1}, {1.0f / 6.0f}));
  // x * Clip(x + 3, 0, 6) / 6.
  b.Add("Add", {"x", "three"}, {"a1"});
  b.Add("Clip", {"a1", "zero", "six"}, {"c1"});
  b.Add("Mul", {"x", "c1"}, {"m1"});
  b.Add("Div", {"m1", "six"}, {"h1"});
  // (Clip(3 + x, 0, 6) * 1/6) * x on h1.
  b.Add("Add", {"three", "h1"}, {"a2"});
  b.Add("Clip", {"a2", "zero", "six"}, {"c2"});
  b.Add("Mul", {"sixth", "c2"}, {"d2"});
  b.Add("Mul", {"d2", "h1"}, {"h2"});
  // Clip(x + 3, 0, 6) * x * 1/6 on h2.
  b.Add("Add", {"h2", "three"}, {"a3"});
  b.Add("Clip", {"a3", "zero", "six"}, {"c3"});
  b.Add("Mul", {"c3", "h2"}, {"m3"});
  b.Add("Mul", {"m3", "sixth"}, {"h3"});
  // x * HardSigmoid(x, 1/6, 0.5) on h3.
  Node& hs = b.Add("HardSigmoid", {"h3"}, {"s4"});
  hs.attributes["alpha"] = 1.0f / 6.0f;
  hs.attributes["beta"] = 0.5f;
  b.Add("Mul", {"h3", "s4"}, {"h4"});
  // Not HardSwish: HardSigmoid with the default alpha 0.2.
  b.Add("HardSigmoid", {"h4"}, {"s5"});
  b.Add("Mul", {"h4", "s5"}, {"h5"});
  // Graph outputs, so that FusePointwiseChains does not merge the HardSwishes.
  for (const char* name : {"h1", "h2", "h3", "h5"}) b.Output(name);
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "HardSwish") == 4);
  CHECK(CountOps(g, "Clip") == 0);
  CHECK(CountOps(g, "Add") == 0);
  CHECK(CountOps(g, "HardSigmoid") == 1);
  CHECK(g.nodes.size() == 6);
  CHECK(ProducerOf(g, "h2").inputs == std::vector<std::string>{"h1"});
  for (const char* name : {"three", "zero", "six", "sixth", "c1", "m3"}) {
    CAPTURE(name);
    CHECK(g.FindTensor(name) == nullptr);
  }
}

TEST_CASE("a Clip(x + 3, 0, 6) whose intermediate has another reader is no HardSwish") {
  Builder b(13);
  b.Input("x", {2, 5});
  b.Scalar("three", 3.0f);
  b.Scalar("zero", 0.0f);
  b.Scalar("six", 6.0f);
  b.Add("Add", {"x", "three"}, {"a"});
  b.Add("Clip", {"a", "zero", "six"}, {"c"});
  b.Add("Mul", {"x", "c"}, {"m"});
  b.Add("Div", {"m", "six"}, {"h"});
  b.Output("h");
  b.Output("c");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "HardSwish") == 0);
  // The Clip still fuses into the Add instead.
  CHECK(GetFusedClamp(ProducerOf(g, "c"))->max == 6.0f);
}

// x [N,2,3] -> Shape -> Gather(0) -> Unsqueeze -> Concat([N], [-1]) -> Reshape(x) -> Relu,
// plus a Mul of x by (2 + 1) computed from constants.
Graph ShapeChainGraph(Shape x_shape) {
  Builder b(13);
  b.Input("x", std::move(x_shape));
  b.Constant("zero", TensorData::FromVector<int64_t>({}, {0}));
  b.Constant("axes", TensorData::FromVector<int64_t>({1}, {0}));
  b.Constant("minus_one", TensorData::FromVector<int64_t>({1}, {-1}));
  b.Add("Shape", {"x"}, {"s"});
  b.Add("Gather", {"s", "zero"}, {"n"});
  b.Add("Unsqueeze", {"n", "axes"}, {"n1"});
  b.Add("Concat", {"n1", "minus_one"}, {"target"}).attributes["axis"] = int64_t{0};
  b.Add("Reshape", {"x", "target"}, {"flat"});
  b.Scalar("two", 2.0f);
  b.Scalar("one", 1.0f);
  b.Add("Add", {"two", "one"}, {"three"});
  b.Add("Mul", {"flat", "three"}, {"y"});
  b.Output("y");
  return b.Finish();
}

TEST_CASE("constant folding evaluates shape chains on static shapes") {
  Graph g = ShapeChainGraph({4, 2, 3});
  CleanUpAndCompare(&g);
  REQUIRE(g.nodes.size() == 2);
  CHECK(g.nodes[0].op_type == "Reshape");
  const Tensor* target = g.FindTensor("target");
  REQUIRE(target != nullptr);
  REQUIRE(target->is_constant());
  CHECK(target->constant->ToInt64s() == std::vector<int64_t>{4, -1});
  CHECK(g.FindTensor("three")->constant->ToFloats() == std::vector<float>{3});
  for (const char* name : {"s", "n", "n1", "zero", "axes", "minus_one", "two", "one"}) {
    CAPTURE(name);
    CHECK(g.FindTensor(name) == nullptr);
  }
}

TEST_CASE("constant folding leaves shape chains on dynamic dims") {
  Graph g = ShapeChainGraph({-1, 2, 3});
  CleanUpAndCompare(&g);
  CHECK(g.nodes.size() == 6);
  CHECK(CountOps(g, "Shape") == 1);
  CHECK(g.FindTensor("three")->is_constant());
}

TEST_CASE("Identity and Dropout are removed, graph outputs keep their names") {
  Builder b(13);
  b.Input("x", {1, 2, 4, 4});
  b.Random("w", {2, 2, 1, 1});
  b.Add("Identity", {"x"}, {"xi"});
  b.Add("Conv", {"xi", "w"}, {"c"});
  b.Add("Dropout", {"c"}, {"d", "mask"});
  b.Add("Relu", {"d"}, {"r"});
  b.Add("Identity", {"r"}, {"y"});
  // A graph input passed straight to an output keeps its Identity.
  b.Add("Identity", {"x"}, {"x_copy"});
  b.Output("y");
  b.Output("x_copy");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "Dropout") == 0);
  CHECK(CountOps(g, "Identity") == 1);
  const Node& conv = ProducerOf(g, "y");
  CHECK(conv.op_type == "Conv");
  CHECK(conv.inputs[0] == "x");
  CHECK(GetFusedClamp(conv).has_value());
  CHECK(g.nodes.size() == 2);
  for (const char* name : {"xi", "c", "d", "mask", "r"}) {
    CAPTURE(name);
    CHECK(g.FindTensor(name) == nullptr);
  }
}

TEST_CASE("a Dropout whose mask is read stays") {
  Builder b(13);
  b.Input("x", {2, 3});
  b.Add("Dropout", {"x"}, {"d", "mask"});
  b.Add("Cast", {"mask"}, {"maskf"}).attributes["to"] = int64_t{1};
  b.Add("Mul", {"d", "maskf"}, {"y"});
  b.Output("y");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "Dropout") == 1);
}

TEST_CASE("nodes and initializers that reach no graph output are removed") {
  Builder b(13);
  b.Input("x", {2, 3});
  b.Input("unused_input", {2});
  b.Random("w", {3, 3});
  b.Random("unused_weight", {3});
  b.Add("MatMul", {"x", "w"}, {"m"});
  b.Add("Sigmoid", {"m"}, {"dangling"});
  b.Add("Tanh", {"x"}, {"y"});
  b.Output("y");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  REQUIRE(g.nodes.size() == 1);
  CHECK(g.nodes[0].op_type == "Tanh");
  for (const char* name : {"w", "unused_weight", "m", "dangling"}) {
    CAPTURE(name);
    CHECK(g.FindTensor(name) == nullptr);
  }
  // The graph's interface stays.
  CHECK(g.FindTensor("unused_input") != nullptr);
}

// Adds the layer norm decomposition PaddlePaddle exports over the last axis of x.
void AddLayerNormPattern(Builder& b, const std::string& x, const std::string& y, int64_t depth) {
  Node& mean = b.Add("ReduceMean", {x}, {y + "_mean"});
  mean.attributes["axes"] = std::vector<int64_t>{-1};
  b.Add("Sub", {x, y + "_mean"}, {y + "_d"});
  b.Add("Pow", {y + "_d", "two"}, {y + "_d2"});
  Node& var = b.Add("ReduceMean", {y + "_d2"}, {y + "_var"});
  var.attributes["axes"] = std::vector<int64_t>{-1};
  b.Add("Add", {y + "_var", "eps"}, {y + "_ve"});
  b.Add("Sqrt", {y + "_ve"}, {y + "_std"});
  b.Add("Div", {y + "_d", y + "_std"}, {y + "_n"});
  b.Random(y + "_gamma", {depth}, 0.5f, 1.5f);
  b.Random(y + "_beta", {depth});
  b.Add("Mul", {y + "_n", y + "_gamma"}, {y + "_g"});
  b.Add("Add", {y + "_g", y + "_beta"}, {y});
}

TEST_CASE("layer norm decompositions become one LayerNormalization node") {
  Builder b(9);
  b.Input("x", {1, 5, 16});
  b.Scalar("two", 2.0f);
  b.Scalar("eps", 1e-5f);
  AddLayerNormPattern(b, "x", "y1", 16);
  // Without gamma and beta, and x read by a residual Add as well.
  Node& mean = b.Add("ReduceMean", {"y1"}, {"m"});
  mean.attributes["axes"] = std::vector<int64_t>{2};
  b.Add("Sub", {"y1", "m"}, {"d"});
  b.Add("Mul", {"d", "d"}, {"d2"});
  Node& var = b.Add("ReduceMean", {"d2"}, {"v"});
  var.attributes["axes"] = std::vector<int64_t>{2};
  b.Add("Add", {"v", "eps"}, {"ve"});
  b.Add("Sqrt", {"ve"}, {"s"});
  b.Add("Div", {"d", "s"}, {"y2"});
  b.Add("Add", {"y2", "y1"}, {"y3"});
  b.Output("y3");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "LayerNormalization") == 2);
  CHECK(CountOps(g, "ReduceMean") == 0);
  CHECK(g.nodes.size() == 3);
  const Node& first = ProducerOf(g, "y1");
  CHECK(first.inputs == std::vector<std::string>{"x", "y1_gamma", "y1_beta"});
  CHECK(first.GetFloat("epsilon", 0) == 1e-5f);
  CHECK(ProducerOf(g, "y2").inputs.size() == 2);
}

TEST_CASE("a mean over another axis or a centred value read elsewhere is no layer norm") {
  Builder b(9);
  b.Input("x", {1, 5, 16});
  b.Scalar("two", 2.0f);
  b.Scalar("eps", 1e-5f);
  AddLayerNormPattern(b, "x", "y1", 16);
  b.Add("Add", {"y1_d", "y1"}, {"y2"});  // the centred value has a third reader
  Node& mean = b.Add("ReduceMean", {"y2"}, {"m"});
  mean.attributes["axes"] = std::vector<int64_t>{1};
  b.Add("Sub", {"y2", "m"}, {"y3"});
  b.Output("y3");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "LayerNormalization") == 0);
  CHECK(CountOps(g, "ReduceMean") == 3);
}

TEST_CASE("x * Sigmoid(x) becomes one Swish node") {
  Builder b(9);
  b.Input("x", {1, 8, 4, 4});
  b.Add("Sigmoid", {"x"}, {"s1"});
  b.Add("Mul", {"x", "s1"}, {"y1"});
  // x * Sigmoid(1.5 * x), as PaddlePaddle exports swish with its beta.
  b.Scalar("alpha", 1.5f);
  b.Add("Mul", {"alpha", "y1"}, {"a2"});
  b.Add("Sigmoid", {"a2"}, {"s2"});
  b.Add("Mul", {"s2", "y1"}, {"y2"});
  // Not Swish: the sigmoid of another tensor, and a sigmoid read twice.
  b.Add("Sigmoid", {"y1"}, {"s3"});
  b.Add("Mul", {"y2", "s3"}, {"y3"});
  b.Add("Sigmoid", {"y3"}, {"s4"});
  b.Add("Mul", {"y3", "s4"}, {"y4"});
  b.Add("Add", {"y4", "s4"}, {"y5"});
  b.Output("y5");
  Graph g = b.Finish();
  CleanUpAndCompare(&g);
  CHECK(CountOps(g, "Swish") == 2);
  CHECK(CountOps(g, "Sigmoid") == 2);
  CHECK(ProducerOf(g, "y2").inputs == std::vector<std::string>{"y1"});
  CHECK(ProducerOf(g, "y2").GetFloat("alpha", 1.0f) == 1.5f);
  CHECK(g.FindTensor("a2") == nullptr);
}

TEST_CASE("chains of pointwise nodes become one PointwiseChain node") {
  Builder b(13);
  b.Input("x", {1, 8, 4, 4});
  b.Scalar("scale", 0.75f);
  b.Scalar("shift", -0.25f);
  b.Scalar("lo", -1.0f);
  b.Scalar("hi", 2.0f);
  // PP-LCNetV3's learnable affine block after a HardSwish, then a Clip and a Sigmoid.
  b.Add("HardSwish", {"x"}, {"h"});
  b.Add("Mul", {"h", "scale"}, {"m"});
  b.Add("Add", {"shift", "m"}, {"a"});
  b.Add("Clip", {"a", "lo", "hi"}, {"c"});
  b.Add("Sigmoid", {"c"}, {"y1"});
  // Stops after the Tanh, whose output has two readers, and at a graph output.
  b.Add("Tanh", {"y1"}, {"t"});
  b.Add("Sub", {"t", "shift"}, {"s"});
  b.Add("Mul", {"t", "s"}, {"y2"});
  b.Add("Relu", {"y2"}, {"r"});
  b.Add("Div", {"r", "scale"}, {"y3"});
  b.Add("Sqrt", {"y3"}, {"y4"});
  b.Output("y3");
  b.Output("y4");
  Graph g = b.Finish();
  const std::map<std::string, TensorData> inputs = RandomInputs(g, 3);
  const std::map<std::string, TensorData> before = Run(g, inputs);
  Status s = RunCleanupPasses(&g);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  const std::map<std::string, TensorData> after = Run(g, inputs);
  for (const auto& [name, expected] : before) {
    CAPTURE(name);
    const std::vector<float> a = after.at(name).ToFloats();
    const std::vector<float> e = expected.ToFloats();
    REQUIRE(a.size() == e.size());
    for (size_t i = 0; i < e.size(); ++i) CHECK(std::fabs(a[i] - e[i]) <= 1e-6f);
  }
  CHECK(g.nodes.size() == 5);
  const Node& chain = ProducerOf(g, "t");
  CHECK(chain.op_type == "PointwiseChain");
  CHECK(chain.inputs == std::vector<std::string>{"x"});
  CHECK(chain.GetInt("steps", 0) == 6);
  CHECK(ProducerOf(g, "s").op_type == "Sub");
  // Relu fuses into the Mul of two activations as a clamp; the Div by a scalar is a
  // graph output, so the Sqrt after it stays apart.
  CHECK(ProducerOf(g, "y3").op_type == "Div");
  CHECK(ProducerOf(g, "y4").op_type == "Sqrt");
  CHECK(g.FindTensor("m") == nullptr);
}

TEST_CASE("the passes keep the PP-OCR classifier's outputs") {
  const std::string path = QRT_MODELS_DIR "/ch_ppocr_mobile_v2.0_cls_infer.onnx";
  if (!std::filesystem::exists(path)) {
    MESSAGE("skipped: " << path << " is absent (scripts/fetch-models.sh fetches it)");
    return;
  }
  Graph g;
  ImportOptions options;
  options.input_shapes["x"] = {2, 3, 48, 192};
  Status s = ImportOnnxFile(path, options, &g);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  const size_t nodes_before = g.nodes.size();
  CleanUpAndCompare(&g);
  size_t fused = 0;
  for (const Node& n : g.nodes) fused += GetFusedClamp(n).has_value() ? 1 : 0;
  MESSAGE(nodes_before << " nodes before the passes, " << g.nodes.size() << " after, " << fused
                       << " with a fused clamp, " << CountOps(g, "HardSwish") << " HardSwish");
  CHECK(g.nodes.size() < nodes_before);
  CHECK(fused > 0);
  for (const char* op : {"BatchNormalization", "Identity", "Dropout", "Relu"}) {
    CAPTURE(op);
    CHECK(CountOps(g, op) == 0);
  }
}

}  // namespace
}  // namespace qrt::converter
