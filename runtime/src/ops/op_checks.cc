#include "ops/op_checks.h"

#include <algorithm>

namespace qrt::internal {

std::string ShapeString(const std::vector<int32_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i != 0) s += 'x';
    s += std::to_string(shape[i]);
  }
  s += ']';
  return s;
}

Status RequireActivation(const PrepareContext& ctx, const TensorDesc& t, const char* role,
                         ElementType type) {
  if (t.is_constant()) {
    return ctx.Error(StatusCode::kBadType,
                     std::string(role) + " '" + t.name + "' must be an activation, not a constant");
  }
  if (t.type != type) {
    return ctx.Error(StatusCode::kBadType, std::string(role) + " '" + t.name + "' is " +
                                               ElementTypeName(t.type) + ", expected " +
                                               ElementTypeName(type));
  }
  return Status::Ok();
}

Status RequireRank(const PrepareContext& ctx, const TensorDesc& t, const char* role, size_t rank) {
  if (t.shape.size() != rank) {
    return ctx.Error(StatusCode::kBadShape, std::string(role) + " '" + t.name + "' has shape " +
                                                ShapeString(t.shape) + ", expected rank " +
                                                std::to_string(rank));
  }
  return Status::Ok();
}

Status RequireShape(const PrepareContext& ctx, const TensorDesc& t, const char* role,
                    const std::vector<int32_t>& shape) {
  if (t.shape != shape) {
    return ctx.Error(StatusCode::kBadShape, std::string(role) + " '" + t.name + "' has shape " +
                                                ShapeString(t.shape) + ", expected " +
                                                ShapeString(shape));
  }
  return Status::Ok();
}

Status RequireSameQuantization(const PrepareContext& ctx, const TensorDesc& in,
                               const TensorDesc& out) {
  if (in.scale != out.scale || in.zero_point != out.zero_point) {
    return ctx.Error(StatusCode::kBadQuantization,
                     "output '" + out.name + "' must have the quantization of input '" + in.name +
                         "' (scale " + std::to_string(in.scale) + ", zero point " +
                         std::to_string(in.zero_point) + ")");
  }
  return Status::Ok();
}

Status RequireRequantCount(const PrepareContext& ctx, size_t count, const std::string& what) {
  if (ctx.requant.size() != count) {
    return ctx.Error(StatusCode::kChannelCountMismatch,
                     "has " + std::to_string(ctx.requant.size()) +
                         " requantization multipliers, expected " + std::to_string(count) + " (" +
                         what + ")");
  }
  return Status::Ok();
}

Status RequirePositive(const PrepareContext& ctx, const char* field, int value) {
  if (value <= 0) {
    return ctx.Error(StatusCode::kBadOptions,
                     std::string(field) + " is " + std::to_string(value) + " (must be positive)");
  }
  return Status::Ok();
}

Status RequireNonNegative(const PrepareContext& ctx, const char* field, int value) {
  if (value < 0) {
    return ctx.Error(StatusCode::kBadOptions,
                     std::string(field) + " is " + std::to_string(value) + " (must be >= 0)");
  }
  return Status::Ok();
}

kernels::ChannelRequant ToChannelRequant(const RequantValues& requant) {
  return {requant.multiplier.data(), requant.shift.data()};
}

kernels::Dyadic DyadicAt(const RequantValues& requant, size_t i) {
  return {requant.multiplier[i], requant.shift[i]};
}

kernels::OutputClamp ToClamp(const schema::Clamp& clamp) { return {clamp.lo(), clamp.hi()}; }

}  // namespace qrt::internal

namespace qrt::internal {

kernels::WeightType ToWeightType(ElementType type) {
  return type == ElementType::kInt4 ? kernels::WeightType::kInt4 : kernels::WeightType::kInt8;
}

Status RequireWeightsAndBias(const PrepareContext& ctx, const TensorDesc& weights,
                             const TensorDesc& bias, int out_channels, int64_t k) {
  if (!weights.is_constant() ||
      (weights.type != ElementType::kInt8 && weights.type != ElementType::kInt4)) {
    return ctx.Error(StatusCode::kBadType,
                     "weights '" + weights.name + "' must be a constant of int8 or int4");
  }
  if (!bias.is_constant() || bias.type != ElementType::kInt32) {
    return ctx.Error(StatusCode::kBadType, "bias '" + bias.name + "' must be an int32 constant");
  }
  QRT_RETURN_IF_ERROR(RequireShape(ctx, bias, "bias", {out_channels}));
  // Weight scales are optional since schema version 2 (the multipliers hold them);
  // when present there is one per output channel.
  if (weights.channel_scales != nullptr &&
      weights.channel_scales->size() != static_cast<uint32_t>(out_channels)) {
    return ctx.Error(StatusCode::kChannelCountMismatch,
                     "weights '" + weights.name + "' have " +
                         std::to_string(weights.channel_scales->size()) + " scales for " +
                         std::to_string(out_channels) + " output channels");
  }
  QRT_RETURN_IF_ERROR(
      RequireRequantCount(ctx, static_cast<size_t>(out_channels), "one per output channel"));
  const int64_t max_weight = weights.type == ElementType::kInt4 ? 8 : 127;
  int64_t max_bias = 0;
  const auto* bias_values = reinterpret_cast<const int32_t*>(bias.data);
  for (int c = 0; c < out_channels; ++c) {
    const int64_t b = bias_values[c];
    max_bias = std::max(max_bias, b < 0 ? -b : b);
  }
  if (k * 255 * max_weight + max_bias >= (int64_t{1} << 31)) {
    return ctx.Error(StatusCode::kBadShape,
                     "the int32 accumulator can overflow: " + std::to_string(k) +
                         " products of up to 255 x " + std::to_string(max_weight) +
                         " plus a bias of " + std::to_string(max_bias));
  }
  return Status::Ok();
}

}  // namespace qrt::internal
