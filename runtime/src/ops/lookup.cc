// LOOKUP: a pointwise non-linearity as a 256-entry table computed offline.
#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareLookup(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& table = *ctx.op.options_as_LookupOptions()->table();
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.input(0), "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", ctx.input(0).shape));
  if (table.size() != 256) {
    return ctx.Error(StatusCode::kBadOptions,
                     "table has " + std::to_string(table.size()) + " entries, expected 256");
  }
  const kernels::LookupParams p{ctx.input(0).element_count, table.data()};
  *kernel = MakeKernelCall(p, ctx.kernels.lookup, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
