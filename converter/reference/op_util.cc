#include "converter/reference/op_util.h"

#include <algorithm>
#include <numeric>

namespace qrt::converter {

Status OpError(const Node& node, const std::string& message) {
  return Status(StatusCode::kBadOptions, node.Describe() + ": " + message);
}

Status CheckInputs(const Node& node, std::span<const ValueInfo> inputs, size_t required,
                   size_t max) {
  if (inputs.size() > max) {
    return Status(StatusCode::kBadGraph, node.Describe() + ": has " +
                                             std::to_string(inputs.size()) + " inputs, at most " +
                                             std::to_string(max) + " allowed");
  }
  for (size_t i = 0; i < required; ++i) {
    if (i >= inputs.size() || !inputs[i].present) {
      return Status(StatusCode::kBadGraph,
                    node.Describe() + ": required input " + std::to_string(i) + " is missing");
    }
  }
  return Status::Ok();
}

Status CheckFloat(const Node& node, std::span<const ValueInfo> inputs, size_t i) {
  if (inputs[i].dtype != DType::kFloat32) {
    return Status(StatusCode::kBadType, node.Describe() + ": input " + std::to_string(i) + " is " +
                                            DTypeName(inputs[i].dtype) +
                                            ", only float32 is supported");
  }
  return Status::Ok();
}

Status NormalizeAxis(const Node& node, int64_t axis, int64_t rank, int64_t* normalized) {
  if (axis < -rank || axis >= rank) {
    return OpError(
        node, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  }
  *normalized = axis < 0 ? axis + rank : axis;
  return Status::Ok();
}

Status NormalizeAxes(const Node& node, std::vector<int64_t> axes, int64_t rank,
                     std::vector<int64_t>* normalized) {
  for (int64_t& axis : axes) QRT_RETURN_IF_ERROR(NormalizeAxis(node, axis, rank, &axis));
  std::vector<int64_t> sorted = axes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    return OpError(node, "an axis is repeated");
  }
  *normalized = std::move(axes);
  return Status::Ok();
}

std::vector<int64_t> Strides(const Shape& shape) {
  std::vector<int64_t> strides(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;) strides[i - 1] = strides[i] * shape[i];
  return strides;
}

Status BroadcastShapes(const Node& node, std::span<const Shape> shapes, Shape* out) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape result(rank, 1);
  for (const Shape& s : shapes) {
    size_t offset = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& r = result[offset + i];
      int64_t d = s[i];
      if (d == 1 || d == r) continue;
      if (r == 1) {
        r = d;
      } else if (d == -1) {
        // r stays: either d turns out 1 or equal to r.
      } else if (r == -1) {
        r = d;
      } else {
        std::string message = "shapes do not broadcast:";
        for (const Shape& t : shapes) message += " " + ShapeToString(t);
        return Status(StatusCode::kBadShape, node.Describe() + ": " + message);
      }
    }
  }
  *out = std::move(result);
  return Status::Ok();
}

void ForEachBroadcast(const Shape& out_shape, std::span<const Shape> operand_shapes,
                      const std::function<void(int64_t, std::span<const int64_t>)>& fn) {
  const size_t rank = out_shape.size();
  const size_t n = operand_shapes.size();
  // Per operand, the stride of each output dim (0 where the operand broadcasts).
  std::vector<std::vector<int64_t>> strides(n, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < n; ++k) {
    const Shape& s = operand_shapes[k];
    std::vector<int64_t> own = Strides(s);
    size_t offset = rank - s.size();
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] != 1) strides[k][offset + i] = own[i];
    }
  }
  std::vector<int64_t> index(rank, 0);
  std::vector<int64_t> offsets(n, 0);
  const int64_t total = NumElements(out_shape);
  for (int64_t flat = 0; flat < total; ++flat) {
    fn(flat, offsets);
    // Odometer increment: bump the last dim, carrying into earlier ones.
    for (size_t d = rank; d-- > 0;) {
      ++index[d];
      for (size_t k = 0; k < n; ++k) offsets[k] += strides[k][d];
      if (index[d] < out_shape[d]) break;
      for (size_t k = 0; k < n; ++k) offsets[k] -= strides[k][d] * index[d];
      index[d] = 0;
    }
  }
}

bool KnownInts(std::span<const ValueInfo> inputs, size_t i, std::vector<int64_t>* values) {
  if (i >= inputs.size() || !inputs[i].present || inputs[i].value == nullptr) return false;
  *values = inputs[i].value->ToInt64s();
  return true;
}

std::vector<ValueInfo> KnownValues(std::span<const TensorData* const> inputs) {
  std::vector<ValueInfo> infos;
  for (const TensorData* t : inputs) {
    infos.push_back(t == nullptr ? ValueInfo{} : ValueInfo{true, t->dtype(), t->shape(), t});
  }
  return infos;
}

Status ResolveWindow(const Node& node, const Shape& spatial_in, std::vector<int64_t> kernel,
                     bool ceil_mode, Window* window) {
  const size_t n = spatial_in.size();
  if (kernel.size() != n) {
    return OpError(node, "kernel has " + std::to_string(kernel.size()) + " dims, input has " +
                             std::to_string(n) + " spatial dims");
  }
  Window w;
  w.kernel = std::move(kernel);
  w.strides = node.GetInts("strides", std::vector<int64_t>(n, 1));
  w.dilations = node.GetInts("dilations", std::vector<int64_t>(n, 1));
  std::vector<int64_t> pads = node.GetInts("pads", std::vector<int64_t>(2 * n, 0));
  if (w.strides.size() != n || w.dilations.size() != n || pads.size() != 2 * n) {
    return OpError(node,
                   "strides, dilations or pads do not match the spatial rank " + std::to_string(n));
  }
  for (size_t i = 0; i < n; ++i) {
    if (w.kernel[i] <= 0 || w.strides[i] <= 0 || w.dilations[i] <= 0 || pads[i] < 0 ||
        pads[n + i] < 0) {
      return OpError(node, "kernel, strides and dilations must be positive, pads non-negative");
    }
  }
  w.pads_begin.assign(pads.begin(), pads.begin() + static_cast<std::ptrdiff_t>(n));
  w.pads_end.assign(pads.begin() + static_cast<std::ptrdiff_t>(n), pads.end());
  const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
  const bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (!same && auto_pad != "NOTSET" && auto_pad != "VALID") {
    return OpError(node, "unknown auto_pad '" + auto_pad + "'");
  }
  w.out.assign(n, -1);
  for (size_t i = 0; i < n; ++i) {
    const int64_t extent = (w.kernel[i] - 1) * w.dilations[i] + 1;
    const int64_t in = spatial_in[i];
    if (auto_pad == "VALID") w.pads_begin[i] = w.pads_end[i] = 0;
    if (in < 0) continue;
    if (same) {
      const int64_t out = (in + w.strides[i] - 1) / w.strides[i];
      const int64_t total = std::max<int64_t>(0, (out - 1) * w.strides[i] + extent - in);
      // SAME_UPPER puts the odd pad at the end, SAME_LOWER at the beginning.
      w.pads_begin[i] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      w.pads_end[i] = total - w.pads_begin[i];
      w.out[i] = out;
      continue;
    }
    const int64_t span = in + w.pads_begin[i] + w.pads_end[i] - extent;
    if (span < 0) {
      return Status(StatusCode::kBadShape, node.Describe() + ": window of extent " +
                                               std::to_string(extent) +
                                               " is larger than the padded input");
    }
    int64_t out = (ceil_mode ? (span + w.strides[i] - 1) / w.strides[i] : span / w.strides[i]) + 1;
    if (ceil_mode && (out - 1) * w.strides[i] >= in + w.pads_begin[i]) --out;
    w.out[i] = out;
  }
  *window = std::move(w);
  return Status::Ok();
}

void ForEachWindow(const Shape& spatial_in, const Window& window,
                   const std::function<void(int64_t, std::span<const int64_t>, int64_t)>& fn) {
  const size_t n = spatial_in.size();
  const std::vector<int64_t> in_strides = Strides(spatial_in);
  const int64_t window_size = NumElements(window.kernel);
  const int64_t out_total = NumElements(window.out);
  std::vector<int64_t> offsets(static_cast<size_t>(window_size));
  std::vector<int64_t> out_index(n, 0);
  std::vector<int64_t> k_index(n, 0);
  for (int64_t o = 0; o < out_total; ++o) {
    int64_t rem = o;
    for (size_t d = n; d-- > 0;) {
      out_index[d] = rem % window.out[d];
      rem /= window.out[d];
    }
    int64_t padded = 0;
    for (int64_t k = 0; k < window_size; ++k) {
      rem = k;
      for (size_t d = n; d-- > 0;) {
        k_index[d] = rem % window.kernel[d];
        rem /= window.kernel[d];
      }
      int64_t offset = 0;
      bool inside = true;
      bool inside_padded = true;
      for (size_t d = 0; d < n; ++d) {
        const int64_t pos = out_index[d] * window.strides[d] - window.pads_begin[d] +
                            k_index[d] * window.dilations[d];
        inside = inside && pos >= 0 && pos < spatial_in[d];
        inside_padded = inside_padded && pos >= -window.pads_begin[d] &&
                        pos < spatial_in[d] + window.pads_end[d];
        offset += pos * in_strides[d];
      }
      offsets[static_cast<size_t>(k)] = inside ? offset : -1;
      if (inside_padded) ++padded;
    }
    fn(o, offsets, padded);
  }
}

Status ResolveSlice(const Node& node, int64_t opset, std::span<const ValueInfo> inputs,
                    SliceParams* params, bool* known) {
  const Shape& in = inputs[0].shape;
  const int64_t rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> starts, ends, axes, steps;
  if (opset < 10) {
    starts = node.GetInts("starts");
    ends = node.GetInts("ends");
    axes = node.GetInts("axes");
  } else if (!KnownInts(inputs, 1, &starts) || !KnownInts(inputs, 2, &ends) ||
             (inputs.size() > 3 && inputs[3].present && !KnownInts(inputs, 3, &axes)) ||
             (inputs.size() > 4 && inputs[4].present && !KnownInts(inputs, 4, &steps))) {
    *known = false;
    return Status::Ok();
  }
  if (axes.empty()) {
    axes.resize(starts.size());
    std::iota(axes.begin(), axes.end(), 0);
  }
  if (steps.empty()) steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size()) {
    return OpError(node, "starts, ends, axes and steps differ in length");
  }
  QRT_RETURN_IF_ERROR(NormalizeAxes(node, axes, rank, &axes));
  params->starts.assign(in.size(), 0);
  params->steps.assign(in.size(), 1);
  params->out = in;
  for (size_t i = 0; i < axes.size(); ++i) {
    const size_t a = static_cast<size_t>(axes[i]);
    const int64_t dim = in[a];
    const int64_t step = steps[i];
    if (step == 0) return OpError(node, "step 0");
    if (dim < 0) {
      params->out[a] = -1;
      continue;
    }
    auto clamp = [dim, step](int64_t v) {
      if (v < 0) v += dim;
      return step > 0 ? std::clamp<int64_t>(v, 0, dim) : std::clamp<int64_t>(v, -1, dim - 1);
    };
    const int64_t start = clamp(starts[i]);
    const int64_t end = clamp(ends[i]);
    params->starts[a] = start;
    params->steps[a] = step;
    const int64_t length =
        step > 0 ? (end - start + step - 1) / step : (start - end - step - 1) / -step;
    params->out[a] = std::max<int64_t>(0, length);
  }
  *known = true;
  return Status::Ok();
}

}  // namespace qrt::converter
