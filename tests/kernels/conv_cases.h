// The drawing side of the random GEMM-shaped kernel cases (convolution, depthwise
// convolution, fully connected) that gemm_check.h checks: weights, inputs and
// biases drawn with now and then the extremes, the exact per-channel accumulator
// ranges a convolution's output quantization is drawn from, and the weights in
// the form the kernels take them. Every test draws in the same order from its own
// seed, so a case is reproduced by its seed alone.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "kernels/gemm_check.h"
#include "kernels/oracle.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {

// count weights of `type`'s range; now and then every one at an end of it.
inline std::vector<int8_t> DrawWeights(size_t count, kernels::WeightType type, Rng& rng) {
  const bool int4 = type == kernels::WeightType::kInt4;
  const int32_t w_min = int4 ? -8 : -127;
  const int32_t w_max = int4 ? 7 : 127;
  std::vector<int8_t> w = rng.Int8s(count, w_min, w_max);
  if (rng.Int(0, 3) == 0) {
    for (int8_t& v : w) v = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
  }
  return w;
}

// count int8 activations; now and then all -128 or all 127.
inline std::vector<int8_t> DrawInput(size_t count, Rng& rng) {
  std::vector<int8_t> in = rng.Int8s(count);
  if (rng.Int(0, 7) == 0) {
    std::fill(in.begin(), in.end(), static_cast<int8_t>(rng.Bool() ? -128 : 127));
  }
  return in;
}

// count biases; now and then anywhere in int32, so accumulators wrap as the
// reference's do.
inline std::vector<int32_t> DrawBias(size_t count, Rng& rng) {
  return rng.Int(0, 7) == 0 ? rng.Int32s(count, INT32_MIN, INT32_MAX)
                            : rng.Int32s(count, -5000, 5000);
}

// Per-channel [lo, hi] of the exact accumulators of a (grouped, also depthwise)
// convolution over every output pixel, summed in int64 by params.h's formula: the
// reference run with an identity requantization would saturate.
inline void ConvAccumulatorRanges(const kernels::Conv2DParams& p, const std::vector<int8_t>& in,
                                  const std::vector<int8_t>& w, const std::vector<int32_t>& bias,
                                  std::vector<int64_t>* lo, std::vector<int64_t>* hi) {
  const int cin_g = p.in_c / p.groups;
  const int cout_g = p.out_c / p.groups;
  const auto k_len = static_cast<size_t>(p.kernel_h) * p.kernel_w * cin_g;
  lo->assign(static_cast<size_t>(p.out_c), INT64_MAX);
  hi->assign(static_cast<size_t>(p.out_c), INT64_MIN);
  for (int m = 0; m < p.batch * p.out_h * p.out_w; ++m) {
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    for (int c = 0; c < p.out_c; ++c) {
      const int g = c / cout_g;
      int64_t acc = bias[static_cast<size_t>(c)];
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int iy = y * p.stride_h - p.pad_top + ky * p.dilation_h;
          const int ix = x * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (iy < 0 || iy >= p.in_h || ix < 0 || ix >= p.in_w) continue;
          for (int i = 0; i < cin_g; ++i) {
            const size_t at =
                ((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.in_c + g * cin_g + i;
            const size_t k = (static_cast<size_t>(ky) * p.kernel_w + kx) * cin_g + i;
            acc += (in[at] - p.input_zero_point) * int64_t{w[static_cast<size_t>(c) * k_len + k]};
          }
        }
      }
      (*lo)[static_cast<size_t>(c)] = std::min((*lo)[static_cast<size_t>(c)], acc);
      (*hi)[static_cast<size_t>(c)] = std::max((*hi)[static_cast<size_t>(c)], acc);
    }
  }
}

// Weights [rows, row_len] as the kernels take them: int8 values as they are, int4
// ones packed a row at a time (oracle.h). Not copyable: data() may point into it.
class KernelWeights {
 public:
  KernelWeights(const std::vector<int8_t>& w, kernels::WeightType type, size_t rows, size_t row_len)
      : int4_rows_(type == kernels::WeightType::kInt4 ? PackInt4Rows(w, rows, row_len)
                                                      : std::vector<uint8_t>{}),
        data_(type == kernels::WeightType::kInt4 ? static_cast<const void*>(int4_rows_.data())
                                                 : w.data()) {}
  KernelWeights(const KernelWeights&) = delete;
  KernelWeights& operator=(const KernelWeights&) = delete;

  const void* data() const { return data_; }

 private:
  std::vector<uint8_t> int4_rows_;
  const void* data_;
};

// The drawn geometry of a convolution case, which a failing case's
// CAPTURE(geometry) prints: batch, image, strides and padding (Conv2DParams holds
// only the top and left padding).
struct DrawnGeometry {
  int batch, in_h, in_w;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
};

inline std::ostream& operator<<(std::ostream& os, const DrawnGeometry& g) {
  return os << "batch " << g.batch << ", image " << g.in_h << "x" << g.in_w << ", stride "
            << g.stride_h << "x" << g.stride_w << ", padding top " << g.pad_top << " left "
            << g.pad_left << " bottom " << g.pad_bottom << " right " << g.pad_right;
}

// Draws asymmetric padding for a convolution whose kernel, strides, dilations and
// image are set: each side up to limit_h or limit_w, but at least enough that the
// dilated kernel fits. Sets the padding and out_h, out_w; returns the case's
// geometry.
inline DrawnGeometry DrawPaddingAndOutput(kernels::Conv2DParams* p, int limit_h, int limit_w,
                                          Rng& rng) {
  const int eff_h = p->dilation_h * (p->kernel_h - 1) + 1;
  const int eff_w = p->dilation_w * (p->kernel_w - 1) + 1;
  p->pad_top = static_cast<int>(rng.Int(0, limit_h));
  p->pad_left = static_cast<int>(rng.Int(0, limit_w));
  const int pad_bottom =
      std::max(static_cast<int>(rng.Int(0, limit_h)), eff_h - p->in_h - p->pad_top);
  const int pad_right =
      std::max(static_cast<int>(rng.Int(0, limit_w)), eff_w - p->in_w - p->pad_left);
  p->out_h = (p->in_h + p->pad_top + pad_bottom - eff_h) / p->stride_h + 1;
  p->out_w = (p->in_w + p->pad_left + pad_right - eff_w) / p->stride_w + 1;
  return {p->batch,   p->in_h,     p->in_w,    p->stride_h, p->stride_w,
          p->pad_top, p->pad_left, pad_bottom, pad_right};
}

// The data of a convolution or fully connected case: weights, input, bias and the
// output quantization p.requant views. Not copyable (p.requant and weights point
// into it).
struct CaseData {
  CaseData() = default;
  CaseData(const CaseData&) = delete;
  CaseData& operator=(const CaseData&) = delete;

  std::vector<int8_t> w;
  std::vector<int8_t> in;
  std::vector<int32_t> bias;
  DrawnRequant requant;
  std::unique_ptr<KernelWeights> weights;
};

// Draws the data of a convolution whose shape is set (everything up to out_h and
// out_w): the input zero point, weights of `type`, input, bias, then the output
// quantization for the exact accumulator ranges, in that order.
inline void DrawCaseData(kernels::Conv2DParams* p, kernels::WeightType type, Rng& rng,
                         CaseData* d) {
  p->input_zero_point = rng.ZeroPoint();
  p->weight_type = type;
  const auto k_len = static_cast<size_t>(p->kernel_h) * p->kernel_w * (p->in_c / p->groups);
  const auto out_c = static_cast<size_t>(p->out_c);
  d->w = DrawWeights(out_c * k_len, type, rng);
  d->in = DrawInput(
      static_cast<size_t>(p->batch) * p->in_h * p->in_w * static_cast<size_t>(p->in_c), rng);
  d->bias = DrawBias(out_c, rng);
  std::vector<int64_t> lo;
  std::vector<int64_t> hi;
  ConvAccumulatorRanges(*p, d->in, d->w, d->bias, &lo, &hi);
  d->requant = DrawRequantForRanges(lo, hi, rng);
  p->output_zero_point = d->requant.zero_point;
  p->requant = d->requant.requant.View();
  p->clamp = d->requant.clamp;
  d->weights = std::make_unique<KernelWeights>(d->w, type, out_c, k_len);
}

// Draws a fully connected case of rows x in_features k x out_features n into p and
// d, in the order DrawConvData draws a convolution's.
inline void DrawFullyConnectedCase(int rows, int k, int n, kernels::WeightType type, Rng& rng,
                                   kernels::FullyConnectedParams* p, CaseData* d) {
  *p = kernels::FullyConnectedParams{};
  p->rows = rows;
  p->in_features = k;
  p->out_features = n;
  p->input_zero_point = rng.ZeroPoint();
  p->weight_type = type;
  const auto n_out = static_cast<size_t>(n);
  const auto k_len = static_cast<size_t>(k);
  d->w = DrawWeights(n_out * k_len, type, rng);
  d->in = DrawInput(static_cast<size_t>(rows) * k_len, rng);
  d->bias = DrawBias(n_out, rng);
  std::vector<int64_t> lo(n_out, INT64_MAX);
  std::vector<int64_t> hi(n_out, INT64_MIN);
  for (size_t c = 0; c < n_out; ++c) {
    for (size_t r = 0; r < static_cast<size_t>(rows); ++r) {
      int64_t acc = d->bias[c];
      for (size_t i = 0; i < k_len; ++i) {
        acc += (d->in[r * k_len + i] - p->input_zero_point) * int64_t{d->w[c * k_len + i]};
      }
      lo[c] = std::min(lo[c], acc);
      hi[c] = std::max(hi[c], acc);
    }
  }
  d->requant = DrawRequantForRanges(lo, hi, rng);
  p->output_zero_point = d->requant.zero_point;
  p->requant = d->requant.requant.View();
  p->clamp = d->requant.clamp;
  d->weights = std::make_unique<KernelWeights>(d->w, type, n_out, k_len);
}

// A fully connected kernel at the accumulator extremes: every input at x - zx =
// -255 or 255 (u8 0 or 255 inside x86's kernels) and every weight at one extreme
// (each sign, int8 and int4), `rows` rows and 17 channels (a tile and a
// remainder), through ExpectGemmMatchesReference. K is the largest the validator
// accepts for int8 weights, and for int4 also 65536, the most the AVX-512 VNNI
// kernel's int4 tiles take (pack/gemm_16c4_vnni.h). Returns the kernel runs.
inline int ExpectFullyConnectedExtremes(const kernels::FullyConnectedKernel& kernel, int rows) {
  constexpr int kN = 17;
  int runs = 0;
  Rng rng(7);
  for (const kernels::WeightType type : {kernels::WeightType::kInt8, kernels::WeightType::kInt4}) {
    const bool int4 = type == kernels::WeightType::kInt4;
    for (const int k : int4 ? std::vector<int>{65536, 66311} : std::vector<int>{66311}) {
      for (const int32_t x : {-128, 127}) {
        for (const int32_t w_value : {int4 ? -8 : -127, int4 ? 7 : 127}) {
          CAPTURE(static_cast<int>(type));
          CAPTURE(k);
          CAPTURE(x);
          CAPTURE(w_value);
          kernels::FullyConnectedParams p{};
          p.rows = rows;
          p.in_features = k;
          p.out_features = kN;
          p.input_zero_point = x == -128 ? 127 : -128;
          p.weight_type = type;
          ChannelRequantStorage requant;
          for (int c = 0; c < kN; ++c) {
            requant.Push(MustQuantizeMultiplier(1.0 / (k * 127.0 * 255.0 / (100.0 + c))));
          }
          p.requant = requant.View();
          p.clamp = {-128, 127};
          const std::vector<int8_t> in(static_cast<size_t>(rows) * k, static_cast<int8_t>(x));
          const std::vector<int8_t> w(size_t{kN} * k, static_cast<int8_t>(w_value));
          const std::vector<int32_t> bias(kN, 0);
          const KernelWeights weights(w, type, kN, k);
          runs += ExpectGemmMatchesReference(kernel, kernels::ref::FullyConnected, p, in,
                                             weights.data(), bias, rng);
        }
      }
    }
  }
  return runs;
}

// The shape of a random convolution case; image size, padding, data and
// quantization are drawn (DrawConvCase).
struct ConvShape {
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int groups, group_in_c, group_out_c;
  int max_image;  // in_h and in_w are drawn from [min_image, max_image]
  kernels::WeightType type;
  bool no_padding = false;
  int min_image = 1;
};

// What a failing case's CAPTURE(shape) prints: every field of the shape.
inline std::ostream& operator<<(std::ostream& os, const ConvShape& s) {
  return os << "kernel " << s.kernel_h << "x" << s.kernel_w << ", stride " << s.stride_h << "x"
            << s.stride_w << ", dilation " << s.dilation_h << "x" << s.dilation_w << ", "
            << s.groups << " groups of " << s.group_in_c << " -> " << s.group_out_c
            << " channels, image " << s.min_image << ".." << s.max_image
            << (s.no_padding ? " unpadded" : "") << ", "
            << (s.type == kernels::WeightType::kInt4 ? "int4" : "int8");
}

// Draws a case of shape s into p and d: batch, image, padding (none with
// s.no_padding, the image then at least the dilated kernel), then DrawCaseData.
// Returns the case's geometry.
inline DrawnGeometry DrawConvCase(const ConvShape& s, Rng& rng, kernels::Conv2DParams* p,
                                  CaseData* d) {
  *p = kernels::Conv2DParams{};
  p->batch = static_cast<int>(rng.Int(1, 2));
  p->kernel_h = s.kernel_h;
  p->kernel_w = s.kernel_w;
  p->stride_h = s.stride_h;
  p->stride_w = s.stride_w;
  p->dilation_h = s.dilation_h;
  p->dilation_w = s.dilation_w;
  p->groups = s.groups;
  p->in_c = s.groups * s.group_in_c;
  p->out_c = s.groups * s.group_out_c;
  p->in_h = static_cast<int>(rng.Int(s.min_image, s.max_image));
  p->in_w = static_cast<int>(rng.Int(s.min_image, s.max_image));
  const int eff_h = p->dilation_h * (p->kernel_h - 1) + 1;
  const int eff_w = p->dilation_w * (p->kernel_w - 1) + 1;
  if (s.no_padding) {
    p->in_h = std::max(p->in_h, eff_h);
    p->in_w = std::max(p->in_w, eff_w);
  }
  const DrawnGeometry geometry =
      DrawPaddingAndOutput(p, s.no_padding ? 0 : eff_h, s.no_padding ? 0 : eff_w, rng);
  DrawCaseData(p, s.type, rng, d);
  return geometry;
}

// Calls run(shape, seed) on `cases` random shapes for each kernel size 1, 3, 5, 7
// (now and then another width), stride 1, 2 and dilation 1, 2 (now and then others
// across), int8 and int4: up to 3 groups of 1-19 input and 1-max_group_out_c output
// channels, images up to 9x9. Seeds from 1001 on.
template <class Run>
void SweepKernelsStridesDilations(int cases, int max_group_out_c, const Run& run) {
  uint64_t seed = 1000;
  for (const kernels::WeightType type : {kernels::WeightType::kInt8, kernels::WeightType::kInt4}) {
    for (const int kernel : {1, 3, 5, 7}) {
      for (const int stride : {1, 2}) {
        for (const int dilation : {1, 2}) {
          for (int i = 0; i < cases; ++i) {
            ++seed;
            Rng rng(seed);
            ConvShape s{};
            s.kernel_h = kernel;
            s.kernel_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(1, 4)) : kernel;
            s.stride_h = stride;
            s.stride_w = rng.Int(0, 3) == 0 ? 3 - stride : stride;
            s.dilation_h = dilation;
            s.dilation_w = rng.Int(0, 3) == 0 ? static_cast<int>(rng.Int(1, 3)) : dilation;
            s.groups = rng.Int(0, 2) == 0 ? static_cast<int>(rng.Int(2, 3)) : 1;
            s.group_in_c = static_cast<int>(rng.Int(1, 19));
            s.group_out_c = static_cast<int>(rng.Int(1, max_group_out_c));
            s.max_image = 9;
            s.type = type;
            CAPTURE(s);
            CAPTURE(seed);
            run(s, seed);
          }
        }
      }
    }
  }
}

}  // namespace qrt::test
