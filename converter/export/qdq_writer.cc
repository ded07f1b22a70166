#include "converter/export/qdq_writer.h"

#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <variant>

#include "converter/ir/fused_clamp.h"
#include "converter/onnx/tensor_proto.h"
#include "converter/quantize/multipliers.h"
#include "converter/quantize/quant_sharing.h"
#include "converter/quantize/weights.h"

namespace qrt::converter {
namespace {

// Per-channel weights along `axis` of a float tensor: int8 values in the tensor's own
// layout, one scale per channel, quantized by QuantizePerChannel on the channel-major
// copy so they are the .qrt's values.
struct AxisQuantizedWeights {
  TensorData values;
  std::vector<float> scales;
};

AxisQuantizedWeights QuantizeAlongAxis(const TensorData& weights, size_t axis, WeightBits bits,
                                       std::span<const float> min_scales) {
  const Shape& shape = weights.shape();
  const int64_t outer = NumElements(Shape(shape.begin(), shape.begin() + axis));
  const int64_t channels = shape[axis];
  const int64_t inner = NumElements(Shape(shape.begin() + axis + 1, shape.end()));
  const std::vector<float> w = weights.ToFloats();
  // Element (o, c, i) of the tensor is element (c, o, i) of the channel-major copy.
  const auto index = [&](int64_t o, int64_t c, int64_t i) {
    return (o * channels + c) * inner + i;
  };
  const auto channel_major = [&](int64_t o, int64_t c, int64_t i) {
    return (c * outer + o) * inner + i;
  };
  std::vector<float> rows(w.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < inner; ++i) rows[channel_major(o, c, i)] = w[index(o, c, i)];
    }
  }
  QuantizedWeights q = QuantizePerChannel(rows, channels, bits, min_scales);
  AxisQuantizedWeights out{TensorData(DType::kInt8, shape), std::move(q.scales)};
  std::span<int8_t> values = out.values.values<int8_t>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t c = 0; c < channels; ++c) {
      for (int64_t i = 0; i < inner; ++i) values[index(o, c, i)] = q.values[channel_major(o, c, i)];
    }
  }
  return out;
}

// The output-channel axis of a weighted node's input 1; nullopt for nodes without
// per-channel weights in the .qrt.
std::optional<size_t> WeightAxis(const Node& node, const TensorData& weights) {
  const size_t rank = weights.shape().size();
  if (node.op_type == "Conv" && rank >= 3) return 0;
  if (node.op_type == "ConvTranspose" && rank >= 3 && node.GetInt("group", 1) == 1) return 1;
  if (node.op_type == "Gemm" && rank == 2) return node.GetInt("transB", 0) != 0 ? 0 : 1;
  if (node.op_type == "MatMul" && rank == 2) return 1;
  return std::nullopt;
}

void SetAttribute(const std::string& name, const AttributeValue& value, onnx::AttributeProto* a) {
  a->set_name(name);
  if (const auto* i = std::get_if<int64_t>(&value)) {
    a->set_type(onnx::AttributeProto::INT);
    a->set_i(*i);
  } else if (const auto* f = std::get_if<float>(&value)) {
    a->set_type(onnx::AttributeProto::FLOAT);
    a->set_f(*f);
  } else if (const auto* s = std::get_if<std::string>(&value)) {
    a->set_type(onnx::AttributeProto::STRING);
    a->set_s(*s);
  } else if (const auto* ints = std::get_if<std::vector<int64_t>>(&value)) {
    a->set_type(onnx::AttributeProto::INTS);
    for (int64_t v : *ints) a->add_ints(v);
  } else if (const auto* floats = std::get_if<std::vector<float>>(&value)) {
    a->set_type(onnx::AttributeProto::FLOATS);
    for (float v : *floats) a->add_floats(v);
  } else {
    a->set_type(onnx::AttributeProto::TENSOR);
    *a->mutable_t() = TensorDataToProto(std::get<TensorData>(value), "");
  }
}

void SetValueInfo(const Tensor& tensor, onnx::ValueInfoProto* info) {
  info->set_name(tensor.name);
  auto* type = info->mutable_type()->mutable_tensor_type();
  type->set_elem_type(TensorDataToProto(TensorData(tensor.dtype, {}), "").data_type());
  for (int64_t d : tensor.shape) type->mutable_shape()->add_dim()->set_dim_value(d);
}

class QdqWriter {
 public:
  QdqWriter(const Graph& graph, ActivationQuantMap quant, const QuantizeOptions& options)
      : graph_(graph), quant_(std::move(quant)), options_(options) {
    for (const auto& [name, tensor] : graph.tensors) names_.insert(name);
    opset_ = std::max<int64_t>(graph.opset_version, 13);
    // The first opsets of HardSwish and LayerNormalization, as nodes or chain steps.
    for (const Node& node : graph.nodes) {
      std::vector<std::string> ops = {node.op_type};
      for (const auto& [key, value] : node.attributes) {
        const auto* op = std::get_if<std::string>(&value);
        if (op != nullptr && key.ends_with(":op")) ops.push_back(*op);
      }
      for (const std::string& op : ops) {
        if (op == "HardSwish") opset_ = std::max<int64_t>(opset_, 14);
        if (op == "LayerNormalization") opset_ = std::max<int64_t>(opset_, 17);
      }
    }
  }

  Status Build(onnx::ModelProto* model) {
    model->set_ir_version(8);
    model->set_producer_name("qrt-convert --emit-qdq");
    model->add_opset_import()->set_version(opset_);
    g_ = model->mutable_graph();
    g_->set_name("qdq");
    for (const std::string& name : graph_.inputs) {
      SetValueInfo(*graph_.FindTensor(name), g_->add_input());
      if (QuantOf(name) != nullptr) Quantize(name, name);
    }
    for (const Node& node : graph_.nodes) QRT_RETURN_IF_ERROR(AddNode(node));
    for (const std::string& name : graph_.outputs) {
      SetValueInfo(*graph_.FindTensor(name), g_->add_output());
    }
    return Status::Ok();
  }

 private:
  std::string Unique(const std::string& base) {
    std::string name = base;
    for (int i = 1; !names_.insert(name).second; ++i) name = base + "_" + std::to_string(i);
    return name;
  }

  bool IsGraphOutput(const std::string& name) const {
    return std::find(graph_.outputs.begin(), graph_.outputs.end(), name) != graph_.outputs.end();
  }

  // A float activation that gets a Q/DQ pair.
  const calib::ActivationQuant* QuantOf(const std::string& name) const {
    const Tensor* t = graph_.FindTensor(name);
    auto it = quant_.find(name);
    if (t == nullptr || t->is_constant() || t->dtype != DType::kFloat32 || it == quant_.end()) {
      return nullptr;
    }
    return &it->second;
  }

  onnx::NodeProto* AddOp(const std::string& op, const std::string& base,
                         std::vector<std::string> inputs, const std::string& output) {
    onnx::NodeProto* n = g_->add_node();
    n->set_name(Unique(base));
    n->set_op_type(op);
    for (const std::string& i : inputs) n->add_input(i);
    n->add_output(output);
    return n;
  }

  std::string AddInitializer(const TensorData& value, const std::string& base) {
    const std::string name = Unique(base);
    *g_->add_initializer() = TensorDataToProto(value, name);
    return name;
  }

  // The scale and zero point initializers of one activation, made once.
  std::pair<std::string, std::string> QuantParams(const std::string& name) {
    auto it = params_.find(name);
    if (it != params_.end()) return it->second;
    const calib::ActivationQuant& q = *QuantOf(name);
    const std::string scale =
        AddInitializer(TensorData::FromVector<float>({}, {q.scale}), name + "_scale");
    const std::string zero = AddInitializer(
        TensorData::FromVector<int8_t>({}, {static_cast<int8_t>(q.zero_point)}), name + "_zero");
    return params_[name] = {scale, zero};
  }

  // QuantizeLinear of activation `name`, whose float value is in tensor `source`; a
  // graph output gets its DequantizeLinear here, under its own name.
  void Quantize(const std::string& name, const std::string& source) {
    const auto [scale, zero] = QuantParams(name);
    const std::string q = Unique(name + "_q");
    AddOp("QuantizeLinear", name + "_quantize", {source, scale, zero}, q);
    quantized_[name] = q;
    if (IsGraphOutput(name))
      AddOp("DequantizeLinear", name + "_dequantize", {q, scale, zero}, name);
  }

  // What a node reads for activation `name`: its own DequantizeLinear of it.
  std::string Dequantized(const std::string& name) {
    auto it = quantized_.find(name);
    if (it == quantized_.end()) return name;
    const auto [scale, zero] = QuantParams(name);
    const std::string dq = Unique(name + "_dq");
    AddOp("DequantizeLinear", name + "_dequantize", {it->second, scale, zero}, dq);
    return dq;
  }

  // A constant input as an initializer (once, under its own name).
  std::string Constant(const std::string& name) {
    if (initialized_.insert(name).second) {
      *g_->add_initializer() = TensorDataToProto(*graph_.FindTensor(name)->constant, name);
    }
    return name;
  }

  // Per-axis DequantizeLinear of int8 weights or int32 bias.
  std::string DequantizeConstant(const TensorData& values, const std::vector<float>& scales,
                                 size_t axis, const std::string& base) {
    const auto channels = static_cast<int64_t>(scales.size());
    const std::string v = AddInitializer(values, base + "_quantized");
    const std::string s =
        AddInitializer(TensorData::FromVector<float>({channels}, scales), base + "_scale");
    const std::string z =
        AddInitializer(values.dtype() == DType::kInt8 ? TensorData(DType::kInt8, {channels})
                                                      : TensorData(DType::kInt32, {channels}),
                       base + "_zero");
    const std::string dq = Unique(base + "_dq");
    onnx::NodeProto* n = AddOp("DequantizeLinear", base + "_dequantize", {v, s, z}, dq);
    SetAttribute("axis", static_cast<int64_t>(axis), n->add_attribute());
    return dq;
  }

  // Inputs 1 and 2 of a weighted node: quantized weights and int32 bias.
  void AddWeights(const Node& node, size_t axis, std::vector<std::string>* inputs) {
    const TensorData& w = *graph_.FindTensor(node.inputs[1])->constant;
    const int64_t channels = w.shape()[axis];
    const Tensor* b = node.HasInput(2) ? graph_.FindTensor(node.inputs[2]) : nullptr;
    const calib::ActivationQuant* x = QuantOf(node.inputs[0]);
    const bool has_bias = b != nullptr && b->is_constant() && x != nullptr;
    std::vector<float> bias = has_bias ? b->constant->ToFloats() : std::vector<float>{};
    if (has_bias) bias.resize(static_cast<size_t>(channels), bias.empty() ? 0.0f : bias[0]);
    // The .qrt's weights: the same scale floor as emission's (BiasScaleFloor).
    const WeightBits bits = options_.WeightBitsOf(node.name);
    const std::vector<float> floor =
        has_bias ? BiasScaleFloor(bias, x->scale, w.num_elements() / channels, bits)
                 : std::vector<float>{};
    AxisQuantizedWeights q = QuantizeAlongAxis(w, axis, bits, floor);
    (*inputs)[1] = DequantizeConstant(q.values, q.scales, axis, node.inputs[1]);
    if (!has_bias) return;
    std::vector<int32_t> qbias(bias.size());
    std::vector<float> bias_scales(bias.size());
    for (size_t c = 0; c < bias.size(); ++c) {
      const double scale = double{x->scale} * q.scales[c];
      bool saturated = false;
      qbias[c] = QuantizeBias(bias[c], scale, &saturated);
      bias_scales[c] = static_cast<float>(scale);
    }
    const auto n = static_cast<int64_t>(qbias.size());
    (*inputs)[2] = DequantizeConstant(TensorData::FromVector<int32_t>({n}, qbias), bias_scales, 0,
                                      node.inputs[2]);
  }

  Status AddNode(const Node& node) {
    std::vector<std::string> inputs = node.inputs;
    const Tensor* w = node.HasInput(1) ? graph_.FindTensor(node.inputs[1]) : nullptr;
    const std::optional<size_t> axis =
        w != nullptr && w->is_constant() && w->dtype == DType::kFloat32
            ? WeightAxis(node, *w->constant)
            : std::nullopt;
    if (axis) AddWeights(node, *axis, &inputs);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].empty() || inputs[i] != node.inputs[i]) continue;  // omitted or done
      const Tensor* t = graph_.FindTensor(inputs[i]);
      inputs[i] = t != nullptr && t->is_constant() ? Constant(inputs[i]) : Dequantized(inputs[i]);
    }
    const std::optional<FusedClamp> clamp = GetFusedClamp(node);
    std::vector<std::string> outputs, values;
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      const std::string& out = node.outputs[i];
      // A quantized graph output's name belongs to its final DequantizeLinear.
      values.push_back(QuantOf(out) != nullptr && IsGraphOutput(out) ? Unique(out + "_float")
                                                                     : out);
      outputs.push_back(i == 0 && clamp ? Unique(out + "_unclamped") : values.back());
    }
    QRT_RETURN_IF_ERROR(AddOnnxNodes(node, inputs, outputs));
    if (clamp) AddClamp(node, *clamp, outputs[0], values[0]);
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (!node.outputs[i].empty() && QuantOf(node.outputs[i]) != nullptr) {
        Quantize(node.outputs[i], values[i]);
      }
    }
    return Status::Ok();
  }

  // `node` as ONNX nodes reading `inputs` and writing `outputs`: the node itself, or
  // the ONNX operators a node the passes made stands for (Swish: x * Sigmoid(x);
  // PointwiseChain: its steps in order). The chain's intermediates stay float, as the
  // .qrt computes the whole chain as one LOOKUP.
  Status AddOnnxNodes(const Node& node, std::vector<std::string> inputs,
                      const std::vector<std::string>& outputs) {
    if (node.op_type == "Swish") {
      const std::string gate = Unique(outputs[0] + "_sigmoid");
      AddOp("Sigmoid", node.name + "_sigmoid", {inputs[0]}, gate);
      AddOp("Mul", node.name, {inputs[0], gate}, outputs[0]);
      return Status::Ok();
    }
    if (node.op_type == "PointwiseChain") {
      std::string x = inputs[0];
      const int64_t steps = node.GetInt("steps", 0);
      for (int64_t k = 0; k < steps; ++k) {
        const std::string prefix = "step" + std::to_string(k) + ":";
        Node step;
        step.name = node.name + "_step" + std::to_string(k);
        step.op_type = node.GetString(prefix + "op", "");
        step.inputs.resize(static_cast<size_t>(node.GetInt(prefix + "inputs", 1)));
        step.inputs.at(static_cast<size_t>(node.GetInt(prefix + "x", 0))) = x;
        for (const auto& [key, value] : node.attributes) {
          if (!key.starts_with(prefix)) continue;
          const std::string what = key.substr(prefix.size());
          if (what.starts_with("attr:")) {
            step.attributes[what.substr(5)] = value;
          } else if (what.starts_with("in") && what != "inputs") {
            step.inputs.at(std::stoul(what.substr(2))) =
                AddInitializer(std::get<TensorData>(value), step.name + "_" + what.substr(2));
          }
        }
        const std::string y = k + 1 == steps ? outputs[0] : Unique(step.name);
        QRT_RETURN_IF_ERROR(AddOnnxNodes(step, step.inputs, {y}));
        x = y;
      }
      return Status::Ok();
    }
    onnx::NodeProto* n = g_->add_node();
    n->set_name(Unique(node.name));
    n->set_op_type(node.op_type);
    n->set_domain(node.domain);
    for (const auto& [key, value] : node.attributes) {
      if (key != kFusedClampMin && key != kFusedClampMax) {
        SetAttribute(key, value, n->add_attribute());
      }
    }
    QRT_RETURN_IF_ERROR(UpgradeOpset(node, &inputs, n));
    for (const std::string& i : inputs) n->add_input(i);
    for (const std::string& o : outputs) n->add_output(o);
    return Status::Ok();
  }

  void AddClamp(const Node& node, FusedClamp clamp, const std::string& input,
                const std::string& output) {
    if (clamp.min == 0 && clamp.max == std::numeric_limits<float>::infinity()) {
      AddOp("Relu", node.name + "_relu", {input}, output);
      return;
    }
    std::vector<std::string> inputs = {input, "", ""};
    if (std::isfinite(clamp.min)) {
      inputs[1] =
          AddInitializer(TensorData::FromVector<float>({}, {clamp.min}), node.name + "_min");
    }
    if (std::isfinite(clamp.max)) {
      inputs[2] =
          AddInitializer(TensorData::FromVector<float>({}, {clamp.max}), node.name + "_max");
    }
    AddOp("Clip", node.name + "_clip", inputs, output);
  }

  // Moves attribute `key` of `n` to input `index` as an initializer of `dtype`.
  void AttributeToInput(const Node& node, const std::string& key, size_t index, DType dtype,
                        std::vector<std::string>* inputs, onnx::NodeProto* n) {
    auto attributes = n->mutable_attribute();
    auto it = std::find_if(attributes->begin(), attributes->end(),
                           [&](const onnx::AttributeProto& a) { return a.name() == key; });
    if (it == attributes->end()) return;
    attributes->erase(it);
    TensorData value;
    if (dtype == DType::kInt64) {
      const std::vector<int64_t> v = node.GetInts(key);
      value = TensorData::FromVector<int64_t>({static_cast<int64_t>(v.size())}, v);
    } else {
      value = TensorData::FromVector<float>({}, {node.GetFloat(key, 0)});
    }
    if (inputs->size() <= index) inputs->resize(index + 1);
    (*inputs)[index] = AddInitializer(value, node.name + "_" + key);
  }

  // Rewrites a node of graph_.opset_version into its form at opset_.
  Status UpgradeOpset(const Node& node, std::vector<std::string>* inputs, onnx::NodeProto* n) {
    const int64_t from = graph_.opset_version;
    const std::string& op = node.op_type;
    if (!node.domain.empty()) return Status::Ok();
    if (op == "Clip" && from < 11) {
      if (inputs->size() < 2) inputs->resize(2);
      AttributeToInput(node, "min", 1, DType::kFloat32, inputs, n);
      AttributeToInput(node, "max", 2, DType::kFloat32, inputs, n);
    } else if (op == "Pad" && from < 11) {
      AttributeToInput(node, "pads", 1, DType::kInt64, inputs, n);
      AttributeToInput(node, "value", 2, DType::kFloat32, inputs, n);
    } else if (op == "Slice" && from < 10) {
      AttributeToInput(node, "starts", 1, DType::kInt64, inputs, n);
      AttributeToInput(node, "ends", 2, DType::kInt64, inputs, n);
      AttributeToInput(node, "axes", 3, DType::kInt64, inputs, n);
    } else if ((op == "Squeeze" || op == "Unsqueeze" || op == "ReduceSum") && from < 13) {
      AttributeToInput(node, "axes", 1, DType::kInt64, inputs, n);
    } else if (op == "Split" && from < 13) {
      AttributeToInput(node, "split", 1, DType::kInt64, inputs, n);
    } else if ((op == "Softmax" || op == "LogSoftmax" || op == "Hardmax") && from < 13) {
      // The old form reduces over every dim from `axis` on; the new one over `axis`
      // alone: the same when the later dims are 1.
      const Shape& shape = graph_.FindTensor(node.inputs[0])->shape;
      const auto rank = static_cast<int64_t>(shape.size());
      int64_t axis = node.GetInt("axis", 1);
      if (axis < 0) axis += rank;
      for (int64_t d = axis + 1; d < rank; ++d) {
        if (shape[d] != 1) {
          return Status(StatusCode::kUnsupportedOperator,
                        node.Describe() + ": reduces over several dims, which opset " +
                            std::to_string(opset_) + " cannot express");
        }
      }
      n->clear_attribute();
      SetAttribute("axis", axis, n->add_attribute());
    } else if ((op == "Resize" && from < 11) || op == "Upsample") {
      return Status(StatusCode::kUnsupportedOperator,
                    node.Describe() + ": its opset " + std::to_string(from) +
                        " form is not rewritten for the QDQ model");
    }
    return Status::Ok();
  }

  const Graph& graph_;
  const ActivationQuantMap quant_;
  const QuantizeOptions& options_;
  int64_t opset_ = 13;
  onnx::GraphProto* g_ = nullptr;
  std::set<std::string> names_;
  std::set<std::string> initialized_;
  std::map<std::string, std::string> quantized_;  // activation -> its QuantizeLinear output
  std::map<std::string, std::pair<std::string, std::string>> params_;  // scale, zero point
};

}  // namespace

Status WriteQdqModel(const Graph& graph, const ActivationQuantMap& activation_quant,
                     const QuantizeOptions& options, const std::string& path) {
  ActivationQuantMap shared = activation_quant;
  ShareQuantization(graph, &shared);
  onnx::ModelProto model;
  QRT_RETURN_IF_ERROR(QdqWriter(graph, std::move(shared), options).Build(&model));
  std::ofstream file(path, std::ios::binary | std::ios::trunc);
  if (!file || !model.SerializeToOstream(&file) || !file.flush()) {
    return Status(StatusCode::kIoError, "cannot write '" + path + "'");
  }
  return Status::Ok();
}

}  // namespace qrt::converter
