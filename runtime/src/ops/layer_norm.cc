// LAYER_NORM over the last axis, integer-only (params.h: LayerNormParams).
#include <algorithm>
#include <cstdlib>

#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {
namespace {

// The kernel's int64 intermediates are bounded for rows of up to 2^16 values.
constexpr int kMaxDepth = 1 << 16;
constexpr int64_t kMaxEpsilon = int64_t{1} << 60;

// floor(sqrt(v)) for the small v of a row length.
int64_t SmallISqrt(int64_t v) {
  int64_t s = 0;
  while ((s + 1) * (s + 1) <= v) ++s;
  return s;
}

}  // namespace

Status PrepareLayerNorm(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_LayerNormOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& gamma = ctx.input(1);
  const TensorDesc& beta = ctx.input(2);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", in.shape));
  const int depth = in.shape.empty() ? 1 : in.shape.back();
  if (depth < 1 || depth > kMaxDepth) {
    return ctx.Error(StatusCode::kBadShape, "input " + ShapeString(in.shape) +
                                                " normalizes rows of " + std::to_string(depth) +
                                                " values (1 to 65536 supported)");
  }
  if (!gamma.is_constant() || gamma.type != ElementType::kInt8) {
    return ctx.Error(StatusCode::kBadType, "gamma '" + gamma.name + "' must be an int8 constant");
  }
  if (!beta.is_constant() || beta.type != ElementType::kInt32) {
    return ctx.Error(StatusCode::kBadType, "beta '" + beta.name + "' must be an int32 constant");
  }
  QRT_RETURN_IF_ERROR(RequireShape(ctx, gamma, "gamma", {depth}));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, beta, "beta", {depth}));
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, static_cast<size_t>(depth), "one per channel"));
  if (o.epsilon() < 0 || o.epsilon() > kMaxEpsilon) {
    return ctx.Error(StatusCode::kBadOptions,
                     "epsilon is " + std::to_string(o.epsilon()) + " (must be in [0, 2^60])");
  }
  const auto* gamma_values = reinterpret_cast<const int8_t*>(gamma.data);
  const auto* beta_values = reinterpret_cast<const int32_t*>(beta.data);
  int64_t max_gamma = 0;
  int64_t max_beta = 0;
  for (int i = 0; i < depth; ++i) {
    max_gamma = std::max<int64_t>(max_gamma, std::abs(int64_t{gamma_values[i]}));
    max_beta = std::max<int64_t>(max_beta, std::abs(int64_t{beta_values[i]}));
  }
  // |normalized value| <= sqrt(depth - 1) in real terms, so below this in Q16.
  const int64_t max_normalized = (SmallISqrt(depth - 1) + 1) << kernels::kLayerNormFractionBits;
  if (max_gamma * max_normalized + max_beta >= (int64_t{1} << 31)) {
    return ctx.Error(StatusCode::kBadOptions, "the int32 accumulator can overflow: gamma up to " +
                                                  std::to_string(max_gamma) +
                                                  " times a Q16 normalized value up to " +
                                                  std::to_string(max_normalized) +
                                                  " plus beta up to " + std::to_string(max_beta));
  }
  kernels::LayerNormParams p{};
  p.depth = depth;
  p.rows = static_cast<int>(in.element_count / depth);
  p.input_zero_point = in.zero_point;
  p.output_zero_point = ctx.output(0).zero_point;
  p.epsilon = o.epsilon();
  p.gamma = gamma_values;
  p.beta = beta_values;
  p.requant = ToChannelRequant(ctx.requant);
  p.clamp = ToClamp(*o.clamp());
  // Rows are independent: the recogniser's 40 x 120 normalizations take some 30 us each.
  const RowLayout<2> layout{p.rows, int64_t{depth} * kLayerNormElementPs, {depth, depth}};
  *kernel = MakeRowSplitCall(p, ctx.kernels.layer_norm, {ctx.input_index(0), ctx.output_index(0)},
                             layout, NarrowRows<kernels::LayerNormParams>);
  return Status::Ok();
}

}  // namespace qrt::internal
