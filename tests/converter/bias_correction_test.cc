// Empirical bias correction on generated convolutions with a known int8 bias: each
// output channel has one weight of 1.0 (so its int8 step is 1/127) and 143 weights
// of 0.0045, which all round up to 1/127, +0.0034 each; on inputs of mean 1.0 that
// adds about +0.34 to every output channel's int8 mean (fewer taps at the borders).
// The correction must take most of that mean error out, on held-out inputs, without
// being told where it comes from. Not all of it: outputs the error pushes past the
// top of the calibrated range saturate, which hides part of it from the one
// measurement each layer gets (0.05 of 0.34 is left).
#include "bias_correction.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "calibrate.h"
#include "converter/ir/fused_clamp.h"
#include "converter/reference/executor.h"
#include "converter/reference/shape_inference.h"
#include "evaluate.h"
#include "generated_graphs.h"
#include "mixed_precision.h"

namespace qrt::converter {
namespace {

constexpr int64_t kInC = 16;
constexpr int64_t kOutC = 4;
constexpr int64_t kSide = 6;

using test::AddConstant;

// Inputs uniform in [0.5, 1.5); `seed` keeps calibration and evaluation samples apart.
test::UniformSource Inputs(size_t count, unsigned seed) {
  return test::UniformSource({1, kInC, kSide, kSide}, 0.5f, 1.5f, count, seed);
}

// A 3x3 convolution without bias whose int8 weights all round up (see above).
void AddBiasedConv(Graph* graph, const std::string& name, const std::string& x,
                   const std::string& y) {
  std::vector<float> w(static_cast<size_t>(kOutC * kInC * 9), 0.0045f);
  for (int64_t c = 0; c < kOutC; ++c) w[static_cast<size_t>(c * kInC * 9 + c)] = 1.0f;
  AddConstant(graph, name + ".w", {kOutC, kInC, 3, 3}, w);
  Node node;
  node.name = name;
  node.op_type = "Conv";
  node.inputs = {x, name + ".w"};
  node.outputs = {y};
  node.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  graph->nodes.push_back(std::move(node));
}

Graph InputGraph() {
  Graph graph;
  graph.opset_version = 13;
  graph.inputs = {"x"};
  graph.GetOrAddTensor("x").shape = {1, kInC, kSide, kSide};
  return graph;
}

ActivationQuantMap Calibrate(const Graph& graph, calib::CalibrationSource* source) {
  calib::CalibrationMethod method;
  REQUIRE(calib::ParseCalibrationMethod("minmax", &method).ok());
  CalibrationResult result;
  const Status status = Calibrate(graph, source, method, &result);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  return QuantMapOf(result);
}

// The largest per-channel mean of (int8 - float) of graph output `output` on held-out
// inputs, for the model emitted from `emitted` and the float model `reference`,
// counting only the outputs the float model leaves above 0 (those a fused ReLU does
// not clamp).
double LargestMeanError(const Graph& reference, const Graph& emitted,
                        const ActivationQuantMap& quant, const std::string& output) {
  ModelBuilder builder;
  EmitReport report;
  const Emission emission{emitted, quant, {}, {}};
  REQUIRE(emission.Emit(QuantizeOptions(), &builder, &report).ok());
  InMemoryModel model;
  REQUIRE(model.Load(builder.Finish()).ok());
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model.model(), &session).ok());
  test::UniformSource held_out = Inputs(16, 2);
  std::vector<double> error(kOutC, 0);
  std::vector<double> count(kOutC, 0);
  for (size_t s = 0; s < held_out.size(); ++s) {
    std::map<std::string, TensorData> inputs;
    REQUIRE(ReadSample(reference, &held_out, s, &inputs).ok());
    std::map<std::string, TensorData> outputs;
    REQUIRE(ReferenceExecutor(reference).Run(inputs, &outputs).ok());
    const std::span<const float> x = inputs.at("x").values<float>();
    REQUIRE(session->SetInput("x", x.data(), x.size()).ok());
    REQUIRE(session->Run().ok());
    const std::span<const float> f = outputs.at(output).values<float>();
    std::vector<float> q(f.size());
    REQUIRE(session->GetOutput(output, q.data(), q.size()).ok());
    for (size_t i = 0; i < f.size(); ++i) {
      if (f[i] <= 0) continue;
      const size_t c = i / (kSide * kSide);
      error[c] += q[i] - f[i];
      ++count[c];
    }
  }
  double largest = 0;
  for (size_t c = 0; c < error.size(); ++c) {
    REQUIRE(count[c] > 0);
    largest = std::max(largest, std::abs(error[c] / count[c]));
  }
  return largest;
}

TEST_CASE("a conv's rounding bias is taken out of its new bias") {
  Graph graph = InputGraph();
  AddBiasedConv(&graph, "conv", "x", "y");
  graph.outputs = {"y"};
  REQUIRE(InferShapes(&graph).ok());
  test::UniformSource calibration = Inputs(8, 1);
  const ActivationQuantMap quant = Calibrate(graph, &calibration);

  Graph corrected = graph;
  BiasCorrectionReport report;
  const Status status = CorrectBiases(quant, QuantizeOptions(), &calibration, &corrected, &report);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  CHECK(report.layers == 1);
  CHECK(report.channels == kOutC);
  CHECK(report.rounds == 1);
  CHECK(report.largest_shift_node == "conv");
  REQUIRE(corrected.nodes[0].HasInput(2));

  const double before = LargestMeanError(graph, graph, quant, "y");
  const double after = LargestMeanError(graph, corrected, quant, "y");
  CHECK(before > 0.3);
  CHECK(after < 0.07);
}

TEST_CASE("a chain is corrected in order, and under a fused ReLU only unclamped outputs count") {
  // conv1 (biased as above) -> conv2: 1x1, the identity with the same rounding bias
  // on top (other weights 0.0045 against 1.0), bias -1.9 so that about half its
  // outputs are clamped by its fused ReLU.
  Graph graph = InputGraph();
  AddBiasedConv(&graph, "conv1", "x", "h");
  std::vector<float> w(static_cast<size_t>(kOutC * kOutC), 0.0045f);
  for (int64_t c = 0; c < kOutC; ++c) w[static_cast<size_t>(c * kOutC + c)] = 1.0f;
  AddConstant(&graph, "conv2.w", {kOutC, kOutC, 1, 1}, w);
  AddConstant(&graph, "conv2.b", {kOutC}, std::vector<float>(kOutC, -1.9f));
  Node conv2;
  conv2.name = "conv2";
  conv2.op_type = "Conv";
  conv2.inputs = {"h", "conv2.w", "conv2.b"};
  conv2.outputs = {"y"};
  SetFusedClamp(conv2, {0.0f, std::numeric_limits<float>::infinity()});
  graph.nodes.push_back(std::move(conv2));
  graph.outputs = {"y"};
  REQUIRE(InferShapes(&graph).ok());
  test::UniformSource calibration = Inputs(8, 1);
  const ActivationQuantMap quant = Calibrate(graph, &calibration);

  Graph corrected = graph;
  BiasCorrectionReport report;
  REQUIRE(CorrectBiases(quant, QuantizeOptions(), &calibration, &corrected, &report).ok());
  CHECK(report.layers == 2);
  CHECK(report.rounds == 2);
  // conv2's own bias is left to the new tensor; the original stays as it was.
  CHECK(corrected.FindTensor("conv2.b")->constant->ToFloats()[0] == -1.9f);

  const double before = LargestMeanError(graph, graph, quant, "y");
  const double after = LargestMeanError(graph, corrected, quant, "y");
  CHECK(before > 0.15);
  CHECK(after < 0.05);
}

TEST_CASE("independent convs share a round; a graph without any is left alone") {
  Graph graph = InputGraph();
  AddBiasedConv(&graph, "a", "x", "ya");
  AddBiasedConv(&graph, "b", "x", "yb");
  graph.outputs = {"ya", "yb"};
  REQUIRE(InferShapes(&graph).ok());
  test::UniformSource calibration = Inputs(4, 1);
  const ActivationQuantMap quant = Calibrate(graph, &calibration);
  BiasCorrectionReport report;
  REQUIRE(CorrectBiases(quant, QuantizeOptions(), &calibration, &graph, &report).ok());
  CHECK(report.layers == 2);
  CHECK(report.rounds == 1);

  Graph relu = InputGraph();
  Node node;
  node.name = "relu";
  node.op_type = "Relu";
  node.inputs = {"x"};
  node.outputs = {"y"};
  relu.nodes.push_back(node);
  relu.outputs = {"y"};
  REQUIRE(InferShapes(&relu).ok());
  const ActivationQuantMap relu_quant = Calibrate(relu, &calibration);
  REQUIRE(CorrectBiases(relu_quant, QuantizeOptions(), &calibration, &relu, &report).ok());
  CHECK(report.layers == 0);
  CHECK(report.rounds == 0);
}

}  // namespace
}  // namespace qrt::converter
