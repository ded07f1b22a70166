#include "qrt/kernels/conv_transpose2d_gemm.h"

#include <cstring>

#include "qrt/kernels/int4.h"

namespace qrt::kernels {

bool IsTapRowGemm(const ConvTranspose2DParams& p) {
  return p.kernel_h == p.stride_h && p.kernel_w == p.stride_w && p.pad_top == 0 &&
         p.pad_left == 0 && int64_t{p.out_h} == int64_t{p.in_h} * p.stride_h &&
         int64_t{p.out_w} == int64_t{p.in_w} * p.stride_w &&
         int64_t{p.kernel_w} * p.out_c <= INT32_MAX;
}

int TapRowChannels(const ConvTranspose2DParams& p) { return p.kernel_w * p.out_c; }

FullyConnectedParams TapRowGemmParams(const ConvTranspose2DParams& p, ChannelRequant tap_requant) {
  FullyConnectedParams f{};
  f.rows = p.in_w;
  f.in_features = p.in_c;
  f.out_features = TapRowChannels(p);
  f.input_zero_point = p.input_zero_point;
  f.output_zero_point = p.output_zero_point;
  f.weight_type = p.weight_type;
  f.requant = tap_requant;
  f.clamp = p.clamp;
  return f;
}

void RepeatOverTaps(const ConvTranspose2DParams& p, const int32_t* bias, int32_t* tap_bias,
                    int32_t* tap_multiplier, int8_t* tap_shift) {
  for (int kx = 0; kx < p.kernel_w; ++kx) {
    for (int c = 0; c < p.out_c; ++c) {
      const int j = kx * p.out_c + c;
      tap_bias[j] = bias[c];
      tap_multiplier[j] = p.requant.multiplier[c];
      tap_shift[j] = p.requant.shift[c];
    }
  }
}

size_t TapRowWeightBytes(const ConvTranspose2DParams& p) {
  const auto rows = static_cast<size_t>(TapRowChannels(p));
  const auto k = static_cast<size_t>(p.in_c);
  return rows * (p.weight_type == WeightType::kInt4 ? Int4RowBytes(k) : k);
}

void GatherTapRowWeights(const ConvTranspose2DParams& p, const void* weights, int ky, void* dst) {
  const auto k = static_cast<size_t>(p.in_c);
  const auto taps = static_cast<size_t>(p.kernel_h) * static_cast<size_t>(p.kernel_w);
  const bool int4 = p.weight_type == WeightType::kInt4;
  const size_t src_row_bytes = int4 ? Int4RowBytes(taps * k) : taps * k;
  const size_t dst_row_bytes = int4 ? Int4RowBytes(k) : k;
  const auto* src = static_cast<const uint8_t*>(weights);
  auto* out = static_cast<uint8_t*>(dst);
  std::memset(out, 0, TapRowWeightBytes(p));
  for (int kx = 0; kx < p.kernel_w; ++kx) {
    for (int c = 0; c < p.out_c; ++c) {
      const uint8_t* src_row = src + static_cast<size_t>(c) * src_row_bytes;
      uint8_t* dst_row = out + static_cast<size_t>(kx * p.out_c + c) * dst_row_bytes;
      const size_t first =
          (static_cast<size_t>(ky) * static_cast<size_t>(p.kernel_w) + static_cast<size_t>(kx)) * k;
      if (!int4) {
        std::memcpy(dst_row, src_row + first, k);
        continue;
      }
      // An int4 tap starts at an odd nibble when `first` is odd: copy value by value.
      for (size_t i = 0; i < k; ++i) Int4Set(dst_row, i, Int4At(src_row, first + i));
    }
  }
}

void ConvTranspose2DByTapRows(const ConvTranspose2DParams& p, const FullyConnectedParams& params,
                              const FullyConnectedKernel& gemm, const void* const* tap_weights,
                              const int32_t* tap_bias, const int8_t* input, int8_t* output,
                              int row_begin, int row_end) {
  const int64_t in_row = int64_t{p.in_w} * p.in_c;
  const int64_t out_row = int64_t{p.out_w} * p.out_c;
  const OutputTile whole = WholeOutput(params);
  for (int r = row_begin; r < row_end; ++r) {
    // Input row r = n * in_h + y feeds output rows n * out_h + y * stride_h + ky,
    // and out_h = in_h * stride_h makes that r * stride_h + ky.
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      const int64_t y = int64_t{r} * p.stride_h + ky;
      gemm.fn(params, input + r * in_row, tap_weights[ky], tap_bias, output + y * out_row, whole);
    }
  }
}

}  // namespace qrt::kernels
