// How schema version 4 stores a vector of integers packed as deltas from its
// smallest value (docs/format.md §3.5 and §4): Requantization.packed_shift (shifts)
// and PACKED_INT32 constants (biases). A packed vector is the smallest value `base`
// in `base_bytes` bytes (little-endian two's complement), the bit width `w` of the
// deltas in one byte, then each value's delta from `base` in `w` bits, least
// significant bit first (bit k of the deltas is bit k % 8 of byte header + k / 8).
// Shared by the writer (the converter's compaction) and the loader, which expands
// the values before any kernel sees them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace qrt::schema {

// The layout of one kind of packed vector.
struct DeltaPacking {
  size_t base_bytes;  // bytes of the smallest value
  int min_width;      // the narrowest deltas written, even for equal values
  int max_width;      // the widest deltas the values' range can need

  constexpr size_t HeaderBytes() const { return base_bytes + 1; }
};

// Shifts are in [1, 62]: the smallest in one byte, deltas below 2^6. Their count
// is that of the multipliers stored beside them.
inline constexpr DeltaPacking kShiftPacking{1, 0, 6};
// int32 values (biases): the smallest in four bytes, deltas below 2^32. The count
// comes from the tensor's shape, so deltas take at least 1 bit: the unpacked
// values then cost at most 32 bytes of memory per byte of file.
inline constexpr DeltaPacking kInt32Packing{4, 1, 32};

// Bytes of a packed vector of `count` deltas of `width` bits.
constexpr size_t PackedBytes(DeltaPacking packing, size_t count, int width) {
  return packing.HeaderBytes() + (count * static_cast<size_t>(width) + 7) / 8;
}

// The width byte of a packed vector at least HeaderBytes() long.
inline int PackedWidth(DeltaPacking packing, std::span<const uint8_t> packed) {
  return packed[packing.base_bytes];
}

// Value i of a packed vector whose size was checked against PackedBytes (and whose
// width against max_width); an int64 because a malformed vector's base plus delta
// may leave the type it stands for, which the loader checks.
inline int64_t PackedValue(DeltaPacking packing, std::span<const uint8_t> packed, size_t i) {
  uint64_t base = 0;
  for (size_t b = 0; b < packing.base_bytes; ++b) base |= uint64_t{packed[b]} << (8 * b);
  const uint64_t sign = uint64_t{1} << (8 * packing.base_bytes - 1);
  const int64_t signed_base = static_cast<int64_t>(base ^ sign) - static_cast<int64_t>(sign);
  const int width = PackedWidth(packing, packed);
  uint64_t delta = 0;
  for (int b = 0; b < width; ++b) {
    const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
    delta |= uint64_t{(packed[packing.HeaderBytes() + bit / 8] >> (bit % 8)) & 1u} << b;
  }
  return signed_base + static_cast<int64_t>(delta);
}

// The packed form of `values` (at least one, each representable in
// packing.base_bytes bytes, their range below 2^max_width), in the fewest bits
// (at least min_width) that hold every delta.
template <typename T>
std::vector<uint8_t> PackDeltas(DeltaPacking packing, std::span<const T> values) {
  const int64_t base = *std::min_element(values.begin(), values.end());
  const int64_t top = *std::max_element(values.begin(), values.end());
  int width = packing.min_width;
  while ((uint64_t{1} << width) <= static_cast<uint64_t>(top - base)) ++width;
  std::vector<uint8_t> packed(PackedBytes(packing, values.size(), width), 0);
  for (size_t b = 0; b < packing.base_bytes; ++b) {
    packed[b] = static_cast<uint8_t>(static_cast<uint64_t>(base) >> (8 * b));
  }
  packed[packing.base_bytes] = static_cast<uint8_t>(width);
  for (size_t i = 0; i < values.size(); ++i) {
    const uint64_t delta = static_cast<uint64_t>(int64_t{values[i]} - base);
    for (int b = 0; b < width; ++b) {
      const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
      packed[packing.HeaderBytes() + bit / 8] |=
          static_cast<uint8_t>(((delta >> b) & 1u) << (bit % 8));
    }
  }
  return packed;
}

}  // namespace qrt::schema
