// Operators that change only the shape or element type, never the order of elements:
// Reshape, Flatten, Squeeze, Unsqueeze, Shape, Identity, Dropout (inference), Cast.
#include <algorithm>
#include <cstring>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

// The data-preserving operators all copy their input's bytes into an output of the
// same element count.
Status RunCopy(const Node&, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  std::span<const std::byte> src = in[0]->bytes();
  std::copy(src.begin(), src.end(), out[0].bytes().begin());
  return Status::Ok();
}

Status InferReshape(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                    std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 2));
  outputs[0].dtype = inputs[0].dtype;
  std::vector<int64_t> target;
  if (!KnownInts(inputs, 1, &target)) {
    // The rank is known from the shape tensor's length even when its values are not.
    const Shape& s = inputs[1].shape;
    outputs[0].shape = Shape(s.size() == 1 && s[0] >= 0 ? static_cast<size_t>(s[0]) : 0, -1);
    return Status::Ok();
  }
  const bool allow_zero = node.GetInt("allowzero", 0) != 0;
  const Shape& in = inputs[0].shape;
  Shape out(target.size());
  int64_t infer_at = -1;
  int64_t known = 1;
  bool unknown = false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    const bool copied = d == 0 && !allow_zero;
    if (copied) {
      if (i >= in.size()) return OpError(node, "0 in shape refers past the input's rank");
      d = in[i];
    }
    if (copied && d < 0) {
      unknown = true;
    } else if (d == -1) {
      if (infer_at >= 0) return OpError(node, "more than one -1 in the target shape");
      infer_at = static_cast<int64_t>(i);
    } else if (d < -1) {
      return OpError(node, "invalid target dim " + std::to_string(d));
    } else {
      known *= d;
    }
    out[i] = d;
  }
  const int64_t total = NumElements(in);
  if (infer_at >= 0) {
    if (total < 0 || unknown) {
      out[static_cast<size_t>(infer_at)] = -1;
    } else if (known == 0 || total % known != 0) {
      return Status(StatusCode::kBadShape, node.Describe() + ": cannot reshape " +
                                               ShapeToString(in) + " to the target shape");
    } else {
      out[static_cast<size_t>(infer_at)] = total / known;
    }
  } else if (total >= 0 && !unknown && total != known) {
    return Status(StatusCode::kBadShape, node.Describe() + ": cannot reshape " + ShapeToString(in) +
                                             " (" + std::to_string(total) + " elements) to " +
                                             ShapeToString(out));
  }
  outputs[0].shape = std::move(out);
  return Status::Ok();
}

Status InferFlatten(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                    std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  const Shape& in = inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = node.GetInt("axis", 1);
  // Flatten accepts axis == rank (everything in the first dim).
  if (axis != rank) QRT_RETURN_IF_ERROR(NormalizeAxis(node, axis, rank, &axis));
  auto split = in.begin() + static_cast<std::ptrdiff_t>(axis);
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = {NumElements(Shape(in.begin(), split)), NumElements(Shape(split, in.end()))};
  return Status::Ok();
}

// Axes from the attribute (older opsets) or from input 1 (Squeeze/Unsqueeze >= 13).
// False when they live in an input whose value is not known.
bool AxesFor(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
             std::vector<int64_t>* axes) {
  if (opset < 13) {
    *axes = node.GetInts("axes");
    return true;
  }
  if (inputs.size() < 2 || !inputs[1].present) {
    axes->clear();
    return true;
  }
  return KnownInts(inputs, 1, axes);
}

Status InferSqueeze(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                    std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 2));
  const Shape& in = inputs[0].shape;
  outputs[0].dtype = inputs[0].dtype;
  std::vector<int64_t> axes;
  if (!AxesFor(node, opset, inputs, &axes)) return OpError(node, "axes must be a constant");
  const int64_t rank = static_cast<int64_t>(in.size());
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, rank, &axes));
  Shape out;
  for (int64_t i = 0; i < rank; ++i) {
    const int64_t d = in[static_cast<size_t>(i)];
    const bool listed = std::find(axes.begin(), axes.end(), i) != axes.end();
    if (listed && d != 1 && d != -1) {
      return Status(StatusCode::kBadShape, node.Describe() + ": cannot squeeze axis " +
                                               std::to_string(i) + " of size " + std::to_string(d));
    }
    if (axes.empty() && d == -1) return OpError(node, "cannot squeeze an unknown dim");
    if (listed || (axes.empty() && d == 1)) continue;
    out.push_back(d);
  }
  outputs[0].shape = std::move(out);
  return Status::Ok();
}

Status InferUnsqueeze(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                      std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 2));
  const Shape& in = inputs[0].shape;
  outputs[0].dtype = inputs[0].dtype;
  std::vector<int64_t> axes;
  if (!AxesFor(node, opset, inputs, &axes) || axes.empty()) {
    return OpError(node, "axes must be a non-empty constant");
  }
  const int64_t rank = static_cast<int64_t>(in.size() + axes.size());
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, rank, &axes));
  Shape out;
  auto next = in.begin();
  for (int64_t i = 0; i < rank; ++i) {
    out.push_back(std::find(axes.begin(), axes.end(), i) != axes.end() ? 1 : *next++);
  }
  outputs[0].shape = std::move(out);
  return Status::Ok();
}

Status InferShape(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                  std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  const Shape& in = inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  // start and end (opset 15) clamp into [0, rank] after adding rank to negatives.
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  const int64_t start = clamp(node.GetInt("start", 0));
  const int64_t end = clamp(node.GetInt("end", rank));
  Shape dims(in.begin() + start, in.begin() + std::max(start, end));
  outputs[0].dtype = DType::kInt64;
  outputs[0].shape = {static_cast<int64_t>(dims.size())};
  if (IsFullyKnown(dims)) {
    outputs[0].value = TensorData::FromVector(outputs[0].shape, std::vector<int64_t>(dims));
  }
  return Status::Ok();
}

Status RunShape(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                std::span<TensorData> out) {
  std::vector<OutputInfo> result(1);
  QRT_RETURN_IF_ERROR(InferShape(node, opset, KnownValues(in), result));
  out[0] = std::move(*result[0].value);
  return Status::Ok();
}

// Identity and Dropout in inference mode: the data passes through; Dropout's optional
// mask output is all true.
Status InferIdentity(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                     std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, node.op_type == "Dropout" ? 3 : 1));
  if (node.op_type == "Dropout" && inputs.size() > 2 && inputs[2].present) {
    if (inputs[2].value == nullptr || inputs[2].value->ToInt64s()[0] != 0) {
      return OpError(node, "training_mode must be a constant false");
    }
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = inputs[0].shape;
  if (outputs.size() > 1) {
    outputs[1].dtype = DType::kBool;
    outputs[1].shape = inputs[0].shape;
  }
  return Status::Ok();
}

Status RunIdentity(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                   std::span<TensorData> out) {
  if (out.size() > 1) std::fill(out[1].bytes().begin(), out[1].bytes().end(), std::byte{1});
  return RunCopy(node, opset, in, out);
}

Status InferCast(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                 std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  if (!DTypeFromOnnxType(node.GetInt("to", 0), &outputs[0].dtype)) {
    return Status(StatusCode::kBadType, node.Describe() + ": unsupported target type " +
                                            std::to_string(node.GetInt("to", 0)));
  }
  outputs[0].shape = inputs[0].shape;
  return Status::Ok();
}

template <typename T>
void CastTo(const TensorData& in, TensorData& out) {
  std::span<T> y = out.values<T>();
  if (in.dtype() == DType::kFloat32) {
    std::span<const float> x = in.values<float>();
    // Float to integer truncates toward zero, as C++ and ONNX Cast do.
    for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<T>(x[i]);
    return;
  }
  std::vector<int64_t> x = in.ToInt64s();
  for (size_t i = 0; i < x.size(); ++i) y[i] = static_cast<T>(x[i]);
}

Status RunCast(const Node&, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  switch (out[0].dtype()) {
    case DType::kFloat32:
      CastTo<float>(*in[0], out[0]);
      break;
    case DType::kInt64:
      CastTo<int64_t>(*in[0], out[0]);
      break;
    case DType::kInt32:
      CastTo<int32_t>(*in[0], out[0]);
      break;
    case DType::kInt8:
      CastTo<int8_t>(*in[0], out[0]);
      break;
    case DType::kUInt8:
      CastTo<uint8_t>(*in[0], out[0]);
      break;
    case DType::kBool: {
      std::vector<float> x = in[0]->ToFloats();
      std::span<uint8_t> y = out[0].values<uint8_t>();
      for (size_t i = 0; i < x.size(); ++i) y[i] = x[i] != 0.0f ? 1 : 0;
      break;
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> ShapeKernels() {
  return {
      {"Reshape", InferReshape, RunCopy},      {"Flatten", InferFlatten, RunCopy},
      {"Squeeze", InferSqueeze, RunCopy},      {"Unsqueeze", InferUnsqueeze, RunCopy},
      {"Shape", InferShape, RunShape},         {"Identity", InferIdentity, RunIdentity},
      {"Dropout", InferIdentity, RunIdentity}, {"Cast", InferCast, RunCast},
  };
}

}  // namespace qrt::converter
