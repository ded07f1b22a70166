#include "qrt/schema/model_builder.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <map>
#include <span>

#include "atomic_file.h"
#include "qrt/kernels/int4.h"

namespace qrt {
namespace {

using schema::OperatorType;

// Misuse of a helper's documented precondition: a bug in the calling code, which
// no Status could make recoverable.
[[noreturn]] void Fail(const std::string& message) {
  std::fprintf(stderr, "qrt::ModelBuilder: %s\n", message.c_str());
  std::abort();
}

// Multipliers whose low schema::kMantissaShift bits are all zero are written as 16-bit
// mantissas (schema version 3), which is lossless; any other is written in full.
std::unique_ptr<schema::RequantizationT> MakeRequant(const std::vector<kernels::Dyadic>& dyadics) {
  auto requant = std::make_unique<schema::RequantizationT>();
  const bool mantissas = std::all_of(dyadics.begin(), dyadics.end(), [](const kernels::Dyadic& d) {
    return d.multiplier % (int32_t{1} << schema::kMantissaShift) == 0;
  });
  for (const kernels::Dyadic& d : dyadics) {
    if (mantissas) {
      requant->mantissa.push_back(static_cast<uint16_t>(d.multiplier >> schema::kMantissaShift));
    } else {
      requant->multiplier.push_back(d.multiplier);
    }
    requant->shift.push_back(static_cast<int8_t>(d.shift));
  }
  return requant;
}

std::unique_ptr<schema::Clamp> MakeClamp(ClampBounds clamp) {
  return std::make_unique<schema::Clamp>(clamp.lo, clamp.hi);
}

// Weights are symmetric, so no zero_point is written: absent means all 0
// (docs/format.md), and a vector of zeros would cost 4 bytes per channel.
std::unique_ptr<schema::QuantizationT> ChannelQuantization(std::vector<float> scales) {
  auto q = std::make_unique<schema::QuantizationT>();
  q->scale = std::move(scales);
  q->quantized_dimension = 0;
  return q;
}

template <typename Options>
schema::OperatorOptionsUnion Wrap(Options options) {
  schema::OperatorOptionsUnion u;
  u.Set(std::move(options));
  return u;
}

schema::OperatorOptionsUnion PoolOptions(const Pool2DAttributes& a,
                                         std::unique_ptr<schema::RequantizationT> requant,
                                         ClampBounds clamp) {
  schema::Pool2DOptionsT o;
  o.kernel_h = a.kernel_h;
  o.kernel_w = a.kernel_w;
  o.stride_h = a.stride_h;
  o.stride_w = a.stride_w;
  o.pad_top = a.pad_top;
  o.pad_left = a.pad_left;
  o.pad_bottom = a.pad_bottom;
  o.pad_right = a.pad_right;
  o.count_include_pad = a.count_include_pad;
  o.requant = std::move(requant);
  o.clamp = MakeClamp(clamp);
  return Wrap(std::move(o));
}

}  // namespace

ModelBuilder::ModelBuilder() {
  model_.schema_version = schema::kSchemaVersion;
  model_.buffers.push_back(std::make_unique<schema::BufferT>());
  model_.metadata = std::make_unique<schema::MetadataT>();
  model_.metadata->producer = "qrt";
}

uint32_t ModelBuilder::AddBuffer(std::vector<uint8_t> data) {
  auto buffer = std::make_unique<schema::BufferT>();
  buffer->data = std::move(data);
  model_.buffers.push_back(std::move(buffer));
  return static_cast<uint32_t>(model_.buffers.size() - 1);
}

int32_t ModelBuilder::AddTensor(std::string name, std::vector<int32_t> shape,
                                schema::ElementType type, uint32_t buffer,
                                std::unique_ptr<schema::QuantizationT> quantization) {
  auto tensor = std::make_unique<schema::TensorT>();
  tensor->name = std::move(name);
  tensor->shape = std::move(shape);
  tensor->type = type;
  tensor->buffer = buffer;
  tensor->quantization = std::move(quantization);
  model_.tensors.push_back(std::move(tensor));
  return static_cast<int32_t>(model_.tensors.size() - 1);
}

int32_t ModelBuilder::AddActivation(std::string name, std::vector<int32_t> shape, float scale,
                                    int32_t zero_point) {
  const int32_t tensor =
      AddTensor(std::move(name), std::move(shape), schema::ElementType::INT8, 0, nullptr);
  model_.tensors.back()->scale = scale;
  model_.tensors.back()->zero_point = zero_point;
  return tensor;
}

int32_t ModelBuilder::AddFloatTensor(std::string name, std::vector<int32_t> shape) {
  return AddTensor(std::move(name), std::move(shape), schema::ElementType::FLOAT32, 0, nullptr);
}

int32_t ModelBuilder::AddInt8Weights(std::string name, std::vector<int32_t> shape,
                                     const std::vector<int8_t>& values, std::vector<float> scales) {
  std::vector<uint8_t> bytes(values.size());
  std::memcpy(bytes.data(), values.data(), values.size());
  return AddConstant(std::move(name), std::move(shape), schema::ElementType::INT8, std::move(bytes),
                     ChannelQuantization(std::move(scales)));
}

int32_t ModelBuilder::AddInt4Weights(std::string name, std::vector<int32_t> shape,
                                     const std::vector<int8_t>& values, std::vector<float> scales) {
  // Rows are the first dimension; a scalar is one row of one value.
  int64_t rows = 1;
  int64_t k = 1;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] < 0) Fail("int4 weights '" + name + "' have a negative dimension");
    (d == 0 ? rows : k) *= shape[d];
  }
  if (static_cast<int64_t>(values.size()) != rows * k) {
    Fail("int4 weights '" + name + "' have " + std::to_string(values.size()) + " values for " +
         std::to_string(rows * k) + " elements");
  }
  const size_t row_bytes = kernels::Int4RowBytes(static_cast<size_t>(k));
  std::vector<uint8_t> bytes(static_cast<size_t>(rows) * row_bytes, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < -8 || values[i] > 7) {
      Fail("int4 weights '" + name + "' hold " + std::to_string(values[i]) + " at element " +
           std::to_string(i) + ", outside [-8, 7]");
    }
    const size_t r = i / static_cast<size_t>(k);
    kernels::Int4Set(bytes.data() + r * row_bytes, i % static_cast<size_t>(k), values[i]);
  }
  return AddConstant(std::move(name), std::move(shape), schema::ElementType::INT4, std::move(bytes),
                     ChannelQuantization(std::move(scales)));
}

int32_t ModelBuilder::AddBias(std::string name, const std::vector<int32_t>& values) {
  const bool fits_int16 = std::all_of(values.begin(), values.end(), [](int32_t v) {
    return v >= std::numeric_limits<int16_t>::min() && v <= std::numeric_limits<int16_t>::max();
  });
  std::vector<uint8_t> bytes;
  if (fits_int16) {
    const std::vector<int16_t> narrow(values.begin(), values.end());
    bytes.resize(narrow.size() * sizeof(int16_t));
    std::memcpy(bytes.data(), narrow.data(), bytes.size());
  } else {
    bytes.resize(values.size() * sizeof(int32_t));
    std::memcpy(bytes.data(), values.data(), bytes.size());
  }
  return AddConstant(std::move(name), {static_cast<int32_t>(values.size())},
                     fits_int16 ? schema::ElementType::INT16 : schema::ElementType::INT32,
                     std::move(bytes));
}

int32_t ModelBuilder::AddConstant(std::string name, std::vector<int32_t> shape,
                                  schema::ElementType type, std::vector<uint8_t> bytes,
                                  std::unique_ptr<schema::QuantizationT> quantization) {
  const uint32_t buffer = AddBuffer(std::move(bytes));
  return AddTensor(std::move(name), std::move(shape), type, buffer, std::move(quantization));
}

int32_t ModelBuilder::AddOperator(OperatorType type, std::vector<int32_t> inputs,
                                  std::vector<int32_t> outputs,
                                  schema::OperatorOptionsUnion options) {
  auto op = std::make_unique<schema::OperatorT>();
  op->type = type;
  op->inputs = std::move(inputs);
  op->outputs = std::move(outputs);
  op->options = std::move(options);
  model_.operators.push_back(std::move(op));
  return static_cast<int32_t>(model_.operators.size() - 1);
}

int32_t ModelBuilder::Conv2D(int32_t input, int32_t weights, int32_t bias, int32_t output,
                             const Conv2DAttributes& attributes,
                             const std::vector<kernels::Dyadic>& requant, ClampBounds clamp) {
  schema::Conv2DOptionsT o;
  o.stride_h = attributes.stride_h;
  o.stride_w = attributes.stride_w;
  o.dilation_h = attributes.dilation_h;
  o.dilation_w = attributes.dilation_w;
  o.pad_top = attributes.pad_top;
  o.pad_left = attributes.pad_left;
  o.pad_bottom = attributes.pad_bottom;
  o.pad_right = attributes.pad_right;
  o.groups = attributes.groups;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::CONV_2D, {input, weights, bias}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::FullyConnected(int32_t input, int32_t weights, int32_t bias, int32_t output,
                                     const std::vector<kernels::Dyadic>& requant,
                                     ClampBounds clamp) {
  schema::FullyConnectedOptionsT o;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::FULLY_CONNECTED, {input, weights, bias}, {output},
                     Wrap(std::move(o)));
}

int32_t ModelBuilder::Add(int32_t a, int32_t b, int32_t output,
                          const std::vector<kernels::Dyadic>& requant, ClampBounds clamp,
                          int32_t left_shift) {
  schema::AddOptionsT o;
  o.left_shift = left_shift;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::ADD, {a, b}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Mul(int32_t a, int32_t b, int32_t output,
                          const std::vector<kernels::Dyadic>& requant, ClampBounds clamp) {
  schema::MulOptionsT o;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::MUL, {a, b}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::MaxPool2D(int32_t input, int32_t output, const Pool2DAttributes& attributes,
                                ClampBounds clamp) {
  return AddOperator(OperatorType::MAX_POOL_2D, {input}, {output},
                     PoolOptions(attributes, nullptr, clamp));
}

int32_t ModelBuilder::AveragePool2D(int32_t input, int32_t output,
                                    const Pool2DAttributes& attributes,
                                    const std::vector<kernels::Dyadic>& requant,
                                    ClampBounds clamp) {
  return AddOperator(OperatorType::AVERAGE_POOL_2D, {input}, {output},
                     PoolOptions(attributes, MakeRequant(requant), clamp));
}

int32_t ModelBuilder::GlobalAveragePool(int32_t input, int32_t output,
                                        const std::vector<kernels::Dyadic>& requant,
                                        ClampBounds clamp) {
  // The window is the input plane whatever the geometry fields say; the defaults
  // (a 1 x 1 window) keep "kernel_h * kernel_w requant entries" true for its one.
  return AddOperator(OperatorType::GLOBAL_AVERAGE_POOL, {input}, {output},
                     PoolOptions(Pool2DAttributes{}, MakeRequant(requant), clamp));
}

int32_t ModelBuilder::Concat(const std::vector<int32_t>& inputs, int32_t output, int32_t axis,
                             const std::vector<kernels::Dyadic>& requant) {
  schema::ConcatOptionsT o;
  o.axis = axis;
  o.requant = MakeRequant(requant);
  return AddOperator(OperatorType::CONCAT, inputs, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Reshape(int32_t input, int32_t output) {
  return AddOperator(OperatorType::RESHAPE, {input}, {output}, Wrap(schema::ReshapeOptionsT{}));
}

int32_t ModelBuilder::Transpose(int32_t input, int32_t output, std::vector<int32_t> perm) {
  schema::TransposeOptionsT o;
  o.perm = std::move(perm);
  return AddOperator(OperatorType::TRANSPOSE, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Pad(int32_t input, int32_t output, std::vector<int32_t> pads_begin,
                          std::vector<int32_t> pads_end, int8_t pad_value) {
  schema::PadOptionsT o;
  o.pads_begin = std::move(pads_begin);
  o.pads_end = std::move(pads_end);
  o.pad_value = pad_value;
  return AddOperator(OperatorType::PAD, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::ResizeNearest(int32_t input, int32_t output,
                                    schema::CoordinateTransform transform,
                                    schema::NearestRounding rounding) {
  schema::ResizeOptionsT o;
  o.coordinate_transform = transform;
  o.nearest_rounding = rounding;
  return AddOperator(OperatorType::RESIZE_NEAREST, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Lookup(int32_t input, int32_t output, std::vector<int8_t> table) {
  schema::LookupOptionsT o;
  o.table = std::move(table);
  return AddOperator(OperatorType::LOOKUP, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::HardActivationLookup(int32_t input, int32_t output,
                                           const schema::HardActivation& hard) {
  schema::LookupOptionsT o;
  o.hard = std::make_unique<schema::HardActivation>(hard);
  return AddOperator(OperatorType::LOOKUP, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Softmax(int32_t input, int32_t output, std::vector<int32_t> exp_table,
                              const std::vector<kernels::Dyadic>& requant, ClampBounds clamp) {
  schema::SoftmaxOptionsT o;
  o.exp_table = std::move(exp_table);
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::SOFTMAX, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Quantize(int32_t input, int32_t output) {
  return AddOperator(OperatorType::QUANTIZE, {input}, {output}, Wrap(schema::QuantizeOptionsT{}));
}

int32_t ModelBuilder::Dequantize(int32_t input, int32_t output) {
  return AddOperator(OperatorType::DEQUANTIZE, {input}, {output},
                     Wrap(schema::DequantizeOptionsT{}));
}

int32_t ModelBuilder::ConvTranspose2D(int32_t input, int32_t weights, int32_t bias, int32_t output,
                                      const ConvTranspose2DAttributes& attributes,
                                      const std::vector<kernels::Dyadic>& requant,
                                      ClampBounds clamp) {
  schema::ConvTranspose2DOptionsT o;
  o.stride_h = attributes.stride_h;
  o.stride_w = attributes.stride_w;
  o.pad_top = attributes.pad_top;
  o.pad_left = attributes.pad_left;
  o.pad_bottom = attributes.pad_bottom;
  o.pad_right = attributes.pad_right;
  o.output_padding_h = attributes.output_padding_h;
  o.output_padding_w = attributes.output_padding_w;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::CONV_TRANSPOSE_2D, {input, weights, bias}, {output},
                     Wrap(std::move(o)));
}

int32_t ModelBuilder::ResizeBilinear(int32_t input, int32_t output,
                                     const std::vector<kernels::Dyadic>& requant,
                                     schema::CoordinateTransform transform, ClampBounds clamp) {
  schema::ResizeBilinearOptionsT o;
  o.coordinate_transform = transform;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::RESIZE_BILINEAR, {input}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::LayerNorm(int32_t input, int32_t gamma, int32_t beta, int32_t output,
                                int64_t epsilon, const std::vector<kernels::Dyadic>& requant,
                                ClampBounds clamp) {
  schema::LayerNormOptionsT o;
  o.epsilon = epsilon;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::LAYER_NORM, {input, gamma, beta}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::BatchMatMul(int32_t a, int32_t b, int32_t output, bool transpose_b,
                                  const std::vector<kernels::Dyadic>& requant, ClampBounds clamp) {
  schema::BatchMatMulOptionsT o;
  o.transpose_b = transpose_b;
  o.requant = MakeRequant(requant);
  o.clamp = MakeClamp(clamp);
  return AddOperator(OperatorType::BATCH_MATMUL, {a, b}, {output}, Wrap(std::move(o)));
}

int32_t ModelBuilder::Slice(int32_t input, int32_t output, std::vector<int32_t> begin,
                            std::vector<int32_t> step) {
  schema::SliceOptionsT o;
  o.begin = std::move(begin);
  o.step = std::move(step);
  return AddOperator(OperatorType::SLICE, {input}, {output}, Wrap(std::move(o)));
}

void ModelBuilder::SetOperatorName(int32_t op, std::string name) {
  model_.operators.at(static_cast<size_t>(op))->name = std::move(name);
}

size_t BufferAlignment(schema::ElementType type) {
  switch (type) {
    case schema::ElementType::INT8:
    case schema::ElementType::INT4:
      return kWeightAlignment;
    case schema::ElementType::INT32:
    case schema::ElementType::FLOAT32:
      return 4;
    case schema::ElementType::INT16:
      return 2;
    case schema::ElementType::UINT8:
    case schema::ElementType::PACKED_INT32:  // read a byte at a time
      break;
  }
  return 1;
}

std::vector<uint8_t> ModelBuilder::Finish() const {
  // The model is packed field by field rather than with Model::Pack, for what the
  // generated code cannot do: share one vector between LOOKUP operators with
  // identical tables and between tensors with identical shapes, and align each
  // buffer to what its tensors need (BufferAlignment; every byte vector starts on
  // 4 bytes anyway, the rule is forced so that it holds for any kWeightAlignment).
  // FlatBuffers builds back to front and pads the finished output to its largest
  // alignment, so an alignment from the end is one from the start too.
  flatbuffers::FlatBufferBuilder fbb;
  const size_t num_buffers = model_.buffers.size();
  std::vector<size_t> alignment(num_buffers, 0);
  for (const auto& tensor : model_.tensors) {
    if (tensor != nullptr && tensor->buffer != 0 && tensor->buffer < num_buffers) {
      alignment[tensor->buffer] =
          std::max(alignment[tensor->buffer], BufferAlignment(tensor->type));
    }
  }
  std::vector<flatbuffers::Offset<schema::Buffer>> buffers;
  for (size_t i = 0; i < num_buffers; ++i) {
    const std::vector<uint8_t>& data = model_.buffers[i]->data;
    flatbuffers::Offset<flatbuffers::Vector<uint8_t>> vector = 0;
    if (!data.empty()) {
      // A buffer no tensor reads gets the largest alignment.
      fbb.ForceVectorAlignment(data.size(), sizeof(uint8_t),
                               alignment[i] == 0 ? kWeightAlignment : alignment[i]);
      vector = fbb.CreateVector(data);
    }
    buffers.push_back(schema::CreateBuffer(fbb, vector));
  }
  // Tensors share identical shape vectors (activations along a chain, weights of
  // layers of one size).
  std::map<std::vector<int32_t>, flatbuffers::Offset<flatbuffers::Vector<int32_t>>> shapes;
  std::vector<flatbuffers::Offset<schema::Tensor>> tensors;
  for (const auto& tensor : model_.tensors) {
    auto [shape, added] = shapes.try_emplace(tensor->shape);
    if (added) shape->second = fbb.CreateVector(tensor->shape);
    const auto name = tensor->name.empty() ? 0 : fbb.CreateString(tensor->name);
    const auto quantization =
        tensor->quantization ? schema::CreateQuantization(fbb, tensor->quantization.get()) : 0;
    tensors.push_back(schema::CreateTensor(fbb, name, shape->second, tensor->type, tensor->buffer,
                                           quantization, tensor->scale, tensor->zero_point));
  }
  std::map<std::vector<int8_t>, flatbuffers::Offset<flatbuffers::Vector<int8_t>>> tables;
  std::vector<flatbuffers::Offset<schema::Operator>> operators;
  for (const auto& op : model_.operators) {
    const schema::LookupOptionsT* lookup = op->options.AsLookupOptions();
    if (lookup == nullptr || lookup->table.empty()) {
      operators.push_back(schema::CreateOperator(fbb, op.get()));
      continue;
    }
    auto [it, added] = tables.try_emplace(lookup->table);
    if (added) it->second = fbb.CreateVector(lookup->table);
    const auto options = schema::CreateLookupOptions(fbb, it->second, lookup->hard.get());
    const auto name = op->name.empty() ? 0 : fbb.CreateString(op->name);
    const auto inputs = fbb.CreateVector(op->inputs);
    const auto outputs = fbb.CreateVector(op->outputs);
    operators.push_back(schema::CreateOperator(fbb, op->type, op->version, name, inputs, outputs,
                                               op->options.type, options.Union()));
  }
  const auto tensor_vector = fbb.CreateVector(tensors);
  const auto operator_vector = fbb.CreateVector(operators);
  const auto inputs = fbb.CreateVector(model_.inputs);
  const auto outputs = fbb.CreateVector(model_.outputs);
  const auto buffer_vector = fbb.CreateVector(buffers);
  const auto metadata = model_.metadata ? schema::CreateMetadata(fbb, model_.metadata.get()) : 0;
  schema::FinishModelBuffer(
      fbb, schema::CreateModel(fbb, model_.schema_version, tensor_vector, operator_vector, inputs,
                               outputs, buffer_vector, metadata));
  const uint8_t* data = fbb.GetBufferPointer();
  return std::vector<uint8_t>(data, data + fbb.GetSize());
}

Status ModelBuilder::WriteFile(const std::string& path) const {
  const std::vector<uint8_t> bytes = Finish();
  return tools::WriteFileAtomically(path, {std::as_bytes(std::span(bytes))});
}

}  // namespace qrt
