// The table of a HardSigmoid or HardSwish LOOKUP, from its integer parameters: the
// formula of HardActivationParams (params.h), the spec of what such a LOOKUP
// computes. u is the clamped pre-activation alpha * x + beta in units of
// 2^-fraction_bits input steps (alpha * Sx), so the offset keeps fraction_bits of
// beta / (alpha * Sx) where a whole input step would move the output by several
// steps (HardSigmoid's slope alpha * Sx / Sy reaches 6 in PP-OCR's classifier).
#include <algorithm>
#include <cstdint>

#include "qrt/kernels/reference.h"

namespace qrt::kernels::ref {

void BuildHardActivationTable(const HardActivationParams& p, int8_t* table) {
  for (int32_t q = -128; q <= 127; ++q) {
    const int32_t d = q - p.input_zero_point;
    // |d| <= 255 and fraction_bits <= 23: the shifted value and the offset fit int64.
    const int64_t shifted = int64_t{d} * (int64_t{1} << p.fraction_bits) + p.offset;
    const auto u = static_cast<int32_t>(std::clamp<int64_t>(shifted, 0, p.width));
    // 255 * width fits int32 (kMaxHardWidth).
    const int32_t acc = p.function == HardFunction::kHardSwish ? d * u : u;
    table[q + 128] = Requantize(acc, p.multiplier, p.output_zero_point, p.clamp.lo, p.clamp.hi);
  }
}

}  // namespace qrt::kernels::ref
