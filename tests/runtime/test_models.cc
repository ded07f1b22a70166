#include "runtime/test_models.h"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "util/random.h"

namespace qrt::test {
namespace {

// The fixture's multipliers are constants in the representable range; this
// runs outside doctest too (write_test_model), so it cannot use REQUIRE.
kernels::Dyadic Requant(double m) {
  kernels::Dyadic d{};
  if (kernels::QuantizeMultiplier(m, &d) != kernels::QuantizeMultiplierError::kOk) std::abort();
  return d;
}

std::vector<kernels::Dyadic> Repeat(kernels::Dyadic d, size_t n) {
  return std::vector<kernels::Dyadic>(n, d);
}

}  // namespace

std::vector<int32_t> SoftmaxExpTable(double step) {
  std::vector<int32_t> table(256);
  for (int d = 0; d < 256; ++d) {
    table[static_cast<size_t>(d)] =
        static_cast<int32_t>(std::lround(65536.0 * std::exp(-step * d)));
  }
  return table;
}

ModelBuilder EveryOperatorModel(uint64_t seed) {
  Rng rng(seed);
  ModelBuilder b;
  b.metadata().source_model = "tests/runtime/test_models.cc";
  b.metadata().description = "every operator";

  const int32_t image = b.AddFloatTensor("image", {1, 8, 8, 3});
  const int32_t x0 = b.AddActivation("x0", {1, 8, 8, 3}, 2.0f / 255, -1);
  b.Quantize(image, x0);

  const int32_t w1 = b.AddInt8Weights("conv1.w", {8, 3, 3, 3}, rng.Int8s(8 * 27, -127, 127),
                                      std::vector<float>(8, 0.01f));
  const int32_t b1 = b.AddBias("conv1.b", rng.Int32s(8, -2000, 2000));
  const int32_t c1 = b.AddActivation("conv1", {1, 8, 8, 8}, 0.05f, -128);
  b.SetOperatorName(
      b.Conv2D(x0, w1, b1, c1, {.pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1},
               Repeat(Requant(0.004), 8), {-128, 127}),
      "conv1");

  const int32_t w2 =
      b.AddInt4Weights("dw.w", {8, 3, 3, 1}, rng.Int8s(8 * 9, -8, 7), std::vector<float>(8, 0.1f));
  const int32_t b2 = b.AddBias("dw.b", rng.Int32s(8, -500, 500));
  const int32_t c2 = b.AddActivation("dw", {1, 4, 4, 8}, 0.04f, -20);
  b.SetOperatorName(b.Conv2D(c1, w2, b2, c2,
                             {.stride_h = 2,
                              .stride_w = 2,
                              .pad_top = 1,
                              .pad_left = 1,
                              .pad_bottom = 1,
                              .pad_right = 1,
                              .groups = 8},
                             Repeat(Requant(0.03), 8), {-20, 127}),
                    "dw");

  const int32_t p1 = b.AddActivation("maxpool", {1, 2, 2, 8}, 0.04f, -20);
  b.MaxPool2D(c2, p1, {.kernel_h = 2, .kernel_w = 2, .stride_h = 2, .stride_w = 2});

  const int32_t a1 = b.AddActivation("avgpool", {1, 4, 4, 8}, 0.03f, -10);
  std::vector<kernels::Dyadic> counts;
  for (int n = 1; n <= 9; ++n) counts.push_back(Requant(0.04 / (0.03 * n)));
  b.AveragePool2D(
      c2, a1,
      {.kernel_h = 3, .kernel_w = 3, .pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1},
      counts);

  const int32_t s1 = b.AddActivation("add", {1, 4, 4, 8}, 0.06f, -5);
  const double twice_max = 2 * 0.04;
  b.Add(c2, a1, s1,
        {Requant(0.04 / twice_max), Requant(0.03 / twice_max),
         Requant(twice_max / (double{1 << 20} * 0.06))});

  const int32_t g = b.AddActivation("gap", {1, 1, 1, 8}, 0.05f, -3);
  b.GlobalAveragePool(s1, g, {Requant(0.06 / (0.05 * 16))});

  std::vector<int8_t> sigmoid(256);
  for (int q = -128; q <= 127; ++q) {
    const double y = 1.0 / (1.0 + std::exp(-0.05 * (q + 3)));
    sigmoid[static_cast<size_t>(q + 128)] =
        static_cast<int8_t>(std::lround(std::fmin(127.0, y * 256.0 - 128.0)));
  }
  const int32_t gate = b.AddActivation("gate", {1, 1, 1, 8}, 1.0f / 256, -128);
  b.Lookup(g, gate, sigmoid);

  const int32_t m1 = b.AddActivation("se", {1, 4, 4, 8}, 0.05f, -5);
  b.Mul(s1, gate, m1, {Requant(0.06 / 256 / 0.05)});

  const int32_t r1 = b.AddActivation("resize", {1, 4, 4, 8}, 0.04f, -20);
  b.ResizeNearest(p1, r1);

  const int32_t cat = b.AddActivation("concat", {1, 4, 4, 16}, 0.05f, -5);
  b.Concat({m1, r1}, cat, 3, {Requant(1.0), Requant(0.04 / 0.05)});

  const int32_t pd = b.AddActivation("pad", {1, 5, 5, 16}, 0.05f, -5);
  b.Pad(cat, pd, {0, 1, 1, 0}, {0, 0, 0, 0}, -5);

  const int32_t tr = b.AddActivation("transpose", {1, 16, 5, 5}, 0.05f, -5);
  b.Transpose(pd, tr, {0, 3, 1, 2});

  const int32_t rs = b.AddActivation("flatten", {1, 400}, 0.05f, -5);
  b.Reshape(tr, rs);

  const int32_t wf = b.AddInt8Weights("fc.w", {10, 400}, rng.Int8s(4000, -127, 127),
                                      std::vector<float>(10, 0.005f));
  const int32_t bf = b.AddBias("fc.b", rng.Int32s(10, -5000, 5000));
  const int32_t fc = b.AddActivation("logits", {1, 10}, 0.1f, 0);
  b.SetOperatorName(b.FullyConnected(rs, wf, bf, fc, Repeat(Requant(0.0005), 10)), "fc");

  const int32_t sm = b.AddActivation("softmax", {1, 10}, 1.0f / 256, -128);
  b.Softmax(fc, sm, SoftmaxExpTable(0.1), {Requant(256.0 / double(1 << 30))});

  const int32_t probs = b.AddFloatTensor("probs", {1, 10});
  b.Dequantize(sm, probs);

  b.SetInputs({image});
  b.SetOutputs({fc, probs});
  return b;
}

AlignedBytes::AlignedBytes(const std::vector<uint8_t>& bytes) : size_(bytes.size()) {
  const size_t rounded = (bytes.size() + 63) / 64 * 64 + 64;
  data_ = static_cast<uint8_t*>(std::aligned_alloc(64, rounded));
  std::memcpy(data_, bytes.data(), bytes.size());
}

AlignedBytes::~AlignedBytes() { std::free(data_); }

}  // namespace qrt::test
