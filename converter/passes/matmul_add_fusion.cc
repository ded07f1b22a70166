// MatMul followed by the Add of a per-column bias fused into one Gemm.
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
    // Gemm's A is 2-D only; B stays [K, N] with transB = 0, so no copy is needed.
    const Tensor* a = graph->FindTensor(matmul.inputs[0]);
    const Tensor* b = graph->FindTensor(matmul.inputs[1]);
    if (a == nullptr || a->shape.size() != 2 || !IsFloatConstant(b) ||
        b->constant->shape().size() != 2 ||
        !IsColumnBias(graph->FindTensor(bias), b->constant->shape()[1])) {
      continue;
    }
    const std::optional<FusedClamp> clamp = GetFusedClamp(add);
    const std::string output = add.outputs[0];
    const std::string bias_name = bias;  // `add` goes away before the Gemm reads it
    Node& gemm = graph->nodes[*producer_index];
    gemm.op_type = "Gemm";
    gemm.inputs.push_back(bias_name);
    gemm.outputs[0] = output;
    if (clamp) SetFusedClamp(gemm, *clamp);
    return EraseNodes(graph, {add_index});
  }
  return std::nullopt;
}

}  // namespace

Status FuseMatMulAdd(Graph* graph, bool* changed) {
  *changed = RewriteEachNode(graph, TryFuse);
  return Status::Ok();
}

}  // namespace qrt::converter
