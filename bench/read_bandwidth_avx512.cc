// The read loop of read_bandwidth.h. Compiled with -mavx512f; it includes no
// header with inline functions besides the intrinsics, so no AVX-512 code can
// stand in for a baseline copy (ODR).
#include <immintrin.h>

#include "read_bandwidth.h"

namespace qrt::bench {

int64_t SumBytesAvx512(const uint8_t* data, size_t bytes) {
  // Eight accumulators: one add per load, none waiting on another.
  __m512i sums[8];
  for (__m512i& s : sums) s = _mm512_setzero_si512();
  for (size_t offset = 0; offset < bytes; offset += 512) {
    for (int i = 0; i < 8; ++i) {
      sums[i] = _mm512_add_epi64(sums[i], _mm512_load_si512(data + offset + 64 * i));
    }
  }
  __m512i total = _mm512_setzero_si512();
  for (const __m512i& s : sums) total = _mm512_add_epi64(total, s);
  // A store and a scalar sum, as in vnni_peak_avx512vnni.cc (GCC bug 105593).
  int64_t lanes[8];
  _mm512_storeu_si512(lanes, total);
  int64_t sum = 0;
  for (int64_t lane : lanes) sum += lane;
  return sum;
}

}  // namespace qrt::bench
