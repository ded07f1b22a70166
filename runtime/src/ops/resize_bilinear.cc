// RESIZE_BILINEAR: NHWC bilinear interpolation with integer weights and an output
// requantization (params.h: ResizeBilinearParams).
#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareResizeBilinear(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_ResizeBilinearOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, in, "input", 4));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, out, "output", 4));
  if (out.shape[0] != in.shape[0] || out.shape[3] != in.shape[3]) {
    return ctx.Error(StatusCode::kBadShape, "resizing " + ShapeString(in.shape) + " to " +
                                                ShapeString(out.shape) +
                                                " changes batch or channels");
  }
  if (out.element_count > 0 && (in.shape[1] == 0 || in.shape[2] == 0)) {
    return ctx.Error(StatusCode::kBadShape,
                     "cannot resize the empty plane of " + ShapeString(in.shape));
  }
  if (o.coordinate_transform() > schema::CoordinateTransform::MAX) {
    return ctx.Error(StatusCode::kBadOptions, "unknown coordinate transform");
  }
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 1, "the output's"));
  kernels::ResizeBilinearParams p{};
  p.batch = in.shape[0];
  p.in_h = in.shape[1];
  p.in_w = in.shape[2];
  p.channels = in.shape[3];
  p.out_h = out.shape[1];
  p.out_w = out.shape[2];
  p.transform = static_cast<kernels::CoordinateTransform>(o.coordinate_transform());
  p.input_zero_point = in.zero_point;
  p.output_zero_point = out.zero_point;
  p.requant = DyadicAt(ctx.requant, 0);
  p.clamp = ToClamp(*o.clamp());
  *kernel =
      MakeKernelCall(p, ctx.kernels.resize_bilinear, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
