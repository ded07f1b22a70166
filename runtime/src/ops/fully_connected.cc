// FULLY_CONNECTED: rows of the input (its last dimension is K) times the weights'
// rows, with per-channel requantization and the fused clamp.
#include <cstdint>
#include <memory>

#include "ops/gemm_op.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareFullyConnected(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_FullyConnectedOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& weights = ctx.input(1);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, weights, "weights", 2));
  if (in.shape.empty() || in.shape.back() != weights.shape[1]) {
    return ctx.Error(StatusCode::kBadShape, "input " + ShapeString(in.shape) +
                                                " does not end in the weights' K of " +
                                                std::to_string(weights.shape[1]));
  }
  kernels::FullyConnectedParams p{};
  p.in_features = weights.shape[1];
  p.out_features = weights.shape[0];
  p.rows = static_cast<int>(in.element_count / p.in_features);
  if (out.shape.empty() || out.shape.back() != p.out_features ||
      out.element_count != int64_t{p.rows} * p.out_features) {
    return ctx.Error(StatusCode::kBadShape, "output " + ShapeString(out.shape) + " is not " +
                                                std::to_string(p.rows) + " rows of " +
                                                std::to_string(p.out_features));
  }
  QRT_RETURN_IF_ERROR(
      RequireWeightsAndBias(ctx, weights, ctx.input(2), p.out_features, p.in_features));
  p.input_zero_point = in.zero_point;
  p.output_zero_point = out.zero_point;
  p.weight_type = ToWeightType(weights.type);
  p.requant = ToChannelRequant(ctx.requant);
  p.clamp = ToClamp(*o.clamp());
  return GemmOp<kernels::FullyConnectedParams, kernels::FullyConnectedFn>::Make(
      ctx, p, ctx.kernels.fully_connected, kernel);
}

}  // namespace qrt::internal
