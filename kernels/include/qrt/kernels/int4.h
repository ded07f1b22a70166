// int4 weight storage, shared by the reference kernels and every packing
// function: a weight tensor [rows, ...] stores each row's K = product(other dims)
// values in ceil(K / 2) bytes; value 2j sits in the low nibble of byte j, value
// 2j + 1 in the high nibble, each a two's-complement 4-bit integer in [-8, 7]. An
// odd K leaves the last high nibble unused.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qrt::kernels {

// Bytes that one row of k int4 values occupies.
constexpr size_t Int4RowBytes(size_t k) { return (k + 1) / 2; }

// Value k of a row of packed int4 values, sign-extended.
constexpr int8_t Int4At(const uint8_t* row, size_t k) {
  const uint8_t byte = row[k / 2];
  const uint8_t nibble = (k % 2 == 0) ? (byte & 0x0F) : (byte >> 4);
  return static_cast<int8_t>(static_cast<int8_t>(nibble << 4) >> 4);
}

// Sets value k of a row of packed int4 values; v must be in [-8, 7].
constexpr void Int4Set(uint8_t* row, size_t k, int8_t v) {
  const uint8_t nibble = static_cast<uint8_t>(v) & 0x0F;
  uint8_t& byte = row[k / 2];
  byte = (k % 2 == 0) ? static_cast<uint8_t>((byte & 0xF0) | nibble)
                      : static_cast<uint8_t>((byte & 0x0F) | (nibble << 4));
}

}  // namespace qrt::kernels
