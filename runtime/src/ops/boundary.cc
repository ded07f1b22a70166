// QUANTIZE and DEQUANTIZE: the only floating point in a model, at its boundary.
// Every element is independent: runs of elements on the session's threads.
#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {

Status PrepareQuantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input", ElementType::kFloat32));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", in.shape));
  const kernels::QuantizeParams p{in.element_count, out.scale, out.zero_point};
  *kernel = MakeRowSplitCall(p, ctx.kernels.quantize, {ctx.input_index(0), ctx.output_index(0)},
                             RowLayout<2>{p.count, kBoundaryElementPs, {sizeof(float), 1}},
                             NarrowCount<kernels::QuantizeParams>);
  return Status::Ok();
}

Status PrepareDequantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output", ElementType::kFloat32));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", in.shape));
  const kernels::DequantizeParams p{in.element_count, in.scale, in.zero_point};
  *kernel = MakeRowSplitCall(p, ctx.kernels.dequantize, {ctx.input_index(0), ctx.output_index(0)},
                             RowLayout<2>{p.count, kBoundaryElementPs, {1, sizeof(float)}},
                             NarrowCount<kernels::DequantizeParams>);
  return Status::Ok();
}

}  // namespace qrt::internal
