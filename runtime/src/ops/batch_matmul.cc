// BATCH_MATMUL of two int8 activations (attention's Q K^T and P V) with broadcast
// batch dimensions and one output requantization.
#include <algorithm>

#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"

namespace qrt::internal {
namespace {

// k * 255 * 255 < 2^31 keeps the int32 accumulator exact.
constexpr int kMaxDepth = 33025;

// Output matrices are independent, and so are the rows of one: the session's threads
// take runs of the outermost batch axis longer than 1 (attention's heads), or of the
// matrix rows when there is one matrix.
RowLayout<3> SplitLayout(const kernels::BatchMatMulParams& p) {
  const int64_t mac_ps = int64_t{p.k} * kBatchMatMulMacPs;
  if (BroadcastRowAxis(p.batch) >= 0) {
    return BroadcastRowLayout(p.batch, int64_t{p.m} * p.k, int64_t{p.k} * p.n, int64_t{p.m} * p.n,
                              int64_t{p.m} * p.n * mac_ps);
  }
  return {p.m, p.n * mac_ps, {p.k, 0, p.n}};
}

kernels::BatchMatMulParams NarrowRows(const kernels::BatchMatMulParams& whole, int64_t count) {
  kernels::BatchMatMulParams p = whole;
  if (BroadcastRowAxis(whole.batch) >= 0) {
    p.batch = NarrowBroadcast(whole.batch, count);
  } else {
    p.m = static_cast<int>(count);
  }
  return p;
}

}  // namespace

Status PrepareBatchMatMul(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const auto& o = *ctx.op.options_as_BatchMatMulOptions();
  const TensorDesc& a = ctx.input(0);
  const TensorDesc& b = ctx.input(1);
  const TensorDesc& out = ctx.output(0);
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, a, "input a"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, b, "input b"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, out, "output"));
  if (a.shape.size() < 2 || b.shape.size() < 2) {
    return ctx.Error(StatusCode::kBadShape, "inputs " + ShapeString(a.shape) + " and " +
                                                ShapeString(b.shape) +
                                                " must be matrices (rank >= 2)");
  }
  kernels::BatchMatMulParams p{};
  p.transpose_b = o.transpose_b();
  p.m = a.shape[a.shape.size() - 2];
  p.k = a.shape.back();
  const int32_t b_k = p.transpose_b ? b.shape.back() : b.shape[b.shape.size() - 2];
  p.n = p.transpose_b ? b.shape[b.shape.size() - 2] : b.shape.back();
  if (b_k != p.k) {
    return ctx.Error(StatusCode::kBadShape,
                     "inputs " + ShapeString(a.shape) + " and " + ShapeString(b.shape) +
                         (p.transpose_b ? " (transposed)" : "") + " disagree on K");
  }
  if (p.k > kMaxDepth) {
    return ctx.Error(StatusCode::kBadShape, "K = " + std::to_string(p.k) +
                                                " can overflow the int32 accumulator (at most " +
                                                std::to_string(kMaxDepth) + ")");
  }
  const size_t a_batch = a.shape.size() - 2;
  const size_t b_batch = b.shape.size() - 2;
  const size_t rank = std::max(a_batch, b_batch);
  p.batch.rank = static_cast<int>(rank);
  std::vector<int32_t> out_shape;
  for (size_t d = 0; d < rank; ++d) {
    const size_t from_end = rank - d;
    const int32_t da = from_end <= a_batch ? a.shape[a_batch - from_end] : 1;
    const int32_t db = from_end <= b_batch ? b.shape[b_batch - from_end] : 1;
    if (da != db && da != 1 && db != 1) {
      return ctx.Error(StatusCode::kBadShape, "the batch dimensions of " + ShapeString(a.shape) +
                                                  " and " + ShapeString(b.shape) +
                                                  " do not broadcast");
    }
    p.batch.a[d] = da;
    p.batch.b[d] = db;
    p.batch.out[d] = std::max(da, db);
    out_shape.push_back(p.batch.out[d]);
  }
  out_shape.push_back(p.m);
  out_shape.push_back(p.n);
  QRT_RETURN_IF_ERROR(RequireShape(ctx, out, "output", out_shape));
  QRT_RETURN_IF_ERROR(RequireRequantCount(ctx, 1, "the output's"));
  p.a_zero_point = a.zero_point;
  p.b_zero_point = b.zero_point;
  p.output_zero_point = out.zero_point;
  p.requant = DyadicAt(ctx.requant, 0);
  p.clamp = ToClamp(*o.clamp());
  *kernel = MakeRowSplitCall(p, ctx.kernels.batch_matmul,
                             {ctx.input_index(0), ctx.input_index(1), ctx.output_index(0)},
                             SplitLayout(p), NarrowRows);
  return Status::Ok();
}

}  // namespace qrt::internal
