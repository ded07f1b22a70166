#include "converter/ir/tensor.h"

#include <cassert>

namespace qrt::converter {

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return "float32";
    case DType::kInt64:
      return "int64";
    case DType::kInt32:
      return "int32";
    case DType::kBool:
      return "bool";
    case DType::kInt8:
      return "int8";
    case DType::kUInt8:
      return "uint8";
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
      return 4;
    case DType::kInt64:
      return 8;
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8:
      return 1;
  }
  return 0;
}

bool DTypeFromOnnxType(int64_t onnx_type, DType* dtype) {
  // TensorProto.DataType: FLOAT 1, UINT8 2, INT8 3, INT32 6, INT64 7, BOOL 9.
  switch (onnx_type) {
    case 1:
      *dtype = DType::kFloat32;
      return true;
    case 2:
      *dtype = DType::kUInt8;
      return true;
    case 3:
      *dtype = DType::kInt8;
      return true;
    case 6:
      *dtype = DType::kInt32;
      return true;
    case 7:
      *dtype = DType::kInt64;
      return true;
    case 9:
      *dtype = DType::kBool;
      return true;
    default:
      return false;
  }
}

int64_t NumElements(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

bool IsFullyKnown(const Shape& shape) { return NumElements(shape) >= 0; }

std::string ShapeToString(const Shape& shape) {
  if (shape.empty()) return "scalar";
  std::string s;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) s += 'x';
    s += shape[i] < 0 ? "?" : std::to_string(shape[i]);
  }
  return s;
}

TensorData::TensorData(DType dtype, Shape shape)
    : dtype_(dtype),
      shape_(std::move(shape)),
      bytes_(static_cast<size_t>(NumElements(shape_)) * DTypeSize(dtype)) {
  assert(IsFullyKnown(shape_));
}

namespace {

template <typename Out>
std::vector<Out> ConvertAll(const TensorData& t) {
  std::vector<Out> out;
  auto append = [&out](auto values) {
    out.reserve(values.size());
    for (auto v : values) out.push_back(static_cast<Out>(v));
  };
  switch (t.dtype()) {
    case DType::kFloat32:
      append(t.values<float>());
      break;
    case DType::kInt64:
      append(t.values<int64_t>());
      break;
    case DType::kInt32:
      append(t.values<int32_t>());
      break;
    case DType::kInt8:
      append(t.values<int8_t>());
      break;
    case DType::kBool:
    case DType::kUInt8:
      append(t.values<uint8_t>());
      break;
  }
  return out;
}

}  // namespace

std::vector<int64_t> TensorData::ToInt64s() const { return ConvertAll<int64_t>(*this); }

std::vector<float> TensorData::ToFloats() const { return ConvertAll<float>(*this); }

TensorData TensorData::Reshaped(Shape shape) const {
  TensorData t = *this;
  assert(NumElements(shape) == num_elements());
  t.shape_ = std::move(shape);
  return t;
}

}  // namespace qrt::converter
