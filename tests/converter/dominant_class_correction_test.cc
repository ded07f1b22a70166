// The dominant-class correction (converter/tools/dominant_class_correction.h) on a
// generated classifier where int8 favours class 0 by construction: logits are
// (x0, x1, -10) with x1 = x0 + 0.01 on a third of the rows, and a few rows with
// x0 = 20 stretch the input and logit ranges so far that x0 and x1 mostly round to
// the same int8 value; equal probabilities make argmax pick class 0, while float
// picks class 1. Class 0 also wins most rows in float (x0 = x1 + 3), so it is the
// dominant class, and a small negative shift of its bias must win the ambiguous rows
// back without losing the clear ones.
#include "dominant_class_correction.h"

#include <doctest/doctest.h>

#include "calibrate.h"
#include "generated_graphs.h"

namespace qrt::converter {
namespace {

constexpr int64_t kRows = 64;

class RowSource : public calib::CalibrationSource {
 public:
  size_t size() const override { return 4; }
  Status Read(size_t index, std::vector<calib::CalibTensor>* sample) override {
    calib::CalibTensor x{{kRows, 2}, std::vector<float>(kRows * 2)};
    for (int64_t r = 0; r < kRows; ++r) {
      const float base = 1.0f + 0.037f * static_cast<float>(r + static_cast<int64_t>(index));
      float x0 = base + 3, x1 = base;  // clearly class 0
      if (r % 3 == 0) {
        x0 = base;
        x1 = base + 0.01f;  // class 1 by a hair
      }
      if (r % 16 == 1) x0 = 20;
      x.values[static_cast<size_t>(2 * r)] = x0;
      x.values[static_cast<size_t>(2 * r + 1)] = x1;
    }
    *sample = {std::move(x)};
    return Status::Ok();
  }
};

using test::AddConstant;

// x [kRows, 2] -> Gemm (logits x0, x1, -10) -> Softmax when `softmax`.
Graph Classifier(bool softmax) {
  Graph graph;
  graph.opset_version = 13;
  graph.inputs = {"x"};
  graph.GetOrAddTensor("x").shape = {kRows, 2};
  AddConstant(&graph, "w", {2, 3}, {1, 0, 0, 0, 1, 0});
  AddConstant(&graph, "b", {3}, {0, 0, -10});
  Node gemm;
  gemm.name = "gemm";
  gemm.op_type = "Gemm";
  gemm.inputs = {"x", "w", "b"};
  gemm.outputs = {"logits"};
  graph.nodes.push_back(gemm);
  graph.GetOrAddTensor("logits").shape = {kRows, 3};
  graph.outputs = {"logits"};
  if (softmax) {
    Node node;
    node.name = "softmax";
    node.op_type = "Softmax";
    node.inputs = {"logits"};
    node.outputs = {"y"};
    node.attributes["axis"] = int64_t{-1};
    graph.nodes.push_back(node);
    graph.GetOrAddTensor("y").shape = {kRows, 3};
    graph.outputs = {"y"};
  }
  return graph;
}

ActivationQuantMap Quant(const Graph& graph, calib::CalibrationSource* source) {
  CalibrationResult result;
  REQUIRE(Calibrate(graph, source, {calib::MethodKind::kMinMax}, &result).ok());
  return QuantMapOf(result);
}

TEST_CASE("CorrectDominantClass wins back the positions int8 gives to the dominant class") {
  RowSource source;
  Graph graph = Classifier(true);
  const ActivationQuantMap quant = Quant(graph, &source);
  DominantClassReport report;
  REQUIRE(CorrectDominantClass(Classifier(true), quant, {}, &source, &graph, &report).ok());
  REQUIRE(report.applied);
  CHECK(report.node == "gemm");
  CHECK(report.dominant_class == 0);
  CHECK(report.shift < 0);
  CHECK(report.shift >= -4);
  CHECK(report.agreement_before < 0.85);
  CHECK(report.agreement_after > report.agreement_before + 0.15);
  const std::vector<float> bias = graph.FindTensor(graph.nodes[0].inputs[2])->constant->ToFloats();
  CHECK(bias[0] == doctest::Approx(report.shift));
  CHECK(bias[1] == 0);
  CHECK(bias[2] == -10);
}

TEST_CASE("CorrectDominantClass leaves a model without a softmax output alone") {
  RowSource source;
  Graph graph = Classifier(false);
  const ActivationQuantMap quant = Quant(graph, &source);
  DominantClassReport report;
  REQUIRE(CorrectDominantClass(Classifier(false), quant, {}, &source, &graph, &report).ok());
  CHECK_FALSE(report.applied);
  CHECK(graph.nodes[0].inputs[2] == "b");
}

}  // namespace
}  // namespace qrt::converter
