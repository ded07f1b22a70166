// The OpKernel of every operator whose Eval is one kernel call on tensors:
// the prepared parameters, the chosen kernel, and the tensor behind each of the
// kernel's pointer arguments, in order.
#pragma once

#include <array>
#include <memory>
#include <utility>

#include "graph.h"

namespace qrt::internal {

template <class Params, class... Args>
class KernelCall final : public OpKernel {
 public:
  using Fn = void (*)(const Params&, Args...);

  KernelCall(const Params& params, kernels::Kernel<Fn> kernel,
             std::array<int, sizeof...(Args)> tensors)
      : params_(params), kernel_(kernel), tensors_(tensors) {}

  void Eval(const RunContext& ctx) const override { Call(ctx, std::index_sequence_for<Args...>{}); }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  template <size_t... I>
  void Call(const RunContext& ctx, std::index_sequence<I...>) const {
    kernel_.fn(params_, reinterpret_cast<Args>(ctx.tensor_data[tensors_[I]])...);
  }

  Params params_;
  kernels::Kernel<Fn> kernel_;
  std::array<int, sizeof...(Args)> tensors_;
};

template <class Params, class... Args>
std::unique_ptr<OpKernel> MakeKernelCall(const Params& params,
                                         kernels::Kernel<void (*)(const Params&, Args...)> kernel,
                                         std::array<int, sizeof...(Args)> tensors) {
  return std::make_unique<KernelCall<Params, Args...>>(params, kernel, tensors);
}

}  // namespace qrt::internal
