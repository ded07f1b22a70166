// Parameters of every kernel family. A reference kernel and every fast path of
// the same family take the same parameter struct, so the runtime prepares it once
// and the tests drive all paths with identical inputs. All tensors are int8
// unless a field says otherwise; 4-D activations are NHWC. Pointers name memory
// the caller owns; the kernels never allocate.
#pragma once

#include <cstdint>

#include "qrt/kernels/requant.h"

namespace qrt::kernels {

inline constexpr int kMaxRank = 6;

enum class WeightType : uint8_t { kInt8, kInt4 };

// Per-output-channel requantization, as stored in the model: channel c uses
// Dyadic{multiplier[c], shift[c]}.
struct ChannelRequant {
  const int32_t* multiplier;
  const int8_t* shift;
  Dyadic At(int c) const { return Dyadic{multiplier[c], shift[c]}; }
};

// The fused activation: outputs are clamped to [lo, hi].
struct OutputClamp {
  int32_t lo;
  int32_t hi;
};

// Grouped 2-D convolution. Weights are OHWI [out_c, kernel_h, kernel_w, in_c / groups]
// (int8, or int4 with one packed row per output channel), bias int32 [out_c].
// Output (n, y, x, c) with g = c / (out_c / groups):
//   acc = bias[c] + sum over (ky, kx, i) of (in(n, iy, ix, g * in_c/groups + i) - zx) * w[c, ky,
//   kx, i] with iy = y * stride_h - pad_top + ky * dilation_h (ix likewise); positions outside the
//   input hold zx, so they add nothing. out = Requantize(acc, requant[c], zy, clamp)
struct Conv2DParams {
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_top, pad_left;
  int groups;
  int32_t input_zero_point;
  int32_t output_zero_point;
  WeightType weight_type;
  ChannelRequant requant;
  OutputClamp clamp;
};

// out[r, n] = Requantize(bias[n] + sum_k (in[r, k] - zx) * w[n, k], requant[n], zy, clamp)
// Weights [out_features, in_features] int8 or int4, bias int32 [out_features].
struct FullyConnectedParams {
  int rows;
  int in_features;
  int out_features;
  int32_t input_zero_point;
  int32_t output_zero_point;
  WeightType weight_type;
  ChannelRequant requant;
  OutputClamp clamp;
};

// The 1x1 convolution that a fully connected layer is: p.rows pixels [rows, 1, 1,
// in_features], whose [out_features, in_features] weights are that convolution's OHWI
// weights, so one GEMM kernel and one packer serve both operators. Defined in a
// baseline translation unit (not inline) so that no helper is shared between
// baseline and ISA-flagged code (ODR).
Conv2DParams Conv2DOfFullyConnected(const FullyConnectedParams& p);

// The part of a GEMM-shaped output that one kernel call computes: rows
// [m_begin, m_end) and channels [n_begin, n_end) of the output viewed as [M, N]
// (fully connected: M = rows, N = out_features; convolution: M = batch * out_h *
// out_w in NHWC order, N = out_c). Calls on disjoint tiles write disjoint bytes and
// each output byte depends only on its own row and channel, so threads may run the
// tiles of one output concurrently and the result does not depend on the split.
// n_begin is a multiple of the kernel's channel_block (dispatch.h).
struct OutputTile {
  int m_begin, m_end;
  int n_begin, n_end;
};

inline OutputTile WholeOutput(const FullyConnectedParams& p) {
  return {0, p.rows, 0, p.out_features};
}
inline OutputTile WholeOutput(const Conv2DParams& p) {
  return {0, p.batch * p.out_h * p.out_w, 0, p.out_c};
}

// A depthwise convolution (one input and one output channel per group): what the
// depthwise kernels (dispatch.h: depthwise_conv2d) run rather than conv2d.
inline bool IsDepthwise(const Conv2DParams& p) { return p.groups == p.in_c && p.out_c == p.in_c; }

// Numpy-style broadcast of two operands of rank `rank` (shapes padded on the
// left with 1s to the same rank) to out_shape.
struct BroadcastShapes {
  int rank;
  int32_t a[kMaxRank];
  int32_t b[kMaxRank];
  int32_t out[kMaxRank];
};

// a' = Rescale((a - za) << left_shift, a_requant), b' likewise,
// out = Requantize(a' + b', out_requant, zy, clamp).
// The model guarantees a_requant and b_requant are below 1, so a' + b' fits int32.
struct AddParams {
  BroadcastShapes shapes;
  int32_t a_zero_point, b_zero_point, output_zero_point;
  int32_t left_shift;
  Dyadic a_requant, b_requant, out_requant;
  OutputClamp clamp;
};

// out = Requantize((a - za) * (b - zb), requant, zy, clamp)
struct MulParams {
  BroadcastShapes shapes;
  int32_t a_zero_point, b_zero_point, output_zero_point;
  Dyadic requant;
  OutputClamp clamp;
};

// Max and average pooling over NHWC windows. Window (y, x) covers input rows
// y * stride_h - pad_top + [0, kernel_h) (columns likewise); positions outside the
// input are skipped by max pooling and add nothing to an average.
// Average: acc = sum over valid positions of (in - zx); n = the number of valid
// positions, or of positions inside the padded input when count_include_pad;
// out = Requantize(acc, count_requant[n - 1], zy, clamp).
// Max: out = clamp(max over valid positions of in, lo, hi) (input and output share
// their quantization); a window with no valid position gives clamp(zx).
struct Pool2DParams {
  int batch, in_h, in_w, channels;
  int out_h, out_w;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left, pad_bottom, pad_right;
  bool count_include_pad;
  int32_t input_zero_point;
  int32_t output_zero_point;
  ChannelRequant count_requant;  // kernel_h * kernel_w entries; average only
  OutputClamp clamp;
};

// Concatenation along one axis of tensors viewed as [outer, axis_size_i, inner]:
// out = clamp(Rescale(in_i - z_i, requant_i) + zy, -128, 127).
struct ConcatParams {
  int num_inputs;
  int outer;
  int inner;
  const int32_t* axis_sizes;   // num_inputs entries
  const int32_t* zero_points;  // num_inputs entries
  ChannelRequant requant;      // num_inputs entries
  int32_t output_zero_point;
};

// out[i_0, ..., i_{r-1}] = in[j] with j_{perm[d]} = i_d.
struct TransposeParams {
  int rank;
  int32_t in_shape[kMaxRank];
  int32_t perm[kMaxRank];
};

// Constant padding: out has in_shape[d] + pads_begin[d] + pads_end[d] along d.
struct PadParams {
  int rank;
  int32_t in_shape[kMaxRank];
  int32_t pads_begin[kMaxRank];
  int32_t pads_end[kMaxRank];
  int8_t value;
};

enum class CoordinateTransform : uint8_t { kAsymmetric, kHalfPixel, kAlignCorners };
enum class NearestRounding : uint8_t { kFloor, kCeil, kRoundPreferFloor, kRoundPreferCeil };

// Nearest-neighbour resize of NHWC planes. Each output coordinate maps to a
// rational source coordinate (computed exactly in integers), rounded by
// `rounding` and clamped to the input:
//   asymmetric:    x * in / out
//   half_pixel:    (x + 1/2) * in / out - 1/2
//   align_corners: x * (in - 1) / (out - 1), 0 when out == 1
struct ResizeNearestParams {
  int batch, in_h, in_w, channels;
  int out_h, out_w;
  CoordinateTransform transform;
  NearestRounding rounding;
};

// out[i] = table[in[i] + 128]
struct LookupParams {
  int64_t count;
  const int8_t* table;  // 256 entries
};

// The 256-entry LOOKUP table of a HardSigmoid or HardSwish, built from integer
// parameters (ref::BuildHardActivationTable, schema version 4). For each input q,
// with d = q - input_zero_point and u = clamp(d * 2^fraction_bits + offset, 0, width):
//   kHardSigmoid: table[q + 128] = Requantize(u, multiplier, output_zero_point, clamp)
//   kHardSwish:   table[q + 128] = Requantize(d * u, multiplier, output_zero_point, clamp)
// For f(x) = clamp(alpha * x + beta, 0, 1) (HardSwish: x * f(x) with alpha = 1/6,
// beta = 1/2) and scales Sx, Sy the converter sets offset =
// round(2^F * beta / (alpha * Sx)), width = round(2^F / (alpha * Sx)) and multiplier
// = alpha * Sx / (2^F * Sy) (HardSwish: alpha * Sx^2 / (2^F * Sy)), F = fraction_bits.
enum class HardFunction : uint8_t { kHardSigmoid, kHardSwish };

inline constexpr int32_t kMaxHardFractionBits = 23;
// 255 * width, the largest |d * u|, fits int32.
inline constexpr int32_t kMaxHardWidth = 2147483647 / 255;

struct HardActivationParams {
  HardFunction function;
  int32_t input_zero_point;   // [-128, 127]
  int32_t fraction_bits;      // [0, kMaxHardFractionBits]
  int32_t offset;             // any int32
  int32_t width;              // [1, kMaxHardWidth]
  Dyadic multiplier;          // IsValidDyadic
  int32_t output_zero_point;  // [-128, 127]
  OutputClamp clamp;          // lo <= hi
};

// Along the last axis of rows x depth: d = max(row) - x in [0, 255];
// p = floor((E[d] * 2^30 + sum/2) / sum) with sum = sum over the row of E[d];
// out = Requantize(p, requant, zy, clamp).
struct SoftmaxParams {
  int rows;
  int depth;
  const int32_t* exp_table;  // 256 entries in [0, 2^16]
  Dyadic requant;
  int32_t output_zero_point;
  OutputClamp clamp;
};

// Transposed 2-D convolution (ONNX ConvTranspose with groups 1, dilation 1).
// Weights are OHWI [out_c, kernel_h, kernel_w, in_c] as for Conv2D (int8, or int4
// with one packed row per output channel), bias int32 [out_c]. Every input pixel
// (iy, ix) adds its taps to output pixels y = iy * stride_h - pad_top + ky,
// x = ix * stride_w - pad_left + kx; gathered per output (n, y, x, c):
//   acc = bias[c] + sum over (ky, kx, i) and the input pixels (iy, ix) inside the
//         input that reach (y, x) through (ky, kx) of (in(n, iy, ix, i) - zx) * w[c, ky, kx, i]
//   out = Requantize(acc, requant[c], zy, clamp)
// out_h and out_w are the output tensor's; output pixels no tap reaches get the bias.
struct ConvTranspose2DParams {
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int kernel_h, kernel_w;
  int stride_h, stride_w;
  int pad_top, pad_left;
  int32_t input_zero_point;
  int32_t output_zero_point;
  WeightType weight_type;
  ChannelRequant requant;
  OutputClamp clamp;
};

// Bits of the interpolation weights of ResizeBilinear: a weight w in [0, 1] is
// held as an integer in [0, 2^kResizeBilinearWeightBits].
inline constexpr int kResizeBilinearWeightBits = 11;

// Bilinear resize of NHWC planes. Along each axis the output coordinate maps to
// the source coordinate src of ResizeNearestParams (asymmetric, half_pixel,
// align_corners), computed as an exact fraction num / den and clamped to
// [0, in - 1]; i0 = floor(src), i1 = min(i0 + 1, in - 1) and the weight of i1 is
// f = floor(frac(src) * 2^B + 1/2) with B = kResizeBilinearWeightBits (i0 gets
// 2^B - f). Per output (n, y, x, c):
//   acc = sum over the 2 x 2 neighbours of wy * wx * (in(n, iy, ix, c) - zx)
//   out = Requantize(acc, requant, zy, clamp), requant ~ Sx / (Sy * 2^(2B))
// |acc| <= 255 * 2^(2B) < 2^31.
struct ResizeBilinearParams {
  int batch, in_h, in_w, channels;
  int out_h, out_w;
  CoordinateTransform transform;
  int32_t input_zero_point;
  int32_t output_zero_point;
  Dyadic requant;
  OutputClamp clamp;
};

// Fraction bits of the normalized value inside LayerNorm.
inline constexpr int kLayerNormFractionBits = 16;

// Layer normalization over the last axis of rows x depth, integer-only. Per row,
// with d_i = in_i - zx and F = kLayerNormFractionBits:
//   S = sum d_i, c_i = depth * d_i - S            (depth times the centred value)
//   W = depth * sum d_i^2 - S^2 + epsilon         (depth^2 times the variance, plus
//                                                  epsilon = round(eps * depth^2 / Sx^2))
//   k = floor((62 - bit_width(W)) / 2), r = isqrt(W * 4^k)   (floor of the square root;
//                                                  W * 4^k is in [2^60, 2^62))
//   n_i = round(c_i * 2^(k + F) / r), ties up      (the normalized value in QF;
//                                                  0 when W == 0)
//   out_i = Requantize(gamma[i] * n_i + beta[i], requant[i], zy, clamp)
// with gamma int8 per channel (scale Sg_i), beta int32 in units of Sg_i * 2^-F and
// requant[i] ~ Sg_i / (Sy * 2^F). The model keeps depth <= 2^16, epsilon <= 2^60
// and max|gamma| * (sqrt(depth - 1) + 1) * 2^F + max|beta| < 2^31.
struct LayerNormParams {
  int rows;
  int depth;
  int32_t input_zero_point;
  int32_t output_zero_point;
  int64_t epsilon;
  const int8_t* gamma;     // depth entries
  const int32_t* beta;     // depth entries
  ChannelRequant requant;  // depth entries
  OutputClamp clamp;
};

// Matrix product of two int8 activations with numpy-broadcast batch dimensions:
// a [batch_a..., m, k], b [batch_b..., k, n] ([batch_b..., n, k] when transpose_b),
// out [batch..., m, n] where `batch` broadcasts batch_a and batch_b (rank 0 is one
// matrix). Per output matrix and its operand matrices A, B:
//   acc = sum_j (A[i, j] - za) * (B[j, l] - zb)     (B[l, j] when transpose_b)
//   out[i, l] = Requantize(acc, requant, zy, clamp)
// The model keeps k * 255 * 255 < 2^31.
struct BatchMatMulParams {
  BroadcastShapes batch;
  int m, k, n;
  bool transpose_b;
  int32_t a_zero_point, b_zero_point, output_zero_point;
  Dyadic requant;
  OutputClamp clamp;
};

// Strided slice: out[i_0, ..., i_{r-1}] = in[begin_0 + i_0 * step_0, ...], out_shape
// given; every index it reads lies inside in_shape, and no step is 0.
struct SliceParams {
  int rank;
  int32_t in_shape[kMaxRank];
  int32_t out_shape[kMaxRank];
  int32_t begin[kMaxRank];
  int32_t step[kMaxRank];
};

// Model boundary: q = clamp(round_half_even(x / scale) + zero_point, -128, 127);
// NaN maps to zero_point.
struct QuantizeParams {
  int64_t count;
  float scale;
  int32_t zero_point;
};

// Model boundary: x = scale * (q - zero_point).
struct DequantizeParams {
  int64_t count;
  float scale;
  int32_t zero_point;
};

}  // namespace qrt::kernels
