// The schema version this code writes (and the newest it reads) (Model.schema_version); see the
// revision history at the top of schema/qrt.fbs.
#pragma once

#include <cstdint>

namespace qrt::schema {

inline constexpr uint32_t kSchemaVersion = 3;
// The oldest schema version this code reads. Version 3 moved activation
// quantization into Tensor, which a version-2 file does not have, so older files
// are rejected with an error that asks for a reconversion.
inline constexpr uint32_t kMinSchemaVersion = 3;

}  // namespace qrt::schema
