// ONNX import: a float ONNX model (default domain, opsets 9 to 21) into the converter's
// IR, with every tensor's type and shape inferred by the converter itself.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "converter/ir/graph.h"
#include "converter/reference/shape_inference.h"
#include "qrt/status.h"

namespace qrt::converter {

// The default-domain opsets the importer accepts.
inline constexpr int64_t kMinOnnxOpset = 9;
inline constexpr int64_t kMaxOnnxOpset = 21;

struct ImportOptions {
  // Dims for graph inputs whose model dims are dynamic (or to pin them), by input name.
  InputShapes input_shapes;
};

// Reads and imports a .onnx file. Errors: IoError (missing/unreadable), NotAModel
// (empty, or parses but is no ONNX model), MalformedModel (truncated or corrupt bytes),
// UnsupportedVersion (opset outside 9..21, or operators the converter does not support:
// all of them listed in one message), BadType (element types other than float32, int64,
// int32, int8, uint8, bool), InvalidArgument (external data), BadGraph, BadShape.
Status ImportOnnxFile(const std::string& path, const ImportOptions& options, Graph* graph);

// Same, from the serialized ModelProto bytes.
Status ImportOnnxBytes(std::string_view bytes, const ImportOptions& options, Graph* graph);

// Parses one `--input-shape` value, "NAME=1x3x48x192" (dims may also be separated by
// commas). InvalidArgument when malformed or a dim is not a positive integer.
Status ParseInputShape(std::string_view text, std::string* name, Shape* dims);

}  // namespace qrt::converter
