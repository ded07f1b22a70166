// Convolutions over N x C x D1 x ... tensors: Conv (oneDNN) and ConvTranspose (plain
// loops; it is rare in the models qrt targets and oneDNN's deconvolution cannot express
// output_padding).
#include <algorithm>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/dnnl_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

// Checks X, W and the optional B of a Conv or ConvTranspose; returns the group count.
Status CheckConvInputs(const Node& node, std::span<const ValueInfo> inputs, int64_t* group) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 2, 3));
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].present) QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, i));
  }
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (x.size() < 3 || x.size() > 5 || w.size() != x.size()) {
    return Status(StatusCode::kBadShape, node.Describe() + ": input " + ShapeToString(x) +
                                             " and weights " + ShapeToString(w) +
                                             " must both be N x C x 1 to 3 spatial dims");
  }
  *group = node.GetInt("group", 1);
  if (*group <= 0 || !IsFullyKnown(w)) return OpError(node, "bad group or unknown weight shape");
  return Status::Ok();
}

std::vector<int64_t> KernelShape(const Node& node, const Shape& w) {
  return node.GetInts("kernel_shape", Shape(w.begin() + 2, w.end()));
}

Status ConvWindow(const Node& node, const Shape& x, const Shape& w, Window* window) {
  return ResolveWindow(node, Shape(x.begin() + 2, x.end()), KernelShape(node, w), false, window);
}

Status InferConv(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                 std::span<OutputInfo> outputs) {
  int64_t group = 1;
  QRT_RETURN_IF_ERROR(CheckConvInputs(node, inputs, &group));
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (w[0] % group != 0 || (x[1] >= 0 && x[1] != w[1] * group)) {
    return Status(StatusCode::kBadShape, node.Describe() + ": input channels " +
                                             std::to_string(x[1]) + " do not match weights " +
                                             ShapeToString(w) + " with group " +
                                             std::to_string(group));
  }
  Window window;
  QRT_RETURN_IF_ERROR(ConvWindow(node, x, w, &window));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = {x[0], w[0]};
  outputs[0].shape.insert(outputs[0].shape.end(), window.out.begin(), window.out.end());
  return Status::Ok();
}

Status RunConv(const Node& node, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  const Shape& x = in[0]->shape();
  Shape w = in[1]->shape();
  Window window;
  QRT_RETURN_IF_ERROR(ConvWindow(node, x, w, &window));
  const int64_t group = node.GetInt("group", 1);
  // oneDNN wants grouped weights as G x M/G x C/G x k...: the same bytes as ONNX's.
  if (group > 1) {
    w[0] /= group;
    w.insert(w.begin(), group);
  }
  std::vector<int64_t> dilates = window.dilations;
  for (int64_t& d : dilates) --d;  // oneDNN counts the gaps, ONNX the step
  const bool has_bias = in.size() > 2 && in[2] != nullptr;
  const dnnl::memory::desc src = PlainDesc(x);
  const dnnl::memory::desc weights = PlainDesc(w);
  const dnnl::memory::desc bias = has_bias ? PlainDesc(in[2]->shape()) : dnnl::memory::desc();
  const dnnl::memory::desc dst = PlainDesc(out[0].shape());
  std::unordered_map<int, dnnl::memory> args = {
      {DNNL_ARG_SRC, Wrap(src, in[0]->values<float>().data())},
      {DNNL_ARG_WEIGHTS, Wrap(weights, in[1]->values<float>().data())},
      {DNNL_ARG_DST, Wrap(dst, out[0].values<float>().data())}};
  if (has_bias) args[DNNL_ARG_BIAS] = Wrap(bias, in[2]->values<float>().data());
  try {
    dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src, weights, bias,
        dst, window.strides, dilates, window.pads_begin, window.pads_end);
    dnnl::convolution_forward conv({desc, DnnlEngine()});
    return DnnlExecute(node, conv, args);
  } catch (const dnnl::error& e) {
    return Status(StatusCode::kInvalidArgument, node.Describe() + ": oneDNN: " + e.what());
  }
}

// ConvTranspose geometry: strides, dilations, pads and output dims per spatial dim.
Status TransposeWindow(const Node& node, const Shape& x, const Shape& w, Window* window) {
  const size_t n = x.size() - 2;
  Window& win = *window;
  win.kernel = KernelShape(node, w);
  win.strides = node.GetInts("strides", std::vector<int64_t>(n, 1));
  win.dilations = node.GetInts("dilations", std::vector<int64_t>(n, 1));
  std::vector<int64_t> pads = node.GetInts("pads", std::vector<int64_t>(2 * n, 0));
  const std::vector<int64_t> output_padding =
      node.GetInts("output_padding", std::vector<int64_t>(n, 0));
  std::vector<int64_t> output_shape = node.GetInts("output_shape");
  if (output_shape.size() == n + 2)
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  if (win.kernel.size() != n || win.strides.size() != n || win.dilations.size() != n ||
      pads.size() != 2 * n || output_padding.size() != n ||
      (!output_shape.empty() && output_shape.size() != n)) {
    return OpError(node, "attributes do not match the spatial rank " + std::to_string(n));
  }
  win.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(n));
  win.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(n), pads.end());
  win.out.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t in = x[i + 2];
    if (in < 0) continue;
    const int64_t extent = (win.kernel[i] - 1) * win.dilations[i] + 1;
    const int64_t full = win.strides[i] * (in - 1) + output_padding[i] + extent;
    const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (!output_shape.empty() || same) {
      const int64_t target = output_shape.empty() ? in * win.strides[i] : output_shape[i];
      const int64_t total = full - target;
      // ONNX: SAME_UPPER puts the smaller half first, otherwise the larger half. total
      // may be negative (output_shape beyond the full size); the halves then follow
      // Python's floor division, as the ONNX reference does.
      const int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
      win.pads_begin[i] = auto_pad == "SAME_UPPER" ? half : total - half;
      win.pads_end[i] = total - win.pads_begin[i];
    } else if (auto_pad == "VALID") {
      win.pads_begin[i] = win.pads_end[i] = 0;
    }
    win.out[i] = full - win.pads_begin[i] - win.pads_end[i];
    if (win.out[i] <= 0) return OpError(node, "output dims would not be positive");
  }
  return Status::Ok();
}

Status InferConvTranspose(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                          std::span<OutputInfo> outputs) {
  int64_t group = 1;
  QRT_RETURN_IF_ERROR(CheckConvInputs(node, inputs, &group));
  const Shape& x = inputs[0].shape;
  const Shape& w = inputs[1].shape;
  if (x[1] >= 0 && x[1] != w[0]) {
    return Status(StatusCode::kBadShape, node.Describe() + ": input channels " +
                                             std::to_string(x[1]) + " do not match weights " +
                                             ShapeToString(w));
  }
  Window window;
  QRT_RETURN_IF_ERROR(TransposeWindow(node, x, w, &window));
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = {x[0], w[1] * group};
  outputs[0].shape.insert(outputs[0].shape.end(), window.out.begin(), window.out.end());
  return Status::Ok();
}

Status RunConvTranspose(const Node& node, int64_t, std::span<const TensorData* const> in,
                        std::span<TensorData> out) {
  const Shape& x = in[0]->shape();
  const Shape& w = in[1]->shape();
  Window win;
  QRT_RETURN_IF_ERROR(TransposeWindow(node, x, w, &win));
  const int64_t group = node.GetInt("group", 1);
  const int64_t in_per_group = x[1] / group;
  const int64_t out_per_group = w[1];
  const Shape in_spatial(x.begin() + 2, x.end());
  const int64_t in_size = NumElements(in_spatial);
  const int64_t out_size = NumElements(win.out);
  const int64_t k_size = NumElements(win.kernel);
  const std::vector<int64_t> out_strides = Strides(win.out);
  const size_t n = in_spatial.size();
  // For every (input position, kernel position) pair, the output position it adds to,
  // or -1 when that falls in the cropped padding.
  std::vector<int64_t> target(static_cast<size_t>(in_size * k_size));
  std::vector<int64_t> i_index(n), k_index(n);
  for (int64_t i = 0; i < in_size; ++i) {
    int64_t rem = i;
    for (size_t d = n; d-- > 0;) {
      i_index[d] = rem % in_spatial[d];
      rem /= in_spatial[d];
    }
    for (int64_t k = 0; k < k_size; ++k) {
      rem = k;
      int64_t offset = 0;
      for (size_t d = n; d-- > 0;) {
        k_index[d] = rem % win.kernel[d];
        rem /= win.kernel[d];
      }
      for (size_t d = 0; d < n && offset >= 0; ++d) {
        const int64_t pos =
            i_index[d] * win.strides[d] - win.pads_begin[d] + k_index[d] * win.dilations[d];
        offset = pos < 0 || pos >= win.out[d] ? -1 : offset + pos * out_strides[d];
      }
      target[static_cast<size_t>(i * k_size + k)] = offset;
    }
  }
  std::span<const float> xv = in[0]->values<float>();
  std::span<const float> wv = in[1]->values<float>();
  std::span<float> y = out[0].values<float>();
  const int64_t out_channels = out_per_group * group;
  for (int64_t b = 0; b < x[0]; ++b) {
    for (int64_t oc = 0; oc < out_channels; ++oc) {
      float* plane = y.data() + (b * out_channels + oc) * out_size;
      const float bias = in.size() > 2 && in[2] != nullptr ? in[2]->values<float>()[oc] : 0.0f;
      std::fill(plane, plane + out_size, bias);
      const int64_t g = oc / out_per_group;
      for (int64_t ic = g * in_per_group; ic < (g + 1) * in_per_group; ++ic) {
        const float* xp = xv.data() + (b * x[1] + ic) * in_size;
        const float* wp = wv.data() + (ic * out_per_group + oc % out_per_group) * k_size;
        for (int64_t i = 0; i < in_size; ++i) {
          for (int64_t k = 0; k < k_size; ++k) {
            const int64_t t = target[static_cast<size_t>(i * k_size + k)];
            if (t >= 0) plane[t] += xp[i] * wp[k];
          }
        }
      }
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> ConvKernels() {
  return {
      {"Conv", InferConv, RunConv},
      {"ConvTranspose", InferConvTranspose, RunConvTranspose},
  };
}

}  // namespace qrt::converter
