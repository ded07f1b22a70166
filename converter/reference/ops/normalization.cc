// Normalizations and reductions: BatchNormalization (inference), LayerNormalization,
// Softmax, ReduceMean.
#include <algorithm>
#include <cmath>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

Status InferBatchNorm(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                      std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 5, 5));
  for (size_t i = 0; i < 5; ++i) QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, i));
  if (node.GetInt("training_mode", 0) != 0 ||
      std::any_of(node.outputs.begin() + 1, node.outputs.end(),
                  [](const std::string& name) { return !name.empty(); })) {
    return OpError(node, "training mode (running statistics outputs) is not supported");
  }
  const Shape& x = inputs[0].shape;
  if (x.size() < 2) return OpError(node, "input must have a channel dim");
  for (size_t i = 1; i < 5; ++i) {
    if (inputs[i].shape.size() != 1 || (x[1] >= 0 && inputs[i].shape[0] != x[1])) {
      return Status(StatusCode::kBadShape, node.Describe() + ": input " + std::to_string(i) +
                                               " must have one value per channel");
    }
  }
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = x;
  return Status::Ok();
}

Status RunBatchNorm(const Node& node, int64_t, std::span<const TensorData* const> in,
                    std::span<TensorData> out) {
  const Shape& shape = in[0]->shape();
  const int64_t channels = shape[1];
  const int64_t inner = NumElements(Shape(shape.begin() + 2, shape.end()));
  const float epsilon = node.GetFloat("epsilon", 1e-5f);
  std::span<const float> scale = in[1]->values<float>();
  std::span<const float> bias = in[2]->values<float>();
  std::span<const float> mean = in[3]->values<float>();
  std::span<const float> var = in[4]->values<float>();
  std::span<const float> x = in[0]->values<float>();
  std::span<float> y = out[0].values<float>();
  for (size_t i = 0; i < x.size(); ++i) {
    const size_t c = static_cast<size_t>((static_cast<int64_t>(i) / inner) % channels);
    y[i] = scale[c] * (x[i] - mean[c]) / std::sqrt(var[c] + epsilon) + bias[c];
  }
  return Status::Ok();
}

// Splits a shape into outer x axis x inner around a normalized axis.
struct Split3 {
  int64_t outer;
  int64_t axis;
  int64_t inner;
};

Split3 SplitAt(const Shape& shape, size_t axis) {
  return {NumElements(Shape(shape.begin(), shape.begin() + static_cast<std::ptrdiff_t>(axis))),
          shape[axis],
          NumElements(Shape(shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, shape.end()))};
}

Status InferLayerNorm(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                      std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 3));
  const Shape& x = inputs[0].shape;
  int64_t axis = 0;
  QRT_RETURN_IF_ERROR(
      NormalizeAxis(node, node.GetInt("axis", -1), static_cast<int64_t>(x.size()), &axis));
  const int64_t normalized = NumElements(Shape(x.begin() + axis, x.end()));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i].present) continue;
    QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, i));
    const int64_t n = NumElements(inputs[i].shape);
    if (i > 0 && normalized >= 0 && n != normalized && n != 1) {
      return Status(StatusCode::kBadShape,
                    node.Describe() + ": scale and bias must cover the normalized dims");
    }
  }
  // Y, then the optional Mean and InvStdDev with the normalized dims kept as 1.
  Shape stats(x.begin(), x.begin() + axis);
  stats.resize(x.size(), 1);
  for (size_t i = 0; i < outputs.size(); ++i) {
    outputs[i].dtype = DType::kFloat32;
    outputs[i].shape = i == 0 ? x : stats;
  }
  return Status::Ok();
}

Status RunLayerNorm(const Node& node, int64_t, std::span<const TensorData* const> in,
                    std::span<TensorData> out) {
  const Shape& shape = in[0]->shape();
  int64_t axis = node.GetInt("axis", -1);
  if (axis < 0) axis += std::ssize(shape);
  const int64_t outer = NumElements(Shape(shape.begin(), shape.begin() + axis));
  const int64_t inner = NumElements(Shape(shape.begin() + axis, shape.end()));
  const float epsilon = node.GetFloat("epsilon", 1e-5f);
  std::span<const float> x = in[0]->values<float>();
  std::span<const float> scale = in[1]->values<float>();
  std::span<const float> bias;
  if (in.size() > 2 && in[2] != nullptr) bias = in[2]->values<float>();
  std::span<float> y = out[0].values<float>();
  for (int64_t o = 0; o < outer; ++o) {
    const float* row = x.data() + o * inner;
    double sum = 0, sum_sq = 0;
    for (int64_t i = 0; i < inner; ++i) sum += row[i];
    const double mean = sum / static_cast<double>(inner);
    for (int64_t i = 0; i < inner; ++i) sum_sq += (row[i] - mean) * (row[i] - mean);
    const double inv_std = 1.0 / std::sqrt(sum_sq / static_cast<double>(inner) + epsilon);
    for (int64_t i = 0; i < inner; ++i) {
      const size_t k = static_cast<size_t>(i) % scale.size();
      const double b = bias.empty() ? 0.0 : bias[static_cast<size_t>(i) % bias.size()];
      y[static_cast<size_t>(o * inner + i)] =
          static_cast<float>((row[i] - mean) * inv_std * scale[k] + b);
    }
    if (out.size() > 1 && !out[1].bytes().empty()) {
      out[1].values<float>()[static_cast<size_t>(o)] = static_cast<float>(mean);
    }
    if (out.size() > 2 && !out[2].bytes().empty()) {
      out[2].values<float>()[static_cast<size_t>(o)] = static_cast<float>(inv_std);
    }
  }
  return Status::Ok();
}

// Before opset 13 Softmax flattens to 2-D at axis (default 1) and normalizes each row;
// from 13 it normalizes along the single axis (default -1).
Status SoftmaxSplit(const Node& node, int64_t opset, const Shape& shape, Split3* split) {
  const int64_t rank = static_cast<int64_t>(shape.size());
  int64_t axis = 0;
  QRT_RETURN_IF_ERROR(NormalizeAxis(node, node.GetInt("axis", opset < 13 ? 1 : -1),
                                    std::max<int64_t>(rank, 1), &axis));
  if (shape.empty()) {
    *split = {1, 1, 1};
  } else if (opset < 13) {
    *split = {NumElements(Shape(shape.begin(), shape.begin() + axis)),
              NumElements(Shape(shape.begin() + axis, shape.end())), 1};
  } else {
    *split = SplitAt(shape, static_cast<size_t>(axis));
  }
  return Status::Ok();
}

Status InferSoftmax(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                    std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  Split3 split;
  QRT_RETURN_IF_ERROR(SoftmaxSplit(node, opset, inputs[0].shape, &split));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = inputs[0].shape;
  return Status::Ok();
}

Status RunSoftmax(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                  std::span<TensorData> out) {
  Split3 s;
  QRT_RETURN_IF_ERROR(SoftmaxSplit(node, opset, in[0]->shape(), &s));
  std::span<const float> x = in[0]->values<float>();
  std::span<float> y = out[0].values<float>();
  for (int64_t o = 0; o < s.outer; ++o) {
    for (int64_t i = 0; i < s.inner; ++i) {
      const int64_t base = o * s.axis * s.inner + i;
      auto at = [&](int64_t k) { return static_cast<size_t>(base + k * s.inner); };
      // Subtracting the max keeps exp from overflowing; the result is unchanged.
      float max = x[at(0)];
      for (int64_t k = 1; k < s.axis; ++k) max = std::max(max, x[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < s.axis; ++k) {
        y[at(k)] = std::exp(x[at(k)] - max);
        sum += y[at(k)];
      }
      for (int64_t k = 0; k < s.axis; ++k) y[at(k)] = static_cast<float>(y[at(k)] / sum);
    }
  }
  return Status::Ok();
}

// Which dims ReduceMean reduces: the axes attribute (opset < 18) or input, all dims when
// none are given unless noop_with_empty_axes. known is false while the axes input is not.
Status ReducedDims(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                   std::vector<bool>* reduced, bool* known) {
  const int64_t rank = static_cast<int64_t>(inputs[0].shape.size());
  std::vector<int64_t> axes;
  if (opset < 18) {
    axes = node.GetInts("axes");
  } else if (inputs.size() > 1 && inputs[1].present && !KnownInts(inputs, 1, &axes)) {
    *known = false;
    return Status::Ok();
  }
  *known = true;
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, rank, &axes));
  reduced->assign(static_cast<size_t>(rank),
                  axes.empty() && node.GetInt("noop_with_empty_axes", 0) == 0);
  for (int64_t a : axes) (*reduced)[static_cast<size_t>(a)] = true;
  return Status::Ok();
}

Status InferReduceMean(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                       std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 2));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  const Shape& x = inputs[0].shape;
  std::vector<bool> reduced;
  bool known = false;
  QRT_RETURN_IF_ERROR(ReducedDims(node, opset, inputs, &reduced, &known));
  const bool keepdims = node.GetInt("keepdims", 1) != 0;
  outputs[0].dtype = DType::kFloat32;
  if (!known) {
    if (!keepdims) return OpError(node, "axes must be a constant when keepdims is 0");
    outputs[0].shape.assign(x.size(), -1);
    return Status::Ok();
  }
  outputs[0].shape.clear();
  for (size_t d = 0; d < x.size(); ++d) {
    if (!reduced[d]) {
      outputs[0].shape.push_back(x[d]);
    } else if (keepdims) {
      outputs[0].shape.push_back(1);
    }
  }
  return Status::Ok();
}

Status RunReduceMean(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                     std::span<TensorData> out) {
  std::vector<bool> reduced;
  bool known = false;
  QRT_RETURN_IF_ERROR(ReducedDims(node, opset, KnownValues(in), &reduced, &known));
  const Shape& shape = in[0]->shape();
  Shape kept = shape;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (reduced[d]) kept[d] = 1;
  }
  std::span<const float> x = in[0]->values<float>();
  std::vector<double> sums(static_cast<size_t>(NumElements(kept)), 0.0);
  // Broadcasting the kept shape over the input maps every input element to its mean.
  const Shape operands[] = {shape, kept};
  ForEachBroadcast(shape, operands, [&](int64_t, std::span<const int64_t> offsets) {
    sums[static_cast<size_t>(offsets[1])] += x[static_cast<size_t>(offsets[0])];
  });
  const double count = static_cast<double>(NumElements(shape)) / static_cast<double>(sums.size());
  std::span<float> y = out[0].values<float>();
  for (size_t i = 0; i < sums.size(); ++i) y[i] = static_cast<float>(sums[i] / count);
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> NormalizationKernels() {
  return {
      {"BatchNormalization", InferBatchNorm, RunBatchNorm},
      {"LayerNormalization", InferLayerNorm, RunLayerNorm},
      {"Softmax", InferSoftmax, RunSoftmax},
      {"ReduceMean", InferReduceMean, RunReduceMean},
  };
}

}  // namespace qrt::converter
