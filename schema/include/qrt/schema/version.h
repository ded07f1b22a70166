// The schema version this code writes and reads (Model.schema_version); see the
// revision history at the top of schema/qrt.fbs.
#pragma once

#include <cstdint>

namespace qrt::schema {

inline constexpr uint32_t kSchemaVersion = 1;

}  // namespace qrt::schema
