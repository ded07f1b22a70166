// Grouped 2-D convolution, the formula of Conv2DParams (params.h):
//   acc = bias[c] + sum_{ky,kx,i} (in(n, iy, ix, g * in_c/groups + i) - zx) * w[c, ky, kx, i]
//   out = Requantize(acc, requant[c], zy, clamp)
// Positions outside the input hold zx and contribute nothing, so they are skipped.
// Only the output pixels m and channels c of `tile` are computed.
// The sum is taken in int64 and narrowed modulo 2^32 to the int32 accumulator: the
// model keeps it in range, and out of range the result is the wrapped int32 sum an
// int32 SIMD accumulator produces.
#include <cstdint>

#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "weights.h"

namespace qrt::kernels::ref {

void Conv2D(const Conv2DParams& p, const int8_t* input, const void* weights, const int32_t* bias,
            int8_t* output, const OutputTile& tile) {
  const int group_in_c = p.in_c / p.groups;
  const int group_out_c = p.out_c / p.groups;
  const int64_t row_length = int64_t{p.kernel_h} * p.kernel_w * group_in_c;
  for (int m = tile.m_begin; m < tile.m_end; ++m) {
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    for (int c = tile.n_begin; c < tile.n_end; ++c) {
      const int g = c / group_out_c;
      int64_t acc = bias[c];
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        const int iy = y * p.stride_h - p.pad_top + ky * p.dilation_h;
        if (iy < 0 || iy >= p.in_h) continue;
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int ix = x * p.stride_w - p.pad_left + kx * p.dilation_w;
          if (ix < 0 || ix >= p.in_w) continue;
          const int8_t* in =
              input + ((int64_t{n} * p.in_h + iy) * p.in_w + ix) * p.in_c + int64_t{g} * group_in_c;
          const int64_t k0 = (int64_t{ky} * p.kernel_w + kx) * group_in_c;
          for (int i = 0; i < group_in_c; ++i) {
            acc += (in[i] - p.input_zero_point) *
                   int64_t{WeightAt(weights, p.weight_type, row_length, c, k0 + i)};
          }
        }
      }
      output[int64_t{m} * p.out_c + c] = Requantize(static_cast<int32_t>(acc), p.requant.At(c),
                                                    p.output_zero_point, p.clamp.lo, p.clamp.hi);
    }
  }
}

}  // namespace qrt::kernels::ref
