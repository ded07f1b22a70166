// Checks and conversions shared by the operators' Prepare functions. Each check
// returns a Status naming the operator and the operand at fault.
#pragma once

#include <string>
#include <vector>

#include "graph.h"
#include "qrt/kernels/params.h"

namespace qrt::internal {

// The operand is a non-constant tensor of `type` (int8 unless stated).
Status RequireActivation(const PrepareContext& ctx, const TensorDesc& t, const char* role,
                         ElementType type = ElementType::kInt8);
Status RequireRank(const PrepareContext& ctx, const TensorDesc& t, const char* role, size_t rank);
Status RequireShape(const PrepareContext& ctx, const TensorDesc& t, const char* role,
                    const std::vector<int32_t>& shape);
// Data movement keeps values as they are, so input and output quantization must agree.
Status RequireSameQuantization(const PrepareContext& ctx, const TensorDesc& in,
                               const TensorDesc& out);
// The operator's requantization (ctx.requant) has `count` entries.
Status RequireRequantCount(const PrepareContext& ctx, size_t count, const std::string& what);
Status RequirePositive(const PrepareContext& ctx, const char* field, int value);
Status RequireNonNegative(const PrepareContext& ctx, const char* field, int value);

// Views of the operator's decoded requantization, valid as long as the model.
kernels::ChannelRequant ToChannelRequant(const RequantValues& requant);
kernels::Dyadic DyadicAt(const RequantValues& requant, size_t i);
kernels::OutputClamp ToClamp(const schema::Clamp& clamp);

std::string ShapeString(const std::vector<int32_t>& shape);

}  // namespace qrt::internal

namespace qrt::internal {

// Conv and fully connected: constant int8/int4 weights with `out_channels` rows of
// `k` values and one scale per row, a constant int32 bias of out_channels, one
// requantization per channel, and an accumulator that cannot overflow int32:
// k * 255 * max|w| + max|bias| < 2^31.
Status RequireWeightsAndBias(const PrepareContext& ctx, const TensorDesc& weights,
                             const TensorDesc& bias, int out_channels, int64_t k);

kernels::WeightType ToWeightType(ElementType type);

// What CONV_2D and CONV_TRANSPOSE_2D check alike: int8 activations in and out,
// rank-4 input, weights and output, positive strides and non-negative paddings.
template <class ConvOptions>
Status RequireConvLayout(const PrepareContext& ctx, const ConvOptions& o) {
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.input(0), "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, ctx.input(0), "input", 4));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, ctx.input(1), "weights", 4));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, ctx.output(0), "output", 4));
  QRT_RETURN_IF_ERROR(RequirePositive(ctx, "stride_h", o.stride_h()));
  QRT_RETURN_IF_ERROR(RequirePositive(ctx, "stride_w", o.stride_w()));
  QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "pad_top", o.pad_top()));
  QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "pad_left", o.pad_left()));
  QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "pad_bottom", o.pad_bottom()));
  return RequireNonNegative(ctx, "pad_right", o.pad_right());
}

// The kernel parameters CONV_2D and CONV_TRANSPOSE_2D fill alike, from the NHWC
// input, the [out_c, kernel_h, kernel_w, ...] weights and the options (after
// RequireConvLayout); the rest of Params is zero.
template <class Params, class ConvOptions>
Params ConvGeometryOf(const PrepareContext& ctx, const ConvOptions& o) {
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& weights = ctx.input(1);
  Params p{};
  p.batch = in.shape[0];
  p.in_h = in.shape[1];
  p.in_w = in.shape[2];
  p.in_c = in.shape[3];
  p.out_c = weights.shape[0];
  p.kernel_h = weights.shape[1];
  p.kernel_w = weights.shape[2];
  p.stride_h = o.stride_h();
  p.stride_w = o.stride_w();
  p.pad_top = o.pad_top();
  p.pad_left = o.pad_left();
  return p;
}

}  // namespace qrt::internal
