// Operators that move elements without arithmetic, for every element type: Transpose,
// Concat, Slice, Gather, Pad. Each maps output indices to input indices and copies
// whole elements as bytes.
#include <algorithm>
#include <cstring>
#include <numeric>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

// For every output element, source(out_index) gives the flat input element to copy,
// or -1 to write `fill` (an element's bytes) instead.
template <typename SourceFn>
void CopyElements(const TensorData& in, TensorData& out, std::span<const std::byte> fill,
                  SourceFn source) {
  const size_t size = DTypeSize(in.dtype());
  const std::byte* src = in.bytes().data();
  std::byte* dst = out.bytes().data();
  const Shape& shape = out.shape();
  std::vector<int64_t> index(shape.size(), 0);
  const int64_t total = out.num_elements();
  for (int64_t o = 0; o < total; ++o) {
    const int64_t from = source(std::span<const int64_t>(index));
    std::memcpy(dst + o * static_cast<int64_t>(size),
                from < 0 ? fill.data() : src + from * static_cast<int64_t>(size), size);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

std::vector<int64_t> TransposePerm(const Node& node, size_t rank) {
  std::vector<int64_t> reversed(rank);
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  return node.GetInts("perm", reversed);
}

Status InferTranspose(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                      std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  const Shape& in = inputs[0].shape;
  std::vector<int64_t> perm = TransposePerm(node, in.size());
  std::vector<int64_t> check;
  if (perm.size() != in.size() ||
      !NormalizeAxes(node, perm, static_cast<int64_t>(in.size()), &check).ok()) {
    return OpError(
        node, "perm is not a permutation of the input's " + std::to_string(in.size()) + " dims");
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape.clear();
  for (int64_t p : check) outputs[0].shape.push_back(in[static_cast<size_t>(p)]);
  return Status::Ok();
}

Status RunTranspose(const Node& node, int64_t, std::span<const TensorData* const> in,
                    std::span<TensorData> out) {
  const Shape& shape = in[0]->shape();
  std::vector<int64_t> perm = TransposePerm(node, shape.size());
  std::vector<int64_t> in_strides = Strides(shape);
  for (int64_t& p : perm) p = in_strides[static_cast<size_t>(p < 0 ? p + std::ssize(shape) : p)];
  CopyElements(*in[0], out[0], {}, [&perm](std::span<const int64_t> index) {
    return std::inner_product(index.begin(), index.end(), perm.begin(), int64_t{0});
  });
  return Status::Ok();
}

Status InferConcat(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                   std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, inputs.size()));
  const Shape& first = inputs[0].shape;
  int64_t axis = 0;
  QRT_RETURN_IF_ERROR(
      NormalizeAxis(node, node.GetInt("axis", 0), static_cast<int64_t>(first.size()), &axis));
  Shape out = first;
  const size_t a = static_cast<size_t>(axis);
  for (size_t i = 1; i < inputs.size(); ++i) {
    const Shape& s = inputs[i].shape;
    if (inputs[i].dtype != inputs[0].dtype || s.size() != first.size()) {
      return Status(StatusCode::kBadShape, node.Describe() + ": input " + std::to_string(i) +
                                               " differs in type or rank from input 0");
    }
    for (size_t d = 0; d < s.size(); ++d) {
      if (d == a) {
        out[d] = out[d] < 0 || s[d] < 0 ? -1 : out[d] + s[d];
      } else if (out[d] < 0) {
        out[d] = s[d];
      } else if (s[d] >= 0 && s[d] != out[d]) {
        return Status(StatusCode::kBadShape, node.Describe() + ": input " + std::to_string(i) +
                                                 " is " + ShapeToString(s) + ", input 0 " +
                                                 ShapeToString(first));
      }
    }
  }
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = std::move(out);
  return Status::Ok();
}

Status RunConcat(const Node& node, int64_t, std::span<const TensorData* const> in,
                 std::span<TensorData> out) {
  const Shape& shape = out[0].shape();
  const int64_t axis = node.GetInt("axis", 0) < 0 ? node.GetInt("axis", 0) + std::ssize(shape)
                                                  : node.GetInt("axis", 0);
  const auto split = shape.begin() + axis;
  const int64_t outer = NumElements(Shape(shape.begin(), split));
  const int64_t inner =
      NumElements(Shape(split + 1, shape.end())) * static_cast<int64_t>(DTypeSize(out[0].dtype()));
  std::byte* dst = out[0].bytes().data();
  // The output is, per outer index, the inputs' axis slabs one after another.
  for (int64_t o = 0; o < outer; ++o) {
    for (const TensorData* t : in) {
      const int64_t slab = t->shape()[static_cast<size_t>(axis)] * inner;
      std::memcpy(dst, t->bytes().data() + o * slab, static_cast<size_t>(slab));
      dst += slab;
    }
  }
  return Status::Ok();
}

Status InferSlice(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                  std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, opset < 10 ? 1 : 3, opset < 10 ? 1 : 5));
  SliceParams params;
  bool known = false;
  QRT_RETURN_IF_ERROR(ResolveSlice(node, opset, inputs, &params, &known));
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = known ? params.out : Shape(inputs[0].shape.size(), -1);
  return Status::Ok();
}

Status RunSlice(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                std::span<TensorData> out) {
  SliceParams params;
  bool known = false;
  QRT_RETURN_IF_ERROR(ResolveSlice(node, opset, KnownValues(in), &params, &known));
  const std::vector<int64_t> strides = Strides(in[0]->shape());
  int64_t base = 0;
  std::vector<int64_t> step_strides(strides.size());
  for (size_t d = 0; d < strides.size(); ++d) {
    base += params.starts[d] * strides[d];
    step_strides[d] = params.steps[d] * strides[d];
  }
  CopyElements(*in[0], out[0], {}, [&](std::span<const int64_t> index) {
    return base + std::inner_product(index.begin(), index.end(), step_strides.begin(), int64_t{0});
  });
  return Status::Ok();
}

Status InferGather(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                   std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 2));
  if (inputs[1].dtype != DType::kInt64 && inputs[1].dtype != DType::kInt32) {
    return Status(StatusCode::kBadType, node.Describe() + ": indices must be int32 or int64");
  }
  const Shape& data = inputs[0].shape;
  int64_t axis = 0;
  QRT_RETURN_IF_ERROR(
      NormalizeAxis(node, node.GetInt("axis", 0), static_cast<int64_t>(data.size()), &axis));
  Shape out(data.begin(), data.begin() + axis);
  out.insert(out.end(), inputs[1].shape.begin(), inputs[1].shape.end());
  out.insert(out.end(), data.begin() + axis + 1, data.end());
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = std::move(out);
  return Status::Ok();
}

Status RunGather(const Node& node, int64_t, std::span<const TensorData* const> in,
                 std::span<TensorData> out) {
  const Shape& data = in[0]->shape();
  int64_t axis = node.GetInt("axis", 0);
  if (axis < 0) axis += std::ssize(data);
  const int64_t dim = data[static_cast<size_t>(axis)];
  std::vector<int64_t> indices = in[1]->ToInt64s();
  for (int64_t& i : indices) {
    if (i < -dim || i >= dim) {
      return Status(StatusCode::kIndexOutOfRange, node.Describe() + ": index " + std::to_string(i) +
                                                      " outside [" + std::to_string(-dim) + ", " +
                                                      std::to_string(dim) + ")");
    }
    if (i < 0) i += dim;
  }
  const std::vector<int64_t> strides = Strides(data);
  const std::vector<int64_t> index_strides = Strides(in[1]->shape());
  const size_t a = static_cast<size_t>(axis);
  const size_t index_rank = in[1]->shape().size();
  CopyElements(*in[0], out[0], {}, [&](std::span<const int64_t> index) {
    // Output dims: data[:axis], indices dims, data[axis+1:].
    int64_t offset = 0;
    int64_t which = 0;
    for (size_t d = 0; d < a; ++d) offset += index[d] * strides[d];
    for (size_t d = 0; d < index_rank; ++d) which += index[a + d] * index_strides[d];
    offset += indices[static_cast<size_t>(which)] * strides[a];
    for (size_t d = a + 1; d < data.size(); ++d) offset += index[d - 1 + index_rank] * strides[d];
    return offset;
  });
  return Status::Ok();
}

// Pad's per-dim begin and end amounts (negative crops), from the attribute (opset < 11)
// or the pads and axes inputs.
Status ResolvePads(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                   std::vector<int64_t>* begin, std::vector<int64_t>* end, bool* known) {
  const size_t rank = inputs[0].shape.size();
  std::vector<int64_t> pads, axes;
  if (opset < 11) {
    pads = node.GetInts("pads");
  } else if (!KnownInts(inputs, 1, &pads) ||
             (inputs.size() > 3 && inputs[3].present && !KnownInts(inputs, 3, &axes))) {
    *known = false;
    return Status::Ok();
  }
  if (axes.empty()) {
    axes.resize(rank);
    std::iota(axes.begin(), axes.end(), 0);
  }
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, static_cast<int64_t>(rank), &axes));
  if (pads.size() != 2 * axes.size()) {
    return OpError(node, "pads has " + std::to_string(pads.size()) + " values for " +
                             std::to_string(axes.size()) + " axes");
  }
  begin->assign(rank, 0);
  end->assign(rank, 0);
  for (size_t i = 0; i < axes.size(); ++i) {
    (*begin)[static_cast<size_t>(axes[i])] = pads[i];
    (*end)[static_cast<size_t>(axes[i])] = pads[axes.size() + i];
  }
  *known = true;
  return Status::Ok();
}

Status InferPad(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, opset < 11 ? 1 : 2, opset < 11 ? 1 : 4));
  const std::string mode = node.GetString("mode", "constant");
  if (mode != "constant" && mode != "edge" && mode != "reflect") {
    return OpError(node, "unsupported mode '" + mode + "'");
  }
  std::vector<int64_t> begin, end;
  bool known = false;
  QRT_RETURN_IF_ERROR(ResolvePads(node, opset, inputs, &begin, &end, &known));
  const Shape& in = inputs[0].shape;
  outputs[0].dtype = inputs[0].dtype;
  outputs[0].shape = Shape(in.size(), -1);
  if (!known) return Status::Ok();
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] < 0) continue;
    outputs[0].shape[d] = in[d] + begin[d] + end[d];
    if (outputs[0].shape[d] < 0) return OpError(node, "pads crop more than the input");
  }
  return Status::Ok();
}

Status RunPad(const Node& node, int64_t opset, std::span<const TensorData* const> in,
              std::span<TensorData> out) {
  std::vector<int64_t> begin, end;
  bool known = false;
  QRT_RETURN_IF_ERROR(ResolvePads(node, opset, KnownValues(in), &begin, &end, &known));
  const std::string mode = node.GetString("mode", "constant");
  // The constant as one element of the input's type (zero when not given).
  TensorData fill(in[0]->dtype(), {});
  if (opset < 11) {
    const float value = node.GetFloat("value", 0.0f);
    if (fill.dtype() == DType::kFloat32) fill.values<float>()[0] = value;
  } else if (in.size() > 2 && in[2] != nullptr) {
    fill = in[2]->Reshaped({});
  }
  const Shape& shape = in[0]->shape();
  const std::vector<int64_t> strides = Strides(shape);
  CopyElements(*in[0], out[0], fill.bytes(), [&](std::span<const int64_t> index) {
    int64_t offset = 0;
    for (size_t d = 0; d < shape.size(); ++d) {
      int64_t i = index[d] - begin[d];
      const int64_t n = shape[d];
      if (i < 0 || i >= n) {
        if (mode == "constant") return int64_t{-1};
        if (mode == "edge") {
          i = std::clamp<int64_t>(i, 0, n - 1);
        } else {
          // reflect mirrors without repeating the edge element: period 2(n-1).
          const int64_t period = std::max<int64_t>(1, 2 * (n - 1));
          i = ((i % period) + period) % period;
          if (i >= n) i = period - i;
        }
      }
      offset += i * strides[d];
    }
    return offset;
  });
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> DataMovementKernels() {
  return {
      {"Transpose", InferTranspose, RunTranspose},
      {"Concat", InferConcat, RunConcat},
      {"Slice", InferSlice, RunSlice},
      {"Gather", InferGather, RunGather},
      {"Pad", InferPad, RunPad},
  };
}

}  // namespace qrt::converter
