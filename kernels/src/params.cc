#include "qrt/kernels/params.h"

namespace qrt::kernels {

Conv2DParams Conv2DOfFullyConnected(const FullyConnectedParams& p) {
  Conv2DParams c{};
  c.batch = p.rows;
  c.in_h = c.in_w = c.out_h = c.out_w = 1;
  c.in_c = p.in_features;
  c.out_c = p.out_features;
  c.kernel_h = c.kernel_w = 1;
  c.stride_h = c.stride_w = 1;
  c.dilation_h = c.dilation_w = 1;
  c.groups = 1;
  c.input_zero_point = p.input_zero_point;
  c.output_zero_point = p.output_zero_point;
  c.weight_type = p.weight_type;
  c.requant = p.requant;
  c.clamp = p.clamp;
  return c;
}

}  // namespace qrt::kernels
