// MatMul followed by the Add of a per-column bias fused into one Gemm.
#include <algorithm>
#include <optional>
#include <string>

#include "converter/passes/graph_edit.h"
#include "converter/passes/passes.h"

namespace qrt::converter {
namespace {

bool IsFloatConstant(const Tensor* t) {
  return t != nullptr && t->is_constant() && t->constant->dtype() == DType::kFloat32;
}

// Whether `bias` is a constant Gemm can take as C for `columns` output columns: one
// value per column, the same for every row ([N] or [1, N]), as the quantizer's Gemm
// emission requires.
bool IsColumnBias(const Tensor* bias, int64_t columns) {
  if (!IsFloatConstant(bias)) return false;
  const Shape& shape = bias->constant->shape();
  return (shape.size() == 1 && shape[0] == columns) ||
         (shape.size() == 2 && shape[0] == 1 && shape[1] == columns);
}

// Makes the Gemm at `index`, whose A has rank above 2, read A as [rows, K] and write
// [rows, N], with Reshapes around it to and from the original shapes.
void AddRowReshapes(Graph* graph, size_t index) {
  const std::string a = graph->nodes[index].inputs[0];
  const std::string y = graph->nodes[index].outputs[0];
  const Shape a_shape = graph->FindTensor(a)->shape;
  const Shape y_shape = graph->FindTensor(y)->shape;
  const int64_t rows = NumElements(a_shape) / a_shape.back();
  const auto add_reshape = [&](const std::string& from, const std::string& to, const Shape& shape) {
    const std::string target = UniqueTensorName(*graph, to + "/shape");
    SetConstant(graph, target,
                TensorData::FromVector<int64_t>({static_cast<int64_t>(shape.size())}, shape));
    Node reshape;
    reshape.name = UniqueTensorName(*graph, to + "/reshape");
    reshape.op_type = "Reshape";
    reshape.inputs = {from, target};
    reshape.outputs = {to};
    Tensor& t = graph->GetOrAddTensor(to);
    t.dtype = DType::kFloat32;
    t.shape = shape;
    return reshape;
  };
  const std::string a_rows = UniqueTensorName(*graph, a + "/rows");
  Node before = add_reshape(a, a_rows, {rows, a_shape.back()});
  const std::string y_rows = UniqueTensorName(*graph, y + "/rows");
  Node after = add_reshape(y_rows, y, y_shape);
  graph->GetOrAddTensor(y_rows) = Tensor{y_rows, DType::kFloat32, {rows, y_shape.back()}, {}};
  graph->nodes[index].inputs[0] = a_rows;
  graph->nodes[index].outputs[0] = y_rows;
  const auto at = graph->nodes.begin() + static_cast<std::ptrdiff_t>(index);
  graph->nodes.insert(graph->nodes.insert(at, std::move(before)) + 2, std::move(after));
}

// Fuses Add node `add_index` with the MatMul producing one of its operands.
std::optional<size_t> TryFuse(Graph* graph, size_t add_index) {
  const Node& add = graph->nodes[add_index];
  if (add.op_type != "Add" || !add.domain.empty() || add.inputs.size() != 2 || !add.HasInput(0) ||
      !add.HasInput(1) || add.outputs.size() != 1) {
    return std::nullopt;
  }
  for (size_t operand = 0; operand < 2; ++operand) {
    const std::string& product = add.inputs[operand];
    const std::string& bias = add.inputs[1 - operand];
    const std::optional<size_t> producer_index = graph->Producer(product);
    if (!producer_index || SoleReader(*graph, product) != add_index) continue;
    const Node& matmul = graph->nodes[*producer_index];
    // A clamp fused into the MatMul applies before the Add, where Gemm has no place.
    if (matmul.op_type != "MatMul" || !matmul.domain.empty() || matmul.inputs.size() != 2 ||
        !matmul.HasInput(0) || matmul.outputs.size() != 1 || GetFusedClamp(matmul)) {
      continue;
    }
    // Gemm's A is 2-D: a higher-rank A is reshaped to [rows, K] and the product back.
    // B stays [K, N] with transB = 0, so no copy is needed.
    const Tensor* a = graph->FindTensor(matmul.inputs[0]);
    const Tensor* b = graph->FindTensor(matmul.inputs[1]);
    const Tensor* y = graph->FindTensor(add.outputs[0]);
    const bool reshaped = a != nullptr && a->shape.size() > 2;
    if (a == nullptr || a->shape.size() < 2 || y == nullptr ||
        (reshaped && (!IsFullyKnown(a->shape) || !IsFullyKnown(y->shape))) || !IsFloatConstant(b) ||
        b->constant->shape().size() != 2 ||
        !IsColumnBias(graph->FindTensor(bias), b->constant->shape()[1])) {
      continue;
    }
    const std::optional<FusedClamp> clamp = GetFusedClamp(add);
    const std::string output = add.outputs[0];
    const std::string bias_name = bias;  // `add` goes away before the Gemm reads it
    const size_t first = EraseNodes(graph, {add_index});
    Node& gemm = graph->nodes[*producer_index];
    gemm.op_type = "Gemm";
    gemm.inputs.push_back(bias_name);
    gemm.outputs[0] = output;
    if (clamp) SetFusedClamp(gemm, *clamp);
    if (reshaped) AddRowReshapes(graph, *producer_index);
    return std::min(first, *producer_index);
  }
  return std::nullopt;
}

}  // namespace

Status FuseMatMulAdd(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
