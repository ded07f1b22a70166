// SLICE: a strided window of the input (ONNX Slice after the converter has
// resolved its starts, ends, axes and steps to one begin and step per axis).
// Values move unchanged, so input and output share one quantization.
#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {

Status PrepareSlice(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_SliceOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, in, "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  QRT_RETURN_IF_ERROR(RequireSameQuantization(ctx, in, out));
  const size_t rank = in.shape.size();
  QRT_RETURN_IF_ERROR(RequireRank(ctx, out, "output", rank));
  if (o.begin()->size() != rank || o.step()->size() != rank) {
    return ctx.Error(StatusCode::kBadOptions,
                     "begin and step need one entry per axis (" + std::to_string(rank) + ")");
  }
  kernels::SliceParams p{};
  p.rank = static_cast<int>(rank);
  for (size_t d = 0; d < rank; ++d) {
    const auto i = static_cast<flatbuffers::uoffset_t>(d);
    p.in_shape[d] = in.shape[d];
    p.out_shape[d] = out.shape[d];
    p.begin[d] = o.begin()->Get(i);
    p.step[d] = o.step()->Get(i);
    if (p.step[d] == 0) {
      return ctx.Error(StatusCode::kBadOptions, "step of axis " + std::to_string(d) + " is 0");
    }
    if (out.shape[d] == 0) continue;
    const int64_t last = int64_t{p.begin[d]} + int64_t{out.shape[d] - 1} * p.step[d];
    if (p.begin[d] < 0 || p.begin[d] >= in.shape[d] || last < 0 || last >= in.shape[d]) {
      return ctx.Error(StatusCode::kBadShape, "axis " + std::to_string(d) + " reads from " +
                                                  std::to_string(p.begin[d]) + " to " +
                                                  std::to_string(last) + ", outside the input's " +
                                                  std::to_string(in.shape[d]));
    }
  }
  *kernel = MakeKernelCall(p, ctx.kernels.slice, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
