// CONV_2D: grouped 2-D convolution (depthwise when groups == input channels) with
// per-channel requantization and the fused clamp.
#include "ops/gemm_op.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareConv2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_Conv2DOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& weights = ctx.input(1);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireConvLayout(ctx, o));
  QRT_RETURN_IF_ERROR(RequirePositive(ctx, "dilation_h", o.dilation_h()));
  QRT_RETURN_IF_ERROR(RequirePositive(ctx, "dilation_w", o.dilation_w()));
  QRT_RETURN_IF_ERROR(RequirePositive(ctx, "groups", o.groups()));

  auto p = ConvGeometryOf<kernels::Conv2DParams>(ctx, o);
  p.dilation_h = o.dilation_h();
  p.dilation_w = o.dilation_w();
  p.groups = o.groups();
  if (p.in_c % p.groups != 0 || p.out_c % p.groups != 0 || weights.shape[3] != p.in_c / p.groups) {
    return ctx.Error(StatusCode::kBadShape, "weights " + ShapeString(weights.shape) +
                                                " do not fit " + std::to_string(p.in_c) +
                                                " input channels in " + std::to_string(p.groups) +
                                                " groups");
  }
  // Computed in int64: hostile dilations must not overflow the shape arithmetic.
  const int64_t span_h = int64_t{p.dilation_h} * (p.kernel_h - 1) + 1;
  const int64_t span_w = int64_t{p.dilation_w} * (p.kernel_w - 1) + 1;
  const int64_t padded_h = int64_t{p.in_h} + o.pad_top() + o.pad_bottom();
  const int64_t padded_w = int64_t{p.in_w} + o.pad_left() + o.pad_right();
  if (span_h > padded_h || span_w > padded_w || padded_h > INT32_MAX || padded_w > INT32_MAX) {
    return ctx.Error(StatusCode::kBadShape,
                     "the dilated kernel is larger than the padded input, "
                     "or the padded input exceeds 2^31 - 1");
  }
  p.out_h = static_cast<int>((padded_h - span_h) / p.stride_h + 1);
  p.out_w = static_cast<int>((padded_w - span_w) / p.stride_w + 1);
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", {p.batch, p.out_h, p.out_w, p.out_c}));
  const int64_t k = int64_t{p.kernel_h} * p.kernel_w * weights.shape[3];
  QRT_RETURN_IF_ERROR(RequireWeightsAndBias(ctx, weights, ctx.input(2), p.out_c, k));

  p.input_zero_point = in.zero_point;
  p.output_zero_point = out.zero_point;
  p.weight_type = ToWeightType(weights.type);
  p.requant = ToChannelRequant(ctx.requant);
  p.clamp = ToClamp(*o.clamp());
  return GemmOp<kernels::Conv2DParams, kernels::Conv2DFn>::Make(
      ctx, p, kernels::IsDepthwise(p) ? ctx.kernels.depthwise_conv2d : ctx.kernels.conv2d, kernel);
}

}  // namespace qrt::internal
