// Quantized emission end to end: small float graphs are calibrated with min/max
// ranges on random inputs, emitted, loaded by the runtime and run on held-out
// inputs; every output must stay close to the float reference (SQNR).
//
// Bounds: int8 activations and weights give each layer about 40 dB of SQNR on
// these well-conditioned graphs, and a few layers in a row lose a few dB each, so
// 25 dB is a bound any correct emission clears while a wrong scale, layout or
// multiplier (which gives about 0 dB) fails it. int4 weights have 16x coarser steps
// (7 levels per side instead of 127: -25 dB of weight noise), so one int4 layer lands
// around 15-20 dB; the int4 bound is 10 dB.
#include "quantize.h"

#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "compact.h"
#include "converter/ir/fused_clamp.h"
#include "converter/passes/passes.h"
#include "converter/reference/executor.h"
#include "converter/reference/shape_inference.h"
#include "multipliers.h"
#include "qrt/qrt.h"
#include "runtime/test_models.h"
#include "weights.h"

namespace qrt::converter {
namespace {

constexpr double kInt8Bound = 25.0;
constexpr double kInt4Bound = 10.0;

class TestGraph {
 public:
  explicit TestGraph(int64_t opset = 13) { graph.opset_version = opset; }

  void Input(const std::string& name, Shape shape) {
    graph.inputs.push_back(name);
    graph.GetOrAddTensor(name).shape = std::move(shape);
  }
  void Output(const std::string& name) { graph.outputs.push_back(name); }

  const std::string& Constant(const std::string& name, TensorData value) {
    Tensor& t = graph.GetOrAddTensor(name);
    t.dtype = value.dtype();
    t.shape = value.shape();
    t.constant = std::move(value);
    return t.name;
  }
  // Gaussian weights with standard deviation `stddev`.
  const std::string& Weights(const std::string& name, Shape shape, double stddev) {
    std::vector<float> values(static_cast<size_t>(NumElements(shape)));
    std::normal_distribution<float> normal(0.0f, static_cast<float>(stddev));
    for (float& v : values) v = normal(rng_);
    return Constant(name, TensorData::FromVector<float>(std::move(shape), values));
  }

  Node& Op(const std::string& name, const std::string& op, std::vector<std::string> inputs,
           const std::string& output) {
    Node n;
    n.name = name;
    n.op_type = op;
    n.inputs = std::move(inputs);
    n.outputs = {output};
    graph.nodes.push_back(std::move(n));
    return graph.nodes.back();
  }

  // Conv with He-initialised weights and a small bias.
  Node& Conv(const std::string& name, const std::string& x, const std::string& y, int64_t in_c,
             int64_t out_c, int64_t k, int64_t group = 1) {
    const int64_t fan_in = in_c / group * k * k;
    Weights(name + ".w", {out_c, in_c / group, k, k}, std::sqrt(2.0 / static_cast<double>(fan_in)));
    Weights(name + ".b", {out_c}, 0.1);
    Node& n = Op(name, "Conv", {x, name + ".w", name + ".b"}, y);
    n.attributes["group"] = group;
    n.attributes["pads"] = std::vector<int64_t>(4, k / 2);
    return n;
  }

  Graph graph;

 private:
  std::mt19937 rng_{7};
};

std::map<std::string, TensorData> RandomInputs(const Graph& g, std::mt19937& rng) {
  std::map<std::string, TensorData> inputs;
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (const std::string& name : g.inputs) {
    TensorData t(DType::kFloat32, g.FindTensor(name)->shape);
    for (float& v : t.values<float>()) v = normal(rng);
    inputs.emplace(name, std::move(t));
  }
  return inputs;
}

// Min/max ranges of every float tensor over `samples` random inputs.
ActivationQuantMap Calibrate(const Graph& g, int samples) {
  std::mt19937 rng(1);
  std::map<std::string, calib::ClipRange> ranges;
  for (int i = 0; i < samples; ++i) {
    std::map<std::string, TensorData> outputs;
    const Status s = ReferenceExecutor(g).Run(
        RandomInputs(g, rng), &outputs, [&](const std::string& name, const TensorData& value) {
          if (value.dtype() != DType::kFloat32) return;
          auto [it, fresh] = ranges.try_emplace(name, calib::ClipRange{1e30, -1e30});
          for (float v : value.values<float>()) {
            it->second.alpha = std::min<double>(it->second.alpha, v);
            it->second.beta = std::max<double>(it->second.beta, v);
          }
        });
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }
  ActivationQuantMap quant;
  for (const auto& [name, range] : ranges) {
    quant[name] = calib::ChooseActivationQuant(range, calib::FusedActivation::kNone);
  }
  return quant;
}

struct Outcome {
  Status status;
  std::map<std::string, double> sqnr_db;  // per graph output
  size_t file_bytes = 0;
  EmitReport report;
};

Outcome Emit(const Graph& g, const ActivationQuantMap& quant, const QuantizeOptions& options,
             ModelBuilder* builder) {
  Outcome outcome;
  outcome.status = EmitQuantizedModel(g, quant, options, builder, &outcome.report);
  return outcome;
}

// Calibrates, emits, runs the runtime on held-out inputs and measures each output's
// SQNR against the float reference.
Outcome Evaluate(TestGraph& t, const QuantizeOptions& options = {}) {
  REQUIRE(InferShapes(&t.graph).ok());
  const Graph& g = t.graph;
  ModelBuilder builder;
  Outcome outcome = Emit(g, Calibrate(g, 16), options, &builder);
  if (!outcome.status.ok()) return outcome;

  const std::vector<uint8_t> bytes = builder.Finish();
  outcome.file_bytes = bytes.size();
  const test::AlignedBytes aligned(bytes);
  std::shared_ptr<const Model> model;
  Status s = Model::LoadBuffer(aligned.data(), aligned.size(), &model);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model, &session).ok());

  std::map<std::string, double> signal, noise;
  std::mt19937 rng(2);
  for (int sample = 0; sample < 8; ++sample) {
    const std::map<std::string, TensorData> inputs = RandomInputs(g, rng);
    std::map<std::string, TensorData> expected;
    REQUIRE(ReferenceExecutor(g).Run(inputs, &expected).ok());
    for (const auto& [name, value] : inputs) {
      const std::span<const float> v = value.values<float>();
      s = session->SetInput(name, v.data(), v.size());
      REQUIRE_MESSAGE(s.ok(), s.ToString());
    }
    s = session->Run();
    REQUIRE_MESSAGE(s.ok(), s.ToString());
    for (const std::string& name : g.outputs) {
      const std::vector<float> want = expected.at(name).ToFloats();
      std::vector<float> got(want.size());
      s = session->GetOutput(name, got.data(), got.size());
      REQUIRE_MESSAGE(s.ok(), s.ToString());
      for (size_t i = 0; i < want.size(); ++i) {
        signal[name] += double{want[i]} * want[i];
        noise[name] += (double{want[i]} - got[i]) * (double{want[i]} - got[i]);
      }
    }
  }
  for (const auto& [name, sig] : signal) {
    outcome.sqnr_db[name] = noise[name] == 0 ? 200.0 : 10 * std::log10(sig / noise[name]);
    MESSAGE("output '", name, "': SQNR ", outcome.sqnr_db[name], " dB");
  }
  return outcome;
}

void CheckSqnr(const Outcome& outcome, double bound) {
  REQUIRE_MESSAGE(outcome.status.ok(), outcome.status.ToString());
  REQUIRE(!outcome.sqnr_db.empty());
  for (const auto& [name, db] : outcome.sqnr_db) {
    CAPTURE(name);
    CHECK(db >= bound);
  }
}

std::vector<std::string> EmittedOps(const Outcome& outcome, const std::string& node) {
  for (const NodeReport& r : outcome.report.nodes) {
    if (r.node == node) return r.operators;
  }
  return {};
}

TEST_CASE("conv + relu, strided conv with a fused relu6") {
  TestGraph t;
  t.Input("x", {1, 3, 16, 16});
  t.Conv("conv1", "x", "c1", 3, 8, 3);
  t.Op("relu", "Relu", {"c1"}, "r1");
  Node& conv2 = t.Conv("conv2", "r1", "y", 8, 16, 3);
  conv2.attributes["strides"] = std::vector<int64_t>{2, 2};
  conv2.attributes["pads"] = std::vector<int64_t>{0, 1, 1, 0};
  SetFusedClamp(conv2, {0, 6});
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "relu") == std::vector<std::string>{"LOOKUP"});
  CHECK(EmittedOps(outcome, "conv2") == std::vector<std::string>{"CONV_2D"});
  CHECK(EmittedOps(outcome, "input 'x'") == std::vector<std::string>{"QUANTIZE", "TRANSPOSE"});
  CHECK(EmittedOps(outcome, "output 'y'") == std::vector<std::string>{"TRANSPOSE", "DEQUANTIZE"});
}

TEST_CASE("depthwise conv with dilation and SAME_UPPER padding") {
  TestGraph t;
  t.Input("x", {2, 8, 12, 12});
  Node& dw = t.Conv("dw", "x", "d", 8, 16, 3, 8);  // channel multiplier 2
  dw.attributes.erase("pads");
  dw.attributes["auto_pad"] = std::string("SAME_UPPER");
  dw.attributes["dilations"] = std::vector<int64_t>{2, 2};
  SetFusedClamp(dw, {0, std::numeric_limits<float>::infinity()});
  t.Conv("pw", "d", "y", 16, 8, 1);
  t.Output("y");
  CheckSqnr(Evaluate(t), kInt8Bound);
}

TEST_CASE("conv with batch-norm-folded weights and bias") {
  // Folding scales each output channel by gamma / sigma, spreading channel ranges over
  // three decades, and moves the mean into a large bias: per-channel weight scales
  // keep every channel accurate.
  TestGraph t;
  t.Input("x", {1, 4, 10, 10});
  t.Conv("conv", "x", "y", 4, 6, 3);
  TensorData& w = *t.graph.FindTensor("conv.w")->constant;
  TensorData& b = *t.graph.FindTensor("conv.b")->constant;
  const float gains[] = {0.01f, 0.1f, 1.0f, 3.0f, 10.0f, 0.5f};
  const std::span<float> wv = w.values<float>();
  for (size_t i = 0; i < wv.size(); ++i) wv[i] *= gains[i / (wv.size() / 6)];
  for (size_t c = 0; c < 6; ++c) b.values<float>()[c] = 2.0f * gains[c] - 1.0f;
  t.Output("y");
  CheckSqnr(Evaluate(t), kInt8Bound);
}

TEST_CASE("a channel with all but zero weights keeps its bias") {
  // Trained-away channels of PP-OCRv4's detector: max |w| near 1e-34 and a bias. At
  // the weights' own scale the bias would be far beyond int32.
  TestGraph t;
  t.Input("x", {1, 4, 6, 6});
  t.Conv("conv", "x", "y", 4, 3, 1);
  TensorData& w = *t.graph.FindTensor("conv.w")->constant;
  for (size_t i = 0; i < 4; ++i) w.values<float>()[4 + i] = 1e-34f * static_cast<float>(i + 1);
  t.graph.FindTensor("conv.b")->constant->values<float>()[1] = 0.5f;
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  for (const NodeReport& r : outcome.report.nodes) CHECK(r.saturated_bias == 0);
}

TEST_CASE("residual block: conv, conv, add with a fused relu") {
  TestGraph t;
  t.Input("x", {1, 8, 8, 8});
  SetFusedClamp(t.Conv("conv1", "x", "c1", 8, 8, 3), {0, std::numeric_limits<float>::infinity()});
  t.Conv("conv2", "c1", "c2", 8, 8, 3);
  SetFusedClamp(t.Op("add", "Add", {"c2", "x"}, "y"), {0, std::numeric_limits<float>::infinity()});
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "add") == std::vector<std::string>{"ADD"});
}

TEST_CASE("squeeze-excite block: GAP, 1x1 convs, HardSigmoid, broadcast Mul") {
  TestGraph t;
  t.Input("x", {1, 8, 8, 8});
  t.Op("gap", "GlobalAveragePool", {"x"}, "g");
  SetFusedClamp(t.Conv("fc1", "g", "f1", 8, 4, 1), {0, std::numeric_limits<float>::infinity()});
  t.Conv("fc2", "f1", "f2", 4, 8, 1);
  t.Op("hsig", "HardSigmoid", {"f2"}, "s").attributes["alpha"] = 1.0f / 6;
  t.Op("scale", "Mul", {"x", "s"}, "y");
  // The same gate as a rank-3 [8, 1, 1] operand, broadcast against NCHW.
  t.Constant("shape", TensorData::FromVector<int64_t>({3}, {8, 1, 1}));
  t.Op("reshape", "Reshape", {"s", "shape"}, "s3");
  t.Op("scale3", "Mul", {"s3", "x"}, "z");
  t.Output("y");
  t.Output("z");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "gap") == std::vector<std::string>{"GLOBAL_AVERAGE_POOL"});
  CHECK(EmittedOps(outcome, "hsig") == std::vector<std::string>{"LOOKUP"});
  CHECK(EmittedOps(outcome, "scale") == std::vector<std::string>{"MUL"});
}

TEST_CASE("concat of differently scaled branches along channels") {
  TestGraph t;
  t.Input("x", {1, 4, 6, 6});
  t.Conv("a", "x", "ya", 4, 3, 3);
  t.Conv("b", "x", "yb", 4, 5, 1);
  t.Op("scale", "Mul", {"yb", "ten"}, "yb10");
  t.Constant("ten", TensorData::FromVector<float>({}, {10.0f}));
  t.Op("concat", "Concat", {"ya", "yb10", "x"}, "y").attributes["axis"] = int64_t{1};
  t.Output("y");
  CheckSqnr(Evaluate(t), kInt8Bound);
}

TEST_CASE("flatten + gemm + softmax, matmul") {
  TestGraph t;
  t.Input("x", {2, 4, 5, 5});
  t.Conv("conv", "x", "c", 4, 6, 3);
  t.Op("flatten", "Flatten", {"c"}, "f");
  t.Weights("fc.w", {10, 150}, 0.08);
  t.Weights("fc.b", {10}, 0.5);
  Node& gemm = t.Op("fc", "Gemm", {"f", "fc.w", "fc.b"}, "logits");
  gemm.attributes["transB"] = int64_t{1};
  t.Op("softmax", "Softmax", {"logits"}, "p");
  t.Weights("mm.w", {10, 7}, 0.3);
  t.Op("mm", "MatMul", {"logits", "mm.w"}, "m");
  t.Output("p");
  t.Output("m");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "flatten") == std::vector<std::string>{"TRANSPOSE", "RESHAPE"});
  CHECK(EmittedOps(outcome, "fc") == std::vector<std::string>{"FULLY_CONNECTED"});
}

TEST_CASE("softmax over NCHW channels is the runtime's last axis") {
  TestGraph t;
  t.Input("x", {1, 6, 4, 4});
  t.Conv("conv", "x", "c", 6, 10, 1);
  t.Op("softmax", "Softmax", {"c"}, "y").attributes["axis"] = int64_t{1};
  t.Output("y");
  CheckSqnr(Evaluate(t), kInt8Bound);
}

TEST_CASE("layer norm and an attention block: LAYER_NORM, SLICE, BATCH_MATMUL, SOFTMAX") {
  // SVTR's block as PaddlePaddle exports it (opset 9): tokens [1, 6, 12], 2 heads of 6.
  TestGraph t(9);
  t.Input("x", {1, 6, 12});
  t.Weights("ln.g", {12}, 0.5);
  t.Weights("ln.b", {12}, 0.3);
  t.Op("ln", "LayerNormalization", {"x", "ln.g", "ln.b"}, "n").attributes["epsilon"] = 1e-5f;
  t.Weights("qkv.w", {12, 36}, 0.3);
  t.Op("qkv", "MatMul", {"n", "qkv.w"}, "qkv");
  t.Constant("split", TensorData::FromVector<int64_t>({5}, {1, 6, 3, 2, 6}));
  t.Op("split", "Reshape", {"qkv", "split"}, "s5");
  t.Op("heads", "Transpose", {"s5"}, "h").attributes["perm"] = std::vector<int64_t>{2, 0, 3, 1, 4};
  for (int64_t i = 0; i < 3; ++i) {
    const std::string part = "p" + std::to_string(i);
    Node& slice = t.Op("slice" + std::to_string(i), "Slice", {"h"}, part + "_5d");
    slice.attributes["axes"] = std::vector<int64_t>{0};
    slice.attributes["starts"] = std::vector<int64_t>{i};
    slice.attributes["ends"] = std::vector<int64_t>{i + 1};
    t.Op("squeeze" + std::to_string(i), "Squeeze", {part + "_5d"}, part).attributes["axes"] =
        std::vector<int64_t>{0};
  }
  t.Constant("scale", TensorData::FromVector<float>({}, {0.4f}));
  t.Op("q_scale", "Mul", {"p0", "scale"}, "q");
  t.Op("k_t", "Transpose", {"p1"}, "kt").attributes["perm"] = std::vector<int64_t>{0, 1, 3, 2};
  t.Op("qk", "MatMul", {"q", "kt"}, "logits");
  t.Op("softmax", "Softmax", {"logits"}, "attn").attributes["axis"] = int64_t{3};
  t.Op("av", "MatMul", {"attn", "p2"}, "ctx");
  t.Op("merge", "Transpose", {"ctx"}, "ctx_t").attributes["perm"] =
      std::vector<int64_t>{0, 2, 1, 3};
  t.Constant("tokens", TensorData::FromVector<int64_t>({3}, {1, 6, 12}));
  t.Op("reshape", "Reshape", {"ctx_t", "tokens"}, "y0");
  t.Op("swish", "Swish", {"y0"}, "y");
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "ln") == std::vector<std::string>{"LAYER_NORM"});
  CHECK(EmittedOps(outcome, "slice1") == std::vector<std::string>{"SLICE"});
  // Attention's 4-D tensors stay in ONNX order: no layout transposes around them.
  CHECK(EmittedOps(outcome, "squeeze1") == std::vector<std::string>{"RESHAPE"});
  CHECK(EmittedOps(outcome, "k_t") == std::vector<std::string>{"TRANSPOSE"});
  CHECK(EmittedOps(outcome, "qk") == std::vector<std::string>{"BATCH_MATMUL"});
  CHECK(EmittedOps(outcome, "softmax") == std::vector<std::string>{"SOFTMAX"});
  CHECK(EmittedOps(outcome, "av") == std::vector<std::string>{"BATCH_MATMUL"});
  CHECK(EmittedOps(outcome, "reshape") == std::vector<std::string>{"RESHAPE"});
  CHECK(EmittedOps(outcome, "swish") == std::vector<std::string>{"LOOKUP"});
}

TEST_CASE("max pool and average pool in ceil mode, global average pool") {
  TestGraph t;
  t.Input("x", {1, 4, 12, 12});
  t.Conv("conv", "x", "c", 4, 8, 3);
  Node& max = t.Op("maxpool", "MaxPool", {"c"}, "m");
  max.attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  max.attributes["strides"] = std::vector<int64_t>{2, 2};
  max.attributes["ceil_mode"] = int64_t{1};
  Node& avg = t.Op("avgpool", "AveragePool", {"m"}, "a");
  avg.attributes["kernel_shape"] = std::vector<int64_t>{3, 3};
  avg.attributes["strides"] = std::vector<int64_t>{2, 2};
  avg.attributes["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  avg.attributes["ceil_mode"] = int64_t{1};
  avg.attributes["count_include_pad"] = int64_t{1};
  Node& avg2 = t.Op("avgpool2", "AveragePool", {"m"}, "a2");
  avg2.attributes["kernel_shape"] = std::vector<int64_t>{2, 2};
  avg2.attributes["pads"] = std::vector<int64_t>{1, 0, 0, 1};
  t.Op("gap", "GlobalAveragePool", {"a"}, "y");
  t.Output("y");
  t.Output("a");
  t.Output("a2");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "avgpool") == std::vector<std::string>{"PAD", "AVERAGE_POOL_2D"});
}

TEST_CASE("resize nearest by scales and sizes, pad and transpose") {
  TestGraph t;
  t.Input("x", {1, 3, 5, 7});
  t.Constant("roi", TensorData(DType::kFloat32, {0}));
  t.Constant("scales", TensorData::FromVector<float>({4}, {1, 1, 2, 2}));
  Node& up = t.Op("up", "Resize", {"x", "roi", "scales"}, "u");
  up.attributes["coordinate_transformation_mode"] = std::string("asymmetric");
  up.attributes["nearest_mode"] = std::string("floor");
  t.Constant("sizes", TensorData::FromVector<int64_t>({4}, {1, 3, 7, 4}));
  t.Op("down", "Resize", {"u", "", "", "sizes"}, "d");
  t.Constant("pads", TensorData::FromVector<int64_t>({8}, {0, 0, 1, 2, 0, 0, 2, 1}));
  t.Op("pad", "Pad", {"d", "pads"}, "p");
  t.Op("transpose", "Transpose", {"p"}, "y").attributes["perm"] = std::vector<int64_t>{0, 2, 3, 1};
  t.Output("u");
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "up") == std::vector<std::string>{"RESIZE_NEAREST"});
}

TEST_CASE("transposed convolutions: DBNet's 2x2 / stride 2 upsampling and a cropped one") {
  TestGraph t;
  t.Input("x", {1, 8, 6, 6});
  // ONNX ConvTranspose weights are [C_in, C_out, KH, KW]; 8 -> 6 channels, then 6 -> 1.
  t.Weights("up1.w", {8, 6, 2, 2}, 0.5);
  t.Weights("up1.b", {6}, 0.1);
  Node& up1 = t.Op("up1", "ConvTranspose", {"x", "up1.w", "up1.b"}, "u1");
  up1.attributes["strides"] = std::vector<int64_t>{2, 2};
  SetFusedClamp(up1, {0, std::numeric_limits<float>::infinity()});
  t.Weights("up2.w", {6, 1, 3, 3}, 0.5);
  Node& up2 = t.Op("up2", "ConvTranspose", {"u1", "up2.w"}, "u2");
  up2.attributes["strides"] = std::vector<int64_t>{2, 2};
  up2.attributes["pads"] = std::vector<int64_t>{1, 0, 0, 1};
  up2.attributes["output_padding"] = std::vector<int64_t>{1, 1};
  t.Op("sigmoid", "Sigmoid", {"u2"}, "y");
  t.Output("y");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "up1") == std::vector<std::string>{"CONV_TRANSPOSE_2D"});
  CHECK(EmittedOps(outcome, "up2") == std::vector<std::string>{"CONV_TRANSPOSE_2D"});
}

TEST_CASE("pointwise ops and scalar constants become lookup tables") {
  TestGraph t;
  t.Input("x", {3, 16});
  t.Constant("half", TensorData::FromVector<float>({1}, {0.5f}));
  t.Op("sig", "Sigmoid", {"x"}, "s");
  t.Op("sub", "Sub", {"half", "s"}, "d");
  t.Op("tanh", "Tanh", {"d"}, "h");
  t.Op("gelu", "Gelu", {"x"}, "g");
  t.Op("lrelu", "LeakyRelu", {"x"}, "l").attributes["alpha"] = 0.1f;
  t.Op("hswish", "HardSwish", {"x"}, "w");
  t.Output("h");
  t.Output("g");
  t.Output("l");
  t.Output("w");
  const Outcome outcome = Evaluate(t);
  CheckSqnr(outcome, kInt8Bound);
  CHECK(EmittedOps(outcome, "sub") == std::vector<std::string>{"LOOKUP"});
}

// The LOOKUPs of an emitted graph: how many carry hard activation parameters and
// how many a table.
std::pair<int, int> HardAndTableLookups(const Graph& g) {
  ModelBuilder builder;
  REQUIRE(Emit(g, Calibrate(g, 8), {}, &builder).status.ok());
  const std::vector<uint8_t> bytes = builder.Finish();
  int hard = 0, tables = 0;
  for (const schema::Operator* op : *schema::GetModel(bytes.data())->operators()) {
    const auto* lookup = op->options_as_LookupOptions();
    if (lookup == nullptr) continue;
    CHECK((lookup->table() == nullptr) == (lookup->hard() != nullptr));
    hard += lookup->hard() != nullptr ? 1 : 0;
    tables += lookup->table() != nullptr ? 1 : 0;
  }
  return {hard, tables};
}

TEST_CASE("HardSwish and HardSigmoid become LOOKUPs given by parameters, a chain a table") {
  TestGraph t;
  t.Input("x", {2, 32});
  t.Op("hswish", "HardSwish", {"x"}, "h");
  t.Op("hsig", "HardSigmoid", {"h"}, "y");
  t.Output("y");
  REQUIRE(InferShapes(&t.graph).ok());
  CHECK(HardAndTableLookups(t.graph) == std::pair<int, int>{2, 0});
  CheckSqnr(Evaluate(t), kInt8Bound);

  TestGraph chain;
  chain.Input("x", {2, 32});
  chain.Constant("scale", TensorData::FromVector<float>({}, {0.8f}));
  chain.Op("hswish", "HardSwish", {"x"}, "h");
  chain.Op("mul", "Mul", {"h", "scale"}, "y");
  chain.Output("y");
  REQUIRE(InferShapes(&chain.graph).ok());
  bool changed = false;
  REQUIRE(FusePointwiseChains(&chain.graph, &changed).ok());
  REQUIRE(chain.graph.nodes.size() == 1);
  CHECK(HardAndTableLookups(chain.graph) == std::pair<int, int>{0, 1});
}

TEST_CASE("a fused pointwise chain is one LOOKUP and rounds once") {
  // HardSwish then PP-LCNetV3's learnable scale and shift.
  auto make = [] {
    TestGraph t;
    t.Input("x", {4, 64});
    t.Constant("scale", TensorData::FromVector<float>({}, {0.8f}));
    t.Constant("shift", TensorData::FromVector<float>({}, {-0.1f}));
    t.Op("hswish", "HardSwish", {"x"}, "h");
    t.Op("mul", "Mul", {"h", "scale"}, "m");
    t.Op("add", "Add", {"m", "shift"}, "y");
    t.Output("y");
    return t;
  };
  TestGraph separate = make();
  const Outcome unfused = Evaluate(separate);
  CheckSqnr(unfused, kInt8Bound);
  TestGraph chained = make();
  REQUIRE(InferShapes(&chained.graph).ok());
  bool changed = false;
  REQUIRE(FusePointwiseChains(&chained.graph, &changed).ok());
  CHECK(changed);
  REQUIRE(chained.graph.nodes.size() == 1);
  const Outcome fused = Evaluate(chained);
  CheckSqnr(fused, kInt8Bound);
  CHECK(EmittedOps(fused, "add") == std::vector<std::string>{"LOOKUP"});
  CHECK(fused.sqnr_db.at("y") > unfused.sqnr_db.at("y"));
}

TEST_CASE("int4 weights: smaller file, lower but bounded SQNR, int8 where kept") {
  auto make = [] {
    TestGraph t;
    t.Input("x", {1, 16, 8, 8});
    SetFusedClamp(t.Conv("conv1", "x", "c1", 16, 32, 3),
                  {0, std::numeric_limits<float>::infinity()});
    t.Conv("conv2", "c1", "y", 32, 32, 3);
    t.Output("y");
    return t;
  };
  TestGraph t8 = make();
  const Outcome int8 = Evaluate(t8);
  CheckSqnr(int8, kInt8Bound);

  TestGraph t4 = make();
  const Outcome int4 = Evaluate(t4, {WeightBits::kInt4, {}});
  CheckSqnr(int4, kInt4Bound);
  CHECK(int4.file_bytes < int8.file_bytes * 2 / 3);

  TestGraph mixed = make();
  const Outcome partial = Evaluate(mixed, {WeightBits::kInt4, {"conv2"}});
  CheckSqnr(partial, kInt4Bound);
  CHECK(partial.sqnr_db.at("y") > int4.sqnr_db.at("y"));
  for (const NodeReport& r : partial.report.nodes) {
    if (r.node == "conv1") CHECK(r.weight_bits == 4);
    if (r.node == "conv2") CHECK(r.weight_bits == 8);
  }
}

TEST_CASE("int4 weight scales: MSE-optimal clipping beats max-abs on heavy tails") {
  // Long rows of Gaussian weights (a 3x3 conv over 128 channels), each with one
  // 6-sigma outlier: max-abs spends the 7 positive levels on the outlier, the
  // clipped scale on the 1151 others.
  constexpr int64_t kRows = 16;
  constexpr size_t kK = 1152;
  std::mt19937_64 engine(11);
  std::normal_distribution<float> normal(0.0f, 0.05f);
  std::vector<float> weights(kRows * kK);
  for (float& w : weights) w = normal(engine);
  for (int64_t r = 0; r < kRows; ++r) weights[static_cast<size_t>(r) * kK + 7] = 0.3f;
  const auto sqnr_db = [&](const QuantizedWeights& q) {
    double signal = 0, noise = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      const double x = weights[i];
      const double e = x - q.values[i] * double{q.scales[i / kK]};
      signal += x * x;
      noise += e * e;
    }
    return 10 * std::log10(signal / noise);
  };
  const QuantizedWeights clipped = QuantizePerChannel(weights, kRows, WeightBits::kInt4);
  QuantizedWeights max_abs = clipped;
  for (int64_t r = 0; r < kRows; ++r) {
    float m = 0;
    for (size_t i = 0; i < kK; ++i) m = std::max(m, std::abs(weights[r * kK + i]));
    max_abs.scales[static_cast<size_t>(r)] = m / 7;
    for (size_t i = 0; i < kK; ++i) {
      max_abs.values[r * kK + i] = static_cast<int8_t>(
          std::clamp(std::nearbyint(weights[r * kK + i] / (m / 7)), -7.0f, 7.0f));
    }
  }
  CAPTURE(sqnr_db(max_abs));
  CAPTURE(sqnr_db(clipped));
  CHECK(sqnr_db(clipped) > sqnr_db(max_abs) + 3.0);
  for (const int8_t q : clipped.values) CHECK((q >= -7 && q <= 7));
  // int8 keeps max-abs: its outlier stays exact and the bulk still has fine steps.
  const QuantizedWeights int8 = QuantizePerChannel(weights, kRows, WeightBits::kInt8);
  CHECK(int8.scales[0] == doctest::Approx(0.3f / 127));
  CHECK(int8.values[7] == 127);
}

// Runs `bytes` on fixed inputs and returns the dequantized outputs, for bit-exact
// comparisons (equal int8 outputs dequantize to equal floats).
std::vector<std::vector<float>> RunInt8(const Graph& g, const std::vector<uint8_t>& bytes) {
  const test::AlignedBytes aligned(bytes);
  std::shared_ptr<const Model> model;
  Status s = Model::LoadBuffer(aligned.data(), aligned.size(), &model);
  REQUIRE_MESSAGE(s.ok(), s.ToString());
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model, &session).ok());
  std::mt19937 rng(5);
  std::vector<std::vector<float>> results;
  for (int sample = 0; sample < 3; ++sample) {
    for (const auto& [name, value] : RandomInputs(g, rng)) {
      const std::span<const float> v = value.values<float>();
      REQUIRE(session->SetInput(name, v.data(), v.size()).ok());
    }
    REQUIRE(session->Run().ok());
    for (const TensorInfo& out : model->outputs()) {
      std::vector<float> values(out.element_count);
      REQUIRE(session->GetOutput(out.name, values.data(), values.size()).ok());
      results.push_back(std::move(values));
    }
  }
  return results;
}

TEST_CASE("compaction: no weight scales or internal names unless asked, same results") {
  TestGraph t;
  t.Input("x", {1, 8, 6, 6});
  t.Conv("conv1", "x", "c1", 8, 16, 3);
  t.Op("sigmoid", "Sigmoid", {"c1"}, "h1");
  t.Conv("dw", "h1", "c2", 16, 16, 3, 16);
  t.Op("sigmoid2", "Sigmoid", {"c2"}, "y");
  t.Output("y");
  REQUIRE(InferShapes(&t.graph).ok());
  const Graph& g = t.graph;
  ActivationQuantMap quant = Calibrate(g, 8);
  // Same quantization before and after both Sigmoids: identical lookup tables.
  quant["c2"] = quant["c1"];
  quant["y"] = quant["h1"];

  ModelBuilder full;
  REQUIRE(Emit(g, quant, {}, &full).status.ok());
  const std::vector<uint8_t> full_bytes = full.Finish();

  ModelBuilder compact;
  REQUIRE(Emit(g, quant, {}, &compact).status.ok());
  CompactModel(CompactOptions{}, &compact);
  const std::vector<uint8_t> compact_bytes = compact.Finish();
  CHECK(compact_bytes.size() < full_bytes.size());
  CHECK(RunInt8(g, compact_bytes) == RunInt8(g, full_bytes));

  const schema::Model& model = *schema::GetModel(compact_bytes.data());
  CHECK(model.schema_version() == schema::kSchemaVersion);
  std::vector<const flatbuffers::Vector<int8_t>*> tables;
  for (const schema::Operator* op : *model.operators()) {
    CHECK(op->name() == nullptr);
    if (const auto* lookup = op->options_as_LookupOptions()) tables.push_back(lookup->table());
    // Multipliers rounded to 16 bits are written as mantissas (schema version 3).
    if (const auto* conv = op->options_as_Conv2DOptions()) {
      CHECK(conv->requant()->multiplier() == nullptr);
      CHECK(conv->requant()->mantissa() != nullptr);
      // 16 shifts take fewer bytes packed (schema version 4).
      CHECK(conv->requant()->shift() == nullptr);
      CHECK(conv->requant()->packed_shift() != nullptr);
    }
  }
  // The two identical tables are one vector in the file.
  REQUIRE(tables.size() == 2);
  CHECK(tables[0] == tables[1]);
  for (uint32_t i = 0; i < model.tensors()->size(); ++i) {
    const schema::Tensor& tensor = *model.tensors()->Get(i);
    const bool io =
        std::count(model.inputs()->begin(), model.inputs()->end(), static_cast<int32_t>(i)) +
            std::count(model.outputs()->begin(), model.outputs()->end(), static_cast<int32_t>(i)) >
        0;
    CHECK((tensor.name() != nullptr) == io);
    if (tensor.buffer() != 0) {
      CHECK(tensor.quantization() == nullptr);
      // Weights and int32 on 4 bytes, int16 on 2, packed int32 anywhere.
      const auto* data = model.buffers()->Get(tensor.buffer())->data();
      const auto offset = static_cast<size_t>(data->data() - compact_bytes.data());
      CHECK(offset % BufferAlignment(tensor.type()) == 0);
    }
  }

  ModelBuilder kept;
  REQUIRE(Emit(g, quant, {}, &kept).status.ok());
  CompactModel(CompactOptions{.keep_weight_scales = true, .keep_names = true}, &kept);
  const std::vector<uint8_t> kept_bytes = kept.Finish();
  CHECK(kept_bytes.size() > compact_bytes.size());
  CHECK(RunInt8(g, kept_bytes) == RunInt8(g, full_bytes));
  const schema::Model& with_scales = *schema::GetModel(kept_bytes.data());
  int scaled = 0;
  for (const schema::Tensor* tensor : *with_scales.tensors()) {
    CHECK(tensor->name() != nullptr);
    if (tensor->type() == schema::ElementType::INT8 && tensor->buffer() != 0) {
      REQUIRE(tensor->quantization() != nullptr);
      CHECK(tensor->quantization()->scale()->size() ==
            static_cast<uint32_t>(tensor->shape()->Get(0)));
      ++scaled;
    }
  }
  CHECK(scaled == 2);
}

TEST_CASE("multipliers are rounded to 16-bit mantissas within 2^-16") {
  Node node;
  node.name = "n";
  node.op_type = "Conv";
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> exponent(-30, 10);
  for (int i = 0; i < 1000; ++i) {
    const double real = std::exp2(exponent(rng));
    kernels::Dyadic d{};
    REQUIRE(ToDyadic(real, node, "m", &d).ok());
    CHECK(d.multiplier % (1 << schema::kMantissaShift) == 0);
    CHECK(d.multiplier >= 1 << 30);
    CHECK(std::abs(std::ldexp(d.multiplier, -d.shift) / real - 1) <= std::exp2(-16));
  }
  // Just below a power of two the mantissa rounds up to 2^16: renormalized.
  kernels::Dyadic d{};
  REQUIRE(ToDyadic(0.5 * (1 - std::exp2(-20)), node, "m", &d).ok());
  CHECK(d.multiplier == 1 << 30);
  CHECK(d.shift == 31);
  // A multiplier that rounds up to 2^30 cannot be represented.
  CHECK(ToDyadic(std::exp2(30) * (1 - std::exp2(-20)), node, "m", &d).code() ==
        StatusCode::kBadRequantization);
}

TEST_CASE("compaction: constants with identical bytes share one buffer") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 0);
  const std::vector<int8_t> w(16, 3);
  const int32_t w1 = b.AddInt8Weights("w1", {4, 4}, w, std::vector<float>(4, 0.01f));
  const int32_t w2 = b.AddInt8Weights("w2", {4, 4}, w, std::vector<float>(4, 0.01f));
  const int32_t bias1 = b.AddBias("b1", {0, 0, 0, 0});
  const int32_t bias2 = b.AddBias("b2", {0, 0, 0, 0});
  const int32_t y1 = b.AddActivation("y1", {1, 4}, 0.1f, 0);
  const int32_t y2 = b.AddActivation("y2", {1, 4}, 0.1f, 0);
  const std::vector<kernels::Dyadic> m(4, kernels::Dyadic{1 << 30, 31});
  b.FullyConnected(x, w1, bias1, y1, m);
  b.FullyConnected(y1, w2, bias2, y2, m);
  b.SetInputs({x});
  b.SetOutputs({y2});
  REQUIRE(b.model().buffers.size() == 5);
  CompactModel(CompactOptions{}, &b);
  // The sentinel, one int8 weight buffer and one (int16) bias buffer.
  CHECK(b.model().buffers.size() == 3);
  CHECK(b.model().tensors[w1]->buffer == b.model().tensors[w2]->buffer);
  CHECK(b.model().tensors[bias1]->buffer == b.model().tensors[bias2]->buffer);
  CHECK(b.model().tensors[w1]->buffer != b.model().tensors[bias1]->buffer);
  const std::vector<uint8_t> bytes = b.Finish();
  const test::AlignedBytes aligned(bytes);
  std::shared_ptr<const Model> model;
  const Status s = Model::LoadBuffer(aligned.data(), aligned.size(), &model);
  CHECK_MESSAGE(s.ok(), s.ToString());
}

TEST_CASE("compaction: int32 and int16 constants are packed only where that is smaller") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 0);
  const int32_t w =
      b.AddInt8Weights("w", {4, 4}, std::vector<int8_t>(16, 3), std::vector<float>(4, 0.01f));
  // int16 values 3 apart: 2-bit deltas, 6 bytes instead of 8.
  const int32_t narrow = b.AddBias("narrow", {1000, 1003, 1001, 1002});
  // int32 values spanning 140,000: 18-bit deltas, 14 bytes instead of 16.
  const int32_t wide = b.AddBias("wide", {0, 70000, -70000, 5});
  // int16 values spanning 60,000: 16-bit deltas, 13 bytes packed against 8.
  const int32_t spread = b.AddBias("spread", {-30000, 30000, 0, 1});
  // Would pack, but its buffer is also read as int8: the bytes must stay.
  const int32_t shared = b.AddBias("shared", {1000, 1001, 1000, 1001});
  b.AddTensor("alias", {8}, schema::ElementType::INT8, b.model().tensors[shared]->buffer, nullptr);
  const std::vector<kernels::Dyadic> m(4, kernels::Dyadic{1 << 30, 31});
  int32_t in = x;
  for (const int32_t bias : {narrow, wide, spread, shared}) {
    const int32_t out = b.AddActivation("y" + std::to_string(bias), {1, 4}, 0.1f, 0);
    b.FullyConnected(in, w, bias, out, m);
    in = out;
  }
  b.SetInputs({x});
  b.SetOutputs({in});
  REQUIRE(b.model().tensors[wide]->type == schema::ElementType::INT32);
  CompactModel(CompactOptions{}, &b);
  const auto& tensors = b.model().tensors;
  const auto data = [&](int32_t t) { return b.model().buffers[tensors[t]->buffer]->data; };
  CHECK(tensors[narrow]->type == schema::ElementType::PACKED_INT32);
  CHECK(data(narrow) == std::vector<uint8_t>{0xE8, 0x03, 0, 0, 2, 0b10'01'11'00});
  CHECK(tensors[wide]->type == schema::ElementType::PACKED_INT32);
  CHECK(data(wide).size() == 14);
  CHECK(tensors[spread]->type == schema::ElementType::INT16);
  CHECK(data(spread).size() == 8);
  CHECK(tensors[shared]->type == schema::ElementType::INT16);
  CHECK(data(shared).size() == 8);
  const std::vector<uint8_t> bytes = b.Finish();
  const test::AlignedBytes aligned(bytes);
  std::shared_ptr<const Model> model;
  const Status s = Model::LoadBuffer(aligned.data(), aligned.size(), &model);
  CHECK_MESSAGE(s.ok(), s.ToString());
}

TEST_CASE("errors name what cannot be emitted") {
  SUBCASE("every unsupported node is listed") {
    TestGraph t;
    t.Input("x", {1, 4});
    t.Op("gather", "Gather", {"x", "i"}, "n").attributes["axis"] = int64_t{1};
    t.Constant("i", TensorData::FromVector<int64_t>({4}, {3, 2, 1, 0}));
    t.Op("root", "Sqrt", {"n"}, "r");
    t.Op("max", "ReduceMean", {"r"}, "y");
    t.Output("y");
    const Outcome outcome = Evaluate(t);
    CHECK(outcome.status.code() == StatusCode::kUnsupportedOperator);
    CHECK(outcome.status.message().find("'gather' (Gather)") != std::string::npos);
    CHECK(outcome.status.message().find("'max' (ReduceMean)") != std::string::npos);
    CHECK(outcome.status.message().find("root") == std::string::npos);
  }
  SUBCASE("gemm weights that are not constant") {
    TestGraph t;
    t.Input("x", {2, 4});
    t.Input("w", {4, 3});
    t.Op("fc", "Gemm", {"x", "w"}, "y");
    t.Output("y");
    const Outcome outcome = Evaluate(t);
    CHECK(outcome.status.code() == StatusCode::kUnsupportedOperator);
    CHECK(outcome.status.message().find("'fc'") != std::string::npos);
    CHECK(outcome.status.message().find("constant") != std::string::npos);
  }
  SUBCASE("an add with a non-scalar constant") {
    TestGraph t;
    t.Input("x", {2, 4});
    t.Constant("c", TensorData::FromVector<float>({4}, {1, 2, 3, 4}));
    t.Op("add", "Add", {"x", "c"}, "y");
    t.Output("y");
    const Outcome outcome = Evaluate(t);
    CHECK(outcome.status.code() == StatusCode::kUnsupportedOperator);
    CHECK(outcome.status.message().find("not a scalar") != std::string::npos);
  }
  SUBCASE("a grouped transposed convolution") {
    TestGraph t;
    t.Input("x", {1, 4, 4, 4});
    t.Weights("w", {4, 1, 2, 2}, 0.5);
    t.Op("up", "ConvTranspose", {"x", "w"}, "y").attributes["group"] = int64_t{4};
    t.Output("y");
    const Outcome outcome = Evaluate(t);
    CHECK(outcome.status.code() == StatusCode::kUnsupportedOperator);
    CHECK(outcome.status.message().find("'up'") != std::string::npos);
    CHECK(outcome.status.message().find("group 1") != std::string::npos);
  }
  SUBCASE("a tensor without activation quantization") {
    TestGraph t;
    t.Input("x", {1, 4, 4, 4});
    t.Conv("conv", "x", "c", 4, 4, 3);
    t.Op("sig", "Sigmoid", {"c"}, "y");
    t.Output("y");
    REQUIRE(InferShapes(&t.graph).ok());
    ActivationQuantMap quant = Calibrate(t.graph, 2);
    quant.erase("c");
    ModelBuilder builder;
    const Outcome outcome = Emit(t.graph, quant, {}, &builder);
    CHECK(outcome.status.code() == StatusCode::kFailedPrecondition);
    CHECK(outcome.status.message().find("'c'") != std::string::npos);
  }
}

}  // namespace
}  // namespace qrt::converter
