#include "kernel_cases.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <new>
#include <random>
#include <stdexcept>

#include "qrt/kernels/int4.h"
#include "qrt/kernels/requant.h"

namespace qrt::bench {
namespace {

// ReLU networks' activations: unsigned values shifted into int8 (x = u - 128), so
// zero point -128 and clamp lo = zero point.
constexpr int32_t kZeroPoint = -128;
constexpr kernels::OutputClamp kReluClamp{kZeroPoint, 127};
// Each channel's multiplier maps the rms of its accumulator to kOutputSpread
// output steps: a calibrated model's spread, with little saturation.
constexpr double kOutputSpread = 64.0;

kernels::FullyConnectedParams Gemm(int m, int k, int n, kernels::WeightType type) {
  kernels::FullyConnectedParams p{};
  p.rows = m;
  p.in_features = k;
  p.out_features = n;
  p.input_zero_point = kZeroPoint;
  p.output_zero_point = kZeroPoint;
  p.weight_type = type;
  p.clamp = kReluClamp;
  return p;
}

// A batch-1 "same"-padded convolution of a size x size image: stride 1 keeps the size,
// stride 2 halves it (rounding up).
kernels::Conv2DParams Conv(int size, int in_c, int out_c, int kernel, int groups, int stride) {
  kernels::Conv2DParams p{};
  p.batch = 1;
  p.in_h = p.in_w = size;
  p.out_h = p.out_w = (size + stride - 1) / stride;
  p.in_c = in_c;
  p.out_c = out_c;
  p.kernel_h = p.kernel_w = kernel;
  p.stride_h = p.stride_w = stride;
  p.dilation_h = p.dilation_w = 1;
  p.pad_top = p.pad_left = (kernel - 1) / 2;
  p.groups = groups;
  p.input_zero_point = kZeroPoint;
  p.output_zero_point = kZeroPoint;
  p.weight_type = kernels::WeightType::kInt8;
  p.clamp = kReluClamp;
  return p;
}

std::string Dims(std::initializer_list<int> dims) {
  std::string s;
  for (int d : dims) s += (s.empty() ? "" : "x") + std::to_string(d);
  return s;
}

// Raw engine bits rather than <random> distributions, whose output differs
// between standard libraries, so every platform measures the same data.
int32_t UniformInt(std::mt19937* rng, int32_t lo, int32_t hi) {
  return lo + static_cast<int32_t>((*rng)() % static_cast<uint32_t>(hi - lo + 1));
}

}  // namespace

std::vector<KernelCase> DefaultCases() {
  struct GemmDims {
    int m, k, n;
  };
  constexpr GemmDims kGemms[] = {{1, 2048, 1000}, {1, 1024, 1024},  {16, 1024, 1024},
                                 {128, 768, 768}, {128, 768, 3072}, {3136, 576, 64},
                                 {196, 1152, 256}};
  struct ConvDims {
    int size, in_c, out_c, kernel, stride;
  };
  // Issue 4's shapes, then two narrow pointwise ones (at most 4 output channels:
  // a detector's output head, the tap rows of a transposed convolution to 1
  // channel), three image stems (the PP-OCR detector's first layer,
  // MobileNet's and ResNet's), the detector's two costliest layers (3x3, 96 -> 24
  // channels: a 16-channel block and a pair block) and the same with 16 output
  // channels (one-block tiles).
  constexpr ConvDims kConvs[] = {{56, 64, 64, 3, 1},   {56, 64, 256, 1, 1}, {28, 128, 128, 3, 1},
                                 {14, 256, 256, 3, 1}, {7, 512, 512, 3, 1}, {56, 24, 144, 1, 1},
                                 {160, 24, 2, 1, 1},   {56, 256, 4, 1, 1},  {640, 3, 16, 3, 2},
                                 {224, 3, 32, 3, 2},   {224, 3, 64, 7, 2},  {160, 96, 24, 3, 1},
                                 {160, 96, 16, 3, 1}};
  struct DepthwiseDims {
    int size, channels;
  };
  constexpr DepthwiseDims kDepthwise[] = {{112, 32}, {56, 144}, {14, 576}};

  std::vector<KernelCase> cases;
  for (const auto& [m, k, n] : kGemms) {
    cases.push_back({"gemm " + Dims({m, k, n}), Gemm(m, k, n, kernels::WeightType::kInt8)});
  }
  for (const auto& [size, in_c, out_c, kernel, stride] : kConvs) {
    cases.push_back({"conv " + Dims({size, size, in_c}) + "->" + std::to_string(out_c) + " " +
                         Dims({kernel, kernel}) + (stride > 1 ? "/" + std::to_string(stride) : ""),
                     Conv(size, in_c, out_c, kernel, 1, stride)});
  }
  for (const auto& [size, channels] : kDepthwise) {
    cases.push_back({"dwconv " + Dims({size, size, channels}) + " 3x3",
                     Conv(size, channels, channels, 3, channels, 1)});
  }
  for (const auto& [m, k, n] : kGemms) {
    cases.push_back({"gemm-int4 " + Dims({m, k, n}), Gemm(m, k, n, kernels::WeightType::kInt4)});
  }
  return cases;
}

GemmShape ShapeOf(const CaseParams& params) {
  if (const auto* fc = std::get_if<kernels::FullyConnectedParams>(&params)) {
    return {fc->rows, fc->out_features, fc->in_features};
  }
  const auto& conv = std::get<kernels::Conv2DParams>(params);
  return {conv.batch * conv.out_h * conv.out_w, conv.out_c,
          conv.kernel_h * conv.kernel_w * conv.in_c / conv.groups};
}

double OpsPerRun(const CaseParams& params) {
  const GemmShape s = ShapeOf(params);
  return 2.0 * s.m * s.n * s.k;
}

bool IsDepthwise(const CaseParams& params) {
  const auto* conv = std::get_if<kernels::Conv2DParams>(&params);
  return conv != nullptr && kernels::IsDepthwise(*conv);
}

int64_t InputElements(const CaseParams& params) {
  if (const auto* fc = std::get_if<kernels::FullyConnectedParams>(&params)) {
    return int64_t{fc->rows} * fc->in_features;
  }
  const auto& conv = std::get<kernels::Conv2DParams>(params);
  return int64_t{conv.batch} * conv.in_h * conv.in_w * conv.in_c;
}

int64_t OutputElements(const CaseParams& params) {
  const GemmShape s = ShapeOf(params);
  return int64_t{s.m} * s.n;
}

AlignedBytes AllocateAlignedBytes(size_t bytes) {
  constexpr size_t kAlignment = 64;
  const size_t size = (bytes / kAlignment + 1) * kAlignment;
  AlignedBytes buffer(static_cast<uint8_t*>(std::aligned_alloc(kAlignment, size)));
  if (buffer == nullptr) throw std::bad_alloc();
  std::memset(buffer.get(), 0, size);
  return buffer;
}

std::unique_ptr<Operands> MakeOperands(const KernelCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  auto ops = std::make_unique<Operands>();
  ops->params = c.params;
  const GemmShape shape = ShapeOf(c.params);
  const bool int4 = std::visit([](const auto& p) { return p.weight_type; }, c.params) ==
                    kernels::WeightType::kInt4;

  const int64_t input_count = InputElements(c.params);
  ops->input = AllocateAlignedBytes(static_cast<size_t>(input_count));
  for (int64_t i = 0; i < input_count; ++i) ops->input[i] = static_cast<uint8_t>(rng() >> 24);

  // Symmetric per-channel weights use the whole range.
  const int32_t w_max = int4 ? 7 : 127;
  ops->weight_values.resize(static_cast<size_t>(shape.n) * shape.k);
  for (int8_t& w : ops->weight_values) w = static_cast<int8_t>(UniformInt(&rng, -w_max - 1, w_max));
  if (int4) {
    const size_t row_bytes = kernels::Int4RowBytes(static_cast<size_t>(shape.k));
    ops->weights.assign(row_bytes * shape.n, 0);
    for (int n = 0; n < shape.n; ++n) {
      for (int k = 0; k < shape.k; ++k) {
        kernels::Int4Set(ops->weights.data() + row_bytes * n, static_cast<size_t>(k),
                         ops->weight_values[static_cast<size_t>(n) * shape.k + k]);
      }
    }
  } else {
    ops->weights.assign(ops->weight_values.begin(), ops->weight_values.end());
  }

  // With u = x + 128 uniform on [0, 255], acc_c = sum_k u_k w_ck has
  // E[acc_c^2] = E[u]^2 (sum w)^2 + Var[u] sum w^2.
  const double mean_u = 127.5;
  const double var_u = (256.0 * 256.0 - 1.0) / 12.0;
  for (int n = 0; n < shape.n; ++n) {
    double sum = 0.0, sum_squares = 0.0;
    for (int k = 0; k < shape.k; ++k) {
      const double w = ops->weight_values[static_cast<size_t>(n) * shape.k + k];
      sum += w;
      sum_squares += w * w;
    }
    const double rms = std::max(1.0, std::sqrt(mean_u * mean_u * sum * sum + var_u * sum_squares));
    const auto bias_range = static_cast<int32_t>(rms / 8.0);
    ops->bias.push_back(UniformInt(&rng, -bias_range, bias_range));
    const double jitter = 0.75 + 0.5 * static_cast<double>(rng()) / 4294967296.0;
    kernels::Dyadic d{};
    if (kernels::QuantizeMultiplier(kOutputSpread / rms * jitter, &d) !=
        kernels::QuantizeMultiplierError::kOk) {
      throw std::logic_error(c.name + ": no dyadic multiplier for channel " + std::to_string(n));
    }
    ops->multiplier.push_back(d.multiplier);
    ops->shift.push_back(static_cast<int8_t>(d.shift));
    ops->scale.push_back(static_cast<float>(kernels::DyadicToDouble(d)));
  }
  const kernels::ChannelRequant requant{ops->multiplier.data(), ops->shift.data()};
  std::visit([&](auto& p) { p.requant = requant; }, ops->params);
  return ops;
}

}  // namespace qrt::bench
