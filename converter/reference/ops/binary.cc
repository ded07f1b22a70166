// Broadcasting element-wise operators: Add, Sub, Mul, Div, Pow, Min, Max (variadic) and
// PRelu. Float32 is the converter's compute type; int32 and int64 are accepted as well
// because shape subgraphs (Shape -> Gather -> Mul -> Concat -> Reshape) compute on them.
#include <algorithm>
#include <cmath>
#include <vector>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

bool IsArithmetic(DType t) {
  return t == DType::kFloat32 || t == DType::kInt64 || t == DType::kInt32;
}

Status InferBinary(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                   std::span<OutputInfo> outputs) {
  const bool variadic = node.op_type == "Min" || node.op_type == "Max";
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, variadic ? 1 : 2, variadic ? inputs.size() : 2));
  std::vector<Shape> shapes;
  for (size_t i = 0; i < inputs.size(); ++i) {
    // Pow's exponent may have its own type; every other operand matches input 0.
    const bool own_type = node.op_type == "Pow" && i == 1;
    if (!IsArithmetic(inputs[i].dtype) || (!own_type && inputs[i].dtype != inputs[0].dtype)) {
      return Status(StatusCode::kBadType, node.Describe() + ": input " + std::to_string(i) +
                                              " is " + DTypeName(inputs[i].dtype) + ", input 0 " +
                                              DTypeName(inputs[0].dtype));
    }
    shapes.push_back(inputs[i].shape);
  }
  if (node.op_type == "Pow" || node.op_type == "PRelu") {
    QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  }
  outputs[0].dtype = inputs[0].dtype;
  return BroadcastShapes(node, shapes, &outputs[0].shape);
}

// Folds f over the broadcast operands: out = f(...f(f(x0, x1), x2)...). Operands after
// the first are read as T except Pow's exponent, which is converted.
template <typename T, typename F>
void Fold(std::span<const TensorData* const> inputs, TensorData& out, F f) {
  std::vector<Shape> shapes;
  std::vector<std::vector<T>> converted;
  std::vector<std::span<const T>> operands;
  converted.reserve(inputs.size());  // spans into it must stay valid
  for (const TensorData* in : inputs) {
    shapes.push_back(in->shape());
    if (in->dtype() == DTypeOf<T>()) {
      operands.push_back(in->values<T>());
    } else {
      std::vector<float> f32 = in->ToFloats();
      converted.emplace_back(f32.begin(), f32.end());
      operands.push_back(converted.back());
    }
  }
  std::span<T> y = out.values<T>();
  ForEachBroadcast(out.shape(), shapes, [&](int64_t i, std::span<const int64_t> offsets) {
    T acc = operands[0][offsets[0]];
    for (size_t k = 1; k < operands.size(); ++k) acc = f(acc, operands[k][offsets[k]]);
    y[i] = acc;
  });
}

template <typename F>
Status Dispatch(const Node& node, std::span<const TensorData* const> in, std::span<TensorData> out,
                F f) {
  switch (out[0].dtype()) {
    case DType::kFloat32:
      Fold<float>(in, out[0], f);
      return Status::Ok();
    case DType::kInt64:
      Fold<int64_t>(in, out[0], f);
      return Status::Ok();
    case DType::kInt32:
      Fold<int32_t>(in, out[0], f);
      return Status::Ok();
    default:
      return Status(StatusCode::kBadType,
                    node.Describe() + ": unsupported type " + DTypeName(out[0].dtype()));
  }
}

Status RunAdd(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) { return a + b; });
}

Status RunSub(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) { return a - b; });
}

Status RunMul(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) { return a * b; });
}

Status RunDiv(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) {
    // Integer division truncates, as in ONNX; dividing by 0 gives 0 instead of a trap.
    if constexpr (std::is_integral_v<decltype(a)>) {
      if (b == 0) return decltype(a){0};
    }
    return static_cast<decltype(a)>(a / b);
  });
}

Status RunPow(const Node&, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  Fold<float>(in, out[0], [](float a, float b) { return std::pow(a, b); });
  return Status::Ok();
}

Status RunMin(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) { return std::min(a, b); });
}

Status RunMax(const Node& node, int64_t, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  return Dispatch(node, in, out, [](auto a, auto b) { return std::max(a, b); });
}

Status RunPRelu(const Node&, int64_t, std::span<const TensorData* const> in,
                std::span<TensorData> out) {
  Fold<float>(in, out[0], [](float x, float slope) { return x < 0 ? slope * x : x; });
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> BinaryKernels() {
  return {
      {"Add", InferBinary, RunAdd}, {"Sub", InferBinary, RunSub},     {"Mul", InferBinary, RunMul},
      {"Div", InferBinary, RunDiv}, {"Pow", InferBinary, RunPow},     {"Min", InferBinary, RunMin},
      {"Max", InferBinary, RunMax}, {"PRelu", InferBinary, RunPRelu},
  };
}

}  // namespace qrt::converter
