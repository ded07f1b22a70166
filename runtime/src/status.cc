#include "qrt/status.h"

namespace qrt {

const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "Ok";
    case StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case StatusCode::kIoError:
      return "IoError";
    case StatusCode::kNotAModel:
      return "NotAModel";
    case StatusCode::kMalformedModel:
      return "MalformedModel";
    case StatusCode::kUnsupportedVersion:
      return "UnsupportedVersion";
    case StatusCode::kIndexOutOfRange:
      return "IndexOutOfRange";
    case StatusCode::kBadShape:
      return "BadShape";
    case StatusCode::kBadType:
      return "BadType";
    case StatusCode::kBufferSizeMismatch:
      return "BufferSizeMismatch";
    case StatusCode::kMisalignedBuffer:
      return "MisalignedBuffer";
    case StatusCode::kBadQuantization:
      return "BadQuantization";
    case StatusCode::kChannelCountMismatch:
      return "ChannelCountMismatch";
    case StatusCode::kBadRequantization:
      return "BadRequantization";
    case StatusCode::kBadClamp:
      return "BadClamp";
    case StatusCode::kBadOptions:
      return "BadOptions";
    case StatusCode::kBadGraph:
      return "BadGraph";
    case StatusCode::kDuplicateName:
      return "DuplicateName";
    case StatusCode::kUnsupportedIsa:
      return "UnsupportedIsa";
    case StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::kUnsupportedOperator:
      return "UnsupportedOperator";
  }
  return "Unknown";
}

std::string Status::ToString() const {
  if (ok()) return "Ok";
  return std::string(StatusCodeName(code_)) + ": " + message_;
}

}  // namespace qrt
