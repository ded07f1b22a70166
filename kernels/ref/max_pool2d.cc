// Max pooling, the formula of Pool2DParams (params.h):
//   out = clamp(max over the window's positions inside the input, lo, hi)
// Padding is never a candidate for the maximum; a window with no position inside
// the input gives clamp(zx), the quantized real 0.
#include <algorithm>
#include <cstdint>

#include "pool_window.h"
#include "qrt/kernels/reference.h"

namespace qrt::kernels::ref {

void MaxPool2D(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      const int y0 = y * p.stride_h - p.pad_top;
      const KernelRange ky = ClipWindow(y0, p.kernel_h, 0, p.in_h);
      for (int x = 0; x < p.out_w; ++x) {
        const int x0 = x * p.stride_w - p.pad_left;
        const KernelRange kx = ClipWindow(x0, p.kernel_w, 0, p.in_w);
        for (int c = 0; c < p.channels; ++c) {
          int32_t max = p.input_zero_point;
          if (ky.size() > 0 && kx.size() > 0) {
            max = INT8_MIN;
            for (int i = ky.begin; i < ky.end; ++i) {
              for (int j = kx.begin; j < kx.end; ++j) {
                const int64_t at = ((int64_t{n} * p.in_h + y0 + i) * p.in_w + x0 + j) * p.channels;
                max = std::max<int32_t>(max, input[at + c]);
              }
            }
          }
          output[((int64_t{n} * p.out_h + y) * p.out_w + x) * p.channels + c] =
              static_cast<int8_t>(std::clamp(max, p.clamp.lo, p.clamp.hi));
        }
      }
    }
  }
}

}  // namespace qrt::kernels::ref
