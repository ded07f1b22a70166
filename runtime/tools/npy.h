// A small, strict reader and writer for NumPy .npy files, used by qrt-run and
// qrt-bench to exchange tensors with Python.
//
// Hand-written because no Debian package provides a C++ .npy reader that is safe
// on untrusted files: xtensor's xnpy.hpp (xtensor-dev, not installed here; read
// from its upstream source) reports every problem by throwing std::runtime_error,
// reads shape dims through a stringstream without checking for failure or
// overflow, and requires the header keys in one fixed order. Here every malformed
// file yields a Status naming the file and the problem, nothing is read out of
// bounds, and no exception escapes.
//
// Read: format versions 1.0, 2.0 and 3.0; dtypes '|i1', '|u1', '<i4', '<f4',
// '<f8'; C order only. Written: version 1.0 (2.0 when the header needs it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "qrt/status.h"

namespace qrt::tools {

enum class NpyDtype { kInt8, kUInt8, kInt32, kFloat32, kFloat64 };

// "int8", "uint8", "int32", "float32", "float64".
const char* NpyDtypeName(NpyDtype dtype);
size_t NpyDtypeSize(NpyDtype dtype);

template <typename T>
constexpr NpyDtype NpyDtypeOf() {
  if constexpr (std::is_same_v<T, int8_t>) return NpyDtype::kInt8;
  if constexpr (std::is_same_v<T, uint8_t>) return NpyDtype::kUInt8;
  if constexpr (std::is_same_v<T, int32_t>) return NpyDtype::kInt32;
  if constexpr (std::is_same_v<T, float>) return NpyDtype::kFloat32;
  if constexpr (std::is_same_v<T, double>) return NpyDtype::kFloat64;
  static_assert(std::is_same_v<T, int8_t> || std::is_same_v<T, uint8_t> ||
                    std::is_same_v<T, int32_t> || std::is_same_v<T, float> ||
                    std::is_same_v<T, double>,
                "no .npy dtype for this type");
}

struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<int64_t> shape;  // () for a scalar
  // The elements in C order, little-endian, exactly element_count() * dtype size.
  std::vector<std::byte> data;
  // Where the array came from, for error messages ("" when built in memory).
  std::string source;

  size_t element_count() const { return data.size() / NpyDtypeSize(dtype); }
};

// "(2, 3)" as NumPy prints shapes; also used for model tensor shapes.
std::string FormatShape(std::span<const int64_t> shape);

template <typename T>
NpyArray MakeNpyArray(std::vector<int64_t> shape, std::span<const T> values) {
  NpyArray array;
  array.dtype = NpyDtypeOf<T>();
  array.shape = std::move(shape);
  array.data.resize(values.size_bytes());
  if (!values.empty()) std::memcpy(array.data.data(), values.data(), values.size_bytes());
  return array;
}

// Reads and validates a whole file. Errors are kIoError (cannot open or read) or
// kInvalidArgument (not a well-formed .npy this reader accepts), each message
// starting with the path.
Status ReadNpy(const std::string& path, NpyArray* array);

// Same checks on bytes in memory; `source` names them in error messages.
Status ParseNpy(const std::string& source, std::span<const std::byte> bytes, NpyArray* array);

// Writes atomically: the bytes go to a temporary file beside `path` that is then
// renamed over it, so a reader never sees a half-written file. The shape's
// element count must match the data.
Status WriteNpy(const std::string& path, const NpyArray& array);

// Converts the elements to T where no value can change: int8 -> int8, int32,
// float32, float64; uint8 -> uint8, int32, float32, float64; int32 -> int32,
// float64; float32 -> float32, float64. float64 -> float32 is also accepted
// (rounding), since real-valued model inputs are float32 and NumPy's default
// float type is float64. Anything else is kInvalidArgument naming the source.
template <typename T>
Status NpyToVector(const NpyArray& array, std::vector<T>* values);

extern template Status NpyToVector(const NpyArray&, std::vector<int8_t>*);
extern template Status NpyToVector(const NpyArray&, std::vector<uint8_t>*);
extern template Status NpyToVector(const NpyArray&, std::vector<int32_t>*);
extern template Status NpyToVector(const NpyArray&, std::vector<float>*);
extern template Status NpyToVector(const NpyArray&, std::vector<double>*);

}  // namespace qrt::tools
