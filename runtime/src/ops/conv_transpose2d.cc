// CONV_TRANSPOSE_2D: transposed convolution with per-channel requantization and the
// fused clamp. Kernels equal to their stride (the usual 2x upsampling) run as GEMMs
// on the dispatch table's fully connected kernel (conv_transpose2d_gemm.h), with
// the per-tap-row weights rearranged and packed here once; anything else runs the
// conv_transpose2d kernel.
#include <algorithm>
#include <utility>
#include <vector>

#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"
#include "qrt/kernels/conv_transpose2d_gemm.h"

namespace qrt::internal {
namespace {

class TapRowGemmOp final : public OpKernel {
 public:
  // Rearranges (and packs, when the kernel has its own layout) the weights of
  // every tap row; the model's weights and bias are not needed afterwards.
  static Status Make(const PrepareContext& ctx, const kernels::ConvTranspose2DParams& p,
                     std::unique_ptr<OpKernel>* op) {
    std::unique_ptr<TapRowGemmOp> self(new TapRowGemmOp(p, ctx.kernels.fully_connected));
    const auto channels = static_cast<size_t>(kernels::TapRowChannels(p));
    self->tap_bias_.resize(channels);
    self->tap_multiplier_.resize(channels);
    self->tap_shift_.resize(channels);
    kernels::RepeatOverTaps(p, reinterpret_cast<const int32_t*>(ctx.input(2).data),
                            self->tap_bias_.data(), self->tap_multiplier_.data(),
                            self->tap_shift_.data());
    self->gemm_params_ = kernels::TapRowGemmParams(
        p, kernels::ChannelRequant{self->tap_multiplier_.data(), self->tap_shift_.data()});
    const kernels::FullyConnectedKernel& gemm = self->gemm_;
    for (int ky = 0; ky < p.kernel_h; ++ky) {
      AlignedBuffer canonical = AllocateAligned(kernels::TapRowWeightBytes(p));
      AlignedBuffer weights =
          gemm.pack != nullptr ? AllocateAligned(gemm.packed_size(self->gemm_params_)) : nullptr;
      if (canonical == nullptr || (gemm.pack != nullptr && weights == nullptr)) {
        return ctx.Error(StatusCode::kInvalidArgument, "cannot allocate the tap row weights");
      }
      kernels::GatherTapRowWeights(p, ctx.input(1).data, ky, canonical.get());
      if (gemm.pack != nullptr) {
        gemm.pack(self->gemm_params_, canonical.get(), self->tap_bias_.data(), weights.get());
      } else {
        weights = std::move(canonical);
      }
      self->tap_weight_pointers_.push_back(weights.get());
      self->tap_weights_.push_back(std::move(weights));
    }
    self->input_ = ctx.input_index(0);
    self->output_ = ctx.output_index(0);
    *op = std::move(self);
    return Status::Ok();
  }

  // Input rows are dealt out to the threads in contiguous ranges; each writes
  // only its own output rows.
  void Eval(const RunContext& ctx) const override {
    const auto* input = reinterpret_cast<const int8_t*>(ctx.tensor_data[input_]);
    auto* output = reinterpret_cast<int8_t*>(ctx.tensor_data[output_]);
    const int rows = p_.batch * p_.in_h;
    const int tasks = std::max(1, std::min(rows, ctx.thread_pool->num_threads()));
    ctx.thread_pool->Run(tasks, [&](int task) {
      const auto begin = static_cast<int>(int64_t{rows} * task / tasks);
      const auto end = static_cast<int>(int64_t{rows} * (task + 1) / tasks);
      kernels::ConvTranspose2DByTapRows(p_, gemm_params_, gemm_, tap_weight_pointers_.data(),
                                        tap_bias_.data(), input, output, begin, end);
    });
  }
  kernels::Isa isa() const override { return gemm_.isa; }

 private:
  TapRowGemmOp(const kernels::ConvTranspose2DParams& p, const kernels::FullyConnectedKernel& gemm)
      : p_(p), gemm_(gemm) {}

  kernels::ConvTranspose2DParams p_;
  kernels::FullyConnectedKernel gemm_;
  kernels::FullyConnectedParams
      gemm_params_{};  // its requant points into tap_multiplier_ and tap_shift_
  std::vector<int32_t> tap_bias_;
  std::vector<int32_t> tap_multiplier_;
  std::vector<int8_t> tap_shift_;
  std::vector<AlignedBuffer> tap_weights_;
  std::vector<const void*> tap_weight_pointers_;
  int input_ = 0;
  int output_ = 0;
};

}  // namespace

Status PrepareConvTranspose2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_ConvTranspose2DOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& weights = ctx.input(1);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireConvLayout(ctx, o));
  QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "output_padding_h", o.output_padding_h()));
  QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "output_padding_w", o.output_padding_w()));

  auto p = ConvGeometryOf<kernels::ConvTranspose2DParams>(ctx, o);
  if (weights.shape[3] != p.in_c) {
    return ctx.Error(StatusCode::kBadShape, "weights " + ShapeString(weights.shape) +
                                                " do not fit " + std::to_string(p.in_c) +
                                                " input channels");
  }
  // In int64: hostile strides and paddings must not overflow the shape arithmetic.
  const int64_t out_h = (int64_t{p.in_h} - 1) * p.stride_h + p.kernel_h - o.pad_top() -
                        o.pad_bottom() + o.output_padding_h();
  const int64_t out_w = (int64_t{p.in_w} - 1) * p.stride_w + p.kernel_w - o.pad_left() -
                        o.pad_right() + o.output_padding_w();
  if (out_h < 1 || out_w < 1 || out_h > INT32_MAX || out_w > INT32_MAX) {
    return ctx.Error(StatusCode::kBadShape, "the output would have " + std::to_string(out_h) +
                                                " x " + std::to_string(out_w) + " pixels");
  }
  p.out_h = static_cast<int>(out_h);
  p.out_w = static_cast<int>(out_w);
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", {p.batch, p.out_h, p.out_w, p.out_c}));
  const int64_t k = int64_t{p.kernel_h} * p.kernel_w * p.in_c;
  QRT_RETURN_IF_ERROR(RequireWeightsAndBias(ctx, weights, ctx.input(2), p.out_c, k));

  p.input_zero_point = in.zero_point;
  p.output_zero_point = out.zero_point;
  p.weight_type = ToWeightType(weights.type);
  p.requant = ToChannelRequant(ctx.requant);
  p.clamp = ToClamp(*o.clamp());
  if (kernels::IsTapRowGemm(p)) return TapRowGemmOp::Make(ctx, p, kernel);
  *kernel = MakeKernelCall(
      p, ctx.kernels.conv_transpose2d,
      {ctx.input_index(0), ctx.input_index(1), ctx.input_index(2), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
