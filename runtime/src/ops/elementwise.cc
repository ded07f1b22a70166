// ADD and MUL of two int8 activations with numpy-style broadcasting.
#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {
namespace {

// Add rescales (q - z) << left_shift; 255 << 22 stays below 2^30 so the
// rescaled sum of two such values fits int32.
constexpr int kMaxLeftShift = 22;

// Checks both operands and the output and computes the broadcast shapes.
Status PrepareBroadcast(const PrepareContext& ctx, kernels::BroadcastShapes* shapes) {
  const TensorDesc& a = ctx.input(0);
  const TensorDesc& b = ctx.input(1);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, a, "input a"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, b, "input b"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  const size_t rank = std::max(a.shape.size(), b.shape.size());
  shapes->rank = static_cast<int>(rank);
  std::vector<int32_t> broadcast(rank);
  for (size_t d = 0; d < rank; ++d) {
    const size_t from_end = rank - d;
    const int32_t da = from_end <= a.shape.size() ? a.shape[a.shape.size() - from_end] : 1;
    const int32_t db = from_end <= b.shape.size() ? b.shape[b.shape.size() - from_end] : 1;
    if (da != db && da != 1 && db != 1) {
      return ctx.Error(StatusCode::kBadShape, "inputs " + ShapeString(a.shape) + " and " +
                                                  ShapeString(b.shape) + " do not broadcast");
    }
    shapes->a[d] = da;
    shapes->b[d] = db;
    shapes->out[d] = std::max(da, db);
    broadcast[d] = shapes->out[d];
  }
  return RequireShape(ctx, out, "output", broadcast);
}

// An elementwise operator on the session's threads: runs of the output's outermost
// axis longer than 1 (a squeeze-excitation gate's MUL of 115,200 elements takes some
// 10 us). An output of one element stays one call.
template <class Params, class Fn>
std::unique_ptr<OpKernel> MakeElementwiseCall(const PrepareContext& ctx, const Params& p,
                                              kernels::Kernel<Fn> kernel) {
  const std::array<int, 3> tensors{ctx.input_index(0), ctx.input_index(1), ctx.output_index(0)};
  RowLayout<3> layout;
  if (BroadcastRowAxis(p.shapes) >= 0) {
    layout = BroadcastRowLayout(p.shapes, 1, 1, 1, kElementwiseElementPs);
  }
  return MakeRowSplitCall(p, kernel, tensors, layout, NarrowShapes<Params>);
}

}  // namespace

Status PrepareAdd(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_AddOptions();
  kernels::AddParams p{};
  QRT_RETURN_IF_ERROR(PrepareBroadcast(ctx, &p.shapes));
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 3, "input a, input b, output"));
  if (o.left_shift() < 0 || o.left_shift() > kMaxLeftShift) {
    return ctx.Error(StatusCode::kBadOptions,
                     "left_shift is " + std::to_string(o.left_shift()) + " (must be in [0, 22])");
  }
  p.a_requant = DyadicAt(ctx.requant, 0);
  p.b_requant = DyadicAt(ctx.requant, 1);
  p.out_requant = DyadicAt(ctx.requant, 2);
  for (const kernels::Dyadic d : {p.a_requant, p.b_requant}) {
    // multiplier < 2^31 and shift >= 31 make the input multipliers below 1.
    if (d.multiplier != 0 && d.shift < 31) {
      return ctx.Error(
          StatusCode::kBadRequantization,
          "input multipliers must be below 1 (shift >= 31), got shift " + std::to_string(d.shift));
    }
  }
  p.a_zero_point = ctx.input(0).zero_point;
  p.b_zero_point = ctx.input(1).zero_point;
  p.output_zero_point = ctx.output(0).zero_point;
  p.left_shift = o.left_shift();
  p.clamp = ToClamp(*o.clamp());
  *kernel = MakeElementwiseCall(ctx, p, ctx.kernels.add);
  return Status::Ok();
}

Status PrepareMul(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_MulOptions();
  kernels::MulParams p{};
  QRT_RETURN_IF_ERROR(PrepareBroadcast(ctx, &p.shapes));
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 1, "the product's"));
  p.a_zero_point = ctx.input(0).zero_point;
  p.b_zero_point = ctx.input(1).zero_point;
  p.output_zero_point = ctx.output(0).zero_point;
  p.requant = DyadicAt(ctx.requant, 0);
  p.clamp = ToClamp(*o.clamp());
  *kernel = MakeElementwiseCall(ctx, p, ctx.kernels.mul);
  return Status::Ok();
}

}  // namespace qrt::internal
