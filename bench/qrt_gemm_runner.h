// Runs a benchmark case on qrt's kernels the way the runtime does: the kernel
// table's entry for the operator (depthwise convolutions take their own entry),
// weights packed once when the kernel has its own layout, and the output cut by
// kernels::SplitOutput into tiles run on a thread pool.
#pragma once

#include <functional>

#include "kernel_cases.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/tiling.h"
#include "thread_pool.h"

namespace qrt::bench {

class QrtGemmRunner {
 public:
  // ops and pool must outlive the runner; pool->num_threads() sets the split.
  QrtGemmRunner(const kernels::KernelTable& table, const Operands& ops, internal::ThreadPool* pool);

  // Computes the whole output.
  void Run();

  kernels::Isa isa() const { return isa_; }
  const int8_t* output() const { return reinterpret_cast<const int8_t*>(output_.get()); }

 private:
  internal::ThreadPool* pool_;
  kernels::Isa isa_ = kernels::Isa::kReference;
  kernels::TileGrid grid_;
  AlignedBytes packed_;
  AlignedBytes output_;
  std::function<void(const kernels::OutputTile&)> compute_tile_;
};

}  // namespace qrt::bench
