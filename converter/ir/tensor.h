// Element types and dense tensor contents of the converter's float graph IR.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace qrt::converter {

// The element types the converter reads from ONNX. Float graphs compute in float32;
// the integer types appear in shape computations, indices and casts.
enum class DType : uint8_t { kFloat32, kInt64, kInt32, kBool, kInt8, kUInt8 };

// "float32", "int64", ...
const char* DTypeName(DType dtype);
size_t DTypeSize(DType dtype);

// Maps an ONNX TensorProto.DataType number (as in Cast's "to" attribute) to a DType;
// false for the types the converter does not read (float16, double, int16, strings...).
bool DTypeFromOnnxType(int64_t onnx_type, DType* dtype);

template <typename T>
constexpr DType DTypeOf();
template <>
constexpr DType DTypeOf<float>() {
  return DType::kFloat32;
}
template <>
constexpr DType DTypeOf<int64_t>() {
  return DType::kInt64;
}
template <>
constexpr DType DTypeOf<int32_t>() {
  return DType::kInt32;
}
template <>
constexpr DType DTypeOf<int8_t>() {
  return DType::kInt8;
}
template <>
constexpr DType DTypeOf<uint8_t>() {
  return DType::kUInt8;
}

// ONNX dims. -1 marks a dim that is not known before run time.
using Shape = std::vector<int64_t>;

// Product of the dims; -1 when any dim is unknown. The empty shape is a scalar (1).
int64_t NumElements(const Shape& shape);
bool IsFullyKnown(const Shape& shape);
// "1x3x48x192", "scalar" for rank 0, "?" for an unknown dim.
std::string ShapeToString(const Shape& shape);

// Dense row-major tensor contents. Bool is stored as one byte per element (0 or 1), as
// ONNX does.
class TensorData {
 public:
  TensorData() = default;
  // Zero-filled. The shape must be fully known.
  TensorData(DType dtype, Shape shape);

  template <typename T>
  static TensorData FromVector(Shape shape, const std::vector<T>& values) {
    TensorData t(DTypeOf<T>(), std::move(shape));
    std::copy(values.begin(), values.end(), t.values<T>().begin());
    return t;
  }

  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  int64_t num_elements() const { return NumElements(shape_); }

  std::span<std::byte> bytes() { return bytes_; }
  std::span<const std::byte> bytes() const { return bytes_; }

  // Typed views; T must match dtype() (uint8_t also views bool).
  template <typename T>
  std::span<T> values() {
    return {reinterpret_cast<T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }
  template <typename T>
  std::span<const T> values() const {
    return {reinterpret_cast<const T*>(bytes_.data()), bytes_.size() / sizeof(T)};
  }

  // Every element converted, for the integer and float types alike.
  std::vector<int64_t> ToInt64s() const;
  std::vector<float> ToFloats() const;
  // Same contents under another shape with the same element count.
  TensorData Reshaped(Shape shape) const;

 private:
  DType dtype_ = DType::kFloat32;
  Shape shape_;
  // Allocated with operator new, so it is aligned for every element type (C++20
  // implicitly creates the element objects in a byte array).
  std::vector<std::byte> bytes_;
};

}  // namespace qrt::converter
