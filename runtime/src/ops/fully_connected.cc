// FULLY_CONNECTED: rows of the input (its last dimension is K) times the weights'
// rows, with per-channel requantization and the fused clamp.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {
namespace {

// A kernel that reads its own weight layout (dispatch.h): the weights are packed
// once, here at Prepare, into a buffer this op owns. The model is immutable after
// load and shared by every session, so one packed copy serves them all.
class PackedFullyConnected final : public OpKernel {
 public:
  PackedFullyConnected(const kernels::FullyConnectedParams& params,
                       const kernels::FullyConnectedKernel& kernel, const TensorDesc& weights,
                       const TensorDesc& bias, AlignedBuffer packed, int input, int output)
      : params_(params),
        kernel_(kernel),
        bias_(reinterpret_cast<const int32_t*>(bias.data)),
        packed_(std::move(packed)),
        input_(input),
        output_(output) {
    kernel_.pack(params_, weights.data, bias_, packed_.get());
  }

  void Eval(const RunContext& ctx) const override {
    kernel_.fn(params_, reinterpret_cast<const int8_t*>(ctx.tensor_data[input_]), packed_.get(),
               bias_, reinterpret_cast<int8_t*>(ctx.tensor_data[output_]));
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  kernels::FullyConnectedParams params_;
  kernels::FullyConnectedKernel kernel_;
  const int32_t* bias_;  // the constant bias (the kernel reads the packed copy)
  AlignedBuffer packed_;
  int input_;
  int output_;
};

}  // namespace

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
  QRT_RETURN_IF_ERROR(RequireWeightsAndBias(ctx, weights, ctx.input(2), *o.requant(),
                                            p.out_features, p.in_features));
  p.input_zero_point = in.zero_point;
  p.output_zero_point = out.zero_point;
  p.weight_type = ToWeightType(weights.type);
  p.requant = ToChannelRequant(*o.requant());
  p.clamp = ToClamp(*o.clamp());
  const kernels::FullyConnectedKernel& chosen = ctx.kernels.fully_connected;
  if (chosen.pack != nullptr) {
    AlignedBuffer packed = AllocateAligned(chosen.packed_size(p));
    if (packed == nullptr) {
      return ctx.Error(StatusCode::kInvalidArgument, "cannot allocate the packed weights");
    }
    *kernel =
        std::make_unique<PackedFullyConnected>(p, chosen, weights, ctx.input(2), std::move(packed),
                                               ctx.input_index(0), ctx.output_index(0));
    return Status::Ok();
  }
  *kernel = MakeKernelCall(
      p, ctx.kernels.fully_connected,
      {ctx.input_index(0), ctx.input_index(1), ctx.input_index(2), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
