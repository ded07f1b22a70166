#include "converter/reference/shape_inference.h"

#include "converter/reference/op_registry.h"

namespace qrt::converter {
namespace {

// Values larger than this are never evaluated during inference: shape arithmetic works
// on a handful of elements, and folding real activations belongs to a graph pass.
constexpr int64_t kMaxEvaluatedElements = 4096;

Status ApplyInputShapes(Graph* graph, const InputShapes& input_shapes) {
  for (const auto& [name, dims] : input_shapes) {
    Tensor* t = graph->FindTensor(name);
    if (t == nullptr ||
        std::find(graph->inputs.begin(), graph->inputs.end(), name) == graph->inputs.end()) {
      return Status(StatusCode::kInvalidArgument,
                    "input shape given for '" + name + "', which is not a graph input");
    }
    if (!IsFullyKnown(dims)) {
      return Status(StatusCode::kInvalidArgument,
                    "input shape for '" + name + "' must have positive dims");
    }
    bool matches = t->shape.empty() || t->shape.size() == dims.size();
    for (size_t i = 0; matches && i < t->shape.size(); ++i) {
      matches = t->shape[i] < 0 || t->shape[i] == dims[i];
    }
    if (!matches) {
      return Status(StatusCode::kBadShape, "input shape " + ShapeToString(dims) + " for '" + name +
                                               "' contradicts the model's " +
                                               ShapeToString(t->shape));
    }
    t->shape = dims;
  }
  return Status::Ok();
}

}  // namespace

Status InferShapes(Graph* graph, const InputShapes& input_shapes) {
  QRT_RETURN_IF_ERROR(ApplyInputShapes(graph, input_shapes));
  // Values known so far, beyond the graph's constants.
  std::map<std::string, TensorData> known;
  for (const Node& node : graph->nodes) {
    const OpKernel* kernel = FindOpKernel(node.op_type);
    if (kernel == nullptr || !node.domain.empty()) {
      return Status(StatusCode::kUnsupportedOperator,
                    node.Describe() + ": operator is not supported");
    }
    std::vector<ValueInfo> inputs(node.inputs.size());
    bool all_values = true;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i].empty()) continue;
      const Tensor* t = graph->FindTensor(node.inputs[i]);
      if (t == nullptr) {
        return Status(StatusCode::kBadGraph,
                      node.Describe() + ": unknown input '" + node.inputs[i] + "'");
      }
      auto it = known.find(t->name);
      const TensorData* value = t->is_constant()    ? &*t->constant
                                : it != known.end() ? &it->second
                                                    : nullptr;
      inputs[i] = {true, t->dtype, t->shape, value};
      all_values = all_values && value != nullptr;
    }
    std::vector<OutputInfo> outputs(node.outputs.size());
    QRT_RETURN_IF_ERROR(kernel->infer(node, graph->opset_version, inputs, outputs));
    bool small = true;
    for (const OutputInfo& o : outputs) {
      const int64_t n = NumElements(o.shape);
      small = small && n >= 0 && n <= kMaxEvaluatedElements;
    }
    if (all_values && small && !outputs.empty()) {
      std::vector<const TensorData*> in_values;
      for (const ValueInfo& v : inputs) in_values.push_back(v.value);
      std::vector<TensorData> out_values;
      for (const OutputInfo& o : outputs) out_values.emplace_back(o.dtype, o.shape);
      QRT_RETURN_IF_ERROR(kernel->run(node, graph->opset_version, in_values, out_values));
      for (size_t i = 0; i < outputs.size(); ++i) outputs[i].value = std::move(out_values[i]);
    }
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i].empty()) continue;
      Tensor& t = graph->GetOrAddTensor(node.outputs[i]);
      t.dtype = outputs[i].dtype;
      t.shape = outputs[i].shape;
      if (outputs[i].value) known[t.name] = std::move(*outputs[i].value);
    }
  }
  return Status::Ok();
}

}  // namespace qrt::converter
