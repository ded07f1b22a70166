// ModelBuilder: writes .qrt models (schema/qrt.fbs, docs/format.md) from C++.
// The tests build their models with it, the ONNX converter its output.
//
// The builder records exactly what it is told. It never checks that shapes,
// types, buffer sizes or graph order make sense, because the tests need
// deliberately broken models to prove that the loader rejects each of them; the
// runtime's validation is the only judge of a model. The typed helpers encode the
// format's conventions (quantization layout, int4 packing, one buffer per
// constant) so that a correct model is the easy one to write.
//
//   qrt::ModelBuilder b;
//   const int32_t x = b.AddActivation("x", {1, 8}, 0.05f, -3);
//   const int32_t w = b.AddInt8Weights("w", {4, 8}, weights, channel_scales);
//   const int32_t bias = b.AddBias("b", bias_values);
//   const int32_t y = b.AddActivation("y", {1, 4}, 0.1f, 0);
//   b.FullyConnected(x, w, bias, y, requant, {0, 127});
//   b.SetInputs({x});
//   b.SetOutputs({y});
//   qrt::Status s = b.WriteFile("fc.qrt");
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "qrt/kernels/requant.h"
#include "qrt/schema/mantissa.h"  // schema::kMantissaShift
#include "qrt/schema/qrt_generated.h"
#include "qrt/schema/version.h"  // kSchemaVersion, which every built model carries
#include "qrt/status.h"

namespace qrt {

// The fused activation of an operator: outputs are clamped to [lo, hi]. The
// default is the whole int8 range (no activation).
struct ClampBounds {
  int8_t lo = -128;
  int8_t hi = 127;
};

// Conv2DOptions without the requantization and clamp, as an aggregate so that
// callers name only what differs from the defaults: {.stride_h = 2, .stride_w = 2}.
struct Conv2DAttributes {
  int32_t stride_h = 1;
  int32_t stride_w = 1;
  int32_t dilation_h = 1;
  int32_t dilation_w = 1;
  int32_t pad_top = 0;
  int32_t pad_left = 0;
  int32_t pad_bottom = 0;
  int32_t pad_right = 0;
  int32_t groups = 1;
};

// ConvTranspose2DOptions without the requantization and clamp.
struct ConvTranspose2DAttributes {
  int32_t stride_h = 1;
  int32_t stride_w = 1;
  int32_t pad_top = 0;
  int32_t pad_left = 0;
  int32_t pad_bottom = 0;
  int32_t pad_right = 0;
  int32_t output_padding_h = 0;
  int32_t output_padding_w = 0;
};

// Pool2DOptions without the requantization and clamp.
struct Pool2DAttributes {
  int32_t kernel_h = 1;
  int32_t kernel_w = 1;
  int32_t stride_h = 1;
  int32_t stride_w = 1;
  int32_t pad_top = 0;
  int32_t pad_left = 0;
  int32_t pad_bottom = 0;
  int32_t pad_right = 0;
  bool count_include_pad = false;
};

// AddOptions.left_shift's default in the schema: 20 bits of headroom keep the
// rescaled operands exact and their sum inside int32 (docs/format.md).
inline constexpr int32_t kDefaultAddLeftShift = 20;

// The alignment of weights (int8, int4) in the file (schema version 4; 64 before).
// The kernels read weights in place one byte at a time (reference) or pack them
// at load (every fast path), so no kernel loads them with aligned vector loads.
inline constexpr size_t kWeightAlignment = 4;

// The alignment a buffer holding data of `type` gets in the file (docs/format.md):
// kWeightAlignment for int8 and int4, 4 for int32 and float32, 2 for int16, 1
// otherwise.
size_t BufferAlignment(schema::ElementType type);

class ModelBuilder {
 public:
  // An empty model: schema_version = schema::kSchemaVersion, buffer 0 (the empty
  // sentinel), metadata.producer = "qrt", no tensors, operators or graph I/O.
  ModelBuilder();

  // The model being built, for anything the helpers do not cover, in particular
  // for tests that break one field on purpose. Indices returned by the helpers
  // are positions in model().tensors / operators / buffers.
  schema::ModelT& model() { return model_; }
  const schema::ModelT& model() const { return model_; }
  // producer (preset to "qrt"), source_model, calibration_method, description.
  schema::MetadataT& metadata() { return *model_.metadata; }

  // ---- Buffers and tensors. Each returns the new tensor's (or buffer's) index.

  // A new buffer holding `data`; its bytes start kWeightAlignment-aligned in the
  // output (or as its tensors' type needs, BufferAlignment).
  uint32_t AddBuffer(std::vector<uint8_t> data);

  // Any tensor: `buffer` 0 makes it an activation, `quantization` may be null. An
  // empty `name` is written as no name (schema version 2).
  int32_t AddTensor(std::string name, std::vector<int32_t> shape, schema::ElementType type,
                    uint32_t buffer, std::unique_ptr<schema::QuantizationT> quantization);

  // An int8 activation with one scale and one zero point (Tensor.scale and
  // Tensor.zero_point; no Quantization table).
  int32_t AddActivation(std::string name, std::vector<int32_t> shape, float scale,
                        int32_t zero_point);

  // A float32 activation without quantization: only valid as a graph input read
  // by QUANTIZE or a graph output written by DEQUANTIZE.
  int32_t AddFloatTensor(std::string name, std::vector<int32_t> shape);

  // Constant int8 weights (values in row-major order of `shape`) in their own
  // buffer, quantized per output channel: scale = `scales` (one per shape[0]),
  // no zero_point (absent means all 0: weights are symmetric),
  // quantized_dimension = 0.
  int32_t AddInt8Weights(std::string name, std::vector<int32_t> shape,
                         const std::vector<int8_t>& values, std::vector<float> scales);

  // Constant int4 weights, quantized like AddInt8Weights. `values` holds one int8
  // per element in [-8, 7], row-major; rows are shape[0] and each row's
  // K = product(shape[1:]) values are packed into ceil(K / 2) bytes, low nibble
  // first, an odd K leaving the row's last high nibble 0 (kernels/int4.h).
  // Aborts when a dimension is negative, values.size() differs from the element
  // count or a value is out of range: the packing cannot represent that, so it is
  // a bug in the caller. Broken int4 data can still be written with AddConstant.
  int32_t AddInt4Weights(std::string name, std::vector<int32_t> shape,
                         const std::vector<int8_t>& values, std::vector<float> scales);

  // A constant bias of shape [values.size()] without quantization (its scale is
  // implied: input scale x weight scale of each channel), stored as INT16 when
  // every value fits (the loader widens it to int32), INT32 otherwise.
  int32_t AddBias(std::string name, const std::vector<int32_t>& values);

  // A constant of any type: `bytes` are stored as given in a new buffer.
  int32_t AddConstant(std::string name, std::vector<int32_t> shape, schema::ElementType type,
                      std::vector<uint8_t> bytes,
                      std::unique_ptr<schema::QuantizationT> quantization = nullptr);

  // ---- Operators, appended in call order (the model's execution order), each
  // with version 1 and the options table of its type. Requantization arrays are
  // written as given (shift narrowed to int8); when every multiplier of one is a
  // multiple of 2^schema::kMantissaShift they are written as mantissas, which is
  // lossless. Each returns the operator's index.

  // inputs [input, weights, bias]; requant: one per output channel.
  int32_t Conv2D(int32_t input, int32_t weights, int32_t bias, int32_t output,
                 const Conv2DAttributes& attributes, const std::vector<kernels::Dyadic>& requant,
                 ClampBounds clamp = {});
  // inputs [input, weights, bias]; requant: one per output feature.
  int32_t FullyConnected(int32_t input, int32_t weights, int32_t bias, int32_t output,
                         const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // requant: [Ma, Mb, Mo].
  int32_t Add(int32_t a, int32_t b, int32_t output, const std::vector<kernels::Dyadic>& requant,
              ClampBounds clamp = {}, int32_t left_shift = kDefaultAddLeftShift);
  // requant: [M].
  int32_t Mul(int32_t a, int32_t b, int32_t output, const std::vector<kernels::Dyadic>& requant,
              ClampBounds clamp = {});
  // No requantization (absent from the options).
  int32_t MaxPool2D(int32_t input, int32_t output, const Pool2DAttributes& attributes,
                    ClampBounds clamp = {});
  // requant: entry n - 1 for a window of n counted positions, kernel_h * kernel_w entries.
  int32_t AveragePool2D(int32_t input, int32_t output, const Pool2DAttributes& attributes,
                        const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // The window is the whole input plane; the geometry fields keep their defaults.
  // requant: [M] for the count H * W, M = Sx / (Sy * H * W).
  int32_t GlobalAveragePool(int32_t input, int32_t output,
                            const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // requant: one per input. No clamp (the output saturates to int8).
  int32_t Concat(const std::vector<int32_t>& inputs, int32_t output, int32_t axis,
                 const std::vector<kernels::Dyadic>& requant);
  // The new shape is the output tensor's shape.
  int32_t Reshape(int32_t input, int32_t output);
  int32_t Transpose(int32_t input, int32_t output, std::vector<int32_t> perm);
  int32_t Pad(int32_t input, int32_t output, std::vector<int32_t> pads_begin,
              std::vector<int32_t> pads_end, int8_t pad_value = 0);
  int32_t ResizeNearest(
      int32_t input, int32_t output,
      schema::CoordinateTransform transform = schema::CoordinateTransform::HALF_PIXEL,
      schema::NearestRounding rounding = schema::NearestRounding::ROUND_PREFER_FLOOR);
  // table: 256 entries, y = table[x + 128].
  int32_t Lookup(int32_t input, int32_t output, std::vector<int8_t> table);
  // A HardSigmoid or HardSwish LOOKUP given by its parameters (LookupOptions.hard,
  // schema version 4), whose table the runtime builds at load.
  int32_t HardActivationLookup(int32_t input, int32_t output, const schema::HardActivation& hard);
  // exp_table: 256 entries; requant: [M].
  int32_t Softmax(int32_t input, int32_t output, std::vector<int32_t> exp_table,
                  const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // float32 -> int8 and back, at the graph boundary.
  int32_t Quantize(int32_t input, int32_t output);
  int32_t Dequantize(int32_t input, int32_t output);
  // inputs [input, weights OHWI, bias]; requant: one per output channel.
  int32_t ConvTranspose2D(int32_t input, int32_t weights, int32_t bias, int32_t output,
                          const ConvTranspose2DAttributes& attributes,
                          const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // requant: [M] with M = Sx / (Sy * 2^22).
  int32_t ResizeBilinear(
      int32_t input, int32_t output, const std::vector<kernels::Dyadic>& requant,
      schema::CoordinateTransform transform = schema::CoordinateTransform::HALF_PIXEL,
      ClampBounds clamp = {});
  // inputs [input, gamma int8 [depth], beta int32 [depth]]; requant: one per channel.
  int32_t LayerNorm(int32_t input, int32_t gamma, int32_t beta, int32_t output, int64_t epsilon,
                    const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // requant: [M] with M = Sa * Sb / Sy.
  int32_t BatchMatMul(int32_t a, int32_t b, int32_t output, bool transpose_b,
                      const std::vector<kernels::Dyadic>& requant, ClampBounds clamp = {});
  // One begin and step per axis; the output shape is the output tensor's.
  int32_t Slice(int32_t input, int32_t output, std::vector<int32_t> begin,
                std::vector<int32_t> step);

  // Operator names appear in the runtime's error messages.
  void SetOperatorName(int32_t op, std::string name);

  // ---- Graph.
  void SetInputs(std::vector<int32_t> tensors) { model_.inputs = std::move(tensors); }
  void SetOutputs(std::vector<int32_t> tensors) { model_.outputs = std::move(tensors); }

  // ---- Output.

  // The serialized model with file identifier "QRTM". Each non-empty buffer sits
  // at an offset that is a multiple of BufferAlignment of the tensors reading it
  // (4 for int8/int4 weights and int32, 2 for int16; kWeightAlignment for a buffer
  // nobody reads), and the size is a multiple of the largest alignment in the
  // file, so bytes placed at a 64-byte aligned address (a mapped file, an aligned
  // allocation) have every buffer aligned. LOOKUP operators with identical tables
  // share one vector, tensors with identical shapes one shape vector. The vector's
  // own storage is not 64-byte aligned: copy the bytes before handing them to
  // Model::LoadBuffer.
  std::vector<uint8_t> Finish() const;

  // Writes Finish() to `path` atomically: a temporary file in the same directory,
  // flushed to disk, then renamed over `path`. On failure nothing is left behind
  // and `path` is untouched; the Status is kIoError and names the path.
  Status WriteFile(const std::string& path) const;

 private:
  int32_t AddOperator(schema::OperatorType type, std::vector<int32_t> inputs,
                      std::vector<int32_t> outputs, schema::OperatorOptionsUnion options);

  schema::ModelT model_;
};

}  // namespace qrt
