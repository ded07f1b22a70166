// Helpers shared by the operator files: argument checks, axes, broadcasting and the
// sliding-window geometry of convolution and pooling.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "converter/reference/op_registry.h"

namespace qrt::converter {

Status OpError(const Node& node, const std::string& message);

// BadGraph unless the node has between min and max inputs, the first `required` of
// them present.
Status CheckInputs(const Node& node, std::span<const ValueInfo> inputs, size_t required,
                   size_t max);
// BadType unless input i is float32.
Status CheckFloat(const Node& node, std::span<const ValueInfo> inputs, size_t i);

// Maps axis in [-rank, rank) to [0, rank); BadOptions otherwise.
Status NormalizeAxis(const Node& node, int64_t axis, int64_t rank, int64_t* normalized);
Status NormalizeAxes(const Node& node, std::vector<int64_t> axes, int64_t rank,
                     std::vector<int64_t>* normalized);

// Row-major element strides.
std::vector<int64_t> Strides(const Shape& shape);

// Numpy-style broadcast of all shapes. Unknown dims (-1) broadcast as "1 or the other".
Status BroadcastShapes(const Node& node, std::span<const Shape> shapes, Shape* out);
// Calls fn(out_index, offsets) for every element of out_shape, offsets[k] being the
// element of operand k that broadcasts to it (operand shapes must broadcast to out_shape).
void ForEachBroadcast(const Shape& out_shape, std::span<const Shape> operand_shapes,
                      const std::function<void(int64_t, std::span<const int64_t>)>& fn);

// Contents of an optional integer input (axes, pads, sizes...) when its value is known.
// False when the input is absent or its contents are not known yet.
bool KnownInts(std::span<const ValueInfo> inputs, size_t i, std::vector<int64_t>* values);

// ValueInfos of run-time inputs, so a kernel can reuse its node's inference helpers.
std::vector<ValueInfo> KnownValues(std::span<const TensorData* const> inputs);

// Slice's per-axis start and step, after ONNX's clamping, with the output dims.
struct SliceParams {
  std::vector<int64_t> starts;
  std::vector<int64_t> steps;
  Shape out;
};

// Resolves a Slice node (attributes before opset 10, constant inputs from 10) over
// inputs[0].shape; *known is false when an input it needs has no known value.
Status ResolveSlice(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                    SliceParams* params, bool* known);

// Geometry of a sliding window over the spatial dims (Conv, MaxPool, AveragePool).
struct Window {
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;
  std::vector<int64_t> pads_end;
  Shape out;  // spatial output dims; -1 where the input dim is unknown
};

// Resolves strides, dilations, pads and auto_pad (NOTSET, VALID, SAME_UPPER,
// SAME_LOWER) of `node` for the given spatial input dims and kernel, as ONNX defines
// them for Conv and the pools. ceil_mode rounds the output size up, dropping a last
// window that would start inside the end padding.
Status ResolveWindow(const Node& node, const Shape& spatial_in, std::vector<int64_t> kernel,
                     bool ceil_mode, Window* window);

// Calls fn(out_index, in_offsets) for every output position of a window over one
// (batch, channel) plane: in_offsets lists, in window order, the flat offset in the
// plane of each window element, or -1 where it falls in padding; `padded` counts the
// elements inside input plus pads (what count_include_pad divides by).
void ForEachWindow(const Shape& spatial_in, const Window& window,
                   const std::function<void(int64_t, std::span<const int64_t>, int64_t)>& fn);

}  // namespace qrt::converter
