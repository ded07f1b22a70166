#include "converter/onnx/tensor_proto.h"

#include <cstring>
#include <fstream>
#include <sstream>

namespace qrt::converter {
namespace {

// Copies a typed repeated field (float_data, int32_data, int64_data) element by element.
template <typename T, typename Field>
Status CopyTyped(const Field& field, const std::string& what, TensorData* tensor) {
  std::span<T> out = tensor->values<T>();
  if (static_cast<size_t>(field.size()) != out.size()) {
    return Status(StatusCode::kBufferSizeMismatch,
                  what + ": has " + std::to_string(field.size()) + " values, its shape " +
                      ShapeToString(tensor->shape()) + " needs " + std::to_string(out.size()));
  }
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<T>(field.Get(static_cast<int>(i)));
  return Status::Ok();
}

}  // namespace

Status DTypeFromOnnx(int32_t data_type, const std::string& what, DType* dtype) {
  if (DTypeFromOnnxType(data_type, dtype)) return Status::Ok();
  const std::string name = onnx::TensorProto::DataType_IsValid(data_type)
                               ? onnx::TensorProto::DataType_Name(data_type)
                               : "unknown";
  return Status(StatusCode::kBadType,
                what + ": element type " + name + " (" + std::to_string(data_type) +
                    ") is not supported (float32, int64, int32, int8, uint8, bool)");
}

Status TensorDataFromProto(const onnx::TensorProto& proto, TensorData* tensor) {
  const std::string what = "tensor '" + proto.name() + "'";
  if (proto.data_location() == onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0) {
    return Status(StatusCode::kInvalidArgument,
                  what +
                      ": uses external data, which the converter does not read; save the "
                      "model with its weights inside the .onnx file");
  }
  DType dtype;
  QRT_RETURN_IF_ERROR(DTypeFromOnnx(proto.data_type(), what, &dtype));
  Shape shape(proto.dims().begin(), proto.dims().end());
  for (int64_t d : shape) {
    if (d < 0) return Status(StatusCode::kBadShape, what + ": negative dim");
  }
  *tensor = TensorData(dtype, shape);
  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    if (raw.size() != tensor->bytes().size()) {
      return Status(StatusCode::kBufferSizeMismatch,
                    what + ": raw_data has " + std::to_string(raw.size()) + " bytes, " +
                        DTypeName(dtype) + " " + ShapeToString(shape) + " needs " +
                        std::to_string(tensor->bytes().size()));
    }
    // ONNX stores raw data little-endian, as every machine qrt targets is.
    std::memcpy(tensor->bytes().data(), raw.data(), raw.size());
    return Status::Ok();
  }
  switch (dtype) {
    case DType::kFloat32:
      return CopyTyped<float>(proto.float_data(), what, tensor);
    case DType::kInt64:
      return CopyTyped<int64_t>(proto.int64_data(), what, tensor);
    case DType::kInt32:
      return CopyTyped<int32_t>(proto.int32_data(), what, tensor);
    case DType::kInt8:
      return CopyTyped<int8_t>(proto.int32_data(), what, tensor);
    case DType::kUInt8:
    case DType::kBool:
      return CopyTyped<uint8_t>(proto.int32_data(), what, tensor);
  }
  return Status::Ok();
}

onnx::TensorProto TensorDataToProto(const TensorData& tensor, const std::string& name) {
  onnx::TensorProto proto;
  proto.set_name(name);
  // The element type whose mapping gives tensor.dtype().
  for (int type = onnx::TensorProto::DataType_MIN; type <= onnx::TensorProto::DataType_MAX;
       ++type) {
    DType dtype;
    if (DTypeFromOnnxType(type, &dtype) && dtype == tensor.dtype()) {
      proto.set_data_type(type);
      break;
    }
  }
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  proto.set_raw_data(tensor.bytes().data(), tensor.bytes().size());
  return proto;
}

Status ReadTensorProtoFile(const std::string& path, TensorData* tensor, std::string* name) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status(StatusCode::kIoError, "cannot open '" + path + "'");
  std::stringstream bytes;
  bytes << file.rdbuf();
  onnx::TensorProto proto;
  if (!proto.ParseFromString(bytes.str())) {
    return Status(StatusCode::kMalformedModel, "'" + path + "' is not a serialized TensorProto");
  }
  if (name != nullptr) *name = proto.name();
  return TensorDataFromProto(proto, tensor);
}

}  // namespace qrt::converter
