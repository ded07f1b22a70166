// Writing a file so that readers see either the old file or the complete new one,
// never a half-written one: the bytes go to a temporary file beside `path`
// (same directory, so the rename cannot cross file systems), are flushed to
// disk, and the temporary file is renamed over `path`. On any failure the
// temporary file is removed and `path` is untouched.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>

#include "qrt/status.h"

namespace qrt::tools {

// Writes the concatenation of `parts` to `path`. Errors are kIoError with
// messages of the form "<path>: cannot create: <reason>".
Status WriteFileAtomically(const std::string& path,
                           std::initializer_list<std::span<const std::byte>> parts);

}  // namespace qrt::tools
