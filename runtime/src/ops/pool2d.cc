// MAX_POOL_2D, AVERAGE_POOL_2D and GLOBAL_AVERAGE_POOL over NHWC planes.
#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {
namespace {

// Global pooling stores one multiplier (for the count H * W); the average-pool
// kernel indexes its table by count, so the table is expanded once here.
class GlobalAveragePoolKernel final : public OpKernel {
 public:
  GlobalAveragePoolKernel(kernels::Pool2DParams params, kernels::Kernel<kernels::Pool2DFn> kernel,
                          kernels::Dyadic dyadic, int in, int out)
      : params_(params),
        kernel_(kernel),
        multipliers_(static_cast<size_t>(params.kernel_h) * params.kernel_w, dyadic.multiplier),
        shifts_(multipliers_.size(), static_cast<int8_t>(dyadic.shift)),
        in_(in),
        out_(out) {
    params_.count_requant = {multipliers_.data(), shifts_.data()};
  }
  void Eval(const RunContext& ctx) const override {
    kernel_.fn(params_, reinterpret_cast<const int8_t*>(ctx.tensor_data[in_]),
               reinterpret_cast<int8_t*>(ctx.tensor_data[out_]));
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  kernels::Pool2DParams params_;
  kernels::Kernel<kernels::Pool2DFn> kernel_;
  std::vector<int32_t> multipliers_;
  std::vector<int8_t> shifts_;
  int in_, out_;
};

// Fills the geometry shared by every pooling type and checks the output shape.
// Output size is floor((in + pads - kernel) / stride) + 1 (ceil mode is expressed
// by the converter as extra bottom/right padding).
Status PreparePoolGeometry(const PrepareContext& ctx, const schema::Pool2DOptions& o, bool global,
                           kernels::Pool2DParams* p) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, in, "input", 4));
  p->batch = in.shape[0];
  p->in_h = in.shape[1];
  p->in_w = in.shape[2];
  p->channels = in.shape[3];
  if (global) {
    p->kernel_h = p->in_h;
    p->kernel_w = p->in_w;
    p->stride_h = p->stride_w = 1;
  } else {
    p->kernel_h = o.kernel_h();
    p->kernel_w = o.kernel_w();
    p->stride_h = o.stride_h();
    p->stride_w = o.stride_w();
    p->pad_top = o.pad_top();
    p->pad_left = o.pad_left();
    p->pad_bottom = o.pad_bottom();
    p->pad_right = o.pad_right();
    QRT_RETURN_IF_ERROR(RequirePositive(ctx, "kernel_h", p->kernel_h));
    QRT_RETURN_IF_ERROR(RequirePositive(ctx, "kernel_w", p->kernel_w));
    QRT_RETURN_IF_ERROR(RequirePositive(ctx, "stride_h", p->stride_h));
    QRT_RETURN_IF_ERROR(RequirePositive(ctx, "stride_w", p->stride_w));
    // A pad as large as the kernel would create windows with no input at all.
    const int pads[4] = {p->pad_top, p->pad_bottom, p->pad_left, p->pad_right};
    for (int i = 0; i < 4; ++i) {
      const int kernel_size = i < 2 ? p->kernel_h : p->kernel_w;
      if (pads[i] < 0 || pads[i] >= kernel_size) {
        return ctx.Error(StatusCode::kBadOptions, "padding " + std::to_string(pads[i]) +
                                                      " must be in [0, " +
                                                      std::to_string(kernel_size) + ")");
      }
    }
  }
  const int64_t padded_h = int64_t{p->in_h} + p->pad_top + p->pad_bottom;
  const int64_t padded_w = int64_t{p->in_w} + p->pad_left + p->pad_right;
  if (p->kernel_h > padded_h || p->kernel_w > padded_w || padded_h > INT32_MAX ||
      padded_w > INT32_MAX) {
    return ctx.Error(StatusCode::kBadShape,
                     "the pooling window is larger than the padded input, "
                     "or the padded input exceeds 2^31 - 1");
  }
  // Average pooling sums a window in int32: |sum| <= 255 * window positions.
  if (int64_t{p->kernel_h} * p->kernel_w * 255 > INT32_MAX) {
    return ctx.Error(StatusCode::kBadShape, "a window of " +
                                                std::to_string(int64_t{p->kernel_h} * p->kernel_w) +
                                                " positions can overflow the int32 sum");
  }
  p->out_h = static_cast<int>((padded_h - p->kernel_h) / p->stride_h + 1);
  p->out_w = static_cast<int>((padded_w - p->kernel_w) / p->stride_w + 1);
  p->count_include_pad = o.count_include_pad();
  p->input_zero_point = in.zero_point;
  p->output_zero_point = out.zero_point;
  p->clamp = ToClamp(*o.clamp());
  return RequireShape(ctx, out, "output", {p->batch, p->out_h, p->out_w, p->channels});
}

Status RequireCountRequant(const PrepareContext& ctx, const schema::Pool2DOptions& o,
                           size_t count) {
  if (o.requant() == nullptr) {
    return ctx.Error(StatusCode::kBadOptions, "average pooling needs requant");
  }
  return RequireRequantCount(ctx, count, "one per window count");
}

}  // namespace

Status PrepareMaxPool2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_Pool2DOptions();
  kernels::Pool2DParams p{};
  QRT_RETURN_IF_ERROR(PreparePoolGeometry(ctx, o, false, &p));
  QRT_RETURN_IF_ERROR(RequireSameQuantization(ctx, ctx.input(0), ctx.output(0)));
  *kernel = MakeKernelCall(p, ctx.kernels.max_pool2d, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

Status PrepareAveragePool2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_Pool2DOptions();
  kernels::Pool2DParams p{};
  QRT_RETURN_IF_ERROR(PreparePoolGeometry(ctx, o, false, &p));
  QRT_RETURN_IF_ERROR(RequireCountRequant(
      ctx, o, static_cast<size_t>(p.kernel_h) * static_cast<size_t>(p.kernel_w)));
  p.count_requant = ToChannelRequant(ctx.requant);
  *kernel =
      MakeKernelCall(p, ctx.kernels.average_pool2d, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

Status PrepareGlobalAveragePool(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_Pool2DOptions();
  kernels::Pool2DParams p{};
  QRT_RETURN_IF_ERROR(PreparePoolGeometry(ctx, o, true, &p));
  QRT_RETURN_IF_ERROR(RequireCountRequant(ctx, o, 1));
  *kernel = std::make_unique<GlobalAveragePoolKernel>(p, ctx.kernels.average_pool2d,
                                                      DyadicAt(ctx.requant, 0), ctx.input_index(0),
                                                      ctx.output_index(0));
  return Status::Ok();
}

}  // namespace qrt::internal
