// The schema version this code writes (and the newest it reads) (Model.schema_version); see the
// revision history at the top of schema/qrt.fbs.
#pragma once

#include <cstdint>

namespace qrt::schema {

inline constexpr uint32_t kSchemaVersion = 2;
// The oldest schema version this code reads: every version-1 file is a valid
// version-2 file (version 2 only relaxed rules).
inline constexpr uint32_t kMinSchemaVersion = 1;

}  // namespace qrt::schema
