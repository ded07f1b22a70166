// Per-operator emission: each supported ONNX node becomes one or a few .qrt operators
// following docs/quantization.md, in the runtime's layout (layout.h).
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <string_view>

#include "converter/ir/fused_clamp.h"
#include "converter/reference/op_util.h"
#include "layer_norm.h"
#include "layout.h"
#include "lookup_table.h"
#include "multipliers.h"
#include "quant_sharing.h"
#include "quantize.h"
#include "weights.h"

namespace qrt::converter {
namespace {

using calib::ActivationQuant;

// Pointwise functions of one activation: each becomes a LOOKUP table.
const std::set<std::string_view> kPointwiseOps = {
    "Relu", "LeakyRelu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid",
    "Tanh", "Sqrt",      "Erf",  "Gelu",        "Swish",     "PointwiseChain"};
// Binary ops: ADD / MUL of two activations, or a LOOKUP with a scalar constant.
const std::set<std::string_view> kBinaryOps = {"Add", "Sub", "Mul", "Div", "Pow", "Min", "Max"};
// Ops that become byte copies (RESHAPE, with TRANSPOSEs where the layout requires).
const std::set<std::string_view> kReshapeOps = {"Reshape",   "Flatten",  "Squeeze",
                                                "Unsqueeze", "Identity", "Dropout"};
// Ops whose runtime operator has no clamp, so a fused activation cannot go there.
const std::set<std::string_view> kUnclampedOps = {"Concat", "Transpose", "Pad", "Resize", "Slice"};
const std::set<std::string_view> kOtherOps = {"Conv",
                                              "ConvTranspose",
                                              "Gemm",
                                              "MatMul",
                                              "MaxPool",
                                              "AveragePool",
                                              "GlobalAveragePool",
                                              "GlobalMaxPool",
                                              "Concat",
                                              "Transpose",
                                              "Pad",
                                              "Resize",
                                              "Softmax",
                                              "LayerNormalization",
                                              "Slice"};

bool IsSupported(const Node& node) {
  const std::string_view op = node.op_type;
  return node.domain.empty() && (kPointwiseOps.count(op) || kBinaryOps.count(op) ||
                                 kReshapeOps.count(op) || kOtherOps.count(op));
}

Status Unsupported(const Node& node, const std::string& what) {
  return Status(StatusCode::kUnsupportedOperator, node.Describe() + ": " + what);
}

std::vector<int32_t> ToInt32(const Shape& shape) { return {shape.begin(), shape.end()}; }

std::vector<int32_t> InversePermutation(std::span<const int32_t> perm) {
  std::vector<int32_t> inverse(perm.size());
  for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int32_t>(i);
  return inverse;
}

// The runtime clamp of a node's fused activation (converter/ir/fused_clamp.h). ReLU
// and ReLU6 use calibration's rule, which snapped the output range to them; any other
// clip bound is quantized like a value.
ClampBounds OutputClamp(const Node& node, const ActivationQuant& quant) {
  const std::optional<FusedClamp> fused = GetFusedClamp(node);
  if (!fused) return {};
  calib::IntClamp clamp;
  if (fused->min == 0 && fused->max == std::numeric_limits<float>::infinity()) {
    clamp = calib::FusedClamp(quant, calib::FusedActivation::kRelu);
  } else if (fused->min == 0 && fused->max == 6) {
    clamp = calib::FusedClamp(quant, calib::FusedActivation::kRelu6);
  } else {
    clamp = {QuantizeValue(fused->min, quant), QuantizeValue(fused->max, quant)};
  }
  // ONNX Clip with min > max outputs max everywhere, which is what lo = hi gives.
  clamp.lo = std::min(clamp.lo, clamp.hi);
  return {static_cast<int8_t>(clamp.lo), static_cast<int8_t>(clamp.hi)};
}

// An emitted activation: the runtime tensor holding it and its ONNX shape (NCHW for
// rank 4, where the runtime tensor is NHWC unless onnx_order).
struct Value {
  int32_t tensor = -1;
  Shape shape;
  ActivationQuant quant;
  // A rank-4 tensor kept in ONNX order: attention's [batch, heads, tokens, depth]
  // tensors, whose matmuls, softmax and slices work on ONNX's last axes, stay in the
  // order they are computed in instead of going through NHWC and back.
  bool onnx_order = false;
};

// The layout an operator needs an input in: NHWC for rank 4 (what every operator of
// the convolutional part reads), ONNX order, or whichever the value has.
enum class Layout { kRuntime, kOnnx, kAny };

// Runtime dim d of a tensor of `rank` in `onnx_order` (or not) holds ONNX dim L[d].
std::vector<int32_t> DimsOf(size_t rank, bool onnx_order) {
  if (!onnx_order || rank != 4) return OnnxDimsOf(rank);
  return {0, 1, 2, 3};
}

// Weights, bias and per-channel multipliers of a CONV_2D or FULLY_CONNECTED.
struct WeightedOperands {
  int32_t weights = -1;
  int32_t bias = -1;
  std::vector<kernels::Dyadic> requant;
};

class Emitter {
 public:
  Emitter(const Graph& graph, ActivationQuantMap quant, const QuantizeOptions& options,
          ModelBuilder* builder, EmitReport* report)
      : graph_(graph),
        quant_(std::move(quant)),
        options_(options),
        builder_(*builder),
        report_(*report) {}

  Status Run() {
    QRT_RETURN_IF_ERROR(CheckSupported());
    for (const std::string& name : graph_.inputs) used_names_.insert(name);
    for (const std::string& name : graph_.outputs) used_names_.insert(name);
    std::vector<int32_t> inputs;
    for (const std::string& name : graph_.inputs) {
      int32_t tensor = -1;
      QRT_RETURN_IF_ERROR(EmitGraphInput(name, &tensor));
      inputs.push_back(tensor);
    }
    for (const Node& node : graph_.nodes) {
      if (IsShapeComputation(node)) continue;
      report_.nodes.push_back({node.name, node.op_type, {}, 0, 0, 0});
      node_ = &node;
      QRT_RETURN_IF_ERROR(EmitNode(node));
    }
    std::vector<int32_t> outputs;
    for (const std::string& name : graph_.outputs) {
      int32_t tensor = -1;
      QRT_RETURN_IF_ERROR(EmitGraphOutput(name, &tensor));
      outputs.push_back(tensor);
    }
    builder_.SetInputs(std::move(inputs));
    builder_.SetOutputs(std::move(outputs));
    return Status::Ok();
  }

 private:
  // Nodes whose outputs are all non-float (Shape, Gather on shapes, Cast...) only
  // compute shapes, which shape inference has already folded into the IR.
  bool IsShapeComputation(const Node& node) const {
    for (const std::string& name : node.outputs) {
      const Tensor* t = graph_.FindTensor(name);
      if (!name.empty() && t != nullptr && t->dtype == DType::kFloat32) return false;
    }
    return true;
  }

  bool IsGraphOutput(const std::string& name) const {
    return std::find(graph_.outputs.begin(), graph_.outputs.end(), name) != graph_.outputs.end();
  }

  // One error for the whole graph, so the user sees every missing operator at once.
  Status CheckSupported() const {
    std::string list;
    for (const Node& node : graph_.nodes) {
      if (IsShapeComputation(node) || IsSupported(node)) continue;
      list += (list.empty() ? "" : ", ") + ("'" + node.name + "' (" + node.op_type + ")");
    }
    if (list.empty()) return Status::Ok();
    return Status(StatusCode::kUnsupportedOperator,
                  "operators the quantized runtime does not support: " + list);
  }

  Status QuantOf(const std::string& name, ActivationQuant* quant) const {
    auto it = quant_.find(name);
    if (it == quant_.end()) {
      return Status(StatusCode::kFailedPrecondition,
                    "no activation quantization for tensor '" + name + "' (calibrate it)");
    }
    const ActivationQuant& q = it->second;
    if (!(q.scale > 0 && std::isfinite(q.scale)) || q.zero_point < -128 || q.zero_point > 127) {
      return Status(StatusCode::kFailedPrecondition,
                    "tensor '" + name + "' has an invalid activation quantization (scale " +
                        std::to_string(q.scale) + ", zero point " + std::to_string(q.zero_point) +
                        ")");
    }
    *quant = q;
    return Status::Ok();
  }

  Status ShapeOf(const std::string& name, Shape* shape) const {
    const Tensor* t = graph_.FindTensor(name);
    if (t == nullptr || !IsFullyKnown(t->shape) || t->shape.size() > 6) {
      return Status(StatusCode::kFailedPrecondition,
                    "tensor '" + name + "' needs a fully known shape of rank at most 6, has " +
                        (t == nullptr ? std::string("none") : ShapeToString(t->shape)) +
                        " (fix the batch size with --input-shape)");
    }
    *shape = t->shape;
    return Status::Ok();
  }

  std::vector<int32_t> RuntimeShapeOf(int32_t tensor) const {
    return builder_.model().tensors[tensor]->shape;
  }

  std::string UniqueName(const std::string& base) {
    std::string name = base;
    for (int i = 1; !used_names_.insert(name).second; ++i) name = base + "_" + std::to_string(i);
    return name;
  }

  int32_t NewActivation(const std::string& base, std::vector<int32_t> shape,
                        const ActivationQuant& quant) {
    return builder_.AddActivation(UniqueName(base), std::move(shape), quant.scale,
                                  quant.zero_point);
  }

  // Names the operator after the node being emitted and reports it.
  void Emitted(int32_t op) {
    NodeReport& entry = report_.nodes.back();
    if (node_ != nullptr) builder_.SetOperatorName(op, node_->name);
    entry.operators.push_back(schema::EnumNameOperatorType(builder_.model().operators[op]->type));
  }

  // Writes `input` permuted by `perm` into `output`: a TRANSPOSE, or a RESHAPE when the
  // bytes would not move.
  void Move(int32_t input, std::span<const int32_t> perm, int32_t output) {
    if (PermutationKeepsOrder(RuntimeShapeOf(input), perm)) {
      Emitted(builder_.Reshape(input, output));
    } else {
      Emitted(builder_.Transpose(input, output, {perm.begin(), perm.end()}));
    }
  }

  Status EmitGraphInput(const std::string& name, int32_t* float_tensor) {
    report_.nodes.push_back({"input '" + name + "'", "(graph input)", {}, 0, 0, 0});
    node_ = nullptr;
    const Tensor* t = graph_.FindTensor(name);
    if (t == nullptr || t->dtype != DType::kFloat32) {
      return Status(StatusCode::kUnsupportedOperator,
                    "graph input '" + name + "' is not float32; only float inputs are supported");
    }
    if (IsGraphOutput(name)) {
      return Status(StatusCode::kUnsupportedOperator,
                    "graph input '" + name + "' is also a graph output");
    }
    Value v;
    QRT_RETURN_IF_ERROR(ShapeOf(name, &v.shape));
    QRT_RETURN_IF_ERROR(QuantOf(name, &v.quant));
    *float_tensor = builder_.AddFloatTensor(name, ToInt32(v.shape));
    // QUANTIZE is elementwise, so it runs in the input's own NCHW order.
    v.tensor = NewActivation(name + "/quantized", ToInt32(v.shape), v.quant);
    Emitted(builder_.Quantize(*float_tensor, v.tensor));
    if (v.shape.size() == 4) {
      const int32_t nhwc = NewActivation(name + "/nhwc", RuntimeShape(v.shape), v.quant);
      Move(v.tensor, kNchwToNhwc, nhwc);
      v.tensor = nhwc;
    }
    values_[name] = v;
    return Status::Ok();
  }

  Status EmitGraphOutput(const std::string& name, int32_t* float_tensor) {
    report_.nodes.push_back({"output '" + name + "'", "(graph output)", {}, 0, 0, 0});
    node_ = nullptr;
    auto it = values_.find(name);
    if (it == values_.end()) {
      return Status(StatusCode::kUnsupportedOperator,
                    "graph output '" + name + "' is not a float activation of the graph");
    }
    const Value& v = it->second;
    int32_t source = v.tensor;
    if (v.shape.size() == 4 && !v.onnx_order) {
      source = NewActivation(name + "/nchw", ToInt32(v.shape), v.quant);
      Move(v.tensor, kNhwcToNchw, source);
    }
    *float_tensor = builder_.AddFloatTensor(name, ToInt32(v.shape));
    Emitted(builder_.Dequantize(source, *float_tensor));
    return Status::Ok();
  }

  // The emitted activation read as input i, in `layout`: a rank-4 value in the other
  // layout is moved once (the copy is kept for later readers).
  Status Input(const Node& node, size_t i, Value* value, Layout layout = Layout::kRuntime) {
    if (!node.HasInput(i)) return Unsupported(node, "input " + std::to_string(i) + " is missing");
    const std::string& name = node.inputs[i];
    auto it = values_.find(name);
    if (it != values_.end()) {
      *value = it->second;
      const bool want_onnx = layout == Layout::kOnnx;
      if (layout == Layout::kAny || value->shape.size() != 4 || value->onnx_order == want_onnx) {
        return Status::Ok();
      }
      auto copy = other_layout_.find(name);
      if (copy == other_layout_.end()) {
        Value moved = *value;
        moved.onnx_order = want_onnx;
        const std::vector<int32_t> shape =
            want_onnx ? ToInt32(value->shape) : RuntimeShape(value->shape);
        moved.tensor = NewActivation(name + (want_onnx ? "/nchw" : "/nhwc"), shape, value->quant);
        Move(value->tensor, want_onnx ? kNhwcToNchw : kNchwToNhwc, moved.tensor);
        copy = other_layout_.emplace(name, moved).first;
      }
      *value = copy->second;
      return Status::Ok();
    }
    const Tensor* t = graph_.FindTensor(node.inputs[i]);
    if (t != nullptr && t->is_constant()) {
      return Unsupported(node, "input '" + node.inputs[i] +
                                   "' is a constant where the runtime needs an activation");
    }
    return Unsupported(node, "input '" + node.inputs[i] + "' is not a float activation");
  }

  // The constant contents of input i; nullptr when absent or not a constant.
  const TensorData* Constant(const Node& node, size_t i) const {
    if (!node.HasInput(i)) return nullptr;
    const Tensor* t = graph_.FindTensor(node.inputs[i]);
    return t != nullptr && t->is_constant() ? &*t->constant : nullptr;
  }

  // Creates the runtime tensor of the node's (first) output, in ONNX order when
  // `onnx_order` (which only matters at rank 4).
  Status Output(const Node& node, Value* value, bool onnx_order = false) {
    const std::string& name = node.outputs[0];
    QRT_RETURN_IF_ERROR(ShapeOf(name, &value->shape));
    QRT_RETURN_IF_ERROR(QuantOf(name, &value->quant));
    value->onnx_order = onnx_order && value->shape.size() == 4;
    // A graph output's ONNX name belongs to its float32 tensor.
    value->tensor = NewActivation(
        IsGraphOutput(name) ? name + "/int8" : name,
        value->onnx_order ? ToInt32(value->shape) : RuntimeShape(value->shape), value->quant);
    values_[name] = *value;
    return Status::Ok();
  }

  std::string BaseName(const Node& node) const {
    return node.name.empty() ? node.outputs[0] : node.name;
  }

  // Quantizes weights (float, already in the runtime layout `shape`, output channels
  // first) and bias (empty, or one per channel) and computes M[c] = Sx * Sw[c] / Sy.
  Status AddWeightedOperands(const Node& node, std::span<const float> weights,
                             std::vector<int32_t> shape, std::span<const float> bias,
                             const ActivationQuant& x, const ActivationQuant& y,
                             WeightedOperands* out) {
    const WeightBits bits = options_.WeightBitsOf(node.name);
    const int64_t rows = shape[0];
    const int64_t k = static_cast<int64_t>(weights.size()) / rows;
    // A channel whose weights are tiny against its bias (a BatchNormalization with a
    // near-zero gamma folded in) would need a bias beyond int32 at that weight scale:
    // its scale grows until the bias fits the accumulator bound below, at the cost of
    // weights that hardly matter to that channel's output.
    QuantizedWeights q =
        QuantizePerChannel(weights, rows, bits, BiasScaleFloor(bias, x.scale, k, bits));

    NodeReport& entry = report_.nodes.back();
    std::vector<int32_t> qbias(static_cast<size_t>(rows), 0);
    int64_t max_bias = 0;
    out->requant.resize(qbias.size());
    for (size_t c = 0; c < qbias.size(); ++c) {
      const double accumulator_scale = double{x.scale} * q.scales[c];
      if (!bias.empty()) {
        bool saturated = false;
        qbias[c] = QuantizeBias(bias[c], accumulator_scale, &saturated);
        entry.saturated_bias += saturated ? 1 : 0;
      }
      max_bias = std::max(max_bias, std::abs(int64_t{qbias[c]}));
      QRT_RETURN_IF_ERROR(ToDyadic(accumulator_scale / y.scale, node,
                                   "output multiplier of channel " + std::to_string(c),
                                   &out->requant[c]));
    }
    // The format's accumulator bound (docs/format.md, "Weights and bias"); the int4
    // bound uses 8 although the weights stay within 7, as the loader does.
    const int64_t bound = k * 255 * (bits == WeightBits::kInt4 ? 8 : 127) + max_bias;
    if (bound >= (int64_t{1} << 31)) {
      return Status(StatusCode::kBadShape,
                    node.Describe() + ": the int32 accumulator could overflow (K = " +
                        std::to_string(k) + ", largest |bias| " + std::to_string(max_bias) + ")");
    }
    const std::string base = BaseName(node);
    out->weights = bits == WeightBits::kInt4
                       ? builder_.AddInt4Weights(UniqueName(base + "/weights"), std::move(shape),
                                                 q.values, q.scales)
                       : builder_.AddInt8Weights(UniqueName(base + "/weights"), std::move(shape),
                                                 q.values, q.scales);
    out->bias = builder_.AddBias(UniqueName(base + "/bias"), qbias);
    entry.weight_bits = bits == WeightBits::kInt4 ? 4 : 8;
    for (int32_t t : {out->weights, out->bias}) {
      const uint32_t buffer = builder_.model().tensors[t]->buffer;
      entry.weight_bytes += static_cast<int64_t>(builder_.model().buffers[buffer]->data.size());
    }
    return Status::Ok();
  }

  Status EmitNode(const Node& node) {
    for (size_t i = 1; i < node.outputs.size(); ++i) {
      const std::string& extra = node.outputs[i];
      if (!extra.empty() && (!graph_.Consumers(extra).empty() || IsGraphOutput(extra))) {
        return Unsupported(node, "output '" + extra + "' is used; only the first is supported");
      }
    }
    const std::string_view op = node.op_type;
    if (GetFusedClamp(node) && (kUnclampedOps.count(op) || kReshapeOps.count(op))) {
      return Unsupported(node, "a fused activation on this operator is not supported");
    }
    if (op == "Conv") return EmitConv(node);
    if (op == "ConvTranspose") return EmitConvTranspose(node);
    if (op == "MatMul" && Constant(node, 1) == nullptr) return EmitBatchMatMul(node);
    if (op == "Gemm" || op == "MatMul") return EmitFullyConnected(node);
    if (op == "LayerNormalization") return EmitLayerNorm(node);
    if (op == "Slice") return EmitSlice(node);
    if (kBinaryOps.count(op)) return EmitBinary(node);
    if (kPointwiseOps.count(op)) return EmitLookup(node, 0);
    if (op == "MaxPool" || op == "AveragePool") return EmitPool(node);
    if (op == "GlobalAveragePool" || op == "GlobalMaxPool") return EmitGlobalPool(node);
    if (op == "Concat") return EmitConcat(node);
    if (op == "Transpose") return EmitTranspose(node);
    if (op == "Pad") return EmitPad(node);
    if (op == "Resize") return EmitResize(node);
    if (op == "Softmax") return EmitSoftmax(node);
    return EmitReshape(node);
  }

  Status EmitConv(const Node& node) {
    Value x;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    if (x.shape.size() != 4) return Unsupported(node, "only 2-D convolution is supported");
    const TensorData* w = Constant(node, 1);
    if (w == nullptr || w->shape().size() != 4) {
      return Unsupported(node, "weights must be a constant 4-D initializer");
    }
    const TensorData* b = Constant(node, 2);
    if (node.HasInput(2) && b == nullptr) return Unsupported(node, "bias must be a constant");
    const Shape& ws = w->shape();
    Window win;
    QRT_RETURN_IF_ERROR(ResolveWindow(node, {x.shape[2], x.shape[3]}, {ws[2], ws[3]}, false, &win));
    Value y;
    QRT_RETURN_IF_ERROR(Output(node, &y));
    WeightedOperands operands;
    QRT_RETURN_IF_ERROR(AddWeightedOperands(
        node, OihwToOhwi(w->ToFloats(), ws),
        {static_cast<int32_t>(ws[0]), static_cast<int32_t>(ws[2]), static_cast<int32_t>(ws[3]),
         static_cast<int32_t>(ws[1])},
        b != nullptr ? b->ToFloats() : std::vector<float>{}, x.quant, y.quant, &operands));
    const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
    const Conv2DAttributes attributes{.stride_h = i32(win.strides[0]),
                                      .stride_w = i32(win.strides[1]),
                                      .dilation_h = i32(win.dilations[0]),
                                      .dilation_w = i32(win.dilations[1]),
                                      .pad_top = i32(win.pads_begin[0]),
                                      .pad_left = i32(win.pads_begin[1]),
                                      .pad_bottom = i32(win.pads_end[0]),
                                      .pad_right = i32(win.pads_end[1]),
                                      .groups = i32(node.GetInt("group", 1))};
    Emitted(builder_.Conv2D(x.tensor, operands.weights, operands.bias, y.tensor, attributes,
                            operands.requant, OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  // 2-D, group 1, dilation 1, with explicit pads (or VALID): the runtime's
  // CONV_TRANSPOSE_2D. ONNX's weights [C_in, C_out, KH, KW] become OHWI.
  Status EmitConvTranspose(const Node& node) {
    Value x;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    const TensorData* w = Constant(node, 1);
    if (x.shape.size() != 4 || w == nullptr || w->shape().size() != 4) {
      return Unsupported(node, "only 2-D with constant 4-D weights is supported");
    }
    const TensorData* b = Constant(node, 2);
    if (node.HasInput(2) && b == nullptr) return Unsupported(node, "bias must be a constant");
    const std::vector<int64_t> dilations = node.GetInts("dilations", {1, 1});
    if (node.GetInt("group", 1) != 1 ||
        std::any_of(dilations.begin(), dilations.end(), [](int64_t d) { return d != 1; })) {
      return Unsupported(node, "only group 1 and dilation 1 are supported");
    }
    const std::string auto_pad = node.GetString("auto_pad", "NOTSET");
    if ((auto_pad != "NOTSET" && auto_pad != "VALID") || node.HasAttribute("output_shape")) {
      return Unsupported(node, "auto_pad SAME and output_shape are not supported (give pads)");
    }
    const std::vector<int64_t> strides = node.GetInts("strides", {1, 1});
    const std::vector<int64_t> pads =
        auto_pad == "VALID" ? std::vector<int64_t>(4, 0) : node.GetInts("pads", {0, 0, 0, 0});
    const std::vector<int64_t> output_padding = node.GetInts("output_padding", {0, 0});
    if (strides.size() != 2 || pads.size() != 4 || output_padding.size() != 2) {
      return Unsupported(node, "strides, pads or output_padding do not have 2 spatial dims");
    }
    Value y;
    QRT_RETURN_IF_ERROR(Output(node, &y));
    const Shape& ws = w->shape();
    const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
    WeightedOperands operands;
    QRT_RETURN_IF_ERROR(AddWeightedOperands(
        node, IohwToOhwi(w->ToFloats(), ws), {i32(ws[1]), i32(ws[2]), i32(ws[3]), i32(ws[0])},
        b != nullptr ? b->ToFloats() : std::vector<float>{}, x.quant, y.quant, &operands));
    const ConvTranspose2DAttributes attributes{.stride_h = i32(strides[0]),
                                               .stride_w = i32(strides[1]),
                                               .pad_top = i32(pads[0]),
                                               .pad_left = i32(pads[1]),
                                               .pad_bottom = i32(pads[2]),
                                               .pad_right = i32(pads[3]),
                                               .output_padding_h = i32(output_padding[0]),
                                               .output_padding_w = i32(output_padding[1])};
    Emitted(builder_.ConvTranspose2D(x.tensor, operands.weights, operands.bias, y.tensor,
                                     attributes, operands.requant, OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  // Gemm (A [M, K], constant B, optional constant C broadcast along rows) and MatMul
  // (A [..., K] below rank 4, constant B [K, N]).
  Status EmitFullyConnected(const Node& node) {
    Value a;
    QRT_RETURN_IF_ERROR(Input(node, 0, &a));
    const TensorData* w = Constant(node, 1);
    if (w == nullptr || w->shape().size() != 2) {
      return Unsupported(node, "weights '" + (node.HasInput(1) ? node.inputs[1] : "") +
                                   "' must be a constant 2-D initializer");
    }
    bool trans_b = false;
    std::vector<float> bias;
    if (node.op_type == "Gemm") {
      if (a.shape.size() != 2) return Unsupported(node, "input A must be 2-D");
      if (node.GetInt("transA", 0) != 0) return Unsupported(node, "transA = 1 is not supported");
      if (node.GetFloat("alpha", 1) != 1) return Unsupported(node, "alpha must be 1");
      trans_b = node.GetInt("transB", 0) != 0;
      if (node.HasInput(2)) {
        const TensorData* c = Constant(node, 2);
        const int64_t n = w->shape()[trans_b ? 0 : 1];
        const int64_t count = c != nullptr ? c->num_elements() : -1;
        if (c == nullptr || (count != n && count != 1) ||
            (c->shape().size() == 2 && c->shape()[0] != 1)) {
          return Unsupported(node,
                             "C must be a constant of N or 1 elements, the same for every row");
        }
        if (node.GetFloat("beta", 1) != 1) return Unsupported(node, "beta must be 1");
        bias = c->ToFloats();
        bias.resize(static_cast<size_t>(n), bias[0]);
      }
    } else if (a.shape.size() < 2 || a.shape.size() == 4) {
      return Unsupported(node, "input A must have rank 2, 3, 5 or 6 (4-D activations are NHWC)");
    }
    const int64_t n = w->shape()[trans_b ? 0 : 1];
    const int64_t k = w->shape()[trans_b ? 1 : 0];
    if (a.shape.back() != k) return Unsupported(node, "A's last dim differs from B's K");
    const std::vector<float> weights =
        trans_b ? w->ToFloats() : TransposeMatrix(w->ToFloats(), k, n);
    Value y;
    QRT_RETURN_IF_ERROR(Output(node, &y));
    WeightedOperands operands;
    QRT_RETURN_IF_ERROR(AddWeightedOperands(node, weights,
                                            {static_cast<int32_t>(n), static_cast<int32_t>(k)},
                                            bias, a.quant, y.quant, &operands));
    Emitted(builder_.FullyConnected(a.tensor, operands.weights, operands.bias, y.tensor,
                                    operands.requant, OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  // An operand of lower rank than a 4-D output: ONNX aligns it with NCHW, so it is
  // padded to rank 4 in NCHW order and then laid out as NHWC like the other operand.
  int32_t BroadcastOperand(const Node& node, size_t input, const Value& v, size_t out_rank) {
    if (out_rank != 4 || v.shape.size() == 4) return v.tensor;
    std::vector<int32_t> nchw(4 - v.shape.size(), 1);
    for (int64_t d : v.shape) nchw.push_back(static_cast<int32_t>(d));
    const std::string base = BaseName(node) + "/" + node.inputs[input];
    const int32_t nhwc = NewActivation(base + "/nhwc", PermuteShape(nchw, kNchwToNhwc), v.quant);
    if (PermutationKeepsOrder(nchw, kNchwToNhwc)) {
      Emitted(builder_.Reshape(v.tensor, nhwc));
    } else {
      const int32_t padded = NewActivation(base + "/nchw", nchw, v.quant);
      Emitted(builder_.Reshape(v.tensor, padded));
      Move(padded, kNchwToNhwc, nhwc);
    }
    return nhwc;
  }

  Status EmitBinary(const Node& node) {
    const bool constant0 = Constant(node, 0) != nullptr;
    const bool constant1 = Constant(node, 1) != nullptr;
    if (constant0 && constant1) return Unsupported(node, "both operands are constants");
    if (constant0 || constant1) {
      const TensorData& c = *Constant(node, constant0 ? 0 : 1);
      if (c.num_elements() != 1) {
        return Unsupported(node, "constant operand '" + node.inputs[constant0 ? 0 : 1] + "' (" +
                                     ShapeToString(c.shape()) +
                                     ") is not a scalar; the runtime has no constant "
                                     "activations, only scalars folded into a lookup table");
      }
      return EmitLookup(node, constant0 ? 1 : 0);
    }
    if (node.op_type != "Add" && node.op_type != "Mul") {
      return Unsupported(node, "of two activations is not supported (only Add and Mul)");
    }
    Value a, b, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &a));
    QRT_RETURN_IF_ERROR(Input(node, 1, &b));
    QRT_RETURN_IF_ERROR(Output(node, &y));
    const int32_t ta = BroadcastOperand(node, 0, a, y.shape.size());
    const int32_t tb = BroadcastOperand(node, 1, b, y.shape.size());
    const double sa = a.quant.scale, sb = b.quant.scale, sy = y.quant.scale;
    const ClampBounds clamp = OutputClamp(node, y.quant);
    if (node.op_type == "Mul") {
      kernels::Dyadic m;
      QRT_RETURN_IF_ERROR(ToDyadic(sa * sb / sy, node, "output multiplier", &m));
      Emitted(builder_.Mul(ta, tb, y.tensor, {m}, clamp));
      return Status::Ok();
    }
    const double twice_max = 2 * std::max(sa, sb);
    std::vector<kernels::Dyadic> requant(3);
    QRT_RETURN_IF_ERROR(ToDyadic(sa / twice_max, node, "multiplier of input A", &requant[0]));
    QRT_RETURN_IF_ERROR(ToDyadic(sb / twice_max, node, "multiplier of input B", &requant[1]));
    QRT_RETURN_IF_ERROR(ToDyadic(twice_max / (std::ldexp(1.0, kDefaultAddLeftShift) * sy), node,
                                 "output multiplier", &requant[2]));
    Emitted(builder_.Add(ta, tb, y.tensor, requant, clamp));
    return Status::Ok();
  }

  // Any pointwise function of input `activation_input`, its other inputs constants.
  Status EmitLookup(const Node& node, size_t activation_input) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, activation_input, &x, Layout::kAny));
    QRT_RETURN_IF_ERROR(Output(node, &y, x.onnx_order));
    if (y.shape != x.shape) {
      return Unsupported(node, "a constant operand changes the output shape");
    }
    std::vector<const TensorData*> operands(node.inputs.size(), nullptr);
    for (size_t i = 0; i < operands.size(); ++i) {
      if (i == activation_input || !node.HasInput(i)) continue;
      operands[i] = Constant(node, i);
      if (operands[i] == nullptr) {
        return Unsupported(node, "input '" + node.inputs[i] + "' must be a constant");
      }
    }
    const ClampBounds clamp = OutputClamp(node, y.quant);
    if (const auto hard = HardActivationParameters(node, x.quant, y.quant, clamp.lo, clamp.hi)) {
      Emitted(builder_.HardActivationLookup(x.tensor, y.tensor, *hard));
      return Status::Ok();
    }
    std::vector<int8_t> table;
    QRT_RETURN_IF_ERROR(BuildLookupTable(node, graph_.opset_version, activation_input, operands,
                                         x.quant, y.quant,
                                         GetFusedClamp(node).value_or(FusedClamp{}), &table));
    Emitted(builder_.Lookup(x.tensor, y.tensor, std::move(table)));
    return Status::Ok();
  }

  Status EmitPool(const Node& node) {
    Value x;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    const std::vector<int64_t> kernel = node.GetInts("kernel_shape");
    if (x.shape.size() != 4 || kernel.size() != 2) {
      return Unsupported(node, "only 2-D pooling is supported");
    }
    for (int64_t d : node.GetInts("dilations")) {
      if (d != 1) return Unsupported(node, "dilated pooling is not supported");
    }
    Window win;
    const bool ceil_mode = node.GetInt("ceil_mode", 0) != 0;
    QRT_RETURN_IF_ERROR(ResolveWindow(node, {x.shape[2], x.shape[3]}, kernel, ceil_mode, &win));
    Value y;
    QRT_RETURN_IF_ERROR(Output(node, &y));
    const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
    // The runtime's output size rounds down; ceil mode becomes extra bottom/right
    // padding that makes it come out the same.
    int64_t extra[2];
    for (int i = 0; i < 2; ++i) {
      const int64_t needed = (win.out[i] - 1) * win.strides[i] + kernel[i] - x.shape[2 + i] -
                             win.pads_begin[i] - win.pads_end[i];
      extra[i] = std::max<int64_t>(needed, 0);
    }
    Pool2DAttributes attributes{.kernel_h = i32(kernel[0]),
                                .kernel_w = i32(kernel[1]),
                                .stride_h = i32(win.strides[0]),
                                .stride_w = i32(win.strides[1]),
                                .pad_top = i32(win.pads_begin[0]),
                                .pad_left = i32(win.pads_begin[1]),
                                .pad_bottom = i32(win.pads_end[0] + extra[0]),
                                .pad_right = i32(win.pads_end[1] + extra[1]),
                                .count_include_pad = node.GetInt("count_include_pad", 0) != 0};
    const ClampBounds clamp = OutputClamp(node, y.quant);
    int32_t input = x.tensor;
    if (node.op_type == "AveragePool" && attributes.count_include_pad &&
        (extra[0] > 0 || extra[1] > 0)) {
      // ONNX divides by the count inside the explicit pads but not the ceil-mode
      // overhang, which the runtime's count_include_pad would include. Materializing
      // the explicit pads as real zeros (Zx) and counting only valid positions gives
      // exactly ONNX's divisor.
      const std::vector<int32_t> begin = {0, attributes.pad_top, attributes.pad_left, 0};
      const std::vector<int32_t> end = {0, i32(win.pads_end[0]), i32(win.pads_end[1]), 0};
      std::vector<int32_t> padded_shape = RuntimeShapeOf(x.tensor);
      for (int d = 0; d < 4; ++d) padded_shape[d] += begin[d] + end[d];
      input = NewActivation(BaseName(node) + "/padded", padded_shape, x.quant);
      Emitted(builder_.Pad(x.tensor, input, begin, end, static_cast<int8_t>(x.quant.zero_point)));
      attributes.pad_top = attributes.pad_left = 0;
      attributes.pad_bottom = i32(extra[0]);
      attributes.pad_right = i32(extra[1]);
      attributes.count_include_pad = false;
    }
    if (attributes.pad_top >= attributes.kernel_h || attributes.pad_bottom >= attributes.kernel_h ||
        attributes.pad_left >= attributes.kernel_w || attributes.pad_right >= attributes.kernel_w) {
      return Unsupported(node, "padding must be smaller than the kernel");
    }
    if (node.op_type == "MaxPool") {
      Emitted(builder_.MaxPool2D(input, y.tensor, attributes, clamp));
      return Status::Ok();
    }
    std::vector<kernels::Dyadic> requant(static_cast<size_t>(kernel[0] * kernel[1]));
    for (size_t n = 1; n <= requant.size(); ++n) {
      QRT_RETURN_IF_ERROR(
          ToDyadic(double{x.quant.scale} / (double{y.quant.scale} * static_cast<double>(n)), node,
                   "multiplier for " + std::to_string(n) + " positions", &requant[n - 1]));
    }
    Emitted(builder_.AveragePool2D(input, y.tensor, attributes, requant, clamp));
    return Status::Ok();
  }

  Status EmitGlobalPool(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    if (x.shape.size() != 4) return Unsupported(node, "only 4-D inputs are supported");
    QRT_RETURN_IF_ERROR(Output(node, &y));
    const ClampBounds clamp = OutputClamp(node, y.quant);
    if (node.op_type == "GlobalMaxPool") {
      const Pool2DAttributes plane{.kernel_h = static_cast<int32_t>(x.shape[2]),
                                   .kernel_w = static_cast<int32_t>(x.shape[3])};
      Emitted(builder_.MaxPool2D(x.tensor, y.tensor, plane, clamp));
      return Status::Ok();
    }
    kernels::Dyadic m;
    const double count = static_cast<double>(x.shape[2] * x.shape[3]);
    QRT_RETURN_IF_ERROR(
        ToDyadic(double{x.quant.scale} / (double{y.quant.scale} * count), node, "multiplier", &m));
    Emitted(builder_.GlobalAveragePool(x.tensor, y.tensor, {m}, clamp));
    return Status::Ok();
  }

  Status EmitConcat(const Node& node) {
    Value y;
    QRT_RETURN_IF_ERROR(Output(node, &y));
    const auto rank = static_cast<int64_t>(y.shape.size());
    int64_t axis = node.GetInt("axis", 0);
    if (axis < 0) axis += rank;
    if (axis < 0 || axis >= rank) return Unsupported(node, "axis out of range");
    std::vector<int32_t> inputs;
    std::vector<kernels::Dyadic> requant;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      Value x;
      QRT_RETURN_IF_ERROR(Input(node, i, &x));
      kernels::Dyadic m;
      QRT_RETURN_IF_ERROR(ToDyadic(double{x.quant.scale} / y.quant.scale, node,
                                   "multiplier of input " + std::to_string(i), &m));
      inputs.push_back(x.tensor);
      requant.push_back(m);
    }
    Emitted(builder_.Concat(inputs, y.tensor, RuntimeAxis(axis, y.shape.size()), requant));
    return Status::Ok();
  }

  // RESHAPE copies bytes in order, and ONNX's order is NCHW: a 4-D NHWC input is
  // transposed to NCHW first, unless that would not move any byte. A 4-D output stays
  // in ONNX order when the input was not NHWC (attention's head splits), otherwise it
  // goes back to NHWC after.
  Status EmitReshape(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, Layout::kAny));
    if (x.shape.size() != 4 || x.onnx_order) {
      QRT_RETURN_IF_ERROR(Output(node, &y, /*onnx_order=*/true));
      Emitted(builder_.Reshape(x.tensor, y.tensor));
      return Status::Ok();
    }
    QRT_RETURN_IF_ERROR(Output(node, &y));
    int32_t source = x.tensor;
    if (x.shape.size() == 4 && x.shape != y.shape &&
        !PermutationKeepsOrder(RuntimeShapeOf(x.tensor), kNhwcToNchw)) {
      source = NewActivation(BaseName(node) + "/nchw", ToInt32(x.shape), x.quant);
      Emitted(
          builder_.Transpose(x.tensor, source, {std::begin(kNhwcToNchw), std::end(kNhwcToNchw)}));
    }
    if (y.shape.size() == 4 && x.shape != y.shape &&
        !PermutationKeepsOrder(ToInt32(y.shape), kNchwToNhwc)) {
      const int32_t nchw = NewActivation(BaseName(node) + "/nchw_out", ToInt32(y.shape), y.quant);
      Emitted(builder_.Reshape(source, nchw));
      Emitted(builder_.Transpose(nchw, y.tensor, {std::begin(kNchwToNhwc), std::end(kNchwToNhwc)}));
    } else {
      Emitted(builder_.Reshape(source, y.tensor));
    }
    return Status::Ok();
  }

  // ONNX perm p acts on ONNX dims; runtime dim d of the input holds ONNX dim Lx[d] and
  // of the output Ly[d], so the runtime permutation is Lx^-1[p[Ly[d]]]. The output
  // keeps the input's layout, unless the other one makes the move a plain copy.
  Status EmitTranspose(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, Layout::kAny));
    const size_t rank = x.shape.size();
    std::vector<int64_t> perm = node.GetInts("perm");
    if (perm.empty()) {
      for (size_t d = rank; d-- > 0;) perm.push_back(static_cast<int64_t>(d));
    }
    const std::vector<int32_t> inverse = InversePermutation(DimsOf(rank, x.onnx_order));
    const auto runtime_perm = [&](bool onnx_order) {
      const std::vector<int32_t> dims = DimsOf(rank, onnx_order);
      std::vector<int32_t> result;
      for (size_t d = 0; d < rank; ++d) result.push_back(inverse[perm[dims[d]]]);
      return result;
    };
    const bool other_is_copy =
        rank == 4 && PermutationKeepsOrder(RuntimeShapeOf(x.tensor), runtime_perm(!x.onnx_order));
    const bool onnx_order = other_is_copy ? !x.onnx_order : x.onnx_order;
    QRT_RETURN_IF_ERROR(Output(node, &y, onnx_order));
    Move(x.tensor, runtime_perm(onnx_order), y.tensor);
    return Status::Ok();
  }

  // Q * K^T and P * V of attention: two activations in ONNX order.
  Status EmitBatchMatMul(const Node& node) {
    Value a, b, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &a, Layout::kOnnx));
    QRT_RETURN_IF_ERROR(Input(node, 1, &b, Layout::kOnnx));
    if (a.shape.size() < 2 || b.shape.size() < 2) {
      return Unsupported(node, "operands of rank 1 are not supported");
    }
    if (a.shape.back() * 255 * 255 >= (int64_t{1} << 31)) {
      return Status(StatusCode::kBadShape, node.Describe() +
                                               ": the int32 accumulator could overflow (K = " +
                                               std::to_string(a.shape.back()) + ")");
    }
    QRT_RETURN_IF_ERROR(Output(node, &y, /*onnx_order=*/true));
    kernels::Dyadic m;
    QRT_RETURN_IF_ERROR(ToDyadic(double{a.quant.scale} * b.quant.scale / y.quant.scale, node,
                                 "output multiplier", &m));
    Emitted(builder_.BatchMatMul(a.tensor, b.tensor, y.tensor, /*transpose_b=*/false, {m},
                                 OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  // Normalizes ONNX's last axis, so the input is read in ONNX order.
  Status EmitLayerNorm(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, Layout::kOnnx));
    const TensorData* gamma = Constant(node, 1);
    const TensorData* beta = Constant(node, 2);
    const int64_t depth = x.shape.empty() ? 0 : x.shape.back();
    const int64_t axis = node.GetInt("axis", -1);
    if ((axis != -1 && axis != static_cast<int64_t>(x.shape.size()) - 1) || gamma == nullptr ||
        gamma->num_elements() != depth || (node.HasInput(2) && beta == nullptr) ||
        (beta != nullptr && beta->num_elements() != depth)) {
      return Unsupported(node,
                         "only normalization over the last axis with constant per-channel "
                         "scale and bias is supported");
    }
    QRT_RETURN_IF_ERROR(Output(node, &y, /*onnx_order=*/true));
    QuantizedLayerNorm q;
    QRT_RETURN_IF_ERROR(QuantizeLayerNorm(node, gamma->ToFloats(),
                                          beta != nullptr ? beta->ToFloats() : std::vector<float>{},
                                          node.GetFloat("epsilon", 1e-5f), x.quant, y.quant, &q));
    const std::string base = BaseName(node);
    const auto d = static_cast<int32_t>(depth);
    const int32_t gamma_tensor = builder_.AddInt8Weights(UniqueName(base + "/gamma"), {d}, q.gamma,
                                                         std::vector<float>(q.gamma.size(), 1.0f));
    const int32_t beta_tensor = builder_.AddBias(UniqueName(base + "/beta"), q.beta);
    Emitted(builder_.LayerNorm(x.tensor, gamma_tensor, beta_tensor, y.tensor, q.epsilon, q.requant,
                               OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  // Strided copy in whichever layout the input has; ONNX's begin and step per axis
  // follow the runtime dims.
  Status EmitSlice(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, Layout::kAny));
    std::vector<ValueInfo> inputs(node.inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      inputs[i].present = node.HasInput(i);
      inputs[i].value = Constant(node, i);
    }
    inputs[0].shape = x.shape;
    SliceParams params;
    bool known = false;
    QRT_RETURN_IF_ERROR(ResolveSlice(node, graph_.opset_version, inputs, &params, &known));
    if (!known) return Unsupported(node, "starts, ends, axes and steps must be constants");
    QRT_RETURN_IF_ERROR(Output(node, &y, x.onnx_order));
    std::vector<int32_t> begin, step;
    for (int32_t d : DimsOf(x.shape.size(), x.onnx_order)) {
      begin.push_back(static_cast<int32_t>(params.starts[static_cast<size_t>(d)]));
      step.push_back(static_cast<int32_t>(params.steps[static_cast<size_t>(d)]));
    }
    Emitted(builder_.Slice(x.tensor, y.tensor, std::move(begin), std::move(step)));
    return Status::Ok();
  }

  Status EmitPad(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    if (node.GetString("mode", "constant") != "constant") {
      return Unsupported(node, "only constant padding is supported");
    }
    std::vector<int64_t> pads = node.GetInts("pads");
    float value = node.GetFloat("value", 0);
    if (graph_.opset_version >= 11) {
      const TensorData* p = Constant(node, 1);
      const TensorData* v = Constant(node, 2);
      if (p == nullptr || (node.HasInput(2) && v == nullptr) || node.HasInput(3)) {
        return Unsupported(node, "pads and constant_value must be constants, without axes");
      }
      pads = p->ToInt64s();
      if (v != nullptr) value = v->ToFloats().at(0);
    }
    const size_t rank = x.shape.size();
    if (pads.size() != 2 * rank) return Unsupported(node, "pads must list every dim");
    if (std::any_of(pads.begin(), pads.end(), [](int64_t p) { return p < 0; })) {
      return Unsupported(node, "negative pads are not supported");
    }
    const int8_t pad_value = QuantizeValue(value, x.quant);
    const double padded_real = double{x.quant.scale} * (pad_value - x.quant.zero_point);
    if (std::abs(padded_real - value) > x.quant.scale) {
      return Unsupported(
          node, "pad value " + std::to_string(value) + " is outside the input's quantized range");
    }
    QRT_RETURN_IF_ERROR(Output(node, &y));
    std::vector<int32_t> begin, end;
    for (int32_t d : OnnxDimsOf(rank)) {
      begin.push_back(static_cast<int32_t>(pads[d]));
      end.push_back(static_cast<int32_t>(pads[rank + d]));
    }
    Emitted(builder_.Pad(x.tensor, y.tensor, begin, end, pad_value));
    return Status::Ok();
  }

  Status EmitResize(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x));
    QRT_RETURN_IF_ERROR(Output(node, &y));
    if (node.GetString("mode", "nearest") != "nearest") {
      return Unsupported(node, "only mode 'nearest' is supported");
    }
    if (x.shape.size() != 4 || y.shape[0] != x.shape[0] || y.shape[1] != x.shape[1] ||
        node.HasAttribute("axes")) {
      return Unsupported(node, "only the spatial dims of a 4-D input may be resized");
    }
    // The runtime maps coordinates with the exact ratio in / out; ONNX uses the
    // scale, which is the same only when scale * in is the output length.
    const size_t scales_at = graph_.opset_version < 11 ? 1 : 2;
    if (node.HasInput(scales_at) && !node.HasInput(scales_at + 1)) {
      const TensorData* scales = Constant(node, scales_at);
      if (scales == nullptr || scales->num_elements() != 4) {
        return Unsupported(node, "scales must be a constant with one entry per dim");
      }
      const std::vector<float> s = scales->ToFloats();
      for (int d = 2; d < 4; ++d) {
        if (double{s[d]} * static_cast<double>(x.shape[d]) != static_cast<double>(y.shape[d])) {
          return Unsupported(node, "scale " + std::to_string(s[d]) +
                                       " gives a fractional output length (give sizes)");
        }
      }
    }
    const std::string transform = node.GetString(
        "coordinate_transformation_mode", graph_.opset_version < 11 ? "asymmetric" : "half_pixel");
    schema::CoordinateTransform coordinates;
    if (transform == "asymmetric") {
      coordinates = schema::CoordinateTransform::ASYMMETRIC;
    } else if (transform == "align_corners") {
      coordinates = schema::CoordinateTransform::ALIGN_CORNERS;
    } else if (transform == "half_pixel" ||
               (transform == "pytorch_half_pixel" && y.shape[2] > 1 && y.shape[3] > 1)) {
      // pytorch_half_pixel is half_pixel except for an output length of 1.
      coordinates = schema::CoordinateTransform::HALF_PIXEL;
    } else {
      return Unsupported(node, "coordinate_transformation_mode '" + transform + "'");
    }
    const std::string nearest = node.GetString("nearest_mode", "round_prefer_floor");
    schema::NearestRounding rounding;
    if (nearest == "round_prefer_floor") {
      rounding = schema::NearestRounding::ROUND_PREFER_FLOOR;
    } else if (nearest == "round_prefer_ceil") {
      rounding = schema::NearestRounding::ROUND_PREFER_CEIL;
    } else if (nearest == "floor") {
      rounding = schema::NearestRounding::FLOOR;
    } else if (nearest == "ceil") {
      rounding = schema::NearestRounding::CEIL;
    } else {
      return Unsupported(node, "nearest_mode '" + nearest + "'");
    }
    Emitted(builder_.ResizeNearest(x.tensor, y.tensor, coordinates, rounding));
    return Status::Ok();
  }

  // SOFTMAX runs along the runtime's last axis; the ONNX axes reduced over must be
  // that one (size-1 dims aside). Before opset 13 ONNX reduces over every axis from
  // `axis` on.
  Status EmitSoftmax(const Node& node) {
    Value x, y;
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, Layout::kAny));
    const auto rank = static_cast<int64_t>(x.shape.size());
    const bool old = graph_.opset_version < 13;
    int64_t axis = node.GetInt("axis", old ? 1 : -1);
    if (axis < 0) axis += rank;
    // Whether the reduced axes are the runtime's last one in that layout.
    const auto along_last = [&](bool onnx_order) {
      const int64_t last = DimsOf(x.shape.size(), onnx_order).back();
      bool ok = axis >= 0 && axis < rank;
      bool reduces_last = false;
      for (int64_t d = axis; ok && d < (old ? rank : axis + 1); ++d) {
        reduces_last = reduces_last || d == last;
        ok = d == last || x.shape[d] == 1;
      }
      return ok && (reduces_last || x.shape[last] == 1);
    };
    bool onnx_order = x.onnx_order;
    if (!along_last(onnx_order) && rank == 4) onnx_order = !onnx_order;
    if (!along_last(onnx_order)) {
      return Unsupported(node, "softmax over axis " + std::to_string(axis) + " of " +
                                   ShapeToString(x.shape) +
                                   " is not along the runtime's last (channel) axis");
    }
    QRT_RETURN_IF_ERROR(Input(node, 0, &x, onnx_order ? Layout::kOnnx : Layout::kRuntime));
    QRT_RETURN_IF_ERROR(Output(node, &y, onnx_order));
    kernels::Dyadic m;
    QRT_RETURN_IF_ERROR(
        ToDyadic(1.0 / (double{y.quant.scale} * std::ldexp(1.0, 30)), node, "multiplier", &m));
    Emitted(builder_.Softmax(x.tensor, y.tensor, SoftmaxExpTable(x.quant.scale), {m},
                             OutputClamp(node, y.quant)));
    return Status::Ok();
  }

  const Graph& graph_;
  const ActivationQuantMap quant_;
  const QuantizeOptions& options_;
  ModelBuilder& builder_;
  EmitReport& report_;
  std::map<std::string, Value> values_;  // ONNX tensor name -> emitted activation
  // Rank-4 activations moved to the layout other than values_'s, by ONNX name.
  std::map<std::string, Value> other_layout_;
  std::set<std::string> used_names_;
  const Node* node_ = nullptr;  // the node being emitted; null at the graph boundary
};

}  // namespace

Status EmitQuantizedModel(const Graph& graph, const ActivationQuantMap& activation_quant,
                          const QuantizeOptions& options, ModelBuilder* builder,
                          EmitReport* report) {
  ActivationQuantMap shared = activation_quant;
  // Softmax outputs lie in [0, 1]: the full int8 range with step 1/256 serves every
  // softmax, calibrated or not (attention probabilities, the final class scores).
  for (const Node& node : graph.nodes) {
    if (node.op_type == "Softmax" && !node.outputs.empty()) {
      shared[node.outputs[0]] = ActivationQuant{1.0f / 256, -128};
    }
  }
  ShareQuantization(graph, &shared);
  *report = {};
  return Emitter(graph, std::move(shared), options, builder, report).Run();
}

}  // namespace qrt::converter
