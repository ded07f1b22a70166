// CONCAT along one axis, each input requantized to the output's quantization. The
// rows before the axis (`outer`) are independent: large concatenations run runs of
// them on the session's threads, like the row-split operators (ops/row_split.h).
#include <array>

#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {
namespace {

// A concatenation of more inputs runs on one thread: each run's input pointers sit in
// a fixed array (a threaded Run() allocates nothing).
constexpr size_t kMaxSplitInputs = 16;

class ConcatKernel final : public OpKernel {
 public:
  ConcatKernel(const kernels::ConcatParams& params, kernels::Kernel<kernels::ConcatFn> kernel,
               std::vector<int> inputs, std::vector<int32_t> axis_sizes,
               std::vector<int32_t> zero_points, int output)
      : params_(params),
        kernel_(kernel),
        inputs_(std::move(inputs)),
        axis_sizes_(std::move(axis_sizes)),
        zero_points_(std::move(zero_points)),
        output_(output) {
    params_.axis_sizes = axis_sizes_.data();
    params_.zero_points = zero_points_.data();
  }
  void Eval(const RunContext& ctx) const override {
    auto* output = reinterpret_cast<int8_t*>(ctx.tensor_data[output_]);
    int64_t out_row = 0;  // bytes of one outer index in the output
    for (const int32_t size : axis_sizes_) out_row += int64_t{size} * params_.inner;
    const int runs =
        inputs_.size() <= kMaxSplitInputs
            ? RowRunCount(params_.outer, out_row * kConcatElementPs, ctx.thread_pool->num_threads())
            : 1;
    if (runs == 1) {
      for (size_t i = 0; i < inputs_.size(); ++i) {
        ctx.input_pointers[i] = reinterpret_cast<const int8_t*>(ctx.tensor_data[inputs_[i]]);
      }
      kernel_.fn(params_, ctx.input_pointers, output);
      return;
    }
    ctx.thread_pool->Run(runs, [&](int run) {
      const int64_t begin = kernels::PartBegin(params_.outer, run, runs);
      const int64_t end = kernels::PartBegin(params_.outer, run + 1, runs);
      kernels::ConcatParams p = params_;
      p.outer = static_cast<int>(end - begin);
      std::array<const int8_t*, kMaxSplitInputs> pointers;
      for (size_t i = 0; i < inputs_.size(); ++i) {
        pointers[i] = reinterpret_cast<const int8_t*>(ctx.tensor_data[inputs_[i]]) +
                      begin * axis_sizes_[i] * params_.inner;
      }
      kernel_.fn(p, pointers.data(), output + begin * out_row);
    });
  }
  kernels::Isa isa() const override { return kernel_.isa; }

 private:
  kernels::ConcatParams params_;
  kernels::Kernel<kernels::ConcatFn> kernel_;
  std::vector<int> inputs_;
  std::vector<int32_t> axis_sizes_;
  std::vector<int32_t> zero_points_;
  int output_;
};

}  // namespace

Status PrepareConcat(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_ConcatOptions();
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  const int rank = static_cast<int>(out.shape.size());
  const int axis = o.axis();
  if (axis < 0 || axis >= rank) {
    return ctx.Error(
        StatusCode::kBadOptions,
        "axis " + std::to_string(axis) + " is outside the output's rank " + std::to_string(rank));
  }
  QRT_RETURN_IF_ERROR(
      RequireRequantCount(ctx, static_cast<size_t>(ctx.num_inputs()), "one per input"));
  std::vector<int> inputs;
  std::vector<int32_t> axis_sizes;
  std::vector<int32_t> zero_points;
  std::vector<int32_t> expected = out.shape;
  expected[static_cast<size_t>(axis)] = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const TensorDesc& in = ctx.input(i);
    QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
    std::vector<int32_t> shape = out.shape;
    shape[static_cast<size_t>(axis)] =
        in.shape.size() == out.shape.size() ? in.shape[static_cast<size_t>(axis)] : 0;
    QRT_RETURN_IF_ERROR(RequireShape(ctx, in, "input", shape));
    expected[static_cast<size_t>(axis)] += shape[static_cast<size_t>(axis)];
    inputs.push_back(ctx.input_index(i));
    axis_sizes.push_back(shape[static_cast<size_t>(axis)]);
    zero_points.push_back(in.zero_point);
  }
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", expected));

  kernels::ConcatParams p{};
  p.num_inputs = ctx.num_inputs();
  p.outer = 1;
  for (int d = 0; d < axis; ++d) p.outer *= out.shape[static_cast<size_t>(d)];
  p.inner = 1;
  for (int d = axis + 1; d < rank; ++d) p.inner *= out.shape[static_cast<size_t>(d)];
  p.requant = ToChannelRequant(ctx.requant);
  p.output_zero_point = out.zero_point;
  *kernel = std::make_unique<ConcatKernel>(p, ctx.kernels.concat, std::move(inputs),
                                           std::move(axis_sizes), std::move(zero_points),
                                           ctx.output_index(0));
  return Status::Ok();
}

}  // namespace qrt::internal
