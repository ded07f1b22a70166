// The OpKernel of the GEMM-shaped operators (FULLY_CONNECTED, CONV_2D): the
// prepared parameters, the chosen kernel and its weights, packed here once when
// the kernel reads its own layout (dispatch.h). The model is immutable after load
// and shared by every session, so one packed copy serves them all.
#pragma once

#include <memory>
#include <utility>

#include "graph.h"
#include "qrt/kernels/dispatch.h"

namespace qrt::internal {

template <class Params, class Fn>
class GemmOp final : public OpKernel {
 public:
  using Kernel = kernels::GemmKernel<Params, Fn>;

  // Weights and bias are the operator's constant inputs 1 and 2.
  static Status Make(const PrepareContext& ctx, const Params& params, const Kernel& kernel,
                     std::unique_ptr<OpKernel>* op) {
    const TensorDesc& weights = ctx.input(1);
    const auto* bias = reinterpret_cast<const int32_t*>(ctx.input(2).data);
    AlignedBuffer packed;
    if (kernel.pack != nullptr) {
      packed = AllocateAligned(kernel.packed_size(params));
      if (packed == nullptr) {
        return ctx.Error(StatusCode::kInvalidArgument, "cannot allocate the packed weights");
      }
      kernel.pack(params, weights.data, bias, packed.get());
    }
    const void* kernel_weights = packed != nullptr ? packed.get() : weights.data;
    op->reset(new GemmOp(params, kernel, kernel_weights, bias, std::move(packed),
                         ctx.input_index(0), ctx.output_index(0)));
    return Status::Ok();
  }

  void Eval(const RunContext& ctx) const override {
    kernel_.fn(params_, reinterpret_cast<const int8_t*>(ctx.tensor_data[input_]), weights_, bias_,
               reinterpret_cast<int8_t*>(ctx.tensor_data[output_]), kernels::WholeOutput(params_));
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  GemmOp(const Params& params, const Kernel& kernel, const void* weights, const int32_t* bias,
         AlignedBuffer packed, int input, int output)
      : params_(params),
        kernel_(kernel),
        weights_(weights),
        bias_(bias),
        packed_(std::move(packed)),
        input_(input),
        output_(output) {}

  Params params_;
  Kernel kernel_;
  const void* weights_;  // the packed buffer, or the model's canonical weights
  const int32_t* bias_;
  AlignedBuffer packed_;
  int input_;
  int output_;
};

}  // namespace qrt::internal
