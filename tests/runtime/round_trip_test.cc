// Build -> serialize -> load -> run: models made with ModelBuilder run through
// libqrt and give exactly what the reference kernels give when called directly
// with the parameters the model describes (TFLM's KernelRunner idea), so every
// operator's Prepare is checked to wire its parameters correctly.
#include <doctest/doctest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "qrt/kernels/isa.h"
#include "qrt/kernels/reference.h"
#include "qrt/qrt.h"
#include "runtime/test_models.h"
#include "util/random.h"

namespace qrt::test {
namespace {

std::shared_ptr<const Model> MustLoad(const AlignedBytes& bytes) {
  std::shared_ptr<const Model> model;
  const Status status = Model::LoadBuffer(bytes.data(), bytes.size(), &model);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  return model;
}

// Runs a model whose graph inputs are int8 and returns its first output.
std::vector<int8_t> RunInt8(const ModelBuilder& builder,
                            const std::vector<std::vector<int8_t>>& inputs) {
  const AlignedBytes bytes(builder.Finish());
  const std::shared_ptr<const Model> model = MustLoad(bytes);
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model, &session).ok());
  for (size_t i = 0; i < inputs.size(); ++i) {
    REQUIRE(session->SetInput(model->inputs()[i].name, inputs[i].data(), inputs[i].size()).ok());
  }
  REQUIRE(session->Run().ok());
  std::vector<int8_t> out(model->outputs()[0].element_count);
  REQUIRE(session->GetOutput(model->outputs()[0].name, out.data(), out.size()).ok());
  return out;
}

std::vector<kernels::Dyadic> Dyadics(const ChannelRequantStorage& s) {
  std::vector<kernels::Dyadic> d;
  for (size_t c = 0; c < s.multiplier.size(); ++c) d.push_back(s.At(c));
  return d;
}

}  // namespace

TEST_CASE("conv2d models run exactly as the reference kernel, int8 and int4 weights") {
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::Conv2DParams p{};
    p.batch = static_cast<int>(rng.Int(1, 2));
    p.groups = rng.Pick<int>({1, 1, 2, 3});
    const bool depthwise = rng.Int(0, 3) == 0;
    p.in_c =
        depthwise ? static_cast<int>(rng.Int(1, 9)) : p.groups * static_cast<int>(rng.Int(1, 5));
    if (depthwise) p.groups = p.in_c;
    p.out_c = p.groups * static_cast<int>(rng.Int(1, 4));
    p.in_h = static_cast<int>(rng.Int(3, 11));
    p.in_w = static_cast<int>(rng.Int(3, 11));
    p.kernel_h = rng.Pick<int>({1, 3, 5});
    p.kernel_w = rng.Pick<int>({1, 3});
    p.stride_h = static_cast<int>(rng.Int(1, 2));
    p.stride_w = static_cast<int>(rng.Int(1, 2));
    p.dilation_h = static_cast<int>(rng.Int(1, 2));
    p.dilation_w = 1;
    p.pad_top = static_cast<int>(rng.Int(0, 2));
    p.pad_left = static_cast<int>(rng.Int(0, 2));
    const int pad_bottom = static_cast<int>(rng.Int(0, 2));
    const int pad_right = static_cast<int>(rng.Int(0, 2));
    const int span_h = p.dilation_h * (p.kernel_h - 1) + 1;
    if (span_h > p.in_h + p.pad_top + pad_bottom) continue;
    p.out_h = (p.in_h + p.pad_top + pad_bottom - span_h) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + pad_right - p.kernel_w) / p.stride_w + 1;
    const bool int4 = rng.Bool();
    p.weight_type = int4 ? kernels::WeightType::kInt4 : kernels::WeightType::kInt8;
    const int k = p.kernel_h * p.kernel_w * (p.in_c / p.groups);
    p.input_zero_point = rng.ZeroPoint();
    const OutputQuant oq = OutputQuantForRange(-k * 255 * 8, k * 255 * 8, rng);
    p.output_zero_point = oq.zero_point;
    p.clamp = DrawClamp(oq.zero_point, rng);
    ChannelRequantStorage requant;
    for (int c = 0; c < p.out_c; ++c) requant.Push(oq.requant);
    p.requant = requant.View();

    const std::vector<int32_t> w_shape = {p.out_c, p.kernel_h, p.kernel_w, p.in_c / p.groups};
    const std::vector<int8_t> w = int4 ? rng.Int8s(static_cast<size_t>(p.out_c * k), -8, 7)
                                       : rng.Int8s(static_cast<size_t>(p.out_c * k), -127, 127);
    const std::vector<int32_t> bias = rng.Int32s(static_cast<size_t>(p.out_c), -1000, 1000);
    const std::vector<int8_t> x =
        rng.Int8s(static_cast<size_t>(p.batch * p.in_h * p.in_w * p.in_c));

    ModelBuilder b;
    const int32_t in =
        b.AddActivation("x", {p.batch, p.in_h, p.in_w, p.in_c}, 0.1f, p.input_zero_point);
    const std::vector<float> scales(static_cast<size_t>(p.out_c), 0.01f);
    const int32_t wt = int4 ? b.AddInt4Weights("w", w_shape, w, scales)
                            : b.AddInt8Weights("w", w_shape, w, scales);
    const int32_t bt = b.AddBias("b", bias);
    const int32_t out =
        b.AddActivation("y", {p.batch, p.out_h, p.out_w, p.out_c}, 0.2f, p.output_zero_point);
    b.Conv2D(in, wt, bt, out,
             {p.stride_h, p.stride_w, p.dilation_h, p.dilation_w, p.pad_top, p.pad_left, pad_bottom,
              pad_right, p.groups},
             Dyadics(requant), {static_cast<int8_t>(p.clamp.lo), static_cast<int8_t>(p.clamp.hi)});
    b.SetInputs({in});
    b.SetOutputs({out});

    std::vector<uint8_t> packed;
    const void* weights = w.data();
    if (int4) {
      const auto* buffer =
          &b.model().buffers[b.model().tensors[static_cast<size_t>(wt)]->buffer]->data;
      packed = *buffer;
      weights = packed.data();
    }
    std::vector<int8_t> expected(static_cast<size_t>(p.batch * p.out_h * p.out_w * p.out_c));
    kernels::ref::Conv2D(p, x.data(), weights, bias.data(), expected.data(),
                         kernels::WholeOutput(p));
    CHECK(RunInt8(b, {x}) == expected);
  }
}

TEST_CASE("fully connected, add, mul and concat models run exactly as the reference kernels") {
  Rng rng(7);
  SUBCASE("fully connected over a rank-3 input") {
    kernels::FullyConnectedParams p{};
    p.rows = 6;
    p.in_features = 37;
    p.out_features = 11;
    p.input_zero_point = -7;
    const OutputQuant oq = OutputQuantForRange(-300000, 300000, rng);
    p.output_zero_point = oq.zero_point;
    p.clamp = {-128, 127};
    ChannelRequantStorage requant;
    for (int c = 0; c < p.out_features; ++c) requant.Push(oq.requant);
    p.requant = requant.View();
    const auto w = rng.Int8s(37 * 11, -127, 127);
    const auto bias = rng.Int32s(11, -9999, 9999);
    const auto x = rng.Int8s(6 * 37);
    ModelBuilder b;
    const int32_t in = b.AddActivation("x", {2, 3, 37}, 0.1f, p.input_zero_point);
    const int32_t wt = b.AddInt8Weights("w", {11, 37}, w, std::vector<float>(11, 0.1f));
    const int32_t out = b.AddActivation("y", {6, 11}, 0.1f, p.output_zero_point);
    b.FullyConnected(in, wt, b.AddBias("b", bias), out, Dyadics(requant));
    b.SetInputs({in});
    b.SetOutputs({out});
    std::vector<int8_t> expected(6 * 11);
    kernels::ref::FullyConnected(p, x.data(), w.data(), bias.data(), expected.data(),
                                 kernels::WholeOutput(p));
    CHECK(RunInt8(b, {x}) == expected);
  }
  SUBCASE("add and mul with broadcasting") {
    const auto a = rng.Int8s(2 * 3 * 4 * 5);
    const auto c = rng.Int8s(3 * 1 * 5);
    kernels::BroadcastShapes shapes{4, {2, 3, 4, 5}, {1, 3, 1, 5}, {2, 3, 4, 5}};
    const kernels::Dyadic ma = MustQuantizeMultiplier(0.5);
    const kernels::Dyadic mb = MustQuantizeMultiplier(0.25);
    const kernels::Dyadic mo = MustQuantizeMultiplier(1.0 / (1 << 19));
    const kernels::AddParams ap{shapes, 3, -4, 10, 20, ma, mb, mo, {-100, 120}};
    const kernels::Dyadic mm = MustQuantizeMultiplier(0.01);
    const kernels::MulParams mp{shapes, 3, -4, 10, mm, {-128, 127}};
    for (const bool is_add : {true, false}) {
      CAPTURE(is_add);
      ModelBuilder b;
      const int32_t ta = b.AddActivation("a", {2, 3, 4, 5}, 0.1f, 3);
      const int32_t tb = b.AddActivation("b", {3, 1, 5}, 0.1f, -4);
      const int32_t out = b.AddActivation("y", {2, 3, 4, 5}, 0.1f, 10);
      std::vector<int8_t> expected(a.size());
      if (is_add) {
        b.Add(ta, tb, out, {ma, mb, mo}, {-100, 120});
        kernels::ref::Add(ap, a.data(), c.data(), expected.data());
      } else {
        b.Mul(ta, tb, out, {mm});
        kernels::ref::Mul(mp, a.data(), c.data(), expected.data());
      }
      b.SetInputs({ta, tb});
      b.SetOutputs({out});
      CHECK(RunInt8(b, {a, c}) == expected);
    }
  }
  SUBCASE("concat of three inputs with different quantization") {
    const auto a = rng.Int8s(2 * 3 * 4);
    const auto c = rng.Int8s(2 * 1 * 4);
    const auto d = rng.Int8s(2 * 5 * 4);
    ModelBuilder b;
    const int32_t ta = b.AddActivation("a", {2, 3, 4}, 0.1f, 3);
    const int32_t tc = b.AddActivation("c", {2, 1, 4}, 0.2f, -9);
    const int32_t td = b.AddActivation("d", {2, 5, 4}, 0.05f, 0);
    const int32_t out = b.AddActivation("y", {2, 9, 4}, 0.1f, 1);
    const std::vector<kernels::Dyadic> requant = {
        MustQuantizeMultiplier(1.0), MustQuantizeMultiplier(2.0), MustQuantizeMultiplier(0.5)};
    b.Concat({ta, tc, td}, out, 1, requant);
    b.SetInputs({ta, tc, td});
    b.SetOutputs({out});
    ChannelRequantStorage storage;
    for (const auto& r : requant) storage.Push(r);
    const int32_t axis_sizes[] = {3, 1, 5};
    const int32_t zero_points[] = {3, -9, 0};
    const kernels::ConcatParams p{3, 2, 4, axis_sizes, zero_points, storage.View(), 1};
    const int8_t* inputs[] = {a.data(), c.data(), d.data()};
    std::vector<int8_t> expected(2 * 9 * 4);
    kernels::ref::Concat(p, inputs, expected.data());
    CHECK(RunInt8(b, {a, c, d}) == expected);
  }
}

namespace {

// Runs a one-operator model with int8 inputs on every path the CPU has, with one
// and with three threads, and requires `expected` from each.
void CheckOnEveryPath(const ModelBuilder& builder, const std::vector<std::vector<int8_t>>& inputs,
                      const std::vector<int8_t>& expected) {
  const AlignedBytes bytes(builder.Finish());
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  for (const kernels::Isa isa :
       {kernels::Isa::kReference, kernels::Isa::kAvx2, kernels::Isa::kAvx512Vnni,
        kernels::Isa::kNeon, kernels::Isa::kNeonDot}) {
    if (!kernels::CpuSupports(cpu, isa)) continue;
    CAPTURE(kernels::IsaName(isa));
    std::shared_ptr<const Model> model;
    const Status status =
        Model::LoadBuffer(bytes.data(), bytes.size(), &model, {.max_isa = kernels::IsaName(isa)});
    REQUIRE_MESSAGE(status.ok(), status.ToString());
    for (const int threads : {1, 3}) {
      CAPTURE(threads);
      std::unique_ptr<Session> session;
      REQUIRE(Session::Create(model, &session, {.num_threads = threads}).ok());
      for (size_t i = 0; i < inputs.size(); ++i) {
        REQUIRE(
            session->SetInput(model->inputs()[i].name, inputs[i].data(), inputs[i].size()).ok());
      }
      REQUIRE(session->Run().ok());
      std::vector<int8_t> out(model->outputs()[0].element_count);
      REQUIRE(session->GetOutput(model->outputs()[0].name, out.data(), out.size()).ok());
      CHECK(out == expected);
    }
  }
}

}  // namespace

TEST_CASE("conv transpose models run exactly as the reference kernel on every path") {
  for (uint64_t seed = 1; seed <= 16; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    // Half the cases are the upsampling kind (kernel == stride) that runs as GEMMs.
    const bool upsampling = seed % 2 == 1;
    kernels::ConvTranspose2DParams p{};
    ConvTranspose2DAttributes a{};
    p.batch = static_cast<int>(rng.Int(1, 2));
    p.in_h = static_cast<int>(rng.Int(1, 7));
    p.in_w = static_cast<int>(rng.Int(1, 7));
    p.in_c = static_cast<int>(rng.Int(1, 24));
    p.out_c = static_cast<int>(rng.Int(1, 40));
    a.stride_h = p.stride_h = static_cast<int>(rng.Int(1, 3));
    a.stride_w = p.stride_w = static_cast<int>(rng.Int(1, 3));
    p.kernel_h = upsampling ? p.stride_h : static_cast<int>(rng.Int(1, 4));
    p.kernel_w = upsampling ? p.stride_w : static_cast<int>(rng.Int(1, 4));
    if (!upsampling) {
      a.pad_top = p.pad_top = static_cast<int>(rng.Int(0, p.kernel_h - 1));
      a.pad_left = p.pad_left = static_cast<int>(rng.Int(0, p.kernel_w - 1));
      a.pad_bottom = static_cast<int>(rng.Int(0, p.kernel_h - 1));
      a.output_padding_w = static_cast<int>(rng.Int(0, p.stride_w - 1));
    }
    p.out_h = (p.in_h - 1) * p.stride_h + p.kernel_h - a.pad_top - a.pad_bottom;
    p.out_w = (p.in_w - 1) * p.stride_w + p.kernel_w - a.pad_left + a.output_padding_w;
    if (p.out_h < 1) continue;
    const bool int4 = rng.Bool();
    p.weight_type = int4 ? kernels::WeightType::kInt4 : kernels::WeightType::kInt8;
    const int k = p.kernel_h * p.kernel_w * p.in_c;
    p.input_zero_point = rng.ZeroPoint();
    const OutputQuant oq = OutputQuantForRange(-k * 255 * 8, k * 255 * 8, rng);
    p.output_zero_point = oq.zero_point;
    p.clamp = DrawClamp(oq.zero_point, rng);
    ChannelRequantStorage requant;
    for (int c = 0; c < p.out_c; ++c) requant.Push(oq.requant);
    p.requant = requant.View();
    const std::vector<int32_t> w_shape = {p.out_c, p.kernel_h, p.kernel_w, p.in_c};
    const std::vector<int8_t> w = int4 ? rng.Int8s(static_cast<size_t>(p.out_c * k), -8, 7)
                                       : rng.Int8s(static_cast<size_t>(p.out_c * k), -127, 127);
    const std::vector<int32_t> bias = rng.Int32s(static_cast<size_t>(p.out_c), -1000, 1000);
    const std::vector<int8_t> x =
        rng.Int8s(static_cast<size_t>(p.batch * p.in_h * p.in_w * p.in_c));

    ModelBuilder b;
    const int32_t in =
        b.AddActivation("x", {p.batch, p.in_h, p.in_w, p.in_c}, 0.1f, p.input_zero_point);
    const std::vector<float> scales(static_cast<size_t>(p.out_c), 0.01f);
    const int32_t wt = int4 ? b.AddInt4Weights("w", w_shape, w, scales)
                            : b.AddInt8Weights("w", w_shape, w, scales);
    const int32_t out =
        b.AddActivation("y", {p.batch, p.out_h, p.out_w, p.out_c}, 0.2f, p.output_zero_point);
    b.ConvTranspose2D(in, wt, b.AddBias("b", bias), out, a, Dyadics(requant),
                      {static_cast<int8_t>(p.clamp.lo), static_cast<int8_t>(p.clamp.hi)});
    b.SetInputs({in});
    b.SetOutputs({out});
    const std::vector<uint8_t> weights =
        b.model().buffers[b.model().tensors[static_cast<size_t>(wt)]->buffer]->data;
    std::vector<int8_t> expected(static_cast<size_t>(p.batch * p.out_h * p.out_w * p.out_c));
    kernels::ref::ConvTranspose2D(p, x.data(), weights.data(), bias.data(), expected.data());
    CheckOnEveryPath(b, {x}, expected);
  }
}

TEST_CASE("resize bilinear, layer norm, batch matmul and slice models run as the reference") {
  Rng rng(11);
  SUBCASE("resize bilinear, align corners") {
    const auto x = rng.Int8s(2 * 3 * 5 * 4);
    const kernels::Dyadic m = MustQuantizeMultiplier(0.1 / (0.08 * (1 << 22)));
    const kernels::ResizeBilinearParams p{
        2, 3, 5, 4, 7, 9, kernels::CoordinateTransform::kAlignCorners, -3, 6, m, {-128, 127}};
    ModelBuilder b;
    const int32_t in = b.AddActivation("x", {2, 3, 5, 4}, 0.1f, -3);
    const int32_t out = b.AddActivation("y", {2, 7, 9, 4}, 0.08f, 6);
    b.ResizeBilinear(in, out, {m}, schema::CoordinateTransform::ALIGN_CORNERS);
    b.SetInputs({in});
    b.SetOutputs({out});
    std::vector<int8_t> expected(2 * 7 * 9 * 4);
    kernels::ref::ResizeBilinear(p, x.data(), expected.data());
    CheckOnEveryPath(b, {x}, expected);
  }
  SUBCASE("layer norm over 120 channels") {
    const auto x = rng.Int8s(2 * 10 * 120);
    const auto gamma = rng.Int8s(120, -127, 127);
    const auto beta = rng.Int32s(120, -100000, 100000);
    std::vector<kernels::Dyadic> requant;
    ChannelRequantStorage storage;
    for (int i = 0; i < 120; ++i) {
      requant.push_back(MustQuantizeMultiplier(std::exp2(rng.Real(-25, -21))));
      storage.Push(requant.back());
    }
    ModelBuilder b;
    const int32_t in = b.AddActivation("x", {2, 10, 120}, 0.05f, 4);
    const int32_t g = b.AddInt8Weights("gamma", {120}, gamma, std::vector<float>(120, 0.01f));
    const int32_t be = b.AddBias("beta", beta);
    const int32_t out = b.AddActivation("y", {2, 10, 120}, 0.03f, -2);
    b.LayerNorm(in, g, be, out, 576, requant, {-100, 127});
    b.SetInputs({in});
    b.SetOutputs({out});
    const kernels::LayerNormParams p{
        20, 120, 4, -2, 576, gamma.data(), beta.data(), storage.View(), {-100, 127}};
    std::vector<int8_t> expected(x.size());
    kernels::ref::LayerNorm(p, x.data(), expected.data());
    CheckOnEveryPath(b, {x}, expected);
  }
  SUBCASE("batch matmul of attention shapes, B transposed and not") {
    for (const bool transpose_b : {false, true}) {
      CAPTURE(transpose_b);
      // Q [1, 8, 20, 15] x K^T [1, 8, 15, 20] (or K [1, 8, 20, 15] transposed).
      const auto q = rng.Int8s(8 * 20 * 15);
      const auto kt = rng.Int8s(8 * 15 * 20);
      const kernels::Dyadic m = MustQuantizeMultiplier(0.0005);
      kernels::BatchMatMulParams p{};
      p.batch = {2, {1, 8}, {1, 8}, {1, 8}};
      p.m = 20;
      p.k = 15;
      p.n = 20;
      p.transpose_b = transpose_b;
      p.a_zero_point = 3;
      p.b_zero_point = -7;
      p.output_zero_point = 1;
      p.requant = m;
      p.clamp = {-128, 127};
      ModelBuilder b;
      const int32_t ta = b.AddActivation("q", {1, 8, 20, 15}, 0.1f, 3);
      const int32_t tb = b.AddActivation(
          "k",
          transpose_b ? std::vector<int32_t>{1, 8, 20, 15} : std::vector<int32_t>{1, 8, 15, 20},
          0.1f, -7);
      const int32_t out = b.AddActivation("s", {1, 8, 20, 20}, 0.2f, 1);
      b.BatchMatMul(ta, tb, out, transpose_b, {m});
      b.SetInputs({ta, tb});
      b.SetOutputs({out});
      std::vector<int8_t> expected(8 * 20 * 20);
      kernels::ref::BatchMatMul(p, q.data(), kt.data(), expected.data());
      CheckOnEveryPath(b, {q, kt}, expected);
    }
  }
  SUBCASE("slice of the qkv split, then a squeeze as reshape") {
    // [3, 1, 8, 20, 15] -> k = [1, 1, 8, 20, 15] at index 1 of axis 0 -> [1, 8, 20, 15].
    const auto x = rng.Int8s(3 * 8 * 20 * 15);
    ModelBuilder b;
    const int32_t in = b.AddActivation("qkv", {3, 1, 8, 20, 15}, 0.1f, 2);
    const int32_t sliced = b.AddActivation("k5", {1, 1, 8, 20, 15}, 0.1f, 2);
    const int32_t out = b.AddActivation("k", {1, 8, 20, 15}, 0.1f, 2);
    b.Slice(in, sliced, {1, 0, 0, 0, 0}, {1, 1, 1, 1, 1});
    b.Reshape(sliced, out);
    b.SetInputs({in});
    b.SetOutputs({out});
    const std::vector<int8_t> expected(x.begin() + 8 * 20 * 15, x.begin() + 2 * 8 * 20 * 15);
    CheckOnEveryPath(b, {x}, expected);
  }
  SUBCASE("slice with negative and positive steps") {
    const auto x = rng.Int8s(4 * 6);
    ModelBuilder b;
    const int32_t in = b.AddActivation("x", {4, 6}, 0.1f, 0);
    const int32_t out = b.AddActivation("y", {2, 3}, 0.1f, 0);
    b.Slice(in, out, {3, 1}, {-2, 2});
    b.SetInputs({in});
    b.SetOutputs({out});
    const std::vector<int8_t> expected = {x[3 * 6 + 1], x[3 * 6 + 3], x[3 * 6 + 5],
                                          x[1 * 6 + 1], x[1 * 6 + 3], x[1 * 6 + 5]};
    CheckOnEveryPath(b, {x}, expected);
  }
}

TEST_CASE("the every-operator model loads from a file and from memory with identical results") {
  const ModelBuilder b = EveryOperatorModel();
  char path[] = "/tmp/qrt_round_trip_XXXXXX";
  const int fd = mkstemp(path);
  REQUIRE(fd >= 0);
  close(fd);
  REQUIRE(b.WriteFile(path).ok());
  std::shared_ptr<const Model> from_file;
  const Status status = Model::LoadFile(path, &from_file);
  std::remove(path);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  const AlignedBytes bytes(b.Finish());
  const std::shared_ptr<const Model> from_memory = MustLoad(bytes);

  CHECK(from_file->num_operators() == 17);
  CHECK(from_file->metadata().producer == "qrt");
  CHECK(from_file->metadata().description == "every operator");
  REQUIRE(from_file->inputs().size() == 1);
  CHECK(from_file->inputs()[0].type == ElementType::kFloat32);
  REQUIRE(from_file->outputs().size() == 2);
  CHECK(from_file->outputs()[1].type == ElementType::kFloat32);
  CHECK(from_file->weight_bytes() > 4000);

  std::vector<float> image(8 * 8 * 3);
  for (size_t i = 0; i < image.size(); ++i) image[i] = std::sin(0.37f * static_cast<float>(i));
  std::vector<std::vector<float>> probs;
  std::vector<std::vector<int8_t>> logits;
  for (const auto& model : {from_file, from_memory}) {
    std::unique_ptr<Session> session;
    REQUIRE(Session::Create(model, &session).ok());
    REQUIRE(session->SetInput("image", image.data(), image.size()).ok());
    REQUIRE(session->Run().ok());
    probs.emplace_back(10);
    logits.emplace_back(10);
    REQUIRE(session->GetOutput("probs", probs.back().data(), 10).ok());
    REQUIRE(session->GetOutput("logits", logits.back().data(), 10).ok());
  }
  CHECK(probs[0] == probs[1]);
  CHECK(logits[0] == logits[1]);
  // The network is random, but its softmax must still be a distribution and its
  // logits must not all have saturated to one value.
  CHECK(std::accumulate(probs[0].begin(), probs[0].end(), 0.0) ==
        doctest::Approx(1.0).epsilon(0.05));
  CHECK(*std::max_element(logits[0].begin(), logits[0].end()) >
        *std::min_element(logits[0].begin(), logits[0].end()));
}

}  // namespace qrt::test
