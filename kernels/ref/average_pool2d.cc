// Average pooling (and global average pooling), the formula of Pool2DParams
// (params.h):
//   acc = sum over the window's positions inside the input of (in - zx)
//   n   = that number of positions, or with count_include_pad the number of the
//         window's positions inside the padded input
//   out = Requantize(acc, count_requant[n - 1], zy, clamp)
// count_requant[n - 1] is Sx / (Sy * n), so the division by n is part of the one
// requantization. |acc| <= kernel_h * kernel_w * 255 fits int32 for any window of
// fewer than 2^23 positions. A window with n == 0 has acc == 0 and gives clamp(zy),
// whatever multiplier would be used.
#include <algorithm>
#include <cstdint>

#include "pool_window.h"
#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"

namespace qrt::kernels::ref {

void AveragePool2D(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      const int y0 = y * p.stride_h - p.pad_top;
      const KernelRange ky = ClipWindow(y0, p.kernel_h, 0, p.in_h);
      const KernelRange padded_ky = ClipWindow(y0, p.kernel_h, -p.pad_top, p.in_h + p.pad_bottom);
      for (int x = 0; x < p.out_w; ++x) {
        const int x0 = x * p.stride_w - p.pad_left;
        const KernelRange kx = ClipWindow(x0, p.kernel_w, 0, p.in_w);
        const KernelRange padded_kx = ClipWindow(x0, p.kernel_w, -p.pad_left, p.in_w + p.pad_right);
        const int count =
            p.count_include_pad ? padded_ky.size() * padded_kx.size() : ky.size() * kx.size();
        for (int c = 0; c < p.channels; ++c) {
          int32_t acc = 0;
          for (int i = ky.begin; i < ky.end; ++i) {
            for (int j = kx.begin; j < kx.end; ++j) {
              const int64_t at = ((int64_t{n} * p.in_h + y0 + i) * p.in_w + x0 + j) * p.channels;
              acc += input[at + c] - p.input_zero_point;
            }
          }
          const int64_t out_at = ((int64_t{n} * p.out_h + y) * p.out_w + x) * p.channels + c;
          output[out_at] =
              count == 0
                  ? static_cast<int8_t>(std::clamp(p.output_zero_point, p.clamp.lo, p.clamp.hi))
                  : Requantize(acc, p.count_requant.At(count - 1), p.output_zero_point, p.clamp.lo,
                               p.clamp.hi);
        }
      }
    }
  }
}

}  // namespace qrt::kernels::ref
