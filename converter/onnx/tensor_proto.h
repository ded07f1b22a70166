// onnx::TensorProto <-> converter TensorData.
#pragma once

#include <onnx/onnx_pb.h>

#include <string>

#include "converter/ir/tensor.h"
#include "qrt/status.h"

namespace qrt::converter {

// Maps a TensorProto.DataType number to a DType; BadType (naming `what`) for the
// types the converter does not read (float16, double, strings, int16, ...).
Status DTypeFromOnnx(int32_t data_type, const std::string& what, DType* dtype);

// Converts an initializer, Constant value or test-data tensor (raw_data or the typed
// fields). External data is rejected: the converter reads self-contained models only.
Status TensorDataFromProto(const onnx::TensorProto& proto, TensorData* tensor);

// The reverse of TensorDataFromProto: `tensor` as raw_data under `name`.
onnx::TensorProto TensorDataToProto(const TensorData& tensor, const std::string& name);

// Reads a serialized TensorProto file (ONNX test data: input_0.pb, output_0.pb).
Status ReadTensorProtoFile(const std::string& path, TensorData* tensor, std::string* name);

}  // namespace qrt::converter
