// SOFTMAX along the last axis, integer-only through an offline exp table.
#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {

Status PrepareSoftmax(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_SoftmaxOptions();
  const TensorDesc& in = ctx.input(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", in.shape));
  const auto& table = *o.exp_table();
  if (table.size() != 256) {
    return ctx.Error(StatusCode::kBadOptions,
                     "exp_table has " + std::to_string(table.size()) + " entries, expected 256");
  }
  // E[0] >= 1 keeps every row's sum positive (the row maximum contributes E[0]);
  // entries <= 2^16 keep E * 2^30 and the sum of up to 2^31 entries inside int64.
  for (uint32_t i = 0; i < table.size(); ++i) {
    if (table.Get(i) < (i == 0 ? 1 : 0) || table.Get(i) > (1 << 16)) {
      return ctx.Error(StatusCode::kBadOptions, "exp_table[" + std::to_string(i) + "] is " +
                                                    std::to_string(table.Get(i)) +
                                                    " (entries in [0, 2^16], the first >= 1)");
    }
  }
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 1, "the probability's"));
  kernels::SoftmaxParams p{};
  p.depth = in.shape.empty() ? 1 : in.shape.back();
  p.rows = static_cast<int>(in.element_count / p.depth);
  p.exp_table = table.data();
  p.requant = DyadicAt(ctx.requant, 0);
  p.output_zero_point = ctx.output(0).zero_point;
  p.clamp = ToClamp(*o.clamp());
  // Rows are independent, so a large softmax (a recogniser's 40 x 6625 class scores:
  // a quarter of its run time) runs runs of whole rows on the session's threads.
  const RowLayout<2> layout{p.rows, p.depth * kSoftmaxElementPs, {p.depth, p.depth}};
  *kernel = MakeRowSplitCall(p, ctx.kernels.softmax, {ctx.input_index(0), ctx.output_index(0)},
                             layout, NarrowRows<kernels::SoftmaxParams>);
  return Status::Ok();
}

}  // namespace qrt::internal
