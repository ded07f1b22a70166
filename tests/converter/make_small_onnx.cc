// Writes a small float ONNX model the qrt-convert CLI tests convert, and one input
// for it as .npy:
//
//   make_small_onnx MODEL.onnx INPUT.npy [classifier|upsampler]
//
// classifier (the default):
// x [1,3,16,16] -> Conv-BN-ReLU -> residual block (Conv-BN-ReLU, Conv-BN, Add,
// ReLU) -> squeeze-and-excitation (GlobalAveragePool, 1x1 Conv-ReLU, 1x1 Conv,
// HardSigmoid, Mul) -> GlobalAveragePool -> Flatten -> Gemm -> y [1,10]: the
// patterns the clean-up passes fuse (BatchNormalization folding, ReLU fusion) and
// every kind of operator the emitter handles differently (CONV_2D, ADD, MUL,
// LOOKUP, pooling, FULLY_CONNECTED).
//
// upsampler, at opset 11 like PP-OCRv4's detector, whose head it copies: x
// [1,3,16,16] -> Conv-BN-ReLU, Mul and Add of scalars -> ConvTranspose 2x2 /
// stride 2, Add of a [1,C,1,1] bias, BN, ReLU -> ConvTranspose to one channel, Add
// of a [1,1,1,1] bias -> Sigmoid -> y [1,1,64,64].
#include <onnx/onnx_pb.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "npy.h"

namespace {

class ModelWriter {
 public:
  explicit ModelWriter(int64_t opset = 13) {
    model_.set_ir_version(8);
    model_.add_opset_import()->set_version(opset);
  }

  onnx::GraphProto* graph() { return model_.mutable_graph(); }
  const onnx::ModelProto& model() const { return model_; }

  void Input(const std::string& name, const std::vector<int64_t>& dims) {
    onnx::ValueInfoProto* v = graph()->add_input();
    v->set_name(name);
    auto* type = v->mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx::TensorProto::FLOAT);
    for (int64_t d : dims) type->mutable_shape()->add_dim()->set_dim_value(d);
  }

  void Output(const std::string& name) { graph()->add_output()->set_name(name); }

  // A float initializer: N(mean, stddev) values.
  std::string Constant(const std::string& name, const std::vector<int64_t>& dims, float mean,
                       float stddev) {
    onnx::TensorProto* t = graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(onnx::TensorProto::FLOAT);
    int64_t count = 1;
    for (int64_t d : dims) {
      t->add_dims(d);
      count *= d;
    }
    std::normal_distribution<float> normal(mean, stddev);
    for (int64_t i = 0; i < count; ++i) t->add_float_data(normal(rng_));
    return name;
  }

  onnx::NodeProto* Node(const std::string& op, const std::vector<std::string>& inputs,
                        const std::string& output) {
    onnx::NodeProto* n = graph()->add_node();
    n->set_name(output);
    n->set_op_type(op);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }

  static void Ints(onnx::NodeProto* n, const std::string& name, const std::vector<int64_t>& v) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  }

  static void Float(onnx::NodeProto* n, const std::string& name, float value) {
    onnx::AttributeProto* a = n->add_attribute();
    a->set_name(name);
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(value);
  }

  // Conv with He-initialised weights, "same" padding, and a bias.
  std::string Conv(const std::string& x, const std::string& y, int64_t in_c, int64_t out_c,
                   int64_t k) {
    const float he = std::sqrt(2.0f / static_cast<float>(in_c * k * k));
    onnx::NodeProto* n = Node(
        "Conv",
        {x, Constant(y + ".w", {out_c, in_c, k, k}, 0, he), Constant(y + ".b", {out_c}, 0, 0.1f)},
        y);
    Ints(n, "pads", std::vector<int64_t>(4, k / 2));
    return y;
  }

  // Inference-mode BatchNormalization with non-trivial statistics, for folding.
  std::string BatchNorm(const std::string& x, const std::string& y, int64_t c) {
    Node("BatchNormalization",
         {x, Constant(y + ".gamma", {c}, 1, 0.2f), Constant(y + ".beta", {c}, 0, 0.2f),
          Constant(y + ".mean", {c}, 0, 0.2f), Constant(y + ".var", {c}, 1, 0.1f)},
         y);
    return y;
  }

 private:
  onnx::ModelProto model_;
  std::mt19937 rng_{42};
};

onnx::ModelProto SmallModel() {
  ModelWriter m;
  m.Input("x", {1, 3, 16, 16});
  const std::string stem =
      m.Node("Relu", {m.BatchNorm(m.Conv("x", "stem", 3, 8, 3), "stem_bn", 8)}, "stem_relu")
          ->output(0);
  const std::string a =
      m.Node("Relu", {m.BatchNorm(m.Conv(stem, "res1", 8, 8, 3), "res1_bn", 8)}, "res1_relu")
          ->output(0);
  const std::string b = m.BatchNorm(m.Conv(a, "res2", 8, 8, 3), "res2_bn", 8);
  const std::string r =
      m.Node("Relu", {m.Node("Add", {stem, b}, "res_add")->output(0)}, "res_relu")->output(0);
  const std::string pooled = m.Node("GlobalAveragePool", {r}, "se_pool")->output(0);
  const std::string squeezed =
      m.Node("Relu", {m.Conv(pooled, "se_reduce", 8, 4, 1)}, "se_relu")->output(0);
  onnx::NodeProto* gate =
      m.Node("HardSigmoid", {m.Conv(squeezed, "se_expand", 4, 8, 1)}, "se_gate");
  ModelWriter::Float(gate, "alpha", 1.0f / 6);
  const std::string excited = m.Node("Mul", {r, gate->output(0)}, "se_mul")->output(0);
  const std::string features =
      m.Node("Flatten", {m.Node("GlobalAveragePool", {excited}, "head_pool")->output(0)},
             "head_flatten")
          ->output(0);
  onnx::NodeProto* fc = m.Node(
      "Gemm", {features, m.Constant("fc.w", {10, 8}, 0, 0.5f), m.Constant("fc.b", {10}, 0, 0.1f)},
      "y");
  onnx::AttributeProto* trans_b = fc->add_attribute();
  trans_b->set_name("transB");
  trans_b->set_type(onnx::AttributeProto::INT);
  trans_b->set_i(1);
  m.Output("y");
  return m.model();
}

onnx::ModelProto UpsamplerModel() {
  ModelWriter m(11);
  m.Input("x", {1, 3, 16, 16});
  const std::string stem =
      m.Node("Relu", {m.BatchNorm(m.Conv("x", "stem", 3, 8, 3), "stem_bn", 8)}, "stem_relu")
          ->output(0);
  // ONNX ConvTranspose weights are [C_in, C_out, KH, KW].
  const auto up = [&m](const std::string& x, const std::string& y, int64_t in_c, int64_t out_c) {
    onnx::NodeProto* n =
        m.Node("ConvTranspose", {x, m.Constant(y + ".w", {in_c, out_c, 2, 2}, 0, 0.5f)}, y);
    ModelWriter::Ints(n, "kernel_shape", {2, 2});
    ModelWriter::Ints(n, "strides", {2, 2});
    return m.Node("Add", {y, m.Constant(y + ".b", {1, out_c, 1, 1}, 0, 0.1f)}, y + "_bias")
        ->output(0);
  };
  // PP-LCNetV3's learned scalar affine after an activation (a pointwise chain).
  const std::string scaled =
      m.Node("Mul", {stem, m.Constant("lab.scale", {1}, 0.8f, 0.01f)}, "lab_mul")->output(0);
  const std::string shifted =
      m.Node("Add", {m.Constant("lab.shift", {1}, 0.1f, 0.01f), scaled}, "lab_add")->output(0);
  const std::string up1 =
      m.Node("Relu", {m.BatchNorm(up(shifted, "up1", 8, 8), "up1_bn", 8)}, "up1_relu")->output(0);
  m.Node("Sigmoid", {up(up1, "up2", 8, 1)}, "y");
  m.Output("y");
  return m.model();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string kind = argc == 4 ? argv[3] : "classifier";
  if ((argc != 3 && argc != 4) || (kind != "classifier" && kind != "upsampler")) {
    std::fprintf(stderr, "usage: make_small_onnx MODEL.onnx INPUT.npy [classifier|upsampler]\n");
    return 2;
  }
  const onnx::ModelProto model = kind == "upsampler" ? UpsamplerModel() : SmallModel();
  std::ofstream file(argv[1], std::ios::binary | std::ios::trunc);
  if (!model.SerializeToOstream(&file) || !file.flush()) {
    std::fprintf(stderr, "make_small_onnx: cannot write %s\n", argv[1]);
    return 1;
  }
  std::vector<float> input(3 * 16 * 16);
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (float& v : input) v = normal(rng);
  const qrt::Status status = qrt::tools::WriteNpy(
      argv[2], qrt::tools::MakeNpyArray<float>({1, 3, 16, 16}, std::span<const float>(input)));
  if (!status.ok()) {
    std::fprintf(stderr, "make_small_onnx: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
