// Exact integer helpers of the reference kernels.
#pragma once

#include <cstdint>

namespace qrt::kernels::ref {

// floor(num / den) for den > 0 (C++ division truncates toward zero).
inline int64_t FloorDiv(int64_t num, int64_t den) {
  const int64_t q = num / den;
  return (num % den != 0 && num < 0) ? q - 1 : q;
}

// floor(sqrt(v)), exactly, by the binary digit-by-digit method: `root` holds the
// digits found so far, `bit` the square of the next candidate digit.
inline uint64_t ISqrt(uint64_t v) {
  uint64_t root = 0;
  uint64_t bit = uint64_t{1} << 62;
  while (bit > v) bit >>= 2;
  while (bit != 0) {
    if (v >= root + bit) {
      v -= root + bit;
      root = (root >> 1) + bit;
    } else {
      root >>= 1;
    }
    bit >>= 2;
  }
  return root;
}

}  // namespace qrt::kernels::ref
