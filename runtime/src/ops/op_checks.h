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

}  // namespace qrt::internal
