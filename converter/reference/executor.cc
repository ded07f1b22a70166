#include "converter/reference/executor.h"

#include <algorithm>

#include "converter/ir/fused_clamp.h"
#include "converter/reference/op_registry.h"

namespace qrt::converter {

Status ReferenceExecutor::Run(const std::map<std::string, TensorData>& inputs,
                              std::map<std::string, TensorData>* outputs,
                              const TensorObserver& observer) const {
  std::map<std::string, TensorData> values;
  for (const std::string& name : graph_.inputs) {
    auto it = inputs.find(name);
    if (it == inputs.end()) {
      return Status(StatusCode::kInvalidArgument, "no value for graph input '" + name + "'");
    }
    const Tensor& t = *graph_.FindTensor(name);
    const Shape& shape = it->second.shape();
    bool matches = it->second.dtype() == t.dtype && shape.size() == t.shape.size();
    for (size_t i = 0; matches && i < shape.size(); ++i) {
      matches = t.shape[i] < 0 || t.shape[i] == shape[i];
    }
    if (!matches) {
      return Status(StatusCode::kInvalidArgument,
                    "input '" + name + "' is " + DTypeName(it->second.dtype()) + " " +
                        ShapeToString(shape) + ", the graph expects " + DTypeName(t.dtype) + " " +
                        ShapeToString(t.shape));
    }
    values[name] = it->second;
    if (observer) observer(name, it->second);
  }
  // The last node reading each value; graph outputs are never released.
  std::map<std::string, size_t> last_use;
  for (size_t i = 0; i < graph_.nodes.size(); ++i) {
    for (const std::string& in : graph_.nodes[i].inputs) last_use[in] = i;
  }
  for (const std::string& out : graph_.outputs) last_use[out] = graph_.nodes.size();

  for (size_t n = 0; n < graph_.nodes.size(); ++n) {
    const Node& node = graph_.nodes[n];
    const OpKernel* kernel = FindOpKernel(node.op_type);
    if (kernel == nullptr || !node.domain.empty()) {
      return Status(StatusCode::kUnsupportedOperator,
                    node.Describe() + ": operator is not supported");
    }
    std::vector<ValueInfo> infos(node.inputs.size());
    std::vector<const TensorData*> in_values(node.inputs.size(), nullptr);
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const std::string& name = node.inputs[i];
      if (name.empty()) continue;
      auto it = values.find(name);
      const Tensor* t = graph_.FindTensor(name);
      if (it != values.end()) {
        in_values[i] = &it->second;
      } else if (t != nullptr && t->is_constant()) {
        in_values[i] = &*t->constant;
      } else {
        return Status(StatusCode::kBadGraph,
                      node.Describe() + ": input '" + name + "' has no value (graph not sorted?)");
      }
      infos[i] = {true, in_values[i]->dtype(), in_values[i]->shape(), in_values[i]};
    }
    std::vector<OutputInfo> out_infos(node.outputs.size());
    QRT_RETURN_IF_ERROR(kernel->infer(node, graph_.opset_version, infos, out_infos));
    std::vector<TensorData> out_values;
    for (const OutputInfo& o : out_infos) {
      if (!IsFullyKnown(o.shape)) {
        return Status(StatusCode::kBadShape, node.Describe() + ": output shape " +
                                                 ShapeToString(o.shape) + " is not known");
      }
      out_values.emplace_back(o.dtype, o.shape);
    }
    QRT_RETURN_IF_ERROR(kernel->run(node, graph_.opset_version, in_values, out_values));
    // A fused activation (converter/ir/fused_clamp.h) belongs to the node's output, so
    // every reader and the observer see the clamped value.
    if (const std::optional<FusedClamp> clamp = GetFusedClamp(node)) {
      if (out_values.empty() || out_values[0].dtype() != DType::kFloat32) {
        return Status(StatusCode::kBadGraph,
                      node.Describe() + ": fused clamp on a non-float output");
      }
      for (float& v : out_values[0].values<float>()) {
        v = std::min(std::max(v, clamp->min), clamp->max);
      }
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      if (observer) observer(node.outputs[i], out_values[i]);
      values[node.outputs[i]] = std::move(out_values[i]);
    }
    for (const std::string& in : node.inputs) {
      auto it = last_use.find(in);
      if (it != last_use.end() && it->second == n) values.erase(in);
    }
  }
  outputs->clear();
  for (const std::string& name : graph_.outputs) {
    auto it = values.find(name);
    const Tensor* t = graph_.FindTensor(name);
    if (it != values.end()) {
      (*outputs)[name] = it->second;
    } else if (t != nullptr && t->is_constant()) {
      (*outputs)[name] = *t->constant;
    } else {
      return Status(StatusCode::kBadGraph, "graph output '" + name + "' was never computed");
    }
  }
  return Status::Ok();
}

}  // namespace qrt::converter
