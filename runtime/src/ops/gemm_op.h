// The OpKernel of the GEMM-shaped operators (FULLY_CONNECTED, CONV_2D): the
// prepared parameters, the chosen kernel and its weights, packed here once when
// the kernel reads its own layout (dispatch.h). The model is immutable after load
// and shared by every session, so one packed copy serves them all; the split into
// tiles depends on the session's thread count and is made at each Eval (a few
// integer operations).
#pragma once

#include <memory>
#include <utility>

#include "graph.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/tiling.h"

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

  // Splits the output into tiles for the session's threads (tiling.h); with one
  // thread that is one call on the whole output.
  void Eval(const RunContext& ctx) const override {
    const auto* input = reinterpret_cast<const int8_t*>(ctx.tensor_data[input_]);
    auto* output = reinterpret_cast<int8_t*>(ctx.tensor_data[output_]);
    const kernels::TileGrid tiles =
        kernels::SplitOutput(params_, kernel_.channel_block, ctx.thread_pool->num_threads());
    ctx.thread_pool->Run(tiles.count(), [&](int tile) {
      kernel_.fn(params_, input, weights_, bias_, output, tiles.Tile(tile));
    });
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
