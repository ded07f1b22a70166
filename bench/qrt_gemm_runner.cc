#include "qrt_gemm_runner.h"

namespace qrt::bench {
namespace {

const kernels::Conv2DKernel& ConvKernelFor(const kernels::KernelTable& table,
                                           const CaseParams& params) {
  return IsDepthwise(params) ? table.depthwise_conv2d : table.conv2d;
}

}  // namespace

QrtGemmRunner::QrtGemmRunner(const kernels::KernelTable& table, const Operands& ops,
                             internal::ThreadPool* pool)
    : pool_(pool), output_(AllocateAlignedBytes(static_cast<size_t>(OutputElements(ops.params)))) {
  const auto* input = reinterpret_cast<const int8_t*>(ops.input.get());
  auto* output = reinterpret_cast<int8_t*>(output_.get());
  const auto prepare = [&](const auto& kernel, const auto& params) {
    const void* weights = ops.weights.data();
    if (kernel.pack != nullptr) {
      packed_ = AllocateAlignedBytes(kernel.packed_size(params));
      kernel.pack(params, ops.weights.data(), ops.bias.data(), packed_.get());
      weights = packed_.get();
    }
    isa_ = kernel.isa;
    grid_ = kernels::SplitOutput(params, kernel.channel_block, pool_->num_threads());
    compute_tile_ = [fn = kernel.fn, params, input, weights, bias = ops.bias.data(),
                     output](const kernels::OutputTile& tile) {
      fn(params, input, weights, bias, output, tile);
    };
  };
  if (const auto* fc = std::get_if<kernels::FullyConnectedParams>(&ops.params)) {
    prepare(table.fully_connected, *fc);
  } else {
    prepare(ConvKernelFor(table, ops.params), std::get<kernels::Conv2DParams>(ops.params));
  }
}

void QrtGemmRunner::Run() {
  pool_->Run(grid_.count(), [this](int tile) { compute_tile_(grid_.Tile(tile)); });
}

}  // namespace qrt::bench
