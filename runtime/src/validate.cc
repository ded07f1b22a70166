#include "validate.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>

#include "op_registry.h"
#include "qrt/kernels/int4.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/requant.h"
#include "qrt/schema/mantissa.h"
#include "qrt/schema/packed_deltas.h"

namespace qrt::internal {
namespace {

// Element counts are bounded so that byte sizes and int32 kernel indices stay exact.
constexpr int64_t kMaxElements = int64_t{1} << 31;

// Since schema version 2 a tensor's name may be absent: it reads as "".
std::string_view TensorName(const schema::Tensor& t) {
  return t.name() == nullptr ? std::string_view() : t.name()->string_view();
}

std::string TensorWhere(const schema::Model& model, uint32_t index) {
  const schema::Tensor* t = model.tensors()->Get(index);
  return "tensor " + std::to_string(index) + " '" + std::string(TensorName(*t)) + "'";
}

// The alignment a constant's data needs in memory: int32 (bias) values are read as
// int32_t; weights (int8, int4) are read in place a byte at a time (reference
// kernels) or packed at load (fast paths), and schema version 4 places them on 4
// bytes. Others have no data (kBadType later).
size_t DataAlignment(ElementType type) {
  switch (type) {
    case ElementType::kInt8:
    case ElementType::kInt4:
    case ElementType::kInt32:
    case ElementType::kFloat32:
      return 4;
    case ElementType::kUInt8:
      break;
  }
  return 1;
}

bool ToElementType(schema::ElementType in, ElementType* out) {
  switch (in) {
    case schema::ElementType::INT8:
      *out = ElementType::kInt8;
      return true;
    case schema::ElementType::UINT8:
      *out = ElementType::kUInt8;
      return true;
    case schema::ElementType::INT32:
      *out = ElementType::kInt32;
      return true;
    case schema::ElementType::INT4:
      *out = ElementType::kInt4;
      return true;
    case schema::ElementType::FLOAT32:
      *out = ElementType::kFloat32;
      return true;
    case schema::ElementType::INT16:         // storage types only: DescribeTensor
    case schema::ElementType::PACKED_INT32:  // widens them to int32
      break;
  }
  return false;
}

// Bytes that `count` elements of `type` occupy; int4 rows are the first dimension.
size_t ByteSize(ElementType type, const std::vector<int32_t>& shape, int64_t count) {
  switch (type) {
    case ElementType::kInt8:
    case ElementType::kUInt8:
      return static_cast<size_t>(count);
    case ElementType::kInt32:
    case ElementType::kFloat32:
      return static_cast<size_t>(count) * 4;
    case ElementType::kInt4: {
      const int64_t rows = shape.empty() ? 1 : shape[0];
      return static_cast<size_t>(rows) * kernels::Int4RowBytes(static_cast<size_t>(count / rows));
    }
  }
  return 0;
}

Status ValidateBuffers(const schema::Model& model) {
  const auto& buffers = *model.buffers();
  if (buffers.size() == 0) {
    return Status(StatusCode::kBufferSizeMismatch, "model has no buffers (buffer 0 is required)");
  }
  for (uint32_t i = 0; i < buffers.size(); ++i) {
    const schema::Buffer* buffer = buffers.Get(i);
    const auto* data = buffer->data();
    if (i == 0 && data != nullptr && data->size() != 0) {
      return Status(StatusCode::kBufferSizeMismatch,
                    "buffer 0 must be the empty sentinel but holds " +
                        std::to_string(data->size()) + " bytes");
    }
  }
  return Status::Ok();
}

// The bytes an INT16 or PACKED_INT32 constant of `count` values must hold: for a
// packed one, as its width byte says (kBufferSizeMismatch when the data is shorter
// than the header or the width is outside [1, 32]).
Status StoredInt32Size(const std::string& where, schema::ElementType stored,
                       std::span<const uint8_t> data, size_t count, size_t* size) {
  if (stored == schema::ElementType::INT16) {
    *size = count * sizeof(int16_t);
    return Status::Ok();
  }
  constexpr schema::DeltaPacking packing = schema::kInt32Packing;
  const int width = data.size() < packing.HeaderBytes() ? -1 : schema::PackedWidth(packing, data);
  if (width < packing.min_width || width > packing.max_width) {
    return Status(StatusCode::kBufferSizeMismatch,
                  where + " is packed int32 data of " + std::to_string(data.size()) + " bytes" +
                      (width < 0 ? std::string(", shorter than its 5-byte header")
                                 : " with delta width " + std::to_string(width) + " (in [1, 32])"));
  }
  *size = schema::PackedBytes(packing, count, width);
  return Status::Ok();
}

// An INT16 or PACKED_INT32 constant's values widened into runtime-owned int32
// memory, which `desc` then points to; kBadType when a packed value lies beyond
// int32, kInvalidArgument when that memory cannot be allocated.
Status WidenToInt32(const std::string& where, schema::ElementType stored,
                    std::span<const uint8_t> data, TensorDesc* desc) {
  const size_t count = static_cast<size_t>(desc->element_count);
  AlignedBuffer widened = AllocateAligned(count * sizeof(int32_t));
  if (widened == nullptr) {
    return Status(StatusCode::kInvalidArgument, where + ": cannot allocate its widened int32 copy");
  }
  for (size_t i = 0; i < count; ++i) {
    int64_t value = 0;
    if (stored == schema::ElementType::INT16) {
      int16_t narrow;
      std::memcpy(&narrow, data.data() + i * sizeof(narrow), sizeof(narrow));
      value = narrow;
    } else {
      value = schema::PackedValue(schema::kInt32Packing, data, i);
      if (value > std::numeric_limits<int32_t>::max()) {
        return Status(StatusCode::kBadType, where + " packs value " + std::to_string(i) + " as " +
                                                std::to_string(value) + ", beyond int32");
      }
    }
    const auto wide = static_cast<int32_t>(value);
    std::memcpy(widened.get() + i * sizeof(wide), &wide, sizeof(wide));
  }
  desc->data = widened.get();
  desc->widened_data = std::shared_ptr<const uint8_t>(
      widened.release(), [](const uint8_t* p) { AlignedFree()(const_cast<uint8_t*>(p)); });
  return Status::Ok();
}

// Since schema version 3 an int8 activation's quantization is inline (Tensor.scale,
// Tensor.zero_point); every other tensor leaves both at 0, and only constants
// (weights) may have a Quantization table. Runs after the type checks.
Status DescribeActivationQuantization(const schema::Tensor& t, const std::string& where,
                                      TensorDesc* desc) {
  if (!desc->is_constant() && t.quantization() != nullptr) {
    return Status(StatusCode::kBadQuantization,
                  where +
                      " is an activation with a Quantization table; since schema version 3 "
                      "an activation's quantization is Tensor.scale and Tensor.zero_point");
  }
  if (desc->is_constant() || desc->type != ElementType::kInt8) {
    if (t.scale() != 0.0f || t.zero_point() != 0) {
      return Status(StatusCode::kBadQuantization,
                    where + " has scale " + std::to_string(t.scale()) + " and zero point " +
                        std::to_string(t.zero_point()) +
                        "; only int8 activations have them (0 otherwise)");
    }
    return Status::Ok();
  }
  desc->scale = t.scale();
  if (!(desc->scale > 0.0f) || !std::isfinite(desc->scale)) {
    return Status(StatusCode::kBadQuantization, where + " is an int8 activation with scale " +
                                                    std::to_string(desc->scale) +
                                                    " (must be positive and finite)");
  }
  desc->zero_point = t.zero_point();
  if (desc->zero_point < -128 || desc->zero_point > 127) {
    return Status(
        StatusCode::kBadQuantization,
        where + " has zero point " + std::to_string(desc->zero_point) + " outside [-128, 127]");
  }
  return Status::Ok();
}

Status DescribeTensor(const schema::Model& model, uint32_t index, TensorDesc* desc) {
  const schema::Tensor& t = *model.tensors()->Get(index);
  const std::string where = TensorWhere(model, index);
  desc->name = std::string(TensorName(t));
  // INT16 and PACKED_INT32 are storage types only: the runtime sees the widened
  // int32 values.
  const bool int16 = t.type() == schema::ElementType::INT16;
  const bool widened = int16 || t.type() == schema::ElementType::PACKED_INT32;
  if (widened) {
    desc->type = ElementType::kInt32;
  } else if (!ToElementType(t.type(), &desc->type)) {
    return Status(StatusCode::kBadType, where + " has unknown element type " +
                                            std::to_string(static_cast<int>(t.type())));
  }
  if (t.shape()->size() > static_cast<uint32_t>(kernels::kMaxRank)) {
    return Status(StatusCode::kBadShape, where + " has rank " + std::to_string(t.shape()->size()) +
                                             ", above the maximum of " +
                                             std::to_string(kernels::kMaxRank));
  }
  desc->element_count = 1;
  for (const int32_t dim : *t.shape()) {
    if (dim <= 0) {
      return Status(StatusCode::kBadShape,
                    where + " has dimension " + std::to_string(dim) + " (must be positive)");
    }
    desc->element_count *= dim;
    if (desc->element_count > kMaxElements) {
      return Status(StatusCode::kBadShape, where + " has more than 2^31 elements");
    }
    desc->shape.push_back(dim);
  }
  desc->byte_size = ByteSize(desc->type, desc->shape, desc->element_count);
  const std::string stored_type = !widened ? ElementTypeName(desc->type)
                                  : int16  ? "int16"
                                           : "packed int32";

  if (t.buffer() >= model.buffers()->size()) {
    return Status(StatusCode::kIndexOutOfRange, where + " refers to buffer " +
                                                    std::to_string(t.buffer()) + " of " +
                                                    std::to_string(model.buffers()->size()));
  }
  if (t.buffer() != 0) {
    const auto* data = model.buffers()->Get(t.buffer())->data();
    const size_t size = data == nullptr ? 0 : data->size();
    const std::span<const uint8_t> bytes(data == nullptr ? nullptr : data->data(), size);
    size_t stored_size = desc->byte_size;
    if (widened) {
      QRT_RETURN_IF_ERROR(StoredInt32Size(where, t.type(), bytes,
                                          static_cast<size_t>(desc->element_count), &stored_size));
    }
    if (size != stored_size) {
      return Status(StatusCode::kBufferSizeMismatch,
                    where + " needs " + std::to_string(stored_size) + " bytes of " + stored_type +
                        " data but buffer " + std::to_string(t.buffer()) + " holds " +
                        std::to_string(size));
    }
    desc->data = data->data();
    const size_t alignment = !widened ? DataAlignment(desc->type) : int16 ? sizeof(int16_t) : 1;
    if (stored_size != 0 && reinterpret_cast<uintptr_t>(desc->data) % alignment != 0) {
      return Status(StatusCode::kMisalignedBuffer,
                    where + " is " + stored_type + " data in buffer " + std::to_string(t.buffer()) +
                        ", which is not " + std::to_string(alignment) + "-byte aligned");
    }
    if (widened) QRT_RETURN_IF_ERROR(WidenToInt32(where, t.type(), bytes, desc));
  } else if (widened) {
    return Status(StatusCode::kBadType, where + (int16 ? " is an " : " is a ") + stored_type +
                                            " activation; " + stored_type +
                                            " is only for constants read as int32 (biases)");
  }

  const schema::Quantization* q = t.quantization();
  if (desc->is_constant()) {
    if (desc->type == ElementType::kFloat32 || desc->type == ElementType::kUInt8) {
      return Status(StatusCode::kBadType, where + " is a " + ElementTypeName(desc->type) +
                                              " constant; constants are int8, int4 or int32");
    }
    if (q != nullptr && q->zero_point() != nullptr) {
      for (const int32_t zp : *q->zero_point()) {
        if (zp != 0) {
          return Status(StatusCode::kBadQuantization, where + " is a constant with zero point " +
                                                          std::to_string(zp) +
                                                          "; weights are symmetric (zero point 0)");
        }
      }
    }
    if (q != nullptr && q->quantized_dimension() != 0) {
      return Status(StatusCode::kBadQuantization,
                    where + " is quantized along dimension " +
                        std::to_string(q->quantized_dimension()) +
                        "; weights are quantized along dimension 0 (output channels)");
    }
    if (q != nullptr) desc->channel_scales = q->scale();
    if (desc->type == ElementType::kInt8) {
      for (size_t i = 0; i < desc->byte_size; ++i) {
        if (static_cast<int8_t>(desc->data[i]) == -128) {
          return Status(StatusCode::kBadQuantization, where + " holds -128 at element " +
                                                          std::to_string(i) +
                                                          "; int8 weights are in [-127, 127]");
        }
      }
    }
    return DescribeActivationQuantization(t, where, desc);
  }

  if (desc->type == ElementType::kInt4 || desc->type == ElementType::kInt32 ||
      desc->type == ElementType::kUInt8) {
    return Status(StatusCode::kBadType,
                  where + " is a " + ElementTypeName(desc->type) +
                      " activation; activations are int8 (float32 at the graph boundary)");
  }
  return DescribeActivationQuantization(t, where, desc);
}

// Decodes the operator's requantization (int32 multipliers, or 16-bit mantissas
// standing for mantissa << schema::kMantissaShift; shifts as bytes or packed,
// schema/packed_deltas.h) into `values` and checks every dyadic.
Status DecodeRequantization(const schema::Requantization& requant, const std::string& where,
                            RequantValues* values) {
  const auto* multiplier = requant.multiplier();
  const auto* mantissa = requant.mantissa();
  if ((multiplier == nullptr) == (mantissa == nullptr)) {
    return Status(StatusCode::kBadRequantization,
                  where +
                      (multiplier == nullptr ? " has neither multipliers nor mantissas"
                                             : " has both multipliers and mantissas") +
                      " (exactly one is required)");
  }
  const uint32_t count = multiplier != nullptr ? multiplier->size() : mantissa->size();
  const auto* shift = requant.shift();
  const auto* packed = requant.packed_shift();
  if ((shift == nullptr) == (packed == nullptr)) {
    return Status(StatusCode::kBadRequantization,
                  where +
                      (shift == nullptr ? " has neither shifts nor packed shifts"
                                        : " has both shifts and packed shifts") +
                      " (exactly one is required)");
  }
  const std::string values_name = multiplier != nullptr ? " multipliers" : " mantissas";
  if (shift != nullptr && count != shift->size()) {
    return Status(StatusCode::kBadRequantization, where + " has " + std::to_string(count) +
                                                      values_name + " but " +
                                                      std::to_string(shift->size()) + " shifts");
  }
  constexpr schema::DeltaPacking packing = schema::kShiftPacking;
  const std::span<const uint8_t> packed_bytes(packed == nullptr ? nullptr : packed->data(),
                                              packed == nullptr ? 0 : packed->size());
  if (packed != nullptr) {
    const int width = packed_bytes.size() < packing.HeaderBytes()
                          ? -1
                          : schema::PackedWidth(packing, packed_bytes);
    if (width < 0 || width > packing.max_width ||
        packed_bytes.size() != schema::PackedBytes(packing, count, width)) {
      return Status(StatusCode::kBadRequantization,
                    where + " has " + std::to_string(packed->size()) + " bytes of packed shifts" +
                        (width < 0 ? std::string() : " of width " + std::to_string(width)) +
                        " for " + std::to_string(count) + values_name +
                        " (2 + ceil(count * width / 8) bytes, width at most " +
                        std::to_string(packing.max_width) + ")");
    }
  }
  for (uint32_t i = 0; i < count; ++i) {
    int32_t m = 0;
    if (multiplier != nullptr) {
      m = multiplier->Get(i);
    } else {
      const uint16_t m16 = mantissa->Get(i);
      if (m16 != 0 && m16 < (1u << 15)) {
        return Status(StatusCode::kBadRequantization,
                      where + " requantization " + std::to_string(i) + " has mantissa " +
                          std::to_string(m16) + " (0 or in [2^15, 2^16))");
      }
      m = static_cast<int32_t>(uint32_t{m16} << schema::kMantissaShift);
    }
    const auto s = static_cast<int32_t>(
        shift != nullptr ? shift->Get(i) : schema::PackedValue(packing, packed_bytes, i));
    const kernels::Dyadic d{m, s};
    if (!kernels::IsValidDyadic(d)) {
      return Status(StatusCode::kBadRequantization,
                    where + " requantization " + std::to_string(i) + " has multiplier " +
                        std::to_string(d.multiplier) + " and shift " + std::to_string(d.shift) +
                        " (multiplier 0 or in [2^30, 2^31), shift in [1, 62])");
    }
    values->multiplier.push_back(d.multiplier);
    values->shift.push_back(static_cast<int8_t>(d.shift));
  }
  return Status::Ok();
}

Status ValidateRequantization(const schema::Operator& op, const std::string& where,
                              RequantValues* values) {
  if (const schema::Requantization* requant = OperatorRequantization(op)) {
    QRT_RETURN_IF_ERROR(DecodeRequantization(*requant, where, values));
  }
  const schema::Clamp* clamp = OperatorClamp(op);
  if (clamp != nullptr && clamp->lo() > clamp->hi()) {
    return Status(StatusCode::kBadClamp, where + " clamps to [" + std::to_string(clamp->lo()) +
                                             ", " + std::to_string(clamp->hi()) + "]");
  }
  return Status::Ok();
}

Status ValidateOperator(const schema::Model& model, uint32_t index, RequantValues* requant) {
  const schema::Operator& op = *model.operators()->Get(index);
  const std::string where = OperatorWhere(op, index);
  const OpSpec* spec = FindOpSpec(op.type());
  if (spec == nullptr) {
    return Status(StatusCode::kUnsupportedVersion,
                  where + ": operator type unknown to this runtime");
  }
  if (op.version() < spec->min_version || op.version() > spec->max_version) {
    return Status(StatusCode::kUnsupportedVersion,
                  where + " has version " + std::to_string(op.version()) +
                      "; this runtime reads versions " + std::to_string(spec->min_version) +
                      " to " + std::to_string(spec->max_version));
  }
  if (op.options_type() != spec->options_type || op.options() == nullptr) {
    return Status(
        StatusCode::kBadOptions,
        where + " needs " + schema::EnumNameOperatorOptions(spec->options_type) + " but has " +
            (op.options() == nullptr ? std::string("none")
                                     : schema::EnumNameOperatorOptions(op.options_type())));
  }
  const int num_inputs = static_cast<int>(op.inputs()->size());
  if (num_inputs < spec->min_inputs ||
      (spec->max_inputs != kVariadic && num_inputs > spec->max_inputs) ||
      static_cast<int>(op.outputs()->size()) != spec->num_outputs) {
    return Status(StatusCode::kBadGraph, where + " has " + std::to_string(num_inputs) +
                                             " inputs and " + std::to_string(op.outputs()->size()) +
                                             " outputs");
  }
  for (const auto* list : {op.inputs(), op.outputs()}) {
    for (const int32_t t : *list) {
      if (t < 0 || static_cast<uint32_t>(t) >= model.tensors()->size()) {
        return Status(StatusCode::kIndexOutOfRange, where + " refers to tensor " +
                                                        std::to_string(t) + " of " +
                                                        std::to_string(model.tensors()->size()));
      }
    }
  }
  return ValidateRequantization(op, where, requant);
}

Status ValidateGraphIo(const schema::Model& model, const flatbuffers::Vector<int32_t>& list,
                       const char* what) {
  std::unordered_set<int32_t> seen;
  for (const int32_t t : list) {
    if (t < 0 || static_cast<uint32_t>(t) >= model.tensors()->size()) {
      return Status(StatusCode::kIndexOutOfRange,
                    std::string("graph ") + what + " refers to tensor " + std::to_string(t) +
                        " of " + std::to_string(model.tensors()->size()));
    }
    if (TensorName(*model.tensors()->Get(static_cast<uint32_t>(t))).empty()) {
      return Status(StatusCode::kBadGraph, std::string("graph ") + what + " " +
                                               TensorWhere(model, static_cast<uint32_t>(t)) +
                                               " has no name (the API finds graph inputs and "
                                               "outputs by name)");
    }
    if (!seen.insert(t).second) {
      return Status(StatusCode::kBadGraph, std::string("graph ") + what + " lists " +
                                               TensorWhere(model, static_cast<uint32_t>(t)) +
                                               " twice");
    }
  }
  return Status::Ok();
}

// Operators must be in topological order: each reads only graph inputs,
// constants and tensors produced by earlier operators, and each tensor has at
// most one producer. In that order no cycle can exist.
Status ValidateGraph(const schema::Model& model, const std::vector<TensorDesc>& tensors) {
  QRT_RETURN_IF_ERROR(ValidateGraphIo(model, *model.inputs(), "input"));
  QRT_RETURN_IF_ERROR(ValidateGraphIo(model, *model.outputs(), "output"));
  std::vector<char> defined(tensors.size(), 0);
  std::vector<char> is_graph_input(tensors.size(), 0);
  std::vector<char> is_graph_output(tensors.size(), 0);
  for (size_t i = 0; i < tensors.size(); ++i) defined[i] = tensors[i].is_constant() ? 1 : 0;
  for (const int32_t t : *model.inputs()) {
    const auto i = static_cast<size_t>(t);
    if (tensors[i].is_constant()) {
      return Status(
          StatusCode::kBadGraph,
          "graph input " + TensorWhere(model, static_cast<uint32_t>(t)) + " is a constant");
    }
    defined[i] = 1;
    is_graph_input[i] = 1;
  }
  for (const int32_t t : *model.outputs()) is_graph_output[static_cast<size_t>(t)] = 1;

  for (uint32_t o = 0; o < model.operators()->size(); ++o) {
    const schema::Operator& op = *model.operators()->Get(o);
    for (const int32_t t : *op.inputs()) {
      if (!defined[static_cast<size_t>(t)]) {
        return Status(StatusCode::kBadGraph,
                      OperatorWhere(op, o) + " reads " +
                          TensorWhere(model, static_cast<uint32_t>(t)) +
                          " before any operator produces it (cycle or wrong order)");
      }
    }
    for (const int32_t t : *op.outputs()) {
      const auto i = static_cast<size_t>(t);
      if (defined[i]) {
        const char* why = tensors[i].is_constant() ? "a constant"
                          : is_graph_input[i]      ? "a graph input"
                                                   : "already produced";
        return Status(StatusCode::kBadGraph, OperatorWhere(op, o) + " writes " +
                                                 TensorWhere(model, static_cast<uint32_t>(t)) +
                                                 ", which is " + why);
      }
      defined[i] = 1;
    }
  }
  for (const int32_t t : *model.outputs()) {
    const auto i = static_cast<size_t>(t);
    if (!defined[i] || is_graph_input[i] || tensors[i].is_constant()) {
      return Status(StatusCode::kBadGraph, "graph output " +
                                               TensorWhere(model, static_cast<uint32_t>(t)) +
                                               " is not produced by any operator");
    }
  }
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].type == ElementType::kFloat32 && !is_graph_input[i] && !is_graph_output[i]) {
      return Status(StatusCode::kBadType,
                    TensorWhere(model, static_cast<uint32_t>(i)) +
                        " is float32 but neither a graph input nor a graph output");
    }
  }
  return Status::Ok();
}

}  // namespace

Status ValidateModel(const schema::Model& model, std::vector<TensorDesc>* tensors,
                     std::vector<RequantValues>* requants) {
  QRT_RETURN_IF_ERROR(ValidateBuffers(model));
  const uint32_t num_tensors = model.tensors()->size();
  if (num_tensors > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
    return Status(StatusCode::kIndexOutOfRange, "too many tensors");
  }
  tensors->assign(num_tensors, TensorDesc{});
  std::unordered_set<std::string_view> names;
  for (uint32_t i = 0; i < num_tensors; ++i) {
    QRT_RETURN_IF_ERROR(DescribeTensor(model, i, &(*tensors)[i]));
    const std::string_view name = TensorName(*model.tensors()->Get(i));
    if (!name.empty() && !names.insert(name).second) {
      return Status(StatusCode::kDuplicateName,
                    TensorWhere(model, i) + " has the same name as an earlier tensor");
    }
  }
  requants->assign(model.operators()->size(), RequantValues{});
  for (uint32_t o = 0; o < model.operators()->size(); ++o) {
    QRT_RETURN_IF_ERROR(ValidateOperator(model, o, &(*requants)[o]));
  }
  return ValidateGraph(model, *tensors);
}

}  // namespace qrt::internal
