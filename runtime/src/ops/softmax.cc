// SOFTMAX along the last axis, integer-only through an offline exp table.
#include <algorithm>

#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {
namespace {

// Rows are independent, so a large softmax (a recogniser's 40 x 6625 class scores:
// a quarter of its run time) is cut into runs of whole rows for the session's
// threads; each run is one kernel call, so the bytes do not depend on the split.
class SoftmaxOp final : public OpKernel {
 public:
  SoftmaxOp(const kernels::SoftmaxParams& params, kernels::Kernel<kernels::SoftmaxFn> kernel,
            int input, int output)
      : params_(params), kernel_(kernel), input_(input), output_(output) {}

  void Eval(const RunContext& ctx) const override {
    const auto* input = reinterpret_cast<const int8_t*>(ctx.tensor_data[input_]);
    auto* output = reinterpret_cast<int8_t*>(ctx.tensor_data[output_]);
    // At least kMinRunElements per run, so that a run outweighs handing it over.
    constexpr int64_t kMinRunElements = int64_t{1} << 15;
    const int64_t elements = int64_t{params_.rows} * params_.depth;
    const int runs = static_cast<int>(
        std::clamp<int64_t>(std::min<int64_t>(elements / kMinRunElements, params_.rows), 1,
                            int64_t{4} * ctx.thread_pool->num_threads()));
    ctx.thread_pool->Run(runs, [&](int run) {
      const int begin = static_cast<int>(int64_t{params_.rows} * run / runs);
      const int end = static_cast<int>(int64_t{params_.rows} * (run + 1) / runs);
      kernels::SoftmaxParams p = params_;
      p.rows = end - begin;
      const int64_t offset = int64_t{begin} * params_.depth;
      kernel_.fn(p, input + offset, output + offset);
    });
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  kernels::SoftmaxParams params_;
  kernels::Kernel<kernels::SoftmaxFn> kernel_;
  int input_;
  int output_;
};

}  // namespace

Status PrepareSoftmax(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_SoftmaxOptions();
  const TensorDesc& in = ctx.input(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", in.shape));
  const auto& table = *o.exp_table();
  if (table.size() != 256) {
    return ctx.Error(StatusCode::kBadOptions,
                     "exp_table has " + std::to_string(table.size()) + " entries, expected 256");
  }
  // E[0] >= 1 keeps every row's sum positive (the row maximum contributes E[0]);
  // entries <= 2^16 keep E * 2^30 and the sum of up to 2^31 entries inside int64.
  for (uint32_t i = 0; i < table.size(); ++i) {
    if (table.Get(i) < (i == 0 ? 1 : 0) || table.Get(i) > (1 << 16)) {
      return ctx.Error(StatusCode::kBadOptions, "exp_table[" + std::to_string(i) + "] is " +
                                                    std::to_string(table.Get(i)) +
                                                    " (entries in [0, 2^16], the first >= 1)");
    }
  }
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 1, "the probability's"));
  kernels::SoftmaxParams p{};
  p.depth = in.shape.empty() ? 1 : in.shape.back();
  p.rows = static_cast<int>(in.element_count / p.depth);
  p.exp_table = table.data();
  p.requant = DyadicAt(ctx.requant, 0);
  p.output_zero_point = ctx.output(0).zero_point;
  p.clamp = ToClamp(*o.clamp());
  *kernel =
      std::make_unique<SoftmaxOp>(p, ctx.kernels.softmax, ctx.input_index(0), ctx.output_index(0));
  return Status::Ok();
}

}  // namespace qrt::internal
