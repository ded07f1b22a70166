// RESHAPE, TRANSPOSE, PAD and RESIZE_NEAREST: integer data movement, so input and
// output share one quantization.
#include <cstring>

#include "ops/kernel_call.h"
#include "ops/op_checks.h"
#include "ops/ops.h"

namespace qrt::internal {
namespace {

// A reshape is a byte copy: the arena plan keeps input and output apart.
class ReshapeKernel final : public OpKernel {
 public:
  ReshapeKernel(int in, int out, size_t bytes) : in_(in), out_(out), bytes_(bytes) {}
  void Eval(const RunContext& ctx) const override {
    std::memcpy(ctx.tensor_data[out_], ctx.tensor_data[in_], bytes_);
  }
  kernels::Isa isa() const override { return kernels::Isa::kReference; }

 private:
  int in_, out_;
  size_t bytes_;
};

Status RequireMovable(const PrepareContext& ctx) {
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.input(0), "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  return RequireSameQuantization(ctx, ctx.input(0), ctx.output(0));
}

void CopyShape(const std::vector<int32_t>& shape, int32_t* dst) {
  for (size_t d = 0; d < shape.size(); ++d) dst[d] = shape[d];
}

}  // namespace

Status PrepareReshape(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  QRT_RETURN_IF_ERROR(RequireMovable(ctx));
  if (ctx.input(0).element_count != ctx.output(0).element_count) {
    return ctx.Error(StatusCode::kBadShape, "cannot reshape " + ShapeString(ctx.input(0).shape) +
                                                " to " + ShapeString(ctx.output(0).shape));
  }
  *kernel = std::make_unique<ReshapeKernel>(ctx.input_index(0), ctx.output_index(0),
                                            ctx.input(0).byte_size);
  return Status::Ok();
}

Status PrepareTranspose(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  QRT_RETURN_IF_ERROR(RequireMovable(ctx));
  const auto& perm = *ctx.op.options_as_TransposeOptions()->perm();
  const TensorDesc& in = ctx.input(0);
  const size_t rank = in.shape.size();
  std::vector<int32_t> out_shape;
  std::vector<char> used(rank, 0);
  for (const int32_t axis : perm) {
    if (perm.size() != rank || axis < 0 || static_cast<size_t>(axis) >= rank ||
        used[static_cast<size_t>(axis)]) {
      return ctx.Error(StatusCode::kBadOptions, "perm is not a permutation of the input's " +
                                                    std::to_string(rank) + " axes");
    }
    used[static_cast<size_t>(axis)] = 1;
    out_shape.push_back(in.shape[static_cast<size_t>(axis)]);
  }
  if (perm.size() != rank) {
    return ctx.Error(StatusCode::kBadOptions, "perm has " + std::to_string(perm.size()) +
                                                  " axes, the input " + std::to_string(rank));
  }
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", out_shape));
  kernels::TransposeParams p{};
  p.rank = static_cast<int>(rank);
  CopyShape(in.shape, p.in_shape);
  for (size_t d = 0; d < rank; ++d) p.perm[d] = perm.Get(static_cast<flatbuffers::uoffset_t>(d));
  *kernel = MakeKernelCall(p, ctx.kernels.transpose, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

Status PreparePad(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  QRT_RETURN_IF_ERROR(RequireMovable(ctx));
  const auto& o = *ctx.op.options_as_PadOptions();
  const TensorDesc& in = ctx.input(0);
  const size_t rank = in.shape.size();
  if (o.pads_begin()->size() != rank || o.pads_end()->size() != rank) {
    return ctx.Error(StatusCode::kBadOptions,
                     "pads need one entry per axis (" + std::to_string(rank) + ")");
  }
  kernels::PadParams p{};
  p.rank = static_cast<int>(rank);
  CopyShape(in.shape, p.in_shape);
  std::vector<int32_t> out_shape;
  for (size_t d = 0; d < rank; ++d) {
    const auto i = static_cast<flatbuffers::uoffset_t>(d);
    p.pads_begin[d] = o.pads_begin()->Get(i);
    p.pads_end[d] = o.pads_end()->Get(i);
    QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "pads_begin", p.pads_begin[d]));
    QRT_RETURN_IF_ERROR(RequireNonNegative(ctx, "pads_end", p.pads_end[d]));
    const int64_t size = int64_t{in.shape[d]} + p.pads_begin[d] + p.pads_end[d];
    out_shape.push_back(static_cast<int32_t>(std::min<int64_t>(size, INT32_MAX)));
  }
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", out_shape));
  p.value = o.pad_value();
  *kernel = MakeKernelCall(p, ctx.kernels.pad, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

Status PrepareResizeNearest(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  QRT_RETURN_IF_ERROR(RequireMovable(ctx));
  const auto& o = *ctx.op.options_as_ResizeOptions();
  const TensorDesc& in = ctx.input(0);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireRank(ctx, in, "input", 4));
  QRT_RETURN_IF_ERROR(RequireRank(ctx, out, "output", 4));
  if (out.shape[0] != in.shape[0] || out.shape[3] != in.shape[3]) {
    return ctx.Error(StatusCode::kBadShape, "resizing " + ShapeString(in.shape) + " to " +
                                                ShapeString(out.shape) +
                                                " changes batch or channels");
  }
  if (o.coordinate_transform() > schema::CoordinateTransform::MAX ||
      o.nearest_rounding() > schema::NearestRounding::MAX) {
    return ctx.Error(StatusCode::kBadOptions, "unknown coordinate transform or rounding");
  }
  kernels::ResizeNearestParams p{};
  p.batch = in.shape[0];
  p.in_h = in.shape[1];
  p.in_w = in.shape[2];
  p.channels = in.shape[3];
  p.out_h = out.shape[1];
  p.out_w = out.shape[2];
  p.transform = static_cast<kernels::CoordinateTransform>(o.coordinate_transform());
  p.rounding = static_cast<kernels::NearestRounding>(o.nearest_rounding());
  *kernel =
      MakeKernelCall(p, ctx.kernels.resize_nearest, {ctx.input_index(0), ctx.output_index(0)});
  return Status::Ok();
}

}  // namespace qrt::internal
