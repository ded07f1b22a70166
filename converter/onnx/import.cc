#include "converter/onnx/import.h"

#include <onnx/onnx_pb.h>

#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "converter/onnx/tensor_proto.h"
#include "converter/reference/op_registry.h"

namespace qrt::converter {
namespace {

Status ConvertAttribute(const Node& node, const onnx::AttributeProto& a, AttributeValue* value) {
  switch (a.type()) {
    case onnx::AttributeProto::INT:
      *value = a.i();
      return Status::Ok();
    case onnx::AttributeProto::FLOAT:
      *value = a.f();
      return Status::Ok();
    case onnx::AttributeProto::STRING:
      *value = a.s();
      return Status::Ok();
    case onnx::AttributeProto::INTS:
      *value = std::vector<int64_t>(a.ints().begin(), a.ints().end());
      return Status::Ok();
    case onnx::AttributeProto::FLOATS:
      *value = std::vector<float>(a.floats().begin(), a.floats().end());
      return Status::Ok();
    case onnx::AttributeProto::TENSOR: {
      TensorData t;
      QRT_RETURN_IF_ERROR(TensorDataFromProto(a.t(), &t));
      *value = std::move(t);
      return Status::Ok();
    }
    default:
      return Status(StatusCode::kBadOptions,
                    node.Describe() + ": attribute '" + a.name() + "' has type " +
                        onnx::AttributeProto::AttributeType_Name(a.type()) +
                        ", which the converter does not read");
  }
}

// A Constant node's value as a tensor (value, value_float(s), value_int(s)).
Status ConstantValue(const Node& node, TensorData* value) {
  if (const TensorData* t = node.GetTensor("value")) {
    *value = *t;
  } else if (node.HasAttribute("value_float")) {
    *value = TensorData::FromVector<float>({}, {node.GetFloat("value_float", 0)});
  } else if (node.HasAttribute("value_floats")) {
    std::vector<float> v = node.GetFloats("value_floats");
    *value = TensorData::FromVector<float>({static_cast<int64_t>(v.size())}, v);
  } else if (node.HasAttribute("value_int")) {
    *value = TensorData::FromVector<int64_t>({}, {node.GetInt("value_int", 0)});
  } else if (node.HasAttribute("value_ints")) {
    std::vector<int64_t> v = node.GetInts("value_ints");
    *value = TensorData::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
  } else {
    return Status(StatusCode::kBadOptions,
                  node.Describe() + ": only tensor, float(s) and int(s) values are supported");
  }
  return Status::Ok();
}

Status ImportGraphInput(const onnx::ValueInfoProto& input, Graph* graph) {
  const std::string what = "graph input '" + input.name() + "'";
  if (!input.type().has_tensor_type()) {
    return Status(StatusCode::kBadType, what + ": only tensor inputs are supported");
  }
  const onnx::TypeProto::Tensor& type = input.type().tensor_type();
  Tensor& t = graph->GetOrAddTensor(input.name());
  QRT_RETURN_IF_ERROR(DTypeFromOnnx(type.elem_type(), what, &t.dtype));
  if (!type.has_shape()) {
    return Status(StatusCode::kBadShape, what + ": the model gives no shape; pass one");
  }
  t.shape.clear();
  for (const auto& dim : type.shape().dim()) {
    // dim_param ("batch") and missing values are dynamic until an override pins them.
    t.shape.push_back(dim.has_dim_value() && dim.dim_value() > 0 ? dim.dim_value() : -1);
  }
  graph->inputs.push_back(input.name());
  return Status::Ok();
}

Status ImportModel(const onnx::ModelProto& model, const ImportOptions& options, Graph* graph) {
  if (model.ir_version() <= 0 || !model.has_graph() || model.opset_import_size() == 0) {
    return Status(StatusCode::kNotAModel,
                  "not an ONNX model: no ir_version, graph or opset_import");
  }
  *graph = Graph();
  for (const onnx::OperatorSetIdProto& opset : model.opset_import()) {
    if (opset.domain().empty() || opset.domain() == "ai.onnx")
      graph->opset_version = opset.version();
  }
  if (graph->opset_version < kMinOnnxOpset || graph->opset_version > kMaxOnnxOpset) {
    return Status(StatusCode::kUnsupportedVersion,
                  "the model imports opset " + std::to_string(graph->opset_version) +
                      " of the default ONNX domain; the converter supports opsets " +
                      std::to_string(kMinOnnxOpset) + " to " + std::to_string(kMaxOnnxOpset));
  }
  const onnx::GraphProto& g = model.graph();
  if (g.sparse_initializer_size() > 0) {
    return Status(StatusCode::kInvalidArgument, "sparse initializers are not supported");
  }

  // Operator support first, so the user sees every unsupported node in one message.
  std::vector<std::string> unsupported;
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    const bool default_domain = n.domain().empty() || n.domain() == "ai.onnx";
    if (default_domain && (n.op_type() == "Constant" || FindOpKernel(n.op_type()) != nullptr)) {
      continue;
    }
    std::string name = n.name().empty() ? "#" + std::to_string(i) : n.name();
    unsupported.push_back("'" + name + "' (" + (default_domain ? "" : n.domain() + "::") +
                          n.op_type() + ")");
  }
  if (!unsupported.empty()) {
    std::string message = std::to_string(unsupported.size()) + " unsupported operator" +
                          (unsupported.size() > 1 ? "s" : "") + ":";
    for (const std::string& u : unsupported) message += " " + u;
    return Status(StatusCode::kUnsupportedOperator, message);
  }

  std::set<std::string> initializers;
  for (const onnx::TensorProto& init : g.initializer()) {
    Tensor& t = graph->GetOrAddTensor(init.name());
    TensorData data;
    QRT_RETURN_IF_ERROR(TensorDataFromProto(init, &data));
    t.dtype = data.dtype();
    t.shape = data.shape();
    t.constant = std::move(data);
    initializers.insert(init.name());
  }
  for (const onnx::ValueInfoProto& input : g.input()) {
    // Before IR version 4 initializers were also listed as inputs.
    if (initializers.count(input.name()) == 0) QRT_RETURN_IF_ERROR(ImportGraphInput(input, graph));
  }
  for (int i = 0; i < g.node_size(); ++i) {
    const onnx::NodeProto& n = g.node(i);
    Node node;
    node.name = n.name().empty() ? n.op_type() + "_" + std::to_string(i) : n.name();
    node.op_type = n.op_type();
    node.inputs.assign(n.input().begin(), n.input().end());
    node.outputs.assign(n.output().begin(), n.output().end());
    for (const onnx::AttributeProto& a : n.attribute()) {
      QRT_RETURN_IF_ERROR(ConvertAttribute(node, a, &node.attributes[a.name()]));
    }
    if (node.op_type == "Constant") {
      if (node.outputs.size() != 1)
        return Status(StatusCode::kBadGraph, node.Describe() + ": needs one output");
      Tensor& t = graph->GetOrAddTensor(node.outputs[0]);
      TensorData value;
      QRT_RETURN_IF_ERROR(ConstantValue(node, &value));
      t.dtype = value.dtype();
      t.shape = value.shape();
      t.constant = std::move(value);
      continue;
    }
    for (const std::string& out : node.outputs) {
      if (!out.empty()) graph->GetOrAddTensor(out);
    }
    graph->nodes.push_back(std::move(node));
  }
  for (const onnx::ValueInfoProto& output : g.output()) {
    if (graph->FindTensor(output.name()) == nullptr) {
      return Status(StatusCode::kBadGraph,
                    "graph output '" + output.name() + "' is not produced by any node");
    }
    graph->outputs.push_back(output.name());
  }
  QRT_RETURN_IF_ERROR(graph->TopologicalSort());
  return InferShapes(graph, options.input_shapes);
}

}  // namespace

Status ImportOnnxBytes(std::string_view bytes, const ImportOptions& options, Graph* graph) {
  if (bytes.empty()) return Status(StatusCode::kNotAModel, "the ONNX model is empty (0 bytes)");
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status(StatusCode::kInvalidArgument, "models over 2 GiB are not supported");
  }
  onnx::ModelProto model;
  if (!model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return Status(StatusCode::kMalformedModel,
                  "the bytes are not a valid ONNX ModelProto (truncated, corrupt or another "
                  "format)");
  }
  return ImportModel(model, options, graph);
}

Status ImportOnnxFile(const std::string& path, const ImportOptions& options, Graph* graph) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status(StatusCode::kIoError, "cannot open '" + path + "'");
  std::stringstream bytes;
  bytes << file.rdbuf();
  if (file.bad()) return Status(StatusCode::kIoError, "cannot read '" + path + "'");
  Status status = ImportOnnxBytes(bytes.str(), options, graph);
  if (status.ok()) return status;
  return Status(status.code(), "'" + path + "': " + status.message());
}

Status ParseInputShape(std::string_view text, std::string* name, Shape* dims) {
  const size_t eq = text.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "input shape '" + std::string(text) + "' is not of the form NAME=1x3x48x192");
  }
  *name = std::string(text.substr(0, eq));
  dims->clear();
  std::string_view rest = text.substr(eq + 1);
  while (true) {
    const size_t sep = rest.find_first_of("x,");
    std::string_view item = rest.substr(0, sep);
    int64_t d = 0;
    auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), d);
    if (ec != std::errc() || end != item.data() + item.size() || d <= 0) {
      return Status(StatusCode::kInvalidArgument, "input shape '" + std::string(text) + "': '" +
                                                      std::string(item) +
                                                      "' is not a positive dim");
    }
    dims->push_back(d);
    if (sep == std::string_view::npos) break;
    rest = rest.substr(sep + 1);
  }
  return Status::Ok();
}

}  // namespace qrt::converter
