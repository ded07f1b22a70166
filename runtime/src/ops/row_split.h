// Operators whose output is made of independent rows run runs of whole rows on the
// session's threads: softmax and layer normalization along their last axis,
// elementwise operators and batch matmul along the output's outermost axis longer
// than 1 (batch matmul along its matrix rows when it has one matrix), lookup,
// quantize and dequantize in runs of elements. Each run is
// one kernel call on a narrower view of the same tensors, and a row's bytes do not
// depend on the run that computes it, so outputs are the same for every thread count.
//
// How far to cut is decided by an estimate of the operator's work in picoseconds of
// one core, not by its element count: a softmax element costs some 30 times an
// addition's. A run holds at least kMinRunPs of work, so that it outweighs handing it
// to a thread (about a microsecond when the worker is awake); the policy is the one
// kernels/tiling.h uses for convolutions: up to kTilesPerThread runs per thread,
// rounded down to a multiple of the thread count, so that a thread that is late or
// preempted holds up one small run while the others take the rest.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "graph.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/tiling.h"

namespace qrt::internal {

// Estimated cost of one element of each operator (one multiply-accumulate for batch
// matmul) in picoseconds: single-thread qrt-bench --profile of the PP-OCRv4
// recogniser on Zen 5 (softmax and layer normalization have reference kernels only).
// Only their order of magnitude matters.
inline constexpr int64_t kSoftmaxElementPs = 3000;
inline constexpr int64_t kLayerNormElementPs = 6500;
inline constexpr int64_t kElementwiseElementPs = 100;
inline constexpr int64_t kBatchMatMulMacPs = 15;
// A LOOKUP costs some 15 ps an element on data in its core's cache, but it mostly
// reads what a split convolution just left in the other cores' caches: 60 splits the
// recogniser's LOOKUPs (0.15 -> 0.10 ms of its 2-thread time), 15 splits none.
inline constexpr int64_t kLookupElementPs = 60;
// QUANTIZE and DEQUANTIZE: 80 ps an element (the detector's 640x640x3 input
// quantized in 0.10 ms, its 640x640 output dequantized in 0.02 ms).
inline constexpr int64_t kBoundaryElementPs = 80;
// A CONCAT output byte: 200 ps on the detector's channel concat of four 24-channel
// inputs requantized (0.50 ms for 2.46 MB); a plain copy costs less, but such
// concatenations are rare.
inline constexpr int64_t kConcatElementPs = 200;

// 4 us: the recogniser's attention softmaxes and layer normalizations (30-40 us)
// split 6-8 ways at 2 threads, its squeeze-excitation MULs (10-20 us) in two to
// four, its 1-3 us residual ADDs and attention batch matmuls not at all. 2 and 8 us
// measured the same at 2 threads.
inline constexpr int64_t kMinRunPs = 4'000'000;

// The number of runs that `rows` rows of about row_ps picoseconds each are cut into
// for num_threads threads (1 when the work is too small to share).
int RowRunCount(int64_t rows, int64_t row_ps, int num_threads);

// How an operator with N tensor arguments (inputs, then output) is cut into rows.
template <size_t N>
struct RowLayout {
  int64_t rows = 1;
  int64_t row_ps = 0;
  // How many bytes each tensor advances per row; 0 for an operand that every row
  // reads whole (broadcast along the rows).
  std::array<int64_t, N> row_bytes{};
};

// An OpKernel that calls its kernel once per run: with narrow(params, count), the
// parameters of `count` consecutive rows, and every tensor pointer advanced to the
// run's first row.
template <class Params, class... Args>
class RowSplitCall final : public OpKernel {
 public:
  using Fn = void (*)(const Params&, Args...);
  using Narrow = Params (*)(const Params& whole, int64_t count);

  RowSplitCall(const Params& params, kernels::Kernel<Fn> kernel,
               std::array<int, sizeof...(Args)> tensors, RowLayout<sizeof...(Args)> layout,
               Narrow narrow)
      : params_(params), kernel_(kernel), tensors_(tensors), layout_(layout), narrow_(narrow) {}

  void Eval(const RunContext& ctx) const override {
    const int runs = RowRunCount(layout_.rows, layout_.row_ps, ctx.thread_pool->num_threads());
    if (runs == 1) {
      Call(ctx, params_, 0, std::index_sequence_for<Args...>{});
      return;
    }
    ctx.thread_pool->Run(runs, [&](int run) {
      const int64_t begin = kernels::PartBegin(layout_.rows, run, runs);
      const int64_t end = kernels::PartBegin(layout_.rows, run + 1, runs);
      Call(ctx, narrow_(params_, end - begin), begin, std::index_sequence_for<Args...>{});
    });
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  template <size_t... I>
  void Call(const RunContext& ctx, const Params& params, int64_t first_row,
            std::index_sequence<I...>) const {
    kernel_.fn(params, reinterpret_cast<Args>(ctx.tensor_data[tensors_[I]] +
                                              first_row * layout_.row_bytes[I])...);
  }

  Params params_;
  kernels::Kernel<Fn> kernel_;
  std::array<int, sizeof...(Args)> tensors_;
  RowLayout<sizeof...(Args)> layout_;
  Narrow narrow_;
};

template <class Params, class... Args>
std::unique_ptr<OpKernel> MakeRowSplitCall(const Params& params,
                                           kernels::Kernel<void (*)(const Params&, Args...)> kernel,
                                           std::array<int, sizeof...(Args)> tensors,
                                           RowLayout<sizeof...(Args)> layout,
                                           typename RowSplitCall<Params, Args...>::Narrow narrow) {
  return std::make_unique<RowSplitCall<Params, Args...>>(params, kernel, tensors, layout, narrow);
}

// The parameters of `count` elements of an element-wise kernel whose parameters
// count its elements (lookup, quantize, dequantize).
template <class Params>
Params NarrowCount(const Params& whole, int64_t count) {
  Params p = whole;
  p.count = count;
  return p;
}

// The parameters of `count` rows of a row-wise kernel (one whose parameters count
// its `rows`: softmax, layer normalization).
template <class Params>
Params NarrowRows(const Params& whole, int64_t count) {
  Params p = whole;
  p.rows = static_cast<int>(count);
  return p;
}

// Rows of operands that broadcast (elementwise operators, batch matmul's batch
// axes): the indices along the output's outermost axis longer than 1, before which
// every operand's axes are 1. -1 when every output axis is 1.
int BroadcastRowAxis(const kernels::BroadcastShapes& shapes);

// The layout of a two-operand broadcast cut along BroadcastRowAxis (which must be
// >= 0): each element of the broadcast shapes stands for a block of a_block, b_block
// and out_block bytes (1 for elementwise operators, a matrix for batch matmul), and
// each output block costs block_ps.
RowLayout<3> BroadcastRowLayout(const kernels::BroadcastShapes& shapes, int64_t a_block,
                                int64_t b_block, int64_t out_block, int64_t block_ps);

// `shapes` narrowed to `count` indices along BroadcastRowAxis (which must be >= 0),
// for an operand that has the axis (an operand broadcast along it keeps 1).
kernels::BroadcastShapes NarrowBroadcast(const kernels::BroadcastShapes& shapes, int64_t count);

// The parameters of `count` rows of an elementwise kernel (broadcast `shapes`).
template <class Params>
Params NarrowShapes(const Params& whole, int64_t count) {
  Params p = whole;
  p.shapes = NarrowBroadcast(whole.shapes, count);
  return p;
}

}  // namespace qrt::internal
