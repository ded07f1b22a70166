// Test oracles for the requantization rule, written independently of
// qrt/kernels/requant.h: exact __int128 arithmetic with an explicit floor division
// instead of the header's int64 add-and-shift.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "qrt/kernels/requant.h"

namespace qrt::test {

// GCC's 128-bit integer; __extension__ keeps -Wpedantic quiet about it.
__extension__ typedef __int128 Int128;

// floor(num / den) for den > 0.
inline Int128 FloorDiv128(Int128 num, Int128 den) {
  Int128 q = num / den;
  if (q * den > num) --q;
  return q;
}

// round(x * m / 2^s) with ties toward +infinity: floor((2 x m + 2^s) / 2^(s+1)).
inline int64_t OracleRescale(int64_t x, kernels::Dyadic d) {
  Int128 pow2 = 1;
  for (int i = 0; i < d.shift; ++i) pow2 *= 2;
  const Int128 twice_product = 2 * static_cast<Int128>(x) * d.multiplier;
  return static_cast<int64_t>(FloorDiv128(twice_product + pow2, 2 * pow2));
}

inline int8_t OracleRequantize(int64_t acc, kernels::Dyadic d, int32_t zy, int32_t lo, int32_t hi) {
  const int64_t y = OracleRescale(acc, d) + zy;
  return static_cast<int8_t>(std::min<int64_t>(std::max<int64_t>(y, lo), hi));
}

// The offset in operand `shape` (row-major) of the output element at linear
// offset `out` of a numpy broadcast to out_shape, by decoding the output index.
inline int64_t BroadcastOffset(int rank, const int32_t* shape, const int32_t* out_shape,
                               int64_t out) {
  int64_t offset = 0;
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    const int64_t i = out % out_shape[d];
    out /= out_shape[d];
    offset += (shape[d] == 1 ? 0 : i) * stride;
    stride *= shape[d];
  }
  return offset;
}

inline int64_t Product(int rank, const int32_t* shape) {
  int64_t n = 1;
  for (int d = 0; d < rank; ++d) n *= shape[d];
  return n;
}

// Packs int4 values [-8, 7] two per byte, the even index in the low nibble.
inline std::vector<uint8_t> PackInt4Rows(const std::vector<int8_t>& values, size_t rows,
                                         size_t row_length) {
  const size_t row_bytes = (row_length + 1) / 2;
  std::vector<uint8_t> packed(rows * row_bytes, 0);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t k = 0; k < row_length; ++k) {
      const auto nibble = static_cast<uint8_t>(values[r * row_length + k] & 0x0F);
      packed[r * row_bytes + k / 2] |= static_cast<uint8_t>(k % 2 == 0 ? nibble : nibble << 4);
    }
  }
  return packed;
}

}  // namespace qrt::test
