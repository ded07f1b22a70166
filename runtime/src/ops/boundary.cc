// QUANTIZE and DEQUANTIZE: the only floating point in a model, at its boundary.
#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareQuantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input", ElementType::kFloat32));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", in.shape));
  const kernels::QuantizeParams p{in.element_count, out.scale, out.zero_point};
  *kernel = MakeKernelCall(p, ctx.kernels.quantize, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

Status PrepareDequantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output", ElementType::kFloat32));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", in.shape));
  const kernels::DequantizeParams p{in.element_count, in.scale, in.zero_point};
  *kernel = MakeKernelCall(p, ctx.kernels.dequantize, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
