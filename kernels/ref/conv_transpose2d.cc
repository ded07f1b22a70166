// Transposed 2-D convolution, the formula of ConvTranspose2DParams (params.h),
// gathered per output pixel: tap (ky, kx) of input pixel (iy, ix) lands on
// y = iy * stride_h - pad_top + ky, so output row y reads input row
// iy = (y + pad_top - ky) / stride_h when that division is exact and iy is inside
// the input (columns likewise):
//   acc = bias[c] + sum over those (ky, kx, iy, ix) and i of (in(n, iy, ix, i) - zx) * w[c, ky, kx,
//   i] out = Requantize(acc, requant[c], zy, clamp)
// As in Conv2D, the int64 sum is narrowed modulo 2^32 (the model keeps it in range).
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "weights.h"

namespace qrt::kernels::ref {
namespace {

// The input index that reaches output index `out` through tap `tap`, or -1. In
// int64: a padding near 2^31 offset by an output padding is a valid model.
int SourceIndex(int out, int tap, int stride, int pad, int in_size) {
  const int64_t t = int64_t{out} + pad - tap;
  if (t < 0 || t % stride != 0 || t / stride >= in_size) return -1;
  return static_cast<int>(t / stride);
}

}  // namespace

void ConvTranspose2D(const ConvTranspose2DParams& p, const int8_t* input, const void* weights,
                     const int32_t* bias, int8_t* output) {
  const int64_t row_length = int64_t{p.kernel_h} * p.kernel_w * p.in_c;
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      for (int x = 0; x < p.out_w; ++x) {
        int8_t* out = output + ((int64_t{n} * p.out_h + y) * p.out_w + x) * p.out_c;
        for (int c = 0; c < p.out_c; ++c) {
          int64_t acc = bias[c];
          for (int ky = 0; ky < p.kernel_h; ++ky) {
            const int iy = SourceIndex(y, ky, p.stride_h, p.pad_top, p.in_h);
            if (iy < 0) continue;
            for (int kx = 0; kx < p.kernel_w; ++kx) {
              const int ix = SourceIndex(x, kx, p.stride_w, p.pad_left, p.in_w);
              if (ix < 0) continue;
              const int8_t* in = input + ((int64_t{n} * p.in_h + iy) * p.in_w + ix) * p.in_c;
              const int64_t k0 = (int64_t{ky} * p.kernel_w + kx) * p.in_c;
              for (int i = 0; i < p.in_c; ++i) {
                acc += (in[i] - p.input_zero_point) *
                       int64_t{WeightAt(weights, p.weight_type, row_length, c, k0 + i)};
              }
            }
          }
          out[c] = Requantize(static_cast<int32_t>(acc), p.requant.At(c), p.output_zero_point,
                              p.clamp.lo, p.clamp.hi);
        }
      }
    }
  }
}

}  // namespace qrt::kernels::ref
