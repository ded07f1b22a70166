// The vpdpbusd loop of vnni_peak.h. Compiled with -mavx512f/bw/vnni; it includes
// no header with inline functions besides the intrinsics, so no AVX-512 code can
// stand in for a baseline copy (ODR). Inline assembly keeps every chain in its own
// register and stops the compiler from merging or reordering the chains.
#include <immintrin.h>

#include "vnni_peak.h"

namespace qrt::bench {

int32_t RunVpdpbusdChains(int64_t iterations, int32_t seed) {
  const __m512i a = _mm512_set1_epi32(seed);
  const __m512i b = _mm512_set1_epi32(seed ^ 0x01010101);
  __m512i c0 = _mm512_set1_epi32(0), c1 = _mm512_set1_epi32(1), c2 = _mm512_set1_epi32(2),
          c3 = _mm512_set1_epi32(3), c4 = _mm512_set1_epi32(4), c5 = _mm512_set1_epi32(5),
          c6 = _mm512_set1_epi32(6), c7 = _mm512_set1_epi32(7), c8 = _mm512_set1_epi32(8),
          c9 = _mm512_set1_epi32(9), c10 = _mm512_set1_epi32(10), c11 = _mm512_set1_epi32(11),
          c12 = _mm512_set1_epi32(12), c13 = _mm512_set1_epi32(13), c14 = _mm512_set1_epi32(14),
          c15 = _mm512_set1_epi32(15);
  static_assert(kVpdpbusdChains == 16, "the assembly below has one line per chain");
  // Two statements of eight chains: an asm statement takes at most 30 operands.
  for (int64_t i = 0; i < iterations; ++i) {
    __asm__ volatile(
        "vpdpbusd %[b], %[a], %[c0]\n\t"
        "vpdpbusd %[b], %[a], %[c1]\n\t"
        "vpdpbusd %[b], %[a], %[c2]\n\t"
        "vpdpbusd %[b], %[a], %[c3]\n\t"
        "vpdpbusd %[b], %[a], %[c4]\n\t"
        "vpdpbusd %[b], %[a], %[c5]\n\t"
        "vpdpbusd %[b], %[a], %[c6]\n\t"
        "vpdpbusd %[b], %[a], %[c7]\n\t"
        : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2), [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5),
          [c6] "+v"(c6), [c7] "+v"(c7)
        : [a] "v"(a), [b] "v"(b));
    __asm__ volatile(
        "vpdpbusd %[b], %[a], %[c8]\n\t"
        "vpdpbusd %[b], %[a], %[c9]\n\t"
        "vpdpbusd %[b], %[a], %[c10]\n\t"
        "vpdpbusd %[b], %[a], %[c11]\n\t"
        "vpdpbusd %[b], %[a], %[c12]\n\t"
        "vpdpbusd %[b], %[a], %[c13]\n\t"
        "vpdpbusd %[b], %[a], %[c14]\n\t"
        "vpdpbusd %[b], %[a], %[c15]\n\t"
        : [c8] "+v"(c8), [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11), [c12] "+v"(c12),
          [c13] "+v"(c13), [c14] "+v"(c14), [c15] "+v"(c15)
        : [a] "v"(a), [b] "v"(b));
  }
  const __m512i sums[] = {c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15};
  __m512i sum = _mm512_setzero_si512();
  for (const __m512i& s : sums) sum = _mm512_add_epi32(sum, s);
  // A store and a scalar sum: GCC 12 reports the horizontal-add intrinsic's
  // placeholder operand as uninitialised (GCC bug 105593).
  int32_t lanes[16];
  _mm512_storeu_si512(lanes, sum);
  uint32_t total = 0;
  for (int32_t lane : lanes) total += static_cast<uint32_t>(lane);
  return static_cast<int32_t>(total);
}

}  // namespace qrt::bench
