// Bad models: each test starts from a valid model, breaks exactly one invariant
// of the format (schema/qrt.fbs, runtime/src/validate.cc, runtime/src/ops/) and
// checks that loading fails with the one specific StatusCode for that kind of
// failure and a message naming the tensor or operator at fault. Then truncated
// and byte-flipped models, which must never crash (this binary also runs under
// ASan and UBSan), and LoadFile's own errors.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qrt/kernels/isa.h"
#include "qrt/kernels/reference.h"
#include "qrt/qrt.h"
#include "qrt/schema/model_builder.h"
#include "qrt/schema/packed_deltas.h"
#include "runtime/test_models.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using schema::ElementType;
using schema::OperatorType;

// ---- Bytes and loading.

// Model bytes in a 64-byte aligned allocation of exactly `size` bytes (plus
// `offset` bytes in front), so that ASan flags any read past the end.
class ExactBytes {
 public:
  ExactBytes(const uint8_t* data, size_t size, size_t offset = 0) : size_(size) {
    void* p = nullptr;
    REQUIRE(posix_memalign(&p, 64, std::max<size_t>(offset + size, 1)) == 0);
    base_ = static_cast<uint8_t*>(p);
    if (size != 0) std::memcpy(base_ + offset, data, size);
    data_ = base_ + offset;
  }
  explicit ExactBytes(const std::vector<uint8_t>& bytes, size_t offset = 0)
      : ExactBytes(bytes.data(), bytes.size(), offset) {}
  ~ExactBytes() { std::free(base_); }
  ExactBytes(const ExactBytes&) = delete;
  ExactBytes& operator=(const ExactBytes&) = delete;

  uint8_t* data() { return data_; }
  size_t size() const { return size_; }

 private:
  uint8_t* base_ = nullptr;
  uint8_t* data_ = nullptr;
  size_t size_;
};

std::string Describe(const Status& status) {
  return status.ok() ? std::string("Ok") : status.ToString();
}

// The one shared check: `status` has `code` and its message contains every fragment.
void ExpectStatus(const Status& status, StatusCode code,
                  std::initializer_list<std::string> fragments) {
  INFO("status: " << Describe(status));
  CHECK(std::string(StatusCodeName(status.code())) == std::string(StatusCodeName(code)));
  for (const std::string& fragment : fragments) {
    CHECK_MESSAGE(status.message().find(fragment) != std::string::npos,
                  "message lacks '" << fragment << "'");
  }
}

// Builds, serializes and loads `builder` from aligned memory and checks the result.
void ExpectLoad(const ModelBuilder& builder, StatusCode code,
                std::initializer_list<std::string> fragments, const LoadOptions& options = {}) {
  const AlignedBytes bytes(builder.Finish());
  std::shared_ptr<const Model> model;
  const Status status = Model::LoadBuffer(bytes.data(), bytes.size(), &model, options);
  ExpectStatus(status, code, fragments);
  if (code != StatusCode::kOk) CHECK(model == nullptr);
}

// Runs a loaded model once on fixed inputs (validation promises this is safe) and
// returns every output.
std::vector<std::vector<float>> RunOnce(const std::shared_ptr<const Model>& model) {
  std::unique_ptr<Session> session;
  REQUIRE(Session::Create(model, &session).ok());
  for (const TensorInfo& input : model->inputs()) {
    std::vector<float> values(input.element_count);
    for (size_t i = 0; i < values.size(); ++i)
      values[i] = static_cast<float>(i % 7) * 0.25f - 0.75f;
    CHECK(session->SetInput(input.name, values.data(), values.size()).ok());
  }
  CHECK(session->Run().ok());
  std::vector<std::vector<float>> outputs;
  for (const TensorInfo& output : model->outputs()) {
    outputs.emplace_back(output.element_count);
    CHECK(session->GetOutput(output.name, outputs.back().data(), outputs.back().size()).ok());
  }
  return outputs;
}

// Loads `builder` and runs it once: for comparing two encodings of one model.
std::vector<std::vector<float>> RunOutputs(const ModelBuilder& builder) {
  const AlignedBytes bytes(builder.Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  return RunOnce(model);
}

// ---- Finding what to break in a model.

size_t TensorIndex(const ModelBuilder& b, std::string_view name) {
  const auto& tensors = b.model().tensors;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i]->name == name) return i;
  }
  FAIL("no tensor named " << name);
  return 0;
}

schema::TensorT& TensorOf(ModelBuilder& b, std::string_view name) {
  return *b.model().tensors[TensorIndex(b, name)];
}

// "tensor 8 'maxpool'", as the runtime names it.
std::string TensorRef(const ModelBuilder& b, std::string_view name) {
  return "tensor " + std::to_string(TensorIndex(b, name)) + " '" + std::string(name) + "'";
}

std::vector<uint8_t>& BufferOf(ModelBuilder& b, std::string_view tensor) {
  return b.model().buffers[TensorOf(b, tensor).buffer]->data;
}

// Rewrites an INT16 bias (what the builder writes for small values) as INT32.
void WidenBias(ModelBuilder& b, std::string_view tensor) {
  REQUIRE(TensorOf(b, tensor).type == ElementType::INT16);
  std::vector<uint8_t>& bytes = BufferOf(b, tensor);
  std::vector<uint8_t> wide;
  for (size_t i = 0; i < bytes.size(); i += 2) {
    int16_t value;
    std::memcpy(&value, bytes.data() + i, sizeof(value));
    const int32_t v = value;
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    wide.insert(wide.end(), p, p + sizeof(v));
  }
  bytes = std::move(wide);
  TensorOf(b, tensor).type = ElementType::INT32;
}

// The first operator of `type`.
size_t OpIndex(const ModelBuilder& b, OperatorType type) {
  const auto& ops = b.model().operators;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i]->type == type) return i;
  }
  FAIL("no operator of type " << schema::EnumNameOperatorType(type));
  return 0;
}

size_t OpIndex(const ModelBuilder& b, std::string_view name) {
  const auto& ops = b.model().operators;
  for (size_t i = 0; i < ops.size(); ++i) {
    if (ops[i]->name == name) return i;
  }
  FAIL("no operator named " << name);
  return 0;
}

schema::OperatorT& Op(ModelBuilder& b, size_t index) { return *b.model().operators[index]; }

// "operator 1 'conv1' (CONV_2D)" or "operator 3 (MAX_POOL_2D)".
std::string OpRef(const ModelBuilder& b, size_t index) {
  const schema::OperatorT& op = *b.model().operators[index];
  std::string where = "operator " + std::to_string(index);
  if (!op.name.empty()) where += " '" + op.name + "'";
  return where + " (" + schema::EnumNameOperatorType(op.type) + ")";
}

schema::Conv2DOptionsT& ConvOptions(ModelBuilder& b, std::string_view name) {
  return *Op(b, OpIndex(b, name)).options.AsConv2DOptions();
}

schema::RequantizationT& ConvRequant(ModelBuilder& b, std::string_view name) {
  return *ConvOptions(b, name).requant;
}

schema::Pool2DOptionsT& PoolOptions(ModelBuilder& b, OperatorType type) {
  return *Op(b, OpIndex(b, type)).options.AsPool2DOptions();
}

std::unique_ptr<schema::QuantizationT> Quant(std::vector<float> scales,
                                             std::vector<int32_t> zero_points) {
  auto q = std::make_unique<schema::QuantizationT>();
  q->scale = std::move(scales);
  q->zero_point = std::move(zero_points);
  return q;
}

std::vector<kernels::Dyadic> Ones(size_t n) {
  return std::vector<kernels::Dyadic>(n, MustQuantizeMultiplier(0.5));
}

// x [1, k] -> FULLY_CONNECTED (int8 weights [n, k], all 1) -> y [1, n].
ModelBuilder FullyConnectedModel(int32_t k, int32_t n, std::vector<int32_t> bias) {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, k}, 0.1f, 0);
  const int32_t w =
      b.AddInt8Weights("w", {n, k}, std::vector<int8_t>(static_cast<size_t>(n) * k, 1),
                       std::vector<float>(static_cast<size_t>(n), 0.01f));
  const int32_t bias_index = b.AddBias("b", bias);
  const int32_t y = b.AddActivation("y", {1, n}, 0.5f, 0);
  b.SetOperatorName(b.FullyConnected(x, w, bias_index, y, Ones(static_cast<size_t>(n))), "fc");
  b.SetInputs({x});
  b.SetOutputs({y});
  return b;
}

// ---- The valid model.

TEST_CASE("the every-operator model loads from a buffer and from a file") {
  const ModelBuilder b = EveryOperatorModel();
  ExpectLoad(b, StatusCode::kOk, {});

  const AlignedBytes bytes(b.Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  CHECK(model->num_operators() == 17);
  RunOnce(model);

  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     ("qrt_validation_" + std::to_string(::getpid()) + ".qrt");
  REQUIRE(b.WriteFile(path.string()).ok());
  std::shared_ptr<const Model> from_file;
  const Status status = Model::LoadFile(path.string(), &from_file);
  std::filesystem::remove(path);
  ExpectStatus(status, StatusCode::kOk, {});
  REQUIRE(from_file != nullptr);
  CHECK(from_file->num_operators() == 17);
  RunOnce(from_file);
}

// ---- Identifier, alignment, version.

TEST_CASE("a buffer of fewer than 8 bytes is not a model") {
  const std::vector<uint8_t> bytes = EveryOperatorModel().Finish();
  ExactBytes seven(bytes.data(), 7);
  std::shared_ptr<const Model> model;
  ExpectStatus(Model::LoadBuffer(seven.data(), seven.size(), &model), StatusCode::kNotAModel,
               {"7 bytes"});
  ExpectStatus(Model::LoadBuffer(nullptr, 0, &model), StatusCode::kNotAModel, {"0 bytes"});
}

TEST_CASE("a wrong file identifier is not a model") {
  AlignedBytes bytes(EveryOperatorModel().Finish());
  std::memcpy(bytes.data() + 4, "ABCD", 4);
  std::shared_ptr<const Model> model;
  ExpectStatus(Model::LoadBuffer(bytes.data(), bytes.size(), &model), StatusCode::kNotAModel,
               {"'ABCD'", "QRTM"});
}

TEST_CASE("valid model bytes at a misaligned address are rejected") {
  const std::vector<uint8_t> bytes = EveryOperatorModel().Finish();
  ExactBytes shifted(bytes, 1);  // the model starts one byte after a 64-byte boundary
  REQUIRE(reinterpret_cast<uintptr_t>(shifted.data()) % 64 == 1);
  std::shared_ptr<const Model> model;
  ExpectStatus(Model::LoadBuffer(shifted.data(), shifted.size(), &model),
               StatusCode::kMisalignedBuffer, {"64-byte boundary"});
}

TEST_CASE("the next schema version is unsupported") {
  ModelBuilder b = EveryOperatorModel();
  b.model().schema_version += 1;
  ExpectLoad(b, StatusCode::kUnsupportedVersion,
             {"schema version " + std::to_string(b.model().schema_version)});
}

TEST_CASE("an unknown operator type is unsupported") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).type = static_cast<OperatorType>(99);
  ExpectLoad(b, StatusCode::kUnsupportedVersion, {"operator 1 'conv1'", "UNKNOWN(99)"});
}

TEST_CASE("operator version 2 is unsupported") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).version = 2;
  ExpectLoad(b, StatusCode::kUnsupportedVersion, {OpRef(b, conv), "version 2"});
}

// ---- Operator structure.

TEST_CASE("options of another operator's type are rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).options.Set(schema::ReshapeOptionsT{});
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, conv), "Conv2DOptions", "ReshapeOptions"});
}

TEST_CASE("missing options are rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).options.Reset();
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, conv), "but has none"});
}

TEST_CASE("a wrong number of inputs is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).inputs.pop_back();
  ExpectLoad(b, StatusCode::kBadGraph, {OpRef(b, conv), "2 inputs"});
}

TEST_CASE("a wrong number of outputs is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t pool = OpIndex(b, OperatorType::MAX_POOL_2D);
  Op(b, pool).outputs.push_back(static_cast<int32_t>(TensorIndex(b, "avgpool")));
  ExpectLoad(b, StatusCode::kBadGraph, {OpRef(b, pool), "2 outputs"});
}

// ---- Indices.

TEST_CASE("an operator input index out of range is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).inputs[1] = 999;
  ExpectLoad(b, StatusCode::kIndexOutOfRange, {OpRef(b, conv), "tensor 999"});
}

TEST_CASE("an operator output index out of range is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).outputs[0] = -1;
  ExpectLoad(b, StatusCode::kIndexOutOfRange, {OpRef(b, conv), "tensor -1"});
}

TEST_CASE("a graph input index out of range is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().inputs = {999};
  ExpectLoad(b, StatusCode::kIndexOutOfRange, {"graph input", "tensor 999"});
}

TEST_CASE("a graph output index out of range is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const auto count = static_cast<int32_t>(b.model().tensors.size());
  b.model().outputs.push_back(count);
  ExpectLoad(b, StatusCode::kIndexOutOfRange, {"graph output", "tensor " + std::to_string(count)});
}

TEST_CASE("a buffer index out of range is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1.w").buffer = 99;
  ExpectLoad(b, StatusCode::kIndexOutOfRange, {TensorRef(b, "conv1.w"), "buffer 99"});
}

// ---- Buffers.

TEST_CASE("a non-empty buffer 0 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().buffers[0]->data = {1, 2, 3};
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {"buffer 0", "3 bytes"});
}

TEST_CASE("int8 weights one byte short are rejected") {
  ModelBuilder b = EveryOperatorModel();
  BufferOf(b, "conv1.w").pop_back();
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {TensorRef(b, "conv1.w"), "needs 216 bytes"});
}

TEST_CASE("an int32 or int16 bias one byte short is rejected") {
  ModelBuilder b = EveryOperatorModel();
  BufferOf(b, "conv1.b").pop_back();
  ExpectLoad(b, StatusCode::kBufferSizeMismatch,
             {TensorRef(b, "conv1.b"), "needs 16 bytes of int16"});
  b = EveryOperatorModel();
  WidenBias(b, "conv1.b");
  BufferOf(b, "conv1.b").pop_back();
  ExpectLoad(b, StatusCode::kBufferSizeMismatch,
             {TensorRef(b, "conv1.b"), "needs 32 bytes of int32"});
}

TEST_CASE("an int16 bias computes what the same bias in int32 computes") {
  ModelBuilder narrow = EveryOperatorModel();
  REQUIRE(TensorOf(narrow, "conv1.b").type == ElementType::INT16);
  ModelBuilder wide = EveryOperatorModel();
  WidenBias(wide, "conv1.b");
  WidenBias(wide, "dw.b");
  CHECK(RunOutputs(narrow) == RunOutputs(wide));
}

TEST_CASE("an int16 activation is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").type = ElementType::INT16;
  ExpectLoad(b, StatusCode::kBadType, {TensorRef(b, "maxpool"), "int16 activation"});
}

// Rewrites an INT16 bias as PACKED_INT32 (schema version 4) and returns its values.
std::vector<int32_t> PackBias(ModelBuilder& b, std::string_view tensor) {
  REQUIRE(TensorOf(b, tensor).type == ElementType::INT16);
  std::vector<uint8_t>& bytes = BufferOf(b, tensor);
  std::vector<int32_t> values(bytes.size() / 2);
  for (size_t i = 0; i < values.size(); ++i) {
    int16_t value;
    std::memcpy(&value, bytes.data() + 2 * i, sizeof(value));
    values[i] = value;
  }
  bytes = schema::PackDeltas(schema::kInt32Packing, std::span<const int32_t>(values));
  TensorOf(b, tensor).type = ElementType::PACKED_INT32;
  return values;
}

TEST_CASE("a packed int32 bias computes what the same bias in int16 computes") {
  ModelBuilder narrow = EveryOperatorModel();
  ModelBuilder packed = EveryOperatorModel();
  PackBias(packed, "conv1.b");
  PackBias(packed, "dw.b");
  CHECK(RunOutputs(packed) == RunOutputs(narrow));
}

TEST_CASE("packed int32 data of the wrong size, of width 0 or 33 or a short header is rejected") {
  ModelBuilder b = EveryOperatorModel();
  PackBias(b, "conv1.b");
  std::vector<uint8_t>& bytes = BufferOf(b, "conv1.b");
  const std::vector<uint8_t> valid = bytes;
  const std::string bias = TensorRef(b, "conv1.b");
  bytes.push_back(0);
  ExpectLoad(b, StatusCode::kBufferSizeMismatch,
             {bias, "needs " + std::to_string(valid.size()) + " bytes of packed int32",
              "holds " + std::to_string(bytes.size())});
  bytes = valid;
  bytes.pop_back();
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {bias, "bytes of packed int32"});
  bytes = valid;
  bytes[4] = 33;
  bytes.resize(schema::PackedBytes(schema::kInt32Packing, 8, 33));
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {bias, "delta width 33 (in [1, 32])"});
  // Width 0 would let 5 bytes stand for any number of values.
  bytes.assign(valid.begin(), valid.begin() + 5);
  bytes[4] = 0;
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {bias, "delta width 0 (in [1, 32])"});
  bytes.assign(valid.begin(), valid.begin() + 4);
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {bias, "4 bytes, shorter than its 5-byte header"});
  bytes.clear();
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {bias, "0 bytes"});
}

TEST_CASE("a packed int32 value beyond int32 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  PackBias(b, "conv1.b");
  // Base 2^31 - 1 with 1-bit deltas: the first delta of 1 makes 2^31.
  std::vector<uint8_t>& bytes = BufferOf(b, "conv1.b");
  bytes = {0xFF, 0xFF, 0xFF, 0x7F, 1, 0x04};
  ExpectLoad(b, StatusCode::kBadType,
             {TensorRef(b, "conv1.b"), "packs value 2 as 2147483648, beyond int32"});
}

TEST_CASE("a packed int32 activation is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").type = ElementType::PACKED_INT32;
  ExpectLoad(b, StatusCode::kBadType, {TensorRef(b, "maxpool"), "packed int32 activation"});
}

TEST_CASE("int4 weights packed without rounding each odd row up are rejected") {
  // dw.w is [8, 3, 3, 1]: 8 rows of K = 9 nibbles, 5 bytes each (not 72 / 2 = 36).
  ModelBuilder b = EveryOperatorModel();
  BufferOf(b, "dw.w").resize(36);
  ExpectLoad(b, StatusCode::kBufferSizeMismatch, {TensorRef(b, "dw.w"), "needs 40 bytes"});
}

// ---- Shapes and types of tensors.

TEST_CASE("a zero dimension is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").shape = {1, 0, 2, 8};
  ExpectLoad(b, StatusCode::kBadShape, {TensorRef(b, "maxpool"), "dimension 0"});
}

TEST_CASE("a negative dimension is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").shape = {1, 2, -2, 8};
  ExpectLoad(b, StatusCode::kBadShape, {TensorRef(b, "maxpool"), "dimension -2"});
}

TEST_CASE("an element count above 2^31 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").shape = {1, 65536, 65536, 8};
  ExpectLoad(b, StatusCode::kBadShape, {TensorRef(b, "maxpool"), "2^31"});
}

TEST_CASE("rank 7 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").shape = {1, 1, 1, 1, 2, 2, 8};
  ExpectLoad(b, StatusCode::kBadShape, {TensorRef(b, "maxpool"), "rank 7"});
}

TEST_CASE("an unknown element type is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").type = static_cast<ElementType>(9);
  ExpectLoad(b, StatusCode::kBadType, {TensorRef(b, "maxpool"), "unknown element type 9"});
}

TEST_CASE("int4, int32 and uint8 activations are rejected") {
  for (const ElementType type : {ElementType::INT4, ElementType::INT32, ElementType::UINT8}) {
    CAPTURE(schema::EnumNameElementType(type));
    ModelBuilder b = EveryOperatorModel();
    TensorOf(b, "maxpool").type = type;
    const std::string name = schema::EnumNameElementType(type);
    std::string lower;
    for (const char c : name) lower += static_cast<char>(std::tolower(c));
    ExpectLoad(b, StatusCode::kBadType, {TensorRef(b, "maxpool"), lower + " activation"});
  }
}

TEST_CASE("a float32 constant is rejected") {
  ModelBuilder b = EveryOperatorModel();
  WidenBias(b, "conv1.b");
  TensorOf(b, "conv1.b").type = ElementType::FLOAT32;  // same 4 bytes per element
  ExpectLoad(b, StatusCode::kBadType, {TensorRef(b, "conv1.b"), "float32 constant"});
}

TEST_CASE("a float32 tensor inside the graph is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").type = ElementType::FLOAT32;
  TensorOf(b, "maxpool").scale = 0;
  TensorOf(b, "maxpool").zero_point = 0;
  ExpectLoad(b, StatusCode::kBadType,
             {TensorRef(b, "maxpool"), "neither a graph input nor a graph output"});
}

// ---- Activation quantization.

TEST_CASE("an activation without a scale is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1").scale = 0;
  ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, "conv1"), "with scale 0"});
}

TEST_CASE("an activation with a Quantization table is rejected (schema version 3)") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1").quantization = Quant({0.05f}, {0});
  ExpectLoad(b, StatusCode::kBadQuantization,
             {TensorRef(b, "conv1"), "Quantization table", "Tensor.scale"});
}

TEST_CASE("an activation scale that is zero, NaN, negative or infinite is rejected") {
  for (const float scale : {0.0f, std::numeric_limits<float>::quiet_NaN(), -0.05f,
                            std::numeric_limits<float>::infinity()}) {
    CAPTURE(scale);
    ModelBuilder b = EveryOperatorModel();
    TensorOf(b, "conv1").scale = scale;
    ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, "conv1"), "with scale"});
  }
}

TEST_CASE("activation zero points 128 and -129 are rejected") {
  for (const int32_t zero_point : {128, -129}) {
    CAPTURE(zero_point);
    ModelBuilder b = EveryOperatorModel();
    TensorOf(b, "conv1").zero_point = zero_point;
    ExpectLoad(b, StatusCode::kBadQuantization,
               {TensorRef(b, "conv1"), "zero point " + std::to_string(zero_point)});
  }
}

TEST_CASE("a scale or zero point on a constant or a float32 tensor is rejected") {
  for (const std::string_view name : {"conv1.w", "conv1.b", "image"}) {
    CAPTURE(name);
    ModelBuilder b = EveryOperatorModel();
    TensorOf(b, name).scale = 0.5f;
    ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, name), "only int8 activations"});
    b = EveryOperatorModel();
    TensorOf(b, name).zero_point = 3;
    ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, name), "zero point 3"});
  }
}

// ---- Weights.

TEST_CASE("a weight zero point other than 0 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  // The builder writes no weight zero points; a full vector with one nonzero entry.
  std::vector<int32_t>& zero_points = TensorOf(b, "conv1.w").quantization->zero_point;
  zero_points.assign(TensorOf(b, "conv1.w").quantization->scale.size(), 0);
  zero_points[3] = 1;
  ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, "conv1.w"), "zero point 1"});
}

TEST_CASE("weights quantized along a dimension other than 0 are rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1.w").quantization->quantized_dimension = 3;
  ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, "conv1.w"), "dimension 3"});
}

TEST_CASE("an int8 weight of -128 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  BufferOf(b, "conv1.w")[5] = 0x80;
  ExpectLoad(b, StatusCode::kBadQuantization, {TensorRef(b, "conv1.w"), "-128 at element 5"});
}

TEST_CASE("weights with fewer scales than output channels are rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1.w").quantization->scale.pop_back();
  ExpectLoad(b, StatusCode::kChannelCountMismatch,
             {OpRef(b, OpIndex(b, "conv1")), "'conv1.w' have 7 scales for 8"});
}

TEST_CASE("weights without scales load (schema version 2)") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "fc.w").quantization.reset();
  TensorOf(b, "conv1.w").quantization.reset();
  ExpectLoad(b, StatusCode::kOk, {});
}

TEST_CASE("schema versions 1 to 3 are rejected with a hint to convert again") {
  for (const uint32_t version : {0u, 1u, 2u, 3u}) {
    CAPTURE(version);
    ModelBuilder b = EveryOperatorModel();
    b.model().schema_version = version;
    ExpectLoad(b, StatusCode::kUnsupportedVersion,
               {"schema version " + std::to_string(version), "reads version 4 only",
                "convert the model again"});
  }
}

TEST_CASE("internal tensors may be unnamed; graph inputs and outputs may not") {
  ModelBuilder b = EveryOperatorModel();
  const std::string input_name = b.model().tensors[b.model().inputs[0]]->name;
  for (size_t i = 0; i < b.model().tensors.size(); ++i) {
    const auto index = static_cast<int32_t>(i);
    const auto& io = b.model();
    if (std::count(io.inputs.begin(), io.inputs.end(), index) == 0 &&
        std::count(io.outputs.begin(), io.outputs.end(), index) == 0) {
      b.model().tensors[i]->name.clear();
    }
  }
  ExpectLoad(b, StatusCode::kOk, {});  // several unnamed tensors are no duplicates
  b.model().tensors[b.model().inputs[0]]->name.clear();
  ExpectLoad(b, StatusCode::kBadGraph, {"graph input", "has no name"});
}

TEST_CASE("weights need 4-byte alignment only (schema version 4)") {
  // Packed by the generated code, which aligns byte vectors to 4 only: some weight
  // buffer lands off a 64-byte boundary, and the model loads.
  ModelBuilder b = EveryOperatorModel();
  flatbuffers::FlatBufferBuilder fbb;
  schema::FinishModelBuffer(fbb, schema::Model::Pack(fbb, &b.model()));
  AlignedBytes bytes(
      std::vector<uint8_t>(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()));
  const schema::Model& packed = *schema::GetModel(bytes.data());
  bool off_cache_line = false;
  for (const schema::Tensor* t : *packed.tensors()) {
    if (t->buffer() == 0 || t->type() != schema::ElementType::INT8) continue;
    const auto* data = packed.buffers()->Get(t->buffer())->data();
    off_cache_line |= reinterpret_cast<uintptr_t>(data->data()) % 64 != 0;
  }
  CHECK(off_cache_line);
  std::shared_ptr<const Model> model;
  const Status status = Model::LoadBuffer(bytes.data(), bytes.size(), &model);
  CHECK_MESSAGE(status.ok(), status.ToString());

  // What ModelBuilder::Finish writes: weights and int32 on 4 bytes, int16 on 2.
  const std::vector<uint8_t> finished = b.Finish();
  const schema::Model& built = *schema::GetModel(finished.data());
  for (const schema::Tensor* t : *built.tensors()) {
    if (t->buffer() == 0) continue;
    const auto offset =
        static_cast<size_t>(built.buffers()->Get(t->buffer())->data()->data() - finished.data());
    CAPTURE(t->name()->str());
    CHECK(offset % BufferAlignment(t->type()) == 0);
  }
}

// ---- Requantization and clamp.

TEST_CASE("fewer requantizations than output channels are rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvRequant(b, "conv1").multiplier.pop_back();
  ConvRequant(b, "conv1").shift.pop_back();
  ExpectLoad(b, StatusCode::kChannelCountMismatch,
             {OpRef(b, OpIndex(b, "conv1")), "7 requantization multipliers, expected 8"});
}

TEST_CASE("a multiplier of 2^30 - 1 (not normalized) is rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvRequant(b, "conv1").multiplier[2] = (1 << 30) - 1;
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "requantization 2 has multiplier 1073741823"});
}

TEST_CASE("a negative multiplier is rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvRequant(b, "conv1").multiplier[0] = -(1 << 30);
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "multiplier -1073741824"});
}

TEST_CASE("shifts 0 and 63 are rejected") {
  for (const int8_t shift : {int8_t{0}, int8_t{63}}) {
    CAPTURE(shift);
    ModelBuilder b = EveryOperatorModel();
    ConvRequant(b, "conv1").shift[1] = shift;
    ExpectLoad(b, StatusCode::kBadRequantization,
               {OpRef(b, OpIndex(b, "conv1")), "shift " + std::to_string(shift)});
  }
}

TEST_CASE("multiplier and shift arrays of different lengths are rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvRequant(b, "conv1").shift.pop_back();
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "8 multipliers but 7 shifts"});
}

// conv1's requantization rewritten as 16-bit mantissas: the fixture's multipliers
// rounded to their top 16 bits.
void UseMantissas(ModelBuilder& b) {
  schema::RequantizationT& requant = ConvRequant(b, "conv1");
  for (const int32_t m : requant.multiplier) {
    requant.mantissa.push_back(static_cast<uint16_t>(m >> schema::kMantissaShift));
  }
  requant.multiplier.clear();
}

TEST_CASE("multipliers stored as 16-bit mantissas load and compute as mantissa << 15") {
  ModelBuilder mantissas = EveryOperatorModel();
  UseMantissas(mantissas);
  ModelBuilder full = EveryOperatorModel();
  for (int32_t& m : ConvRequant(full, "conv1").multiplier) {
    m = m >> schema::kMantissaShift << schema::kMantissaShift;
  }
  CHECK(RunOutputs(mantissas) == RunOutputs(full));
}

TEST_CASE("a mantissa below 2^15 (not normalized) is rejected") {
  ModelBuilder b = EveryOperatorModel();
  UseMantissas(b);
  ConvRequant(b, "conv1").mantissa[4] = (1 << 15) - 1;
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "requantization 4 has mantissa 32767"});
}

TEST_CASE("a requantization with both or neither of multipliers and mantissas is rejected") {
  ModelBuilder b = EveryOperatorModel();
  UseMantissas(b);
  ConvRequant(b, "conv1").multiplier.push_back(1 << 30);
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "both multipliers and mantissas"});
  ConvRequant(b, "conv1").multiplier.clear();
  ConvRequant(b, "conv1").mantissa.clear();
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "neither multipliers nor mantissas"});
}

TEST_CASE("mantissa and shift arrays of different lengths are rejected") {
  ModelBuilder b = EveryOperatorModel();
  UseMantissas(b);
  ConvRequant(b, "conv1").mantissa.pop_back();
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "7 mantissas but 8 shifts"});
}

// conv1's shifts packed (schema version 4, Requantization.packed_shift).
void UsePackedShifts(ModelBuilder& b) {
  schema::RequantizationT& requant = ConvRequant(b, "conv1");
  requant.packed_shift =
      schema::PackDeltas(schema::kShiftPacking, std::span<const int8_t>(requant.shift));
  requant.shift.clear();
}

TEST_CASE("packed shifts load and compute as the shifts they pack") {
  ModelBuilder packed = EveryOperatorModel();
  ConvRequant(packed, "conv1").shift[3] += 5;  // deltas 0 and 5: width 3
  ModelBuilder plain = EveryOperatorModel();
  ConvRequant(plain, "conv1").shift[3] += 5;
  UsePackedShifts(packed);
  CHECK(ConvRequant(packed, "conv1").packed_shift[1] == 3);
  CHECK(RunOutputs(packed) == RunOutputs(plain));
}

TEST_CASE("a requantization with both or neither of shifts and packed shifts is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const std::vector<int8_t> shifts = ConvRequant(b, "conv1").shift;
  UsePackedShifts(b);
  ConvRequant(b, "conv1").shift = shifts;
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "both shifts and packed shifts"});
  ConvRequant(b, "conv1").shift.clear();
  ConvRequant(b, "conv1").packed_shift.clear();
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), "neither shifts nor packed shifts"});
}

TEST_CASE("packed shifts of the wrong size, of width 7 or with a 1-byte header are rejected") {
  ModelBuilder b = EveryOperatorModel();
  UsePackedShifts(b);
  std::vector<uint8_t>& packed = ConvRequant(b, "conv1").packed_shift;
  const std::vector<uint8_t> valid = packed;
  packed.push_back(0);
  ExpectLoad(b, StatusCode::kBadRequantization,
             {OpRef(b, OpIndex(b, "conv1")), std::to_string(packed.size()) + " bytes of packed",
              "for 8 multipliers"});
  packed = valid;
  packed[1] = 7;
  packed.resize(schema::PackedBytes(schema::kShiftPacking, 8, 7));
  ExpectLoad(b, StatusCode::kBadRequantization, {"of width 7", "width at most 6"});
  packed = {valid[0]};
  ExpectLoad(b, StatusCode::kBadRequantization, {"1 bytes of packed shifts for 8 multipliers"});
}

TEST_CASE("a packed shift outside [1, 62] is rejected") {
  ModelBuilder b = EveryOperatorModel();
  UsePackedShifts(b);
  std::vector<uint8_t>& packed = ConvRequant(b, "conv1").packed_shift;
  packed[0] = 0;  // every shift is base + delta; the smallest delta is 0
  ExpectLoad(b, StatusCode::kBadRequantization, {OpRef(b, OpIndex(b, "conv1")), "shift 0"});
  packed[0] = 62;
  packed[1] = 1;
  packed.assign(schema::PackedBytes(schema::kShiftPacking, 8, 1), 0);
  packed[0] = 62;
  packed[1] = 1;
  packed[2] = 0x04;  // shift 2 is 63
  ExpectLoad(b, StatusCode::kBadRequantization, {"requantization 2", "shift 63"});
}

TEST_CASE("a clamp with lo above hi is rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvOptions(b, "conv1").clamp = std::make_unique<schema::Clamp>(int8_t{10}, int8_t{-10});
  ExpectLoad(b, StatusCode::kBadClamp, {OpRef(b, OpIndex(b, "conv1")), "[10, -10]"});
}

// ---- Graph.

TEST_CASE("an operator reading a tensor produced later is rejected") {
  ModelBuilder b = EveryOperatorModel();
  auto& ops = b.model().operators;
  std::swap(ops[OpIndex(b, "conv1")], ops[OpIndex(b, "dw")]);
  ExpectLoad(b, StatusCode::kBadGraph,
             {OpRef(b, OpIndex(b, "dw")), "reads " + TensorRef(b, "conv1"), "before"});
}

TEST_CASE("a cycle is rejected") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 0);
  const int32_t t1 = b.AddActivation("t1", {1, 4}, 0.1f, 0);
  const int32_t t2 = b.AddActivation("t2", {1, 4}, 0.1f, 0);
  b.Add(x, t2, t1, {MustQuantizeMultiplier(0.5), MustQuantizeMultiplier(0.5), Ones(1)[0]});
  b.Reshape(t1, t2);
  b.SetInputs({x});
  b.SetOutputs({t2});
  ExpectLoad(b, StatusCode::kBadGraph, {"operator 0 (ADD)", "reads tensor 2 't2'", "cycle"});
}

TEST_CASE("a tensor produced twice is rejected") {
  ModelBuilder b = EveryOperatorModel();
  Op(b, OpIndex(b, OperatorType::MAX_POOL_2D)).outputs[0] =
      static_cast<int32_t>(TensorIndex(b, "avgpool"));
  ExpectLoad(b, StatusCode::kBadGraph,
             {OpRef(b, OpIndex(b, OperatorType::AVERAGE_POOL_2D)),
              "writes " + TensorRef(b, "avgpool"), "already produced"});
}

TEST_CASE("an operator writing a constant is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t pool = OpIndex(b, OperatorType::MAX_POOL_2D);
  Op(b, pool).outputs[0] = static_cast<int32_t>(TensorIndex(b, "conv1.w"));
  ExpectLoad(b, StatusCode::kBadGraph,
             {OpRef(b, pool), "writes " + TensorRef(b, "conv1.w"), "a constant"});
}

TEST_CASE("an operator writing a graph input is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t pool = OpIndex(b, OperatorType::MAX_POOL_2D);
  Op(b, pool).outputs[0] = static_cast<int32_t>(TensorIndex(b, "image"));
  ExpectLoad(b, StatusCode::kBadGraph,
             {OpRef(b, pool), "writes " + TensorRef(b, "image"), "a graph input"});
}

TEST_CASE("a graph output that no operator produces is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const int32_t orphan = b.AddActivation("orphan", {1, 10}, 0.1f, 0);
  b.model().outputs.push_back(orphan);
  ExpectLoad(b, StatusCode::kBadGraph, {"graph output " + TensorRef(b, "orphan"), "not produced"});
}

TEST_CASE("a graph output that is a graph input is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().outputs.push_back(static_cast<int32_t>(TensorIndex(b, "image")));
  ExpectLoad(b, StatusCode::kBadGraph, {"graph output " + TensorRef(b, "image"), "not produced"});
}

TEST_CASE("a constant graph input is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().inputs.push_back(static_cast<int32_t>(TensorIndex(b, "conv1.w")));
  ExpectLoad(b, StatusCode::kBadGraph, {"graph input " + TensorRef(b, "conv1.w"), "constant"});
}

TEST_CASE("a duplicate graph input is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().inputs.push_back(b.model().inputs[0]);
  ExpectLoad(b, StatusCode::kBadGraph, {"graph input", TensorRef(b, "image"), "twice"});
}

TEST_CASE("a duplicate graph output is rejected") {
  ModelBuilder b = EveryOperatorModel();
  b.model().outputs.push_back(b.model().outputs[0]);
  ExpectLoad(b, StatusCode::kBadGraph, {"graph output", TensorRef(b, "logits"), "twice"});
}

TEST_CASE("a duplicate tensor name is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t index = TensorIndex(b, "maxpool");
  TensorOf(b, "maxpool").name = "conv1";
  ExpectLoad(b, StatusCode::kDuplicateName,
             {"tensor " + std::to_string(index) + " 'conv1'", "same name"});
}

// ---- CONV_2D.

TEST_CASE("a conv output of the wrong shape is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1").shape = {1, 7, 8, 8};
  ExpectLoad(b, StatusCode::kBadShape,
             {OpRef(b, OpIndex(b, "conv1")), "output 'conv1' has shape [1x7x8x8]", "[1x8x8x8]"});
}

TEST_CASE("conv groups that do not divide the channels are rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvOptions(b, "dw").groups = 3;
  ExpectLoad(b, StatusCode::kBadShape, {OpRef(b, OpIndex(b, "dw")), "3 groups"});
}

TEST_CASE("a conv stride of 0 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvOptions(b, "conv1").stride_h = 0;
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, OpIndex(b, "conv1")), "stride_h is 0"});
}

TEST_CASE("a negative conv padding is rejected") {
  ModelBuilder b = EveryOperatorModel();
  ConvOptions(b, "conv1").pad_left = -1;
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, OpIndex(b, "conv1")), "pad_left is -1"});
}

TEST_CASE("a conv padding whose output height overflows int32 is rejected") {
  // 4 + 2 * (2^31 - 1) rows give 2^32 + 2 output rows, which wrap to 2 in int32.
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4, 4, 1}, 0.1f, 0);
  const int32_t w = b.AddInt8Weights("w", {1, 1, 1, 1}, {1}, {0.01f});
  const int32_t bias = b.AddBias("b", {0});
  const int32_t y = b.AddActivation("y", {1, 2, 4, 1}, 0.1f, 0);
  const int32_t big = std::numeric_limits<int32_t>::max();
  b.SetOperatorName(b.Conv2D(x, w, bias, y, {.pad_top = big, .pad_bottom = big}, Ones(1)), "conv");
  b.SetInputs({x});
  b.SetOutputs({y});
  ExpectLoad(b, StatusCode::kBadShape, {"operator 0 'conv' (CONV_2D)", "2^31 - 1"});
}

TEST_CASE("conv weights that are not constant are rejected") {
  ModelBuilder b = EveryOperatorModel();
  const int32_t w = b.AddActivation("w_activation", {8, 3, 3, 3}, 0.01f, 0);
  b.model().inputs.push_back(w);
  const size_t conv = OpIndex(b, "conv1");
  Op(b, conv).inputs[1] = w;
  ExpectLoad(b, StatusCode::kBadType, {OpRef(b, conv), "weights 'w_activation'", "constant"});
}

TEST_CASE("an int8 bias is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "conv1.b").type = ElementType::INT8;
  BufferOf(b, "conv1.b").assign(8, 0);
  ExpectLoad(b, StatusCode::kBadType, {OpRef(b, OpIndex(b, "conv1")), "bias 'conv1.b'", "int32"});
}

TEST_CASE("a bias near 2^31 that can overflow the accumulator is rejected") {
  ModelBuilder b = EveryOperatorModel();
  WidenBias(b, "conv1.b");
  const int32_t bias = std::numeric_limits<int32_t>::max() - 1000;
  std::memcpy(BufferOf(b, "conv1.b").data(), &bias, sizeof(bias));
  ExpectLoad(b, StatusCode::kBadShape, {OpRef(b, OpIndex(b, "conv1")), "accumulator can overflow"});
}

TEST_CASE("a K so large that the accumulator can overflow is rejected") {
  // 66312 * 255 * 127 >= 2^31 (66311 is the largest K that is safe with int8 weights).
  ExpectLoad(FullyConnectedModel(66311, 1, {0}), StatusCode::kOk, {});
  ExpectLoad(FullyConnectedModel(66312, 1, {0}), StatusCode::kBadShape,
             {"operator 0 'fc' (FULLY_CONNECTED)", "accumulator can overflow"});
}

// ---- FULLY_CONNECTED.

TEST_CASE("fully connected weights whose K differs from the input's are rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "fc.w").shape = {20, 200};  // the same 4000 bytes
  ExpectLoad(b, StatusCode::kBadShape, {OpRef(b, OpIndex(b, "fc")), "K of 200"});
}

// ---- ADD.

TEST_CASE("add inputs that do not broadcast are rejected") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 0);
  const int32_t z = b.AddActivation("z", {1, 3}, 0.1f, 0);
  const int32_t y = b.AddActivation("y", {1, 4}, 0.1f, 0);
  b.Add(x, z, y, {MustQuantizeMultiplier(0.5), MustQuantizeMultiplier(0.5), Ones(1)[0]});
  b.SetInputs({x, z});
  b.SetOutputs({y});
  ExpectLoad(b, StatusCode::kBadShape, {"operator 0 (ADD)", "[1x4] and [1x3] do not broadcast"});
}

TEST_CASE("an add input multiplier of 1 (shift below 31) is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t add = OpIndex(b, OperatorType::ADD);
  auto& requant = *Op(b, add).options.AsAddOptions()->requant;
  requant.multiplier[0] = 1 << 30;
  requant.shift[0] = 30;
  ExpectLoad(b, StatusCode::kBadRequantization, {OpRef(b, add), "below 1", "shift 30"});
}

TEST_CASE("an add left_shift of 23 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t add = OpIndex(b, OperatorType::ADD);
  Op(b, add).options.AsAddOptions()->left_shift = 23;
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, add), "left_shift is 23"});
}

// ---- Pooling.

TEST_CASE("a max pool output quantized differently from its input is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "maxpool").scale = 0.05f;
  ExpectLoad(b, StatusCode::kBadQuantization,
             {OpRef(b, OpIndex(b, OperatorType::MAX_POOL_2D)), "output 'maxpool'", "input 'dw'"});
}

TEST_CASE("an average pool with one requantization too few is rejected") {
  ModelBuilder b = EveryOperatorModel();
  auto& requant = *PoolOptions(b, OperatorType::AVERAGE_POOL_2D).requant;
  requant.multiplier.pop_back();
  requant.shift.pop_back();
  ExpectLoad(b, StatusCode::kChannelCountMismatch,
             {OpRef(b, OpIndex(b, OperatorType::AVERAGE_POOL_2D)), "8 requantization multipliers",
              "expected 9"});
}

TEST_CASE("an average pool without requantization is rejected") {
  ModelBuilder b = EveryOperatorModel();
  PoolOptions(b, OperatorType::AVERAGE_POOL_2D).requant.reset();
  ExpectLoad(b, StatusCode::kBadOptions,
             {OpRef(b, OpIndex(b, OperatorType::AVERAGE_POOL_2D)), "needs requant"});
}

TEST_CASE("a pooling pad as large as the kernel is rejected") {
  ModelBuilder b = EveryOperatorModel();
  PoolOptions(b, OperatorType::MAX_POOL_2D).pad_top = 2;  // kernel 2
  ExpectLoad(b, StatusCode::kBadOptions,
             {OpRef(b, OpIndex(b, OperatorType::MAX_POOL_2D)), "padding 2 must be in [0, 2)"});
}

TEST_CASE("a global average pool window whose int32 sum can overflow is rejected") {
  // 2900 x 2905 = 8424500 positions of up to |-128 - 127| = 255 sum past 2^31 - 1.
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 2900, 2905, 1}, 0.1f, 127);
  const int32_t y = b.AddActivation("y", {1, 1, 1, 1}, 0.1f, 0);
  b.GlobalAveragePool(x, y, {MustQuantizeMultiplier(1.0 / (2900.0 * 2905.0))});
  b.SetInputs({x});
  b.SetOutputs({y});
  ExpectLoad(b, StatusCode::kBadShape,
             {"operator 0 (GLOBAL_AVERAGE_POOL)", "8424500 positions", "int32 sum"});
}

// ---- CONCAT.

TEST_CASE("a concat axis out of range is rejected") {
  for (const int32_t axis : {4, -1}) {
    CAPTURE(axis);
    ModelBuilder b = EveryOperatorModel();
    const size_t concat = OpIndex(b, OperatorType::CONCAT);
    Op(b, concat).options.AsConcatOptions()->axis = axis;
    ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, concat), "axis " + std::to_string(axis)});
  }
}

TEST_CASE("concat inputs whose other dimensions differ are rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "resize").shape = {1, 4, 5, 8};  // still a valid resize of maxpool
  ExpectLoad(b, StatusCode::kBadShape,
             {OpRef(b, OpIndex(b, OperatorType::CONCAT)), "input 'resize' has shape [1x4x5x8]"});
}

// ---- Data movement.

TEST_CASE("a transpose perm that is not a permutation is rejected") {
  for (const std::vector<int32_t>& perm :
       {std::vector<int32_t>{0, 3, 3, 2}, std::vector<int32_t>{0, 3, 1},
        std::vector<int32_t>{0, 4, 1, 2}}) {
    CAPTURE(perm.size());
    ModelBuilder b = EveryOperatorModel();
    const size_t transpose = OpIndex(b, OperatorType::TRANSPOSE);
    Op(b, transpose).options.AsTransposeOptions()->perm = perm;
    ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, transpose), "perm"});
  }
}

TEST_CASE("a negative pad is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t pad = OpIndex(b, OperatorType::PAD);
  Op(b, pad).options.AsPadOptions()->pads_begin = {0, -1, 1, 0};
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, pad), "pads_begin is -1"});
}

TEST_CASE("pads of the wrong length are rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t pad = OpIndex(b, OperatorType::PAD);
  Op(b, pad).options.AsPadOptions()->pads_end = {0, 0, 0};
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, pad), "one entry per axis"});
}

TEST_CASE("a resize that changes the channels is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "resize").shape = {1, 4, 4, 9};
  ExpectLoad(b, StatusCode::kBadShape,
             {OpRef(b, OpIndex(b, OperatorType::RESIZE_NEAREST)), "changes batch or channels"});
}

// ---- LOOKUP and SOFTMAX.

TEST_CASE("a lookup table of 255 entries is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t lookup = OpIndex(b, OperatorType::LOOKUP);
  Op(b, lookup).options.AsLookupOptions()->table.pop_back();
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, lookup), "255 entries"});
}

// LookupOptions.hard field by field (the generated struct has no mutators). The
// defaults are the fixture's LOOKUP ("gap", scale 0.05 -> "gate", scale 1/256) as
// a HardSigmoid with alpha 0.2, beta 0.5 and 8 fraction bits: offset
// 2^8 * beta / (alpha * 0.05), width 2^8 / (alpha * 0.05), M = 0.01.
struct HardFields {
  int32_t offset = 50 << 8;
  int32_t width = 100 << 8;
  int32_t multiplier = 1374389535;
  int8_t shift = 37;
  uint8_t fraction_bits = 8;
  schema::HardFunction function = schema::HardFunction::HARD_SIGMOID;
  int8_t lo = -128;
  int8_t hi = 127;

  schema::HardActivation Make() const {
    return schema::HardActivation(offset, width, multiplier, shift, fraction_bits, function,
                                  schema::Clamp(lo, hi));
  }
};

void UseHardActivation(ModelBuilder& b, const HardFields& hard) {
  auto& options = *Op(b, OpIndex(b, OperatorType::LOOKUP)).options.AsLookupOptions();
  options.table.clear();
  options.hard = std::make_unique<schema::HardActivation>(hard.Make());
}

TEST_CASE("a LOOKUP given by hard activation parameters runs the table they build") {
  const HardFields fields;
  ModelBuilder hard = EveryOperatorModel();
  UseHardActivation(hard, fields);
  ModelBuilder table = EveryOperatorModel();
  auto& lookup = *Op(table, OpIndex(table, OperatorType::LOOKUP)).options.AsLookupOptions();
  const kernels::HardActivationParams p{kernels::HardFunction::kHardSigmoid,
                                        TensorOf(table, "gap").zero_point,
                                        fields.fraction_bits,
                                        fields.offset,
                                        fields.width,
                                        {fields.multiplier, fields.shift},
                                        TensorOf(table, "gate").zero_point,
                                        {fields.lo, fields.hi}};
  kernels::ref::BuildHardActivationTable(p, lookup.table.data());
  CHECK(RunOutputs(hard) == RunOutputs(table));
}

TEST_CASE("a LOOKUP with both or neither of a table and hard parameters is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t lookup = OpIndex(b, OperatorType::LOOKUP);
  Op(b, lookup).options.AsLookupOptions()->hard =
      std::make_unique<schema::HardActivation>(HardFields{}.Make());
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, lookup), "both a table and hard activation"});
  UseHardActivation(b, HardFields{});
  Op(b, lookup).options.AsLookupOptions()->hard.reset();
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, lookup), "neither a table nor hard activation"});
}

TEST_CASE("hard activation parameters outside their ranges are rejected") {
  const auto expect = [](const HardFields& hard, StatusCode code, const std::string& fragment) {
    ModelBuilder b = EveryOperatorModel();
    UseHardActivation(b, hard);
    if (code == StatusCode::kOk) {
      ExpectLoad(b, code, {});
    } else {
      ExpectLoad(b, code, {OpRef(b, OpIndex(b, OperatorType::LOOKUP)), fragment});
    }
  };
  expect({.fraction_bits = 24}, StatusCode::kBadOptions, "fraction_bits 24 (at most 23)");
  for (const int32_t width : {0, kernels::kMaxHardWidth + 1}) {
    expect({.width = width}, StatusCode::kBadOptions, "width " + std::to_string(width));
  }
  expect({.function = static_cast<schema::HardFunction>(2)}, StatusCode::kBadOptions,
         "unknown function 2");
  expect({.multiplier = (1 << 30) - 1}, StatusCode::kBadRequantization, "multiplier 1073741823");
  expect({.shift = 63}, StatusCode::kBadRequantization, "shift 63");
  expect({.lo = 10, .hi = -10}, StatusCode::kBadClamp, "[10, -10]");
  // The extremes of every range load.
  expect({.offset = std::numeric_limits<int32_t>::min(),
          .width = kernels::kMaxHardWidth,
          .fraction_bits = 23,
          .function = schema::HardFunction::HARD_SWISH},
         StatusCode::kOk, "");
}

TEST_CASE("a softmax exp_table entry above 2^16 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t softmax = OpIndex(b, OperatorType::SOFTMAX);
  Op(b, softmax).options.AsSoftmaxOptions()->exp_table[5] = 65537;
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, softmax), "exp_table[5] is 65537"});
}

TEST_CASE("a softmax exp_table with E[0] = 0 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  const size_t softmax = OpIndex(b, OperatorType::SOFTMAX);
  Op(b, softmax).options.AsSoftmaxOptions()->exp_table[0] = 0;
  ExpectLoad(b, StatusCode::kBadOptions, {OpRef(b, softmax), "exp_table[0] is 0"});
}

// ---- QUANTIZE and DEQUANTIZE.

TEST_CASE("a quantize input that is not float32 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "image").type = ElementType::INT8;
  TensorOf(b, "image").scale = 0.1f;
  ExpectLoad(b, StatusCode::kBadType,
             {OpRef(b, OpIndex(b, OperatorType::QUANTIZE)), "input 'image' is int8"});
}

TEST_CASE("a dequantize output that is not float32 is rejected") {
  ModelBuilder b = EveryOperatorModel();
  TensorOf(b, "probs").type = ElementType::INT8;
  TensorOf(b, "probs").scale = 0.1f;
  ExpectLoad(b, StatusCode::kBadType,
             {OpRef(b, OpIndex(b, OperatorType::DEQUANTIZE)), "output 'probs' is int8"});
}

// ---- Instruction sets.

TEST_CASE("an unknown LoadOptions::max_isa is an invalid argument") {
  LoadOptions options;
  options.max_isa = "sse9";
  ExpectLoad(EveryOperatorModel(), StatusCode::kInvalidArgument, {"max_isa", "'sse9'"}, options);
}

TEST_CASE("an unknown QRT_ISA is an invalid argument") {
  const char* previous = std::getenv("QRT_ISA");
  const std::optional<std::string> saved =
      previous == nullptr ? std::nullopt : std::optional<std::string>(previous);
  REQUIRE(::setenv("QRT_ISA", "sse9", 1) == 0);
  ExpectLoad(EveryOperatorModel(), StatusCode::kInvalidArgument, {"QRT_ISA", "'sse9'"});
  if (saved) {
    ::setenv("QRT_ISA", saved->c_str(), 1);
  } else {
    ::unsetenv("QRT_ISA");
  }
}

TEST_CASE("a max_isa the CPU lacks is unsupported") {
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  std::string lacking;
  for (const char* name : {"neon", "neondot", "avx2", "avx512vnni"}) {
    if (!kernels::CpuSupports(cpu, *kernels::ParseIsa(name))) {
      lacking = name;
      break;
    }
  }
  REQUIRE(!lacking.empty());
  LoadOptions options;
  options.max_isa = lacking;
  ExpectLoad(EveryOperatorModel(), StatusCode::kUnsupportedIsa, {"'" + lacking + "'"}, options);
}

// ---- Truncation and corruption: never a crash.

TEST_CASE("a truncated model is rejected as malformed or not a model") {
  const std::vector<uint8_t> bytes = EveryOperatorModel().Finish();
  std::vector<size_t> lengths;
  for (size_t i = 0; i < 16; ++i) lengths.push_back(bytes.size() * i / 16);
  for (const size_t odd :
       {size_t{1}, size_t{7}, size_t{8}, size_t{9}, size_t{13}, size_t{63}, size_t{65}, size_t{127},
        size_t{1001}, bytes.size() - 65, bytes.size() - 3, bytes.size() - 2, bytes.size() - 1}) {
    lengths.push_back(odd);
  }
  for (const size_t length : lengths) {
    CAPTURE(length);
    ExactBytes truncated(bytes.data(), length);
    std::shared_ptr<const Model> model;
    const Status status = Model::LoadBuffer(truncated.data(), truncated.size(), &model);
    INFO("status: " << Describe(status));
    // FlatBuffers pads the end of the file (here after the last string's NUL);
    // cutting only such zero padding leaves every referenced byte in place, so
    // the model is complete and must load and run. Any other cut must fail.
    const bool only_padding_cut = std::all_of(bytes.begin() + static_cast<std::ptrdiff_t>(length),
                                              bytes.end(), [](uint8_t byte) { return byte == 0; });
    if (only_padding_cut && status.ok()) {
      RunOnce(model);
      continue;
    }
    CHECK(
        (status.code() == StatusCode::kMalformedModel || status.code() == StatusCode::kNotAModel));
  }
}

TEST_CASE("a model with a flipped byte loads and runs, or fails with a status") {
  const std::vector<uint8_t> bytes = EveryOperatorModel().Finish();
  std::mt19937_64 rng(20240607);
  int loaded = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const auto position = static_cast<size_t>(rng() % bytes.size());
    const auto mask = static_cast<uint8_t>(1 + rng() % 255);
    CAPTURE(position);
    CAPTURE(static_cast<int>(mask));
    ExactBytes corrupt(bytes);
    corrupt.data()[position] = static_cast<uint8_t>(corrupt.data()[position] ^ mask);
    std::shared_ptr<const Model> model;
    const Status status = Model::LoadBuffer(corrupt.data(), corrupt.size(), &model);
    if (!status.ok()) {
      CHECK(model == nullptr);
      continue;
    }
    ++loaded;
    REQUIRE(model != nullptr);
    // A flip that makes an activation huge but consistent is legal; do not run those.
    if (model->arena_bytes() > (size_t{64} << 20)) continue;
    RunOnce(model);
  }
  MESSAGE(loaded << " of 2000 corrupted models loaded and ran");
}

// ---- LoadFile.

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "qrt_validation_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  // Writes `contents` to a file in the directory and returns its path.
  std::string Write(const std::string& name, const std::string& contents) const {
    const std::string path = (path_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << contents;
    REQUIRE(out.good());
    return path;
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

Status LoadPath(const std::string& path) {
  std::shared_ptr<const Model> model;
  const Status status = Model::LoadFile(path, &model);
  if (!status.ok()) CHECK(model == nullptr);
  return status;
}

// ---- CONV_TRANSPOSE_2D, RESIZE_BILINEAR, LAYER_NORM, BATCH_MATMUL, SLICE.

// One operator between graph input "x" and graph output "y".
ModelBuilder NewOpModel(OperatorType type, std::vector<int32_t> x_shape,
                        std::vector<int32_t> y_shape) {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", std::move(x_shape), 0.1f, 0);
  const int32_t y = b.AddActivation("y", std::move(y_shape), 0.1f, 0);
  int32_t op = 0;
  switch (type) {
    case OperatorType::CONV_TRANSPOSE_2D: {
      const int32_t w = b.AddInt8Weights("w", {4, 2, 2, 3}, std::vector<int8_t>(48, 1),
                                         std::vector<float>(4, 0.01f));
      op = b.ConvTranspose2D(x, w, b.AddBias("b", {0, 0, 0, 0}), y, {.stride_h = 2, .stride_w = 2},
                             Ones(4));
      break;
    }
    case OperatorType::LAYER_NORM: {
      const int32_t g =
          b.AddInt8Weights("gamma", {8}, std::vector<int8_t>(8, 127), std::vector<float>(8, 0.01f));
      op = b.LayerNorm(x, g, b.AddBias("beta", std::vector<int32_t>(8, 0)), y, 0, Ones(8));
      break;
    }
    case OperatorType::BATCH_MATMUL: {
      const int32_t k = b.AddActivation("k", {2, 5, 4}, 0.1f, 0);
      b.model().inputs.push_back(k);
      op = b.BatchMatMul(x, k, y, false, Ones(1));
      break;
    }
    case OperatorType::SLICE:
      op = b.Slice(x, y, {1, 0}, {1, 2});
      break;
    default:
      op = b.ResizeBilinear(x, y, Ones(1));
  }
  b.SetOperatorName(op, "new_op");
  b.model().inputs.insert(b.model().inputs.begin(), x);
  b.SetOutputs({y});
  return b;
}

TEST_CASE("the new operators' test models load") {
  for (const auto& b : {NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 6, 6, 4}),
                        NewOpModel(OperatorType::LAYER_NORM, {2, 8}, {2, 8}),
                        NewOpModel(OperatorType::BATCH_MATMUL, {2, 3, 5}, {2, 3, 4}),
                        NewOpModel(OperatorType::SLICE, {3, 4}, {2, 2}),
                        NewOpModel(OperatorType::RESIZE_BILINEAR, {1, 2, 2, 3}, {1, 4, 4, 3})}) {
    ExpectLoad(b, StatusCode::kOk, {});
  }
}

TEST_CASE("a conv transpose output of the wrong size is rejected") {
  const ModelBuilder b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 7, 6, 4});
  ExpectLoad(b, StatusCode::kBadShape,
             {"operator 0 'new_op' (CONV_TRANSPOSE_2D)", "[1x7x6x4]", "[1x6x6x4]"});
}

TEST_CASE("conv transpose weights of the wrong input channels are rejected") {
  const ModelBuilder b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 5}, {1, 6, 6, 4});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op'", "5 input channels"});
}

TEST_CASE("a conv transpose stride of 0 and a negative output padding are rejected") {
  ModelBuilder b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 6, 6, 4});
  Op(b, 0).options.AsConvTranspose2DOptions()->stride_w = 0;
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "stride_w is 0"});
  b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 6, 6, 4});
  Op(b, 0).options.AsConvTranspose2DOptions()->output_padding_h = -1;
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "output_padding_h is -1"});
}

TEST_CASE("a conv transpose padding larger than its output is rejected") {
  ModelBuilder b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 6, 6, 4});
  Op(b, 0).options.AsConvTranspose2DOptions()->pad_top = std::numeric_limits<int32_t>::max();
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op'", "the output would have"});
}

TEST_CASE("a conv transpose padding near 2^31 cancelled by its output padding loads and runs") {
  ModelBuilder b = NewOpModel(OperatorType::CONV_TRANSPOSE_2D, {1, 3, 3, 3}, {1, 6, 6, 4});
  auto& o = *Op(b, 0).options.AsConvTranspose2DOptions();
  o.pad_top = std::numeric_limits<int32_t>::max();
  o.output_padding_h = std::numeric_limits<int32_t>::max();
  const AlignedBytes bytes(b.Finish());
  std::shared_ptr<const Model> model;
  const Status status = Model::LoadBuffer(bytes.data(), bytes.size(), &model);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  RunOnce(model);
}

TEST_CASE("layer norm gamma of the wrong length, a negative epsilon and a big beta are rejected") {
  ModelBuilder b = NewOpModel(OperatorType::LAYER_NORM, {2, 9}, {2, 9});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op' (LAYER_NORM)", "gamma 'gamma'", "[9]"});
  b = NewOpModel(OperatorType::LAYER_NORM, {2, 8}, {2, 8});
  Op(b, 0).options.AsLayerNormOptions()->epsilon = -1;
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "epsilon is -1"});
  b = NewOpModel(OperatorType::LAYER_NORM, {2, 8}, {2, 8});
  WidenBias(b, "beta");
  const int32_t beta = std::numeric_limits<int32_t>::max();
  std::memcpy(BufferOf(b, "beta").data(), &beta, sizeof(beta));
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "accumulator can overflow"});
}

TEST_CASE("batch matmul operands that disagree on K or do not broadcast are rejected") {
  ModelBuilder b = NewOpModel(OperatorType::BATCH_MATMUL, {2, 3, 6}, {2, 3, 4});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op' (BATCH_MATMUL)", "disagree on K"});
  b = NewOpModel(OperatorType::BATCH_MATMUL, {3, 3, 5}, {3, 3, 4});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op'", "do not broadcast"});
  b = NewOpModel(OperatorType::BATCH_MATMUL, {2, 3, 5}, {2, 3, 5});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op'", "output 'y'", "[2x3x4]"});
}

TEST_CASE("a slice reading outside its input or with step 0 is rejected") {
  ModelBuilder b = NewOpModel(OperatorType::SLICE, {3, 4}, {3, 2});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op' (SLICE)", "axis 0 reads from 1 to 3"});
  b = NewOpModel(OperatorType::SLICE, {3, 4}, {2, 2});
  Op(b, 0).options.AsSliceOptions()->step[1] = 0;
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "step of axis 1 is 0"});
  b = NewOpModel(OperatorType::SLICE, {3, 4}, {2, 2});
  Op(b, 0).options.AsSliceOptions()->begin.pop_back();
  ExpectLoad(b, StatusCode::kBadOptions, {"'new_op'", "one entry per axis"});
}

TEST_CASE("a bilinear resize that changes channels or has two multipliers is rejected") {
  ModelBuilder b = NewOpModel(OperatorType::RESIZE_BILINEAR, {1, 2, 2, 3}, {1, 4, 4, 2});
  ExpectLoad(b, StatusCode::kBadShape, {"'new_op' (RESIZE_BILINEAR)", "changes batch or channels"});
  b = NewOpModel(OperatorType::RESIZE_BILINEAR, {1, 2, 2, 3}, {1, 4, 4, 3});
  auto& requant = *Op(b, 0).options.AsResizeBilinearOptions()->requant;
  requant.shift.push_back(requant.shift[0]);
  if (requant.multiplier.empty()) {
    requant.mantissa.push_back(requant.mantissa[0]);
  } else {
    requant.multiplier.push_back(requant.multiplier[0]);
  }
  ExpectLoad(b, StatusCode::kChannelCountMismatch, {"'new_op'", "expected 1"});
}

TEST_CASE("LoadFile of a missing file is an I/O error naming the path") {
  const TempDir dir;
  const std::string path = (dir.path() / "missing.qrt").string();
  ExpectStatus(LoadPath(path), StatusCode::kIoError, {path});
}

TEST_CASE("LoadFile of a directory is an I/O error") {
  const TempDir dir;
  ExpectStatus(LoadPath(dir.path().string()), StatusCode::kIoError, {dir.path().string()});
}

TEST_CASE("LoadFile of an empty or 3-byte file is not a model") {
  const TempDir dir;
  const std::string empty = dir.Write("empty.qrt", "");
  ExpectStatus(LoadPath(empty), StatusCode::kNotAModel, {empty, "0 bytes"});
  const std::string three = dir.Write("three.qrt", "QRT");
  ExpectStatus(LoadPath(three), StatusCode::kNotAModel, {three, "3 bytes"});
}

TEST_CASE("LoadFile of a text file is not a model") {
  const TempDir dir;
  const std::string text = dir.Write("notes.txt", "This is a text file, not a model.\n");
  ExpectStatus(LoadPath(text), StatusCode::kNotAModel, {text, "QRTM"});
}

}  // namespace
}  // namespace qrt::test
