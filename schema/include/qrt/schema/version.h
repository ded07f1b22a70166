// The schema version this code writes (and the newest it reads) (Model.schema_version); see the
// revision history at the top of schema/qrt.fbs.
#pragma once

#include <cstdint>

namespace qrt::schema {

inline constexpr uint32_t kSchemaVersion = 4;
// The oldest schema version this code reads: the newest only, so that the runtime
// carries one reading of the format. Older files are rejected with an error that
// asks for a reconversion.
inline constexpr uint32_t kMinSchemaVersion = 4;

}  // namespace qrt::schema
