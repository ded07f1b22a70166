// Resize with mode nearest or linear (N-linear over every resized dim), scales or sizes,
// axes and keep_aspect_ratio_policy, and every coordinate_transformation_mode except
// tf_crop_and_resize. Cubic and antialias are rejected.
#include <algorithm>
#include <cmath>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

// Output dims and the scale each dim is resized by.
struct ResizePlan {
  Shape out;
  std::vector<double> scales;
};

Status CheckResizeAttributes(const Node& node, int64_t opset) {
  const std::string mode = node.GetString("mode", "nearest");
  if (mode != "nearest" && mode != "linear") {
    return OpError(node, "mode '" + mode + "' is not supported (nearest, linear)");
  }
  if (node.GetInt("antialias", 0) != 0) return OpError(node, "antialias is not supported");
  const std::string transform =
      node.GetString("coordinate_transformation_mode", opset < 11 ? "asymmetric" : "half_pixel");
  if (transform == "tf_crop_and_resize") {
    return OpError(node, "coordinate_transformation_mode tf_crop_and_resize is not supported");
  }
  return Status::Ok();
}

// Reads scales or sizes (inputs 2 and 3 from opset 11, input 1 before) and applies axes and
// keep_aspect_ratio_policy. known is false while they are not constant.
Status PlanResize(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                  ResizePlan* plan, bool* known) {
  const Shape& in = inputs[0].shape;
  const size_t rank = in.size();
  const size_t scales_at = opset < 11 ? 1 : 2;
  auto given = [&](size_t i) {
    return i < inputs.size() && inputs[i].present && NumElements(inputs[i].shape) != 0;
  };
  const bool use_sizes = opset >= 11 && given(3);
  const size_t at = use_sizes ? 3 : scales_at;
  if (!given(at)) return OpError(node, "needs scales or sizes");
  *known = inputs[at].value != nullptr && IsFullyKnown(in);
  if (!*known) return Status::Ok();
  std::vector<int64_t> axes = node.GetInts("axes");
  if (axes.empty()) {
    for (size_t d = 0; d < rank; ++d) axes.push_back(static_cast<int64_t>(d));
  }
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, static_cast<int64_t>(rank), &axes));
  const std::vector<float> values = inputs[at].value->ToFloats();
  if (values.size() != axes.size()) {
    return OpError(node, std::string(use_sizes ? "sizes" : "scales") + " has " +
                             std::to_string(values.size()) + " values for " +
                             std::to_string(axes.size()) + " axes");
  }
  plan->out = in;
  plan->scales.assign(rank, 1.0);
  if (!use_sizes) {
    for (size_t i = 0; i < axes.size(); ++i) {
      const size_t a = static_cast<size_t>(axes[i]);
      if (values[i] <= 0) return OpError(node, "scales must be positive");
      plan->scales[a] = values[i];
      plan->out[a] = static_cast<int64_t>(std::floor(static_cast<double>(in[a]) * values[i]));
    }
    return Status::Ok();
  }
  const std::string policy = node.GetString("keep_aspect_ratio_policy", "stretch");
  double common = policy == "not_larger" ? 1e300 : 0.0;
  for (size_t i = 0; i < axes.size(); ++i) {
    const double s = values[i] / static_cast<double>(in[static_cast<size_t>(axes[i])]);
    common = policy == "not_larger" ? std::min(common, s) : std::max(common, s);
  }
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    if (policy == "stretch") {
      plan->out[a] = static_cast<int64_t>(values[i]);
      plan->scales[a] = values[i] / static_cast<double>(in[a]);
    } else if (policy == "not_larger" || policy == "not_smaller") {
      plan->out[a] = static_cast<int64_t>(std::round(common * static_cast<double>(in[a])));
      plan->scales[a] = common;
    } else {
      return OpError(node, "unknown keep_aspect_ratio_policy '" + policy + "'");
    }
  }
  return Status::Ok();
}

Status InferResize(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                   std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, opset < 11 ? 2 : 1, opset < 11 ? 2 : 4));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  QRT_RETURN_IF_ERROR(CheckResizeAttributes(node, opset));
  if (inputs[0].shape.size() > 8) return OpError(node, "rank above 8 is not supported");
  ResizePlan plan;
  bool known = false;
  QRT_RETURN_IF_ERROR(PlanResize(node, opset, inputs, &plan, &known));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = known ? plan.out : Shape(inputs[0].shape.size(), -1);
  return Status::Ok();
}

// Where output coordinate x of a dim falls in the input, per
// coordinate_transformation_mode. As in ONNX, the resized length is scale * in, which is
// fractional when scales (not sizes) were given; `out` is the integer output length.
double SourceCoordinate(const std::string& transform, double x, double scale, int64_t in,
                        int64_t out) {
  const double resized = scale * static_cast<double>(in);
  if (transform == "align_corners") {
    return out == 1 ? 0.0 : x * static_cast<double>(in - 1) / (resized - 1.0);
  }
  if (transform == "asymmetric") return x / scale;
  if (transform == "pytorch_half_pixel") return resized > 1.0 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (transform == "half_pixel_symmetric") {
    const double adjustment = static_cast<double>(out) / resized;
    const double offset = static_cast<double>(in) / 2.0 * (1.0 - adjustment);
    return offset + (x + 0.5) / scale - 0.5;
  }
  return (x + 0.5) / scale - 0.5;  // half_pixel
}

int64_t NearestIndex(const std::string& nearest_mode, double x) {
  if (nearest_mode == "floor") return static_cast<int64_t>(std::floor(x));
  if (nearest_mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (nearest_mode == "round_prefer_ceil") return static_cast<int64_t>(std::floor(x + 0.5));
  return static_cast<int64_t>(std::ceil(x - 0.5));  // round_prefer_floor
}

// The input elements (flat offsets along one dim) an output coordinate reads: one for
// nearest, two for linear.
struct Taps {
  int64_t offset[2];
  double weight[2];
  size_t count;
};

Status RunResize(const Node& node, int64_t opset, std::span<const TensorData* const> in,
                 std::span<TensorData> out) {
  ResizePlan plan;
  bool known = false;
  QRT_RETURN_IF_ERROR(PlanResize(node, opset, KnownValues(in), &plan, &known));
  const Shape& shape = in[0]->shape();
  const size_t rank = shape.size();
  const bool linear = node.GetString("mode", "nearest") == "linear";
  const std::string transform =
      node.GetString("coordinate_transformation_mode", opset < 11 ? "asymmetric" : "half_pixel");
  const std::string nearest_mode =
      node.GetString("nearest_mode", opset < 11 ? "floor" : "round_prefer_floor");
  const std::vector<int64_t> strides = Strides(shape);
  // Per dim and output coordinate, the input elements it reads and their weights.
  std::vector<std::vector<Taps>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    for (int64_t o = 0; o < plan.out[d]; ++o) {
      const double x = SourceCoordinate(transform, static_cast<double>(o), plan.scales[d], shape[d],
                                        plan.out[d]);
      Taps t{};
      if (!linear) {
        const int64_t i = std::clamp<int64_t>(NearestIndex(nearest_mode, x), 0, shape[d] - 1);
        t = {{i * strides[d], 0}, {1.0, 0.0}, 1};
      } else {
        const double c = std::clamp(x, 0.0, static_cast<double>(shape[d] - 1));
        const int64_t i0 = static_cast<int64_t>(std::floor(c));
        const int64_t i1 = std::min(i0 + 1, shape[d] - 1);
        const double frac = c - static_cast<double>(i0);
        t = {{i0 * strides[d], i1 * strides[d]}, {1.0 - frac, frac}, frac > 0 ? 2u : 1u};
      }
      taps[d].push_back(t);
    }
  }
  std::span<const float> x = in[0]->values<float>();
  std::span<float> y = out[0].values<float>();
  std::vector<int64_t> index(rank, 0);
  // Linear reads every combination of one tap per dim: bit d of c picks dim d's tap.
  const uint64_t combinations = linear ? uint64_t{1} << rank : 1;
  for (size_t o = 0; o < y.size(); ++o) {
    double sum = 0;
    for (uint64_t c = 0; c < combinations; ++c) {
      double weight = 1;
      int64_t offset = 0;
      bool valid = true;
      for (size_t d = 0; d < rank && valid; ++d) {
        const Taps& t = taps[d][static_cast<size_t>(index[d])];
        const size_t k = (c >> d) & 1;
        valid = k < t.count;
        weight *= t.weight[k];
        offset += t.offset[k];
      }
      if (valid) sum += weight * x[static_cast<size_t>(offset)];
    }
    y[o] = static_cast<float>(sum);
    for (size_t d = rank; d-- > 0;) {
      if (++index[d] < plan.out[d]) break;
      index[d] = 0;
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> ResizeKernels() { return {{"Resize", InferResize, RunResize}}; }

}  // namespace qrt::converter
