// Matrix products through oneDNN's matmul: MatMul (numpy semantics: 1-D promotion and
// broadcast batch dims) and Gemm (transposes, alpha, beta and a broadcast C).
#include <algorithm>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/dnnl_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

// One [M,K] x [K,N] -> [M,N] product, run on as many operand pointers as needed.
class MatMul2D {
 public:
  // a_strides and b_strides are element strides of (row, column), which lets Gemm read
  // a transposed operand in place.
  Status Init(const Node& node, int64_t m, int64_t k, int64_t n, std::vector<int64_t> a_strides,
              std::vector<int64_t> b_strides) {
    node_ = &node;
    a_ = StridedDesc({m, k}, a_strides);
    b_ = StridedDesc({k, n}, b_strides);
    c_ = PlainDesc({m, n});
    try {
      primitive_ = dnnl::matmul({dnnl::matmul::desc(a_, b_, c_), DnnlEngine()});
    } catch (const dnnl::error& e) {
      return Status(StatusCode::kInvalidArgument, node.Describe() + ": oneDNN: " + e.what());
    }
    return Status::Ok();
  }

  Status Run(const float* a, const float* b, float* c) const {
    return DnnlExecute(*node_, primitive_,
                       {{DNNL_ARG_SRC, Wrap(a_, a)},
                        {DNNL_ARG_WEIGHTS, Wrap(b_, b)},
                        {DNNL_ARG_DST, Wrap(c_, c)}});
  }

 private:
  const Node* node_ = nullptr;
  dnnl::memory::desc a_, b_, c_;
  dnnl::matmul primitive_;
};

// MatMul operands as batch dims plus a matrix, after numpy's 1-D promotion.
struct MatMulDims {
  Shape a_batch, b_batch, batch;
  int64_t m, k, n;
  Shape out;
};

Status ResolveMatMul(const Node& node, Shape a, Shape b, MatMulDims* dims) {
  if (a.empty() || b.empty()) return OpError(node, "MatMul operands must have rank >= 1");
  const bool a_vector = a.size() == 1;
  const bool b_vector = b.size() == 1;
  if (a_vector) a.insert(a.begin(), 1);
  if (b_vector) b.push_back(1);
  dims->m = a[a.size() - 2];
  dims->k = a.back();
  dims->n = b.back();
  if (dims->k >= 0 && b[b.size() - 2] >= 0 && dims->k != b[b.size() - 2]) {
    return Status(StatusCode::kBadShape, node.Describe() + ": inner dims differ: " +
                                             ShapeToString(a) + " x " + ShapeToString(b));
  }
  dims->a_batch.assign(a.begin(), a.end() - 2);
  dims->b_batch.assign(b.begin(), b.end() - 2);
  const Shape batches[] = {dims->a_batch, dims->b_batch};
  QRT_RETURN_IF_ERROR(BroadcastShapes(node, batches, &dims->batch));
  dims->out = dims->batch;
  if (!a_vector) dims->out.push_back(dims->m);
  if (!b_vector) dims->out.push_back(dims->n);
  return Status::Ok();
}

Status InferMatMul(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                   std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 2));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 1));
  MatMulDims dims;
  QRT_RETURN_IF_ERROR(ResolveMatMul(node, inputs[0].shape, inputs[1].shape, &dims));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = dims.out;
  return Status::Ok();
}

Status RunMatMul(const Node& node, int64_t, std::span<const TensorData* const> in,
                 std::span<TensorData> out) {
  MatMulDims d;
  QRT_RETURN_IF_ERROR(ResolveMatMul(node, in[0]->shape(), in[1]->shape(), &d));
  const float* a = in[0]->values<float>().data();
  const float* b = in[1]->values<float>().data();
  float* c = out[0].values<float>().data();
  MatMul2D product;
  if (NumElements(d.b_batch) == 1) {
    // A shared B: A's batches stack into one taller matrix.
    const int64_t rows = NumElements(d.a_batch) * d.m;
    QRT_RETURN_IF_ERROR(product.Init(node, rows, d.k, d.n, {d.k, 1}, {d.n, 1}));
    return product.Run(a, b, c);
  }
  QRT_RETURN_IF_ERROR(product.Init(node, d.m, d.k, d.n, {d.k, 1}, {d.n, 1}));
  const Shape operands[] = {d.a_batch, d.b_batch};
  Status status;
  ForEachBroadcast(d.batch, operands, [&](int64_t i, std::span<const int64_t> offsets) {
    if (!status.ok()) return;
    status = product.Run(a + offsets[0] * d.m * d.k, b + offsets[1] * d.k * d.n, c + i * d.m * d.n);
  });
  return status;
}

Status InferGemm(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                 std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 3));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].present) QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, i));
  }
  const Shape& a = inputs[0].shape;
  const Shape& b = inputs[1].shape;
  if (a.size() != 2 || b.size() != 2) return OpError(node, "A and B must be matrices");
  const bool trans_a = node.GetInt("transA", 0) != 0;
  const bool trans_b = node.GetInt("transB", 0) != 0;
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = {a[trans_a ? 1 : 0], b[trans_b ? 0 : 1]};
  if (inputs.size() > 2 && inputs[2].present) {
    const Shape shapes[] = {outputs[0].shape, inputs[2].shape};
    Shape broadcast;
    QRT_RETURN_IF_ERROR(BroadcastShapes(node, shapes, &broadcast));
  }
  return Status::Ok();
}

Status RunGemm(const Node& node, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  const Shape& a = in[0]->shape();
  const bool trans_a = node.GetInt("transA", 0) != 0;
  const bool trans_b = node.GetInt("transB", 0) != 0;
  const int64_t m = out[0].shape()[0];
  const int64_t n = out[0].shape()[1];
  const int64_t k = trans_a ? a[0] : a[1];
  MatMul2D product;
  QRT_RETURN_IF_ERROR(
      product.Init(node, m, k, n, trans_a ? std::vector<int64_t>{1, m} : std::vector<int64_t>{k, 1},
                   trans_b ? std::vector<int64_t>{1, k} : std::vector<int64_t>{n, 1}));
  std::span<float> y = out[0].values<float>();
  QRT_RETURN_IF_ERROR(
      product.Run(in[0]->values<float>().data(), in[1]->values<float>().data(), y.data()));
  const float alpha = node.GetFloat("alpha", 1.0f);
  const float beta = node.GetFloat("beta", 1.0f);
  const bool has_c = in.size() > 2 && in[2] != nullptr;
  if (!has_c) {
    for (float& v : y) v *= alpha;
    return Status::Ok();
  }
  std::span<const float> c = in[2]->values<float>();
  const Shape operands[] = {out[0].shape(), in[2]->shape()};
  ForEachBroadcast(out[0].shape(), operands, [&](int64_t i, std::span<const int64_t> offsets) {
    y[i] = alpha * y[i] + beta * c[offsets[1]];
  });
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> MatMulKernels() {
  return {
      {"MatMul", InferMatMul, RunMatMul},
      {"Gemm", InferGemm, RunGemm},
  };
}

}  // namespace qrt::converter
