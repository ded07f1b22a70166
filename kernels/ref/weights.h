// Weight access shared by the convolution and fully connected reference kernels:
// one row per output channel of k values, int8 or packed int4 (int4.h).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/int4.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels::ref {

// Value k of row `row` in a weight tensor with `row_length` values per row.
inline int32_t WeightAt(const void* weights, WeightType type, int64_t row_length, int64_t row,
                        int64_t k) {
  if (type == WeightType::kInt4) {
    const auto* packed = static_cast<const uint8_t*>(weights);
    const size_t row_bytes = Int4RowBytes(static_cast<size_t>(row_length));
    return Int4At(packed + static_cast<size_t>(row) * row_bytes, static_cast<size_t>(k));
  }
  return static_cast<const int8_t*>(weights)[row * row_length + k];
}

}  // namespace qrt::kernels::ref
