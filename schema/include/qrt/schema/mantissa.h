// How a Requantization stores a multiplier in 16 bits (schema version 3,
// docs/format.md §3.5): the multiplier is mantissa << kMantissaShift, so a mantissa
// in [2^15, 2^16) is a normalised multiplier in [2^30, 2^31) with 16 significant
// bits. Shared by the writer (ModelBuilder, the converter) and the loader.
#pragma once

namespace qrt::schema {

inline constexpr int kMantissaShift = 15;

}  // namespace qrt::schema
