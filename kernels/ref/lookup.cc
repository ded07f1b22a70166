// Table lookup, the formula of LookupParams (params.h): out[i] = table[in[i] + 128].
// The converter evaluates any pointwise function of one int8 input into the
// 256-entry table, so the run time is pure indexing.
#include <cstdint>

#include "qrt/kernels/reference.h"

namespace qrt::kernels::ref {

void Lookup(const LookupParams& p, const int8_t* input, int8_t* output) {
  for (int64_t i = 0; i < p.count; ++i) output[i] = p.table[input[i] + 128];
}

}  // namespace qrt::kernels::ref
