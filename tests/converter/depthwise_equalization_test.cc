// Depthwise equalization on a generated 1x1 convolution whose four output channels
// span a 100x range of scales, read by a 3x3 depthwise convolution: the float model
// must compute the same after the pass, the narrow channels must be stretched by the
// factors the header defines (capped at 16), and the int8 model must gain from it.
#include "depthwise_equalization.h"

#include <doctest/doctest.h>

#include "calibrate.h"
#include "converter/ir/fused_clamp.h"
#include "converter/reference/executor.h"
#include "converter/reference/shape_inference.h"
#include "evaluate.h"
#include "generated_graphs.h"
#include "mixed_precision.h"

namespace qrt::converter {
namespace {

constexpr int64_t kC = 4;
constexpr int64_t kSide = 8;
// The 1x1 convolution's diagonal: output channel c is input channel c times this.
constexpr float kChannelScale[kC] = {1.0f, 0.2f, 0.05f, 0.01f};

using test::AddConstant;

// Inputs uniform in [-1, 1); `seed` keeps calibration and evaluation samples apart.
test::UniformSource Inputs(size_t count, unsigned seed) {
  return test::UniformSource({1, kC, kSide, kSide}, -1.0f, 1.0f, count, seed);
}

// x -> 1x1 conv "pointwise" -> y -> 3x3 depthwise conv "depthwise" -> z.
Graph PairGraph() {
  Graph graph;
  graph.opset_version = 13;
  graph.inputs = {"x"};
  graph.GetOrAddTensor("x").shape = {1, kC, kSide, kSide};
  std::vector<float> pointwise(kC * kC, 0.0f);
  for (int64_t c = 0; c < kC; ++c) pointwise[static_cast<size_t>(c * kC + c)] = kChannelScale[c];
  AddConstant(&graph, "pointwise.w", {kC, kC, 1, 1}, pointwise);
  AddConstant(&graph, "pointwise.b", {kC}, {0.01f, -0.002f, 0.0005f, 0.0001f});
  std::vector<float> depthwise(kC * 9);
  // Each channel's weights undo its scale, so that z's channels span similar ranges
  // and only y's single scale limits the narrow ones (as in a network, where the
  // depthwise convolution's batch norm renormalizes its channels).
  for (size_t i = 0; i < depthwise.size(); ++i) {
    depthwise[i] = (0.1f + 0.05f * static_cast<float>(i % 7)) / kChannelScale[i / 9];
  }
  AddConstant(&graph, "depthwise.w", {kC, 1, 3, 3}, depthwise);
  Node pw;
  pw.name = "pointwise";
  pw.op_type = "Conv";
  pw.inputs = {"x", "pointwise.w", "pointwise.b"};
  pw.outputs = {"y"};
  graph.nodes.push_back(std::move(pw));
  Node dw;
  dw.name = "depthwise";
  dw.op_type = "Conv";
  dw.inputs = {"y", "depthwise.w"};
  dw.outputs = {"z"};
  dw.attributes["group"] = kC;
  dw.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  graph.nodes.push_back(std::move(dw));
  graph.outputs = {"z"};
  REQUIRE(InferShapes(&graph).ok());
  return graph;
}

// The float graph's y and z on sample `index` of `source`.
std::map<std::string, TensorData> RunFloat(const Graph& graph, calib::CalibrationSource* source,
                                           size_t index) {
  std::map<std::string, TensorData> inputs;
  REQUIRE(ReadSample(graph, source, index, &inputs).ok());
  std::map<std::string, TensorData> outputs;
  std::map<std::string, TensorData> seen;
  REQUIRE(ReferenceExecutor(graph)
              .Run(inputs, &outputs,
                   [&](const std::string& name, const TensorData& value) {
                     if (name == "y") seen.emplace("y", value);
                   })
              .ok());
  seen.emplace("z", outputs.at("z"));
  return seen;
}

// SQNR of z's narrowest channel (the last) in the int8 model emitted from `graph`
// (calibrated with mse), against the float graph, on held-out inputs. The whole
// tensor's SQNR would hide it: the widest channel dominates its energy.
double NarrowChannelSqnr(const Graph& graph) {
  test::UniformSource calibration = Inputs(8, 1);
  calib::CalibrationMethod method;
  REQUIRE(calib::ParseCalibrationMethod("mse", &method).ok());
  CalibrationResult result;
  REQUIRE(Calibrate(graph, &calibration, method, &result).ok());
  ModelBuilder builder;
  EmitReport report;
  const Emission emission{graph, QuantMapOf(result), {}, {}};
  REQUIRE(emission.Emit(QuantizeOptions(), &builder, &report).ok());
  InMemoryModel model;
  REQUIRE(model.Load(builder.Finish()).ok());
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model.model(), &session).ok());
  test::UniformSource held_out = Inputs(8, 2);
  SqnrMeter meter;
  constexpr size_t kPlane = kSide * kSide;
  for (size_t s = 0; s < held_out.size(); ++s) {
    const auto reference = RunFloat(graph, &held_out, s);
    std::map<std::string, TensorData> inputs;
    REQUIRE(ReadSample(graph, &held_out, s, &inputs).ok());
    const std::span<const float> x = inputs.at("x").values<float>();
    REQUIRE(session->SetInput("x", x.data(), x.size()).ok());
    REQUIRE(session->Run().ok());
    const std::span<const float> z = reference.at("z").values<float>();
    std::vector<float> q(z.size());
    REQUIRE(session->GetOutput("z", q.data(), q.size()).ok());
    meter.Add(z.subspan((kC - 1) * kPlane, kPlane),
              std::span<const float>(q).subspan((kC - 1) * kPlane, kPlane));
  }
  return meter.Db();
}

TEST_CASE("equalization keeps the float model and stretches the narrow channels") {
  const Graph original = PairGraph();
  Graph graph = original;
  test::UniformSource calibration = Inputs(8, 1);
  DepthwiseEqualizationReport report;
  const Status status = EqualizeDepthwiseInputs(&calibration, &graph, &report);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  CHECK(report.pairs == 1);

  test::UniformSource held_out = Inputs(4, 2);
  for (size_t s = 0; s < held_out.size(); ++s) {
    const auto before = RunFloat(original, &held_out, s);
    const auto after = RunFloat(graph, &held_out, s);
    const std::span<const float> z0 = before.at("z").values<float>();
    const std::span<const float> z1 = after.at("z").values<float>();
    REQUIRE(z0.size() == z1.size());
    for (size_t i = 0; i < z0.size(); ++i) CHECK(z1[i] == doctest::Approx(z0[i]).epsilon(1e-5));
    // y's channel c is now k_c times what it was: 1 for the widest, about 5 for the
    // 0.2 channel (the ranges differ a little with the data and the biases), and the
    // cap for the two narrowest.
    const std::span<const float> y0 = before.at("y").values<float>();
    const std::span<const float> y1 = after.at("y").values<float>();
    constexpr size_t kPlane = kSide * kSide;
    for (size_t c = 0; c < kC; ++c) {
      const double k = y1[c * kPlane] / y0[c * kPlane];
      if (c == 0) CHECK(k == doctest::Approx(1));
      if (c == 1) CHECK((k > 4.5 && k < 5.5));
      if (c >= 2) CHECK(k == doctest::Approx(kMaxEqualizationFactor));
      for (size_t i = c * kPlane; i < (c + 1) * kPlane; ++i) {
        CHECK(y1[i] == doctest::Approx(y0[i] * k).epsilon(1e-4));
      }
    }
  }
}

// Calibration inputs whose sample `bad` has a shape the graph does not take.
class MisshapenSource : public calib::CalibrationSource {
 public:
  MisshapenSource(test::UniformSource good, size_t bad) : good_(std::move(good)), bad_(bad) {}
  size_t size() const override { return good_.size(); }
  Status Read(size_t index, std::vector<calib::CalibTensor>* sample) override {
    QRT_RETURN_IF_ERROR(good_.Read(index, sample));
    if (index == bad_) {  // one column fewer: [1, kC, kSide, kSide - 1]
      calib::CalibTensor& x = (*sample)[0];
      x.shape.back() -= 1;
      x.values.resize(x.values.size() / kSide * (kSide - 1));
    }
    return Status::Ok();
  }

 private:
  test::UniformSource good_;
  size_t bad_;
};

TEST_CASE("an error of the float graph on a calibration input names the input") {
  Graph graph = PairGraph();
  MisshapenSource calibration(Inputs(4, 1), 2);
  DepthwiseEqualizationReport report;
  const Status status = EqualizeDepthwiseInputs(&calibration, &graph, &report);
  REQUIRE(!status.ok());
  CHECK(status.message().find("calibration input 2: ") == 0);
}

TEST_CASE("equalization raises the narrow channels' int8 SQNR") {
  Graph graph = PairGraph();
  const double before = NarrowChannelSqnr(graph);
  test::UniformSource calibration = Inputs(8, 1);
  DepthwiseEqualizationReport report;
  REQUIRE(EqualizeDepthwiseInputs(&calibration, &graph, &report).ok());
  const double after = NarrowChannelSqnr(graph);
  MESSAGE("narrowest channel's SQNR " << before << " dB -> " << after << " dB");
  // Its range, 1/100 of the widest, covers about 2.5 int8 steps before and 40 after
  // (9 dB -> 32 dB when written).
  CHECK(after > before + 15);
}

// Runs the pass on `graph` and returns how many pairs it equalized; the graph's
// weights must then be the ones it started with.
int Equalize(Graph* graph) {
  test::UniformSource calibration = Inputs(2, 1);
  DepthwiseEqualizationReport report;
  REQUIRE(EqualizeDepthwiseInputs(&calibration, graph, &report).ok());
  CHECK(graph->nodes[0].inputs[1] == "pointwise.w");
  return report.pairs;
}

TEST_CASE("pairs the tensor's other readers or an activation would see are left alone") {
  Graph graph = PairGraph();
  SUBCASE("the tensor is also a graph output") { graph.outputs.push_back("y"); }
  SUBCASE("the convolution has a fused ReLU6") {
    graph.nodes[0].attributes[kFusedClampMin] = 0.0f;
    graph.nodes[0].attributes[kFusedClampMax] = 6.0f;
  }
  SUBCASE("the reader is a grouped, not depthwise, convolution") {
    graph.nodes[1].attributes["group"] = int64_t{2};
    AddConstant(&graph, "grouped.w", {kC, 2, 3, 3}, std::vector<float>(kC * 2 * 9, 0.1f));
    graph.nodes[1].inputs[1] = "grouped.w";
  }
  const std::string reader_weights = graph.nodes[1].inputs[1];
  CHECK(Equalize(&graph) == 0);
  CHECK(graph.nodes[1].inputs[1] == reader_weights);
}

}  // namespace
}  // namespace qrt::converter
