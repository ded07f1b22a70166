// Status: how every fallible libqrt call reports failure. Errors are values, never
// exceptions or aborts; the message names the file, operator or tensor at fault.
#pragma once

#include <string>
#include <utility>

namespace qrt {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,       // a caller's argument is wrong (unknown name, wrong size or type)
  kIoError,               // a file could not be opened, read or mapped
  kNotAModel,             // too small, or the file identifier is not "QRTM"
  kMalformedModel,        // the FlatBuffers verifier rejected the bytes (truncated, corrupt)
  kUnsupportedVersion,    // schema or operator version this runtime does not read
  kIndexOutOfRange,       // a tensor or buffer index points outside its array
  kBadShape,              // non-positive or overflowing dims, or shapes an operator cannot use
  kBadType,               // an element type an operator or tensor position does not accept
  kBufferSizeMismatch,    // constant data size differs from shape x element type
  kMisalignedBuffer,      // constant data not 64-byte aligned
  kBadQuantization,       // missing/ill-sized scales or zero points, zero point out of range
  kChannelCountMismatch,  // a per-channel array's length differs from the channel count
  kBadRequantization,     // a multiplier or shift outside the spec's range
  kBadClamp,              // clamp lo > hi
  kBadOptions,            // missing or inconsistent operator options
  kBadGraph,              // cycle or use before definition, tensor produced twice, bad graph I/O
  kDuplicateName,         // two tensors with one name
  kUnsupportedIsa,        // a forced instruction set the CPU does not have
  kFailedPrecondition,    // a call out of order, e.g. reading an output before Run
  kUnsupportedOperator,   // an operator (type or attributes) a tool cannot convert
};

// The enumerator's name without the k, e.g. "BadShape".
const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "BadShape: operator 3 'conv1' (CONV_2D): ...".
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace qrt

// Returns from the enclosing function when expr yields a non-ok Status.
#define QRT_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::qrt::Status qrt_status_ = (expr);        \
    if (!qrt_status_.ok()) return qrt_status_; \
  } while (0)
