// Pooling over the spatial dims of N x C x D1 x ... tensors: MaxPool, AveragePool,
// GlobalMaxPool, GlobalAveragePool.
#include <algorithm>
#include <limits>

#include "converter/reference/op_util.h"
#include "converter/reference/ops/ops.h"

namespace qrt::converter {
namespace {

bool IsGlobal(const Node& node) { return node.op_type.rfind("Global", 0) == 0; }

Status PoolWindow(const Node& node, const Shape& in, Window* window) {
  Shape spatial(in.begin() + 2, in.end());
  if (IsGlobal(node)) {
    // A global pool is a window as large as the input, which must then be known.
    if (!IsFullyKnown(spatial)) return OpError(node, "spatial dims must be known");
    window->kernel = window->out = spatial;
    window->out.assign(spatial.size(), 1);
    window->strides = window->dilations = std::vector<int64_t>(spatial.size(), 1);
    window->pads_begin = window->pads_end = std::vector<int64_t>(spatial.size(), 0);
    return Status::Ok();
  }
  if (!node.HasAttribute("kernel_shape")) return OpError(node, "kernel_shape is required");
  return ResolveWindow(node, spatial, node.GetInts("kernel_shape"),
                       node.GetInt("ceil_mode", 0) != 0, window);
}

Status InferPool(const Node& node, int64_t /*opset*/, std::span<const ValueInfo> inputs,
                 std::span<OutputInfo> outputs) {
  QRT_RETURN_IF_ERROR(CheckInputs(node, inputs, 1, 1));
  QRT_RETURN_IF_ERROR(CheckFloat(node, inputs, 0));
  if (outputs.size() > 1) return OpError(node, "the Indices output is not supported");
  const Shape& in = inputs[0].shape;
  if (in.size() < 3) return OpError(node, "input must be N x C x spatial dims");
  outputs[0].dtype = DType::kFloat32;
  outputs[0].shape = {in[0], in[1]};
  Shape spatial(in.begin() + 2, in.end());
  if (!IsGlobal(node) || IsFullyKnown(spatial)) {
    Window window;
    QRT_RETURN_IF_ERROR(PoolWindow(node, in, &window));
    spatial = window.out;
  } else {
    spatial.assign(spatial.size(), 1);
  }
  outputs[0].shape.insert(outputs[0].shape.end(), spatial.begin(), spatial.end());
  return Status::Ok();
}

Status RunPool(const Node& node, int64_t, std::span<const TensorData* const> in,
               std::span<TensorData> out) {
  const Shape& shape = in[0]->shape();
  Window window;
  QRT_RETURN_IF_ERROR(PoolWindow(node, shape, &window));
  const Shape spatial(shape.begin() + 2, shape.end());
  // The windows are the same for every (n, c) plane: list their offsets once.
  std::vector<std::vector<int64_t>> windows;
  std::vector<int64_t> padded_counts;
  ForEachWindow(spatial, window, [&](int64_t, std::span<const int64_t> offsets, int64_t padded) {
    windows.emplace_back(offsets.begin(), offsets.end());
    padded_counts.push_back(padded);
  });
  const bool is_max = node.op_type.find("Max") != std::string::npos;
  const bool count_pad = node.GetInt("count_include_pad", 0) != 0;
  const int64_t in_plane = NumElements(spatial);
  const int64_t planes = shape[0] * shape[1];
  std::span<const float> x = in[0]->values<float>();
  std::span<float> y = out[0].values<float>();
  size_t o = 0;
  for (int64_t p = 0; p < planes; ++p) {
    const float* plane = x.data() + p * in_plane;
    for (size_t w = 0; w < windows.size(); ++w) {
      float max = -std::numeric_limits<float>::infinity();
      double sum = 0;
      int64_t valid = 0;
      for (int64_t offset : windows[w]) {
        if (offset < 0) continue;
        max = std::max(max, plane[offset]);
        sum += plane[offset];
        ++valid;
      }
      const int64_t count = count_pad ? padded_counts[w] : valid;
      y[o++] = is_max ? max : static_cast<float>(sum / static_cast<double>(count));
    }
  }
  return Status::Ok();
}

}  // namespace

std::vector<OpKernel> PoolKernels() {
  return {
      {"MaxPool", InferPool, RunPool},
      {"AveragePool", InferPool, RunPool},
      {"GlobalMaxPool", InferPool, RunPool},
      {"GlobalAveragePool", InferPool, RunPool},
  };
}

}  // namespace qrt::converter
