// How a Requantization stores its shifts packed (schema version 4,
// Requantization.packed_shift, docs/format.md §3.5): the smallest shift, the bit
// width of the deltas, then each shift's delta from the smallest in that many
// bits, least significant bit first. Shared by the writer (the converter's
// compaction) and the loader, which expands them before any kernel sees them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace qrt::schema {

inline constexpr size_t kPackedShiftHeaderBytes = 2;
// Shifts are in [1, 62], so deltas are below 2^6.
inline constexpr int kMaxPackedShiftWidth = 6;

// Bytes of a packed vector of `count` deltas of `width` bits.
constexpr size_t PackedShiftBytes(size_t count, int width) {
  return kPackedShiftHeaderBytes + (count * static_cast<size_t>(width) + 7) / 8;
}

// Delta i of a packed vector whose size was checked against PackedShiftBytes.
inline int32_t PackedShiftDelta(std::span<const uint8_t> packed, size_t i) {
  const int width = packed[1];
  int32_t delta = 0;
  for (int b = 0; b < width; ++b) {
    const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
    delta |= ((packed[kPackedShiftHeaderBytes + bit / 8] >> (bit % 8)) & 1) << b;
  }
  return delta;
}

// The packed form of `shifts` (each in [1, 62], at least one).
inline std::vector<uint8_t> PackShifts(std::span<const int8_t> shifts) {
  const int8_t base = *std::min_element(shifts.begin(), shifts.end());
  const int8_t top = *std::max_element(shifts.begin(), shifts.end());
  int width = 0;
  while ((1 << width) <= top - base) ++width;
  std::vector<uint8_t> packed(PackedShiftBytes(shifts.size(), width), 0);
  packed[0] = static_cast<uint8_t>(base);
  packed[1] = static_cast<uint8_t>(width);
  for (size_t i = 0; i < shifts.size(); ++i) {
    const int delta = shifts[i] - base;
    for (int b = 0; b < width; ++b) {
      const size_t bit = i * static_cast<size_t>(width) + static_cast<size_t>(b);
      packed[kPackedShiftHeaderBytes + bit / 8] |=
          static_cast<uint8_t>(((delta >> b) & 1) << (bit % 8));
    }
  }
  return packed;
}

}  // namespace qrt::schema
