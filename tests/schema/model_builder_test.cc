// ModelBuilder writes bytes that the FlatBuffers verifier accepts, with the
// conventions of docs/format.md: identifier, version, aligned buffers, int4
// packing, metadata, one options table per operator, and atomic file output.
#include "qrt/schema/model_builder.h"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "qrt/kernels/int4.h"
#include "qrt/schema/packed_deltas.h"

namespace qrt {
namespace {

namespace fs = std::filesystem;
using kernels::Dyadic;
using schema::OperatorOptions;
using schema::OperatorType;

constexpr Dyadic kHalf{1 << 30, 31};
constexpr Dyadic kQuarter{1 << 30, 32};

bool Verifies(const std::vector<uint8_t>& bytes) {
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  return schema::VerifyModelBuffer(verifier);
}

// Finishes, verifies and returns the model; `bytes` keeps it alive.
const schema::Model& Build(const ModelBuilder& b, std::vector<uint8_t>* bytes) {
  *bytes = b.Finish();
  REQUIRE(Verifies(*bytes));
  return *schema::GetModel(bytes->data());
}

std::vector<uint8_t> BufferBytes(const schema::Model& m, const schema::Tensor& t) {
  const auto* data = m.buffers()->Get(t.buffer())->data();
  REQUIRE(data != nullptr);
  return {data->begin(), data->end()};
}

// A fresh, empty directory removed with its contents at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "qrt_builder_XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() { fs::remove_all(path_); }
  const fs::path& path() const { return path_; }
  size_t entries() const {
    return static_cast<size_t>(std::distance(fs::directory_iterator(path_), {}));
  }

 private:
  fs::path path_;
};

std::vector<uint8_t> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

TEST_CASE("an empty model verifies and carries identifier, version and sentinel buffer") {
  ModelBuilder b;
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  CHECK(schema::ModelBufferHasIdentifier(bytes.data()));
  CHECK(std::memcmp(bytes.data() + 4, "QRTM", 4) == 0);
  CHECK(m.schema_version() == schema::kSchemaVersion);
  CHECK(schema::kSchemaVersion == 4);
  REQUIRE(m.buffers()->size() == 1);
  CHECK((m.buffers()->Get(0)->data() == nullptr || m.buffers()->Get(0)->data()->size() == 0));
  CHECK(m.tensors()->size() == 0);
  CHECK(m.operators()->size() == 0);
}

TEST_CASE("every constant gets its own buffer, aligned for its type from the start of the bytes") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 3}, 0.5f, 1);
  // Odd sizes so that no buffer ends on a 4-byte boundary by chance.
  const int32_t w8 =
      b.AddInt8Weights("w8", {5, 3}, std::vector<int8_t>(15, 1), {1.f, 1.f, 1.f, 1.f, 1.f});
  const int32_t w4 = b.AddInt4Weights("w4", {3, 3}, std::vector<int8_t>(9, -1), {1.f, 1.f, 1.f});
  const int32_t bias = b.AddBias("bias", {1, 2, 3, 4, 5});
  const int32_t raw =
      b.AddConstant("raw", {65}, schema::ElementType::INT8, std::vector<uint8_t>(65, 7));
  b.SetInputs({x});

  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  CHECK(bytes.size() % 4 == 0);
  REQUIRE(m.buffers()->size() == 5);
  for (const int32_t t : {w8, w4, bias, raw}) {
    CAPTURE(t);
    const schema::Tensor& tensor = *m.tensors()->Get(static_cast<uint32_t>(t));
    CHECK(tensor.buffer() == static_cast<uint32_t>(t));  // buffers 1..4 in creation order
    const auto* data = m.buffers()->Get(tensor.buffer())->data();
    REQUIRE(data != nullptr);
    // Weights on 4 bytes (schema version 4), int16 (the small bias) on 2.
    CHECK(BufferAlignment(tensor.type()) == (tensor.type() == schema::ElementType::INT16 ? 2 : 4));
    CHECK((data->data() - bytes.data()) % BufferAlignment(tensor.type()) == 0);
  }
  CHECK(m.tensors()->Get(static_cast<uint32_t>(x))->buffer() == 0);
}

TEST_CASE("int4 weights pack each row low nibble first and pad odd rows") {
  ModelBuilder b;
  // Rows of K = 3 (from the dims after the first): two bytes per row, the last
  // high nibble unused.
  const std::vector<int8_t> values = {1, -2, 3, -8, 7, -1};
  const int32_t w = b.AddInt4Weights("w", {2, 1, 1, 3}, values, {0.5f, 0.25f});
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  const schema::Tensor& t = *m.tensors()->Get(static_cast<uint32_t>(w));
  CHECK(t.type() == schema::ElementType::INT4);
  const std::vector<uint8_t> packed = BufferBytes(m, t);
  CHECK(packed == std::vector<uint8_t>{0xE1, 0x03, 0x78, 0x0F});
  for (size_t i = 0; i < values.size(); ++i) {
    CHECK(kernels::Int4At(packed.data() + (i / 3) * 2, i % 3) == values[i]);
  }
  // Even K: no padding.
  ModelBuilder even;
  even.AddInt4Weights("w", {1, 4}, {-8, 7, 0, -1}, {1.f});
  const schema::Model& m_even = Build(even, &bytes);
  CHECK(BufferBytes(m_even, *m_even.tensors()->Get(0)) == std::vector<uint8_t>{0x78, 0xF0});
}

TEST_CASE("weights are quantized per output channel without zero points") {
  ModelBuilder b;
  const int32_t w8 = b.AddInt8Weights("w8", {2, 2}, {-127, 127, 0, 5}, {0.5f, 0.25f});
  const int32_t w4 = b.AddInt4Weights("w4", {2, 1}, {-8, 7}, {2.f, 3.f});
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  for (const int32_t t : {w8, w4}) {
    CAPTURE(t);
    const schema::Quantization* q = m.tensors()->Get(static_cast<uint32_t>(t))->quantization();
    REQUIRE(q != nullptr);
    REQUIRE(q->scale()->size() == 2);
    // Symmetric weights: an absent zero_point means all 0 and costs no bytes.
    CHECK(q->zero_point() == nullptr);
    CHECK(q->quantized_dimension() == 0);
  }
  const schema::Tensor& t8 = *m.tensors()->Get(static_cast<uint32_t>(w8));
  CHECK(t8.type() == schema::ElementType::INT8);
  CHECK(t8.quantization()->scale()->Get(1) == 0.25f);
  CHECK(BufferBytes(m, t8) == std::vector<uint8_t>{0x81, 0x7F, 0x00, 0x05});
}

TEST_CASE("activations, float tensors and biases carry the documented fields") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4, 4, 2}, 0.125f, -7);
  const int32_t f = b.AddFloatTensor("f", {1, 4, 4, 2});
  const int32_t bias = b.AddBias("bias", {-1, 0x01020304});
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);

  const schema::Tensor& tx = *m.tensors()->Get(static_cast<uint32_t>(x));
  CHECK(tx.name()->str() == "x");
  CHECK(std::vector<int32_t>(tx.shape()->begin(), tx.shape()->end()) ==
        std::vector<int32_t>{1, 4, 4, 2});
  CHECK(tx.type() == schema::ElementType::INT8);
  CHECK(tx.buffer() == 0);
  // Inline since schema version 3; no Quantization table.
  CHECK(tx.quantization() == nullptr);
  CHECK(tx.scale() == 0.125f);
  CHECK(tx.zero_point() == -7);

  const schema::Tensor& tf = *m.tensors()->Get(static_cast<uint32_t>(f));
  CHECK(tf.type() == schema::ElementType::FLOAT32);
  CHECK(tf.quantization() == nullptr);
  CHECK(tf.scale() == 0.0f);

  const schema::Tensor& tb = *m.tensors()->Get(static_cast<uint32_t>(bias));
  CHECK(tb.type() == schema::ElementType::INT32);
  CHECK(tb.shape()->size() == 1);
  CHECK(tb.shape()->Get(0) == 2);
  CHECK(BufferBytes(m, tb) == std::vector<uint8_t>{0xFF, 0xFF, 0xFF, 0xFF, 0x04, 0x03, 0x02, 0x01});
}

TEST_CASE("a bias whose values all fit in 16 bits is written as int16") {
  ModelBuilder b;
  const int32_t fits = b.AddBias("fits", {-32768, 32767, -1});
  const int32_t wide = b.AddBias("wide", {-32769, 0});
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  const schema::Tensor& t16 = *m.tensors()->Get(static_cast<uint32_t>(fits));
  CHECK(t16.type() == schema::ElementType::INT16);
  CHECK(BufferBytes(m, t16) == std::vector<uint8_t>{0x00, 0x80, 0xFF, 0x7F, 0xFF, 0xFF});
  CHECK(m.tensors()->Get(static_cast<uint32_t>(wide))->type() == schema::ElementType::INT32);
}

TEST_CASE("tensors of one shape share one shape vector") {
  ModelBuilder b;
  b.AddActivation("a", {1, 8, 8, 4}, 1.f, 0);
  b.AddActivation("b", {1, 8, 8, 4}, 2.f, 0);
  b.AddActivation("c", {1, 8, 8, 5}, 1.f, 0);
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  CHECK(m.tensors()->Get(0)->shape() == m.tensors()->Get(1)->shape());
  CHECK(m.tensors()->Get(0)->shape() != m.tensors()->Get(2)->shape());
}

TEST_CASE("metadata and graph I/O round trip") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {4}, 1.f, 0);
  const int32_t y = b.AddActivation("y", {4}, 1.f, 0);
  b.SetInputs({x});
  b.SetOutputs({y});
  std::vector<uint8_t> bytes;
  {
    const schema::Model& m = Build(b, &bytes);
    REQUIRE(m.metadata() != nullptr);
    CHECK(m.metadata()->producer()->str() == "qrt");
  }
  b.metadata().producer = "qrt-convert 0.1";
  b.metadata().source_model = "resnet18.onnx";
  b.metadata().calibration_method = "entropy";
  b.metadata().description = "int8, per-channel weights";
  const schema::Model& m = Build(b, &bytes);
  CHECK(m.metadata()->producer()->str() == "qrt-convert 0.1");
  CHECK(m.metadata()->source_model()->str() == "resnet18.onnx");
  CHECK(m.metadata()->calibration_method()->str() == "entropy");
  CHECK(m.metadata()->description()->str() == "int8, per-channel weights");
  CHECK(std::vector<int32_t>(m.inputs()->begin(), m.inputs()->end()) == std::vector<int32_t>{x});
  CHECK(std::vector<int32_t>(m.outputs()->begin(), m.outputs()->end()) == std::vector<int32_t>{y});
}

TEST_CASE("model() exposes every field for deliberately broken models") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {4}, 1.f, 0);
  b.model().schema_version = schema::kSchemaVersion + 1;
  b.model().tensors[static_cast<size_t>(x)]->shape = {0, -3};
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  CHECK(m.schema_version() == schema::kSchemaVersion + 1);
  CHECK(m.tensors()->Get(0)->shape()->Get(1) == -3);
}

// Requantization arrays as written, multiplier and shift element by element. The
// helpers' multipliers are powers of two, which the builder writes as mantissas.
void CheckRequant(const schema::Requantization* r, const std::vector<Dyadic>& expected) {
  REQUIRE(r != nullptr);
  CHECK(r->multiplier() == nullptr);
  REQUIRE(r->mantissa() != nullptr);
  REQUIRE(r->mantissa()->size() == expected.size());
  REQUIRE(r->shift()->size() == expected.size());
  for (uint32_t i = 0; i < expected.size(); ++i) {
    const int32_t multiplier = int32_t{r->mantissa()->Get(i)} << schema::kMantissaShift;
    CHECK(multiplier == expected[i].multiplier);
    CHECK(r->shift()->Get(i) == expected[i].shift);
  }
}

void CheckClamp(const schema::Clamp* c, int lo, int hi) {
  REQUIRE(c != nullptr);
  CHECK(c->lo() == lo);
  CHECK(c->hi() == hi);
}

std::vector<int32_t> Ints(const flatbuffers::Vector<int32_t>* v) {
  REQUIRE(v != nullptr);
  return {v->begin(), v->end()};
}

TEST_CASE("requantizations are written as mantissas when every multiplier has 16 bits") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 0);
  const int32_t y = b.AddActivation("y", {1, 4}, 0.1f, 0);
  const Dyadic short_form{(1 << 30) + (3 << 15), 40};
  const Dyadic long_form{(1 << 30) + 1, 41};
  b.Mul(x, x, y, {short_form});
  b.Concat({x, x}, y, 1, {short_form, long_form});
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  const schema::Requantization& mantissas =
      *m.operators()->Get(0)->options_as_MulOptions()->requant();
  CHECK(mantissas.multiplier() == nullptr);
  REQUIRE(mantissas.mantissa() != nullptr);
  REQUIRE(mantissas.mantissa()->size() == 1);
  CHECK(mantissas.mantissa()->Get(0) == (1 << 15) + 3);
  CHECK(mantissas.shift()->Get(0) == 40);
  // One multiplier with more than 16 significant bits keeps the whole table int32.
  const schema::Requantization& full =
      *m.operators()->Get(1)->options_as_ConcatOptions()->requant();
  CHECK(full.mantissa() == nullptr);
  CHECK(Ints(full.multiplier()) ==
        std::vector<int32_t>{short_form.multiplier, long_form.multiplier});
}

TEST_CASE("a hard activation LOOKUP is written with its parameters and no table") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4}, 0.1f, 3);
  const int32_t y = b.AddActivation("y", {1, 4}, 0.1f, -2);
  const schema::HardActivation hard(-77, 1 << 20, 1 << 30, 44, 12, schema::HardFunction::HARD_SWISH,
                                    schema::Clamp(-5, 90));
  b.HardActivationLookup(x, y, hard);
  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  const schema::LookupOptions* l = m.operators()->Get(0)->options_as_LookupOptions();
  REQUIRE(l != nullptr);
  CHECK(l->table() == nullptr);
  REQUIRE(l->hard() != nullptr);
  CHECK(l->hard()->offset() == -77);
  CHECK(l->hard()->width() == 1 << 20);
  CHECK(l->hard()->multiplier() == 1 << 30);
  CHECK(l->hard()->shift() == 44);
  CHECK(l->hard()->fraction_bits() == 12);
  CHECK(l->hard()->function() == schema::HardFunction::HARD_SWISH);
  CheckClamp(&l->hard()->clamp(), -5, 90);
}

std::vector<uint8_t> PackShifts(const std::vector<int8_t>& shifts) {
  return schema::PackDeltas(schema::kShiftPacking, std::span<const int8_t>(shifts));
}

TEST_CASE("packed shifts: the smallest shift, the delta width, then the deltas in that many bits") {
  const std::vector<int8_t> same(5, 31);
  CHECK(PackShifts(same) == std::vector<uint8_t>{31, 0});
  // Deltas 0..5 need 3 bits: 8 deltas in 3 bytes, least significant bit first.
  const std::vector<int8_t> shifts = {35, 40, 36, 37, 35, 38, 39, 35};
  const std::vector<uint8_t> packed = PackShifts(shifts);
  REQUIRE(packed.size() == schema::PackedBytes(schema::kShiftPacking, shifts.size(), 3));
  CHECK(packed.size() == 5);
  CHECK(packed[0] == 35);
  CHECK(packed[1] == 3);
  // Deltas 0, 5, 1, 2, 0, 3, 4, 0: bits 000 101 100 010 000 110 001 000 (each LSB first).
  CHECK(packed[2] == 0b01101000);
  for (size_t i = 0; i < shifts.size(); ++i) {
    CAPTURE(i);
    CHECK(schema::PackedValue(schema::kShiftPacking, packed, i) == shifts[i]);
  }
  // The widest spread, 1 to 62, takes 6 bits.
  const std::vector<int8_t> wide = {62, 1, 17};
  const std::vector<uint8_t> wide_packed = PackShifts(wide);
  CHECK(wide_packed[1] == schema::kShiftPacking.max_width);
  for (size_t i = 0; i < wide.size(); ++i) {
    CHECK(schema::PackedValue(schema::kShiftPacking, wide_packed, i) == wide[i]);
  }
}

TEST_CASE("packed int32: the smallest value in 4 bytes little-endian, the width, the deltas") {
  const std::vector<int32_t> values = {-300, 100, -44, 211};
  const std::vector<uint8_t> packed =
      schema::PackDeltas(schema::kInt32Packing, std::span<const int32_t>(values));
  // Deltas 0, 400, 256, 511 need 9 bits: 36 bits in 5 bytes after the 5-byte header.
  REQUIRE(packed.size() == schema::PackedBytes(schema::kInt32Packing, values.size(), 9));
  CHECK(packed.size() == 10);
  CHECK(std::vector<uint8_t>(packed.begin(), packed.begin() + 5) ==
        std::vector<uint8_t>{0xD4, 0xFE, 0xFF, 0xFF, 9});  // -300 = 0xFFFFFED4
  // Delta 0 in bits 0-8, then 400 = 0b110010000 from bit 9: byte 6 holds its low 7 bits.
  CHECK(packed[5] == 0);
  CHECK(packed[6] == 0b00100000);
  for (size_t i = 0; i < values.size(); ++i) {
    CAPTURE(i);
    CHECK(schema::PackedValue(schema::kInt32Packing, packed, i) == values[i]);
  }
  // The whole int32 range takes 32 bits; equal values take the least width, 1.
  const std::vector<int32_t> extremes = {std::numeric_limits<int32_t>::max(),
                                         std::numeric_limits<int32_t>::min()};
  const std::vector<uint8_t> wide =
      schema::PackDeltas(schema::kInt32Packing, std::span<const int32_t>(extremes));
  CHECK(wide[4] == schema::kInt32Packing.max_width);
  CHECK(wide.size() == 13);
  for (size_t i = 0; i < extremes.size(); ++i) {
    CHECK(schema::PackedValue(schema::kInt32Packing, wide, i) == extremes[i]);
  }
  const std::vector<int32_t> same(7, -5);
  CHECK(schema::PackDeltas(schema::kInt32Packing, std::span<const int32_t>(same)) ==
        std::vector<uint8_t>{0xFB, 0xFF, 0xFF, 0xFF, 1, 0});
}

TEST_CASE("each operator helper writes its type, operands and options") {
  ModelBuilder b;
  const int32_t x = b.AddActivation("x", {1, 4, 4, 2}, 0.5f, 0);
  const int32_t y = b.AddActivation("y", {1, 4, 4, 2}, 0.5f, 0);
  const int32_t w = b.AddInt8Weights("w", {2, 1, 1, 2}, {1, 2, 3, 4}, {1.f, 1.f});
  const int32_t bias = b.AddBias("bias", {0, 0});
  const int32_t f = b.AddFloatTensor("f", {1, 4, 4, 2});

  const int32_t conv = b.Conv2D(x, w, bias, y,
                                {.stride_h = 2,
                                 .stride_w = 3,
                                 .dilation_h = 4,
                                 .dilation_w = 5,
                                 .pad_top = 6,
                                 .pad_left = 7,
                                 .pad_bottom = 8,
                                 .pad_right = 9,
                                 .groups = 2},
                                {kHalf, kQuarter}, {-10, 20});
  const int32_t fc = b.FullyConnected(x, w, bias, y, {kQuarter, kHalf});
  const int32_t add = b.Add(x, y, y, {kHalf, kQuarter, kHalf}, {0, 127}, 12);
  const int32_t add_default = b.Add(x, y, y, {kHalf, kHalf, kHalf});
  const int32_t mul = b.Mul(x, y, y, {kQuarter}, {-5, 5});
  const int32_t max_pool = b.MaxPool2D(
      x, y, {.kernel_h = 2, .kernel_w = 3, .stride_h = 4, .stride_w = 5, .pad_bottom = 1}, {-1, 1});
  const int32_t avg_pool = b.AveragePool2D(
      x, y, {.kernel_h = 1, .kernel_w = 2, .pad_right = 1, .count_include_pad = true},
      {kHalf, kQuarter});
  const int32_t global_pool = b.GlobalAveragePool(x, y, {kQuarter}, {3, 4});
  const int32_t concat = b.Concat({x, y, x}, y, -1, {kHalf, kQuarter, kHalf});
  const int32_t reshape = b.Reshape(x, y);
  const int32_t transpose = b.Transpose(x, y, {0, 3, 1, 2});
  const int32_t pad = b.Pad(x, y, {0, 1, 1, 0}, {0, 2, 2, 0}, -3);
  const int32_t resize = b.ResizeNearest(x, y, schema::CoordinateTransform::ALIGN_CORNERS,
                                         schema::NearestRounding::CEIL);
  const int32_t resize_default = b.ResizeNearest(x, y);
  std::vector<int8_t> table(256);
  for (size_t i = 0; i < table.size(); ++i) table[i] = static_cast<int8_t>(255 - i);
  const int32_t lookup = b.Lookup(x, y, table);
  const int32_t softmax = b.Softmax(x, y, std::vector<int32_t>(256, 1 << 16), {kQuarter}, {0, 9});
  const int32_t quantize = b.Quantize(f, x);
  const int32_t dequantize = b.Dequantize(y, f);
  b.SetOperatorName(conv, "conv1");

  std::vector<uint8_t> bytes;
  const schema::Model& m = Build(b, &bytes);
  REQUIRE(m.operators()->size() == 18);
  auto op = [&m](int32_t index) -> const schema::Operator& {
    return *m.operators()->Get(static_cast<uint32_t>(index));
  };
  for (uint32_t i = 0; i < m.operators()->size(); ++i) {
    CAPTURE(i);
    CHECK(m.operators()->Get(i)->version() == 1);
  }

  SUBCASE("conv") {
    CHECK(op(conv).type() == OperatorType::CONV_2D);
    CHECK(op(conv).name()->str() == "conv1");
    CHECK(Ints(op(conv).inputs()) == std::vector<int32_t>{x, w, bias});
    CHECK(Ints(op(conv).outputs()) == std::vector<int32_t>{y});
    const auto* o = op(conv).options_as_Conv2DOptions();
    REQUIRE(o != nullptr);
    CHECK(o->stride_h() == 2);
    CHECK(o->stride_w() == 3);
    CHECK(o->dilation_h() == 4);
    CHECK(o->dilation_w() == 5);
    CHECK(o->pad_top() == 6);
    CHECK(o->pad_left() == 7);
    CHECK(o->pad_bottom() == 8);
    CHECK(o->pad_right() == 9);
    CHECK(o->groups() == 2);
    CheckRequant(o->requant(), {kHalf, kQuarter});
    CheckClamp(o->clamp(), -10, 20);
  }
  SUBCASE("fully connected") {
    CHECK(op(fc).type() == OperatorType::FULLY_CONNECTED);
    CHECK(op(fc).name() == nullptr);
    CHECK(Ints(op(fc).inputs()) == std::vector<int32_t>{x, w, bias});
    const auto* o = op(fc).options_as_FullyConnectedOptions();
    REQUIRE(o != nullptr);
    CheckRequant(o->requant(), {kQuarter, kHalf});
    CheckClamp(o->clamp(), -128, 127);
  }
  SUBCASE("add") {
    CHECK(op(add).type() == OperatorType::ADD);
    CHECK(Ints(op(add).inputs()) == std::vector<int32_t>{x, y});
    const auto* o = op(add).options_as_AddOptions();
    REQUIRE(o != nullptr);
    CHECK(o->left_shift() == 12);
    CheckRequant(o->requant(), {kHalf, kQuarter, kHalf});
    CheckClamp(o->clamp(), 0, 127);
    REQUIRE(op(add_default).options_as_AddOptions() != nullptr);
    CHECK(op(add_default).options_as_AddOptions()->left_shift() == kDefaultAddLeftShift);
  }
  SUBCASE("mul") {
    CHECK(op(mul).type() == OperatorType::MUL);
    CHECK(Ints(op(mul).inputs()) == std::vector<int32_t>{x, y});
    const auto* o = op(mul).options_as_MulOptions();
    REQUIRE(o != nullptr);
    CheckRequant(o->requant(), {kQuarter});
    CheckClamp(o->clamp(), -5, 5);
  }
  SUBCASE("max pool") {
    CHECK(op(max_pool).type() == OperatorType::MAX_POOL_2D);
    CHECK(Ints(op(max_pool).inputs()) == std::vector<int32_t>{x});
    const auto* o = op(max_pool).options_as_Pool2DOptions();
    REQUIRE(o != nullptr);
    CHECK(o->kernel_h() == 2);
    CHECK(o->kernel_w() == 3);
    CHECK(o->stride_h() == 4);
    CHECK(o->stride_w() == 5);
    CHECK(o->pad_top() == 0);
    CHECK(o->pad_bottom() == 1);
    CHECK(o->count_include_pad() == false);
    CHECK(o->requant() == nullptr);
    CheckClamp(o->clamp(), -1, 1);
  }
  SUBCASE("average pool") {
    CHECK(op(avg_pool).type() == OperatorType::AVERAGE_POOL_2D);
    const auto* o = op(avg_pool).options_as_Pool2DOptions();
    REQUIRE(o != nullptr);
    CHECK(o->kernel_h() == 1);
    CHECK(o->kernel_w() == 2);
    CHECK(o->pad_right() == 1);
    CHECK(o->count_include_pad() == true);
    CheckRequant(o->requant(), {kHalf, kQuarter});
  }
  SUBCASE("global average pool keeps the default geometry") {
    CHECK(op(global_pool).type() == OperatorType::GLOBAL_AVERAGE_POOL);
    const auto* o = op(global_pool).options_as_Pool2DOptions();
    REQUIRE(o != nullptr);
    CHECK(o->kernel_h() == 1);
    CHECK(o->kernel_w() == 1);
    CHECK(o->stride_h() == 1);
    CHECK(o->pad_bottom() == 0);
    CheckRequant(o->requant(), {kQuarter});
    CheckClamp(o->clamp(), 3, 4);
  }
  SUBCASE("concat") {
    CHECK(op(concat).type() == OperatorType::CONCAT);
    CHECK(Ints(op(concat).inputs()) == std::vector<int32_t>{x, y, x});
    const auto* o = op(concat).options_as_ConcatOptions();
    REQUIRE(o != nullptr);
    CHECK(o->axis() == -1);
    CheckRequant(o->requant(), {kHalf, kQuarter, kHalf});
  }
  SUBCASE("data movement") {
    CHECK(op(reshape).type() == OperatorType::RESHAPE);
    CHECK(op(reshape).options_as_ReshapeOptions() != nullptr);
    CHECK(op(transpose).type() == OperatorType::TRANSPOSE);
    REQUIRE(op(transpose).options_as_TransposeOptions() != nullptr);
    CHECK(Ints(op(transpose).options_as_TransposeOptions()->perm()) ==
          std::vector<int32_t>{0, 3, 1, 2});
    CHECK(op(pad).type() == OperatorType::PAD);
    const auto* p = op(pad).options_as_PadOptions();
    REQUIRE(p != nullptr);
    CHECK(Ints(p->pads_begin()) == std::vector<int32_t>{0, 1, 1, 0});
    CHECK(Ints(p->pads_end()) == std::vector<int32_t>{0, 2, 2, 0});
    CHECK(p->pad_value() == -3);
  }
  SUBCASE("resize") {
    CHECK(op(resize).type() == OperatorType::RESIZE_NEAREST);
    const auto* o = op(resize).options_as_ResizeOptions();
    REQUIRE(o != nullptr);
    CHECK(o->coordinate_transform() == schema::CoordinateTransform::ALIGN_CORNERS);
    CHECK(o->nearest_rounding() == schema::NearestRounding::CEIL);
    const auto* d = op(resize_default).options_as_ResizeOptions();
    REQUIRE(d != nullptr);
    CHECK(d->coordinate_transform() == schema::CoordinateTransform::HALF_PIXEL);
    CHECK(d->nearest_rounding() == schema::NearestRounding::ROUND_PREFER_FLOOR);
  }
  SUBCASE("lookup and softmax") {
    CHECK(op(lookup).type() == OperatorType::LOOKUP);
    const auto* l = op(lookup).options_as_LookupOptions();
    REQUIRE(l != nullptr);
    CHECK(std::vector<int8_t>(l->table()->begin(), l->table()->end()) == table);
    CHECK(op(softmax).type() == OperatorType::SOFTMAX);
    const auto* s = op(softmax).options_as_SoftmaxOptions();
    REQUIRE(s != nullptr);
    CHECK(Ints(s->exp_table()) == std::vector<int32_t>(256, 1 << 16));
    CheckRequant(s->requant(), {kQuarter});
    CheckClamp(s->clamp(), 0, 9);
  }
  SUBCASE("boundary") {
    CHECK(op(quantize).type() == OperatorType::QUANTIZE);
    CHECK(op(quantize).options_type() == OperatorOptions::QuantizeOptions);
    CHECK(Ints(op(quantize).inputs()) == std::vector<int32_t>{f});
    CHECK(Ints(op(quantize).outputs()) == std::vector<int32_t>{x});
    CHECK(op(dequantize).type() == OperatorType::DEQUANTIZE);
    CHECK(op(dequantize).options_type() == OperatorOptions::DequantizeOptions);
    CHECK(Ints(op(dequantize).outputs()) == std::vector<int32_t>{f});
  }
}

TEST_CASE("WriteFile writes the finished bytes and leaves no temporary file") {
  TempDir dir;
  ModelBuilder b;
  b.AddInt8Weights("w", {3, 3}, std::vector<int8_t>(9, 3), {1.f, 1.f, 1.f});
  const fs::path path = dir.path() / "model.qrt";
  const Status s = b.WriteFile(path.string());
  INFO(s.message());
  REQUIRE(s.ok());
  CHECK(ReadFile(path) == b.Finish());
  CHECK(dir.entries() == 1);

  // Replacing an existing model is atomic too.
  b.metadata().description = "second";
  REQUIRE(b.WriteFile(path.string()).ok());
  CHECK(ReadFile(path) == b.Finish());
  CHECK(dir.entries() == 1);
}

TEST_CASE("WriteFile reports kIoError with the path and leaves nothing behind") {
  TempDir dir;
  ModelBuilder b;
  SUBCASE("missing directory") {
    const fs::path path = dir.path() / "missing" / "model.qrt";
    const Status s = b.WriteFile(path.string());
    CHECK(s.code() == StatusCode::kIoError);
    CHECK(s.message().find(path.string()) != std::string::npos);
    CHECK(!fs::exists(path));
    CHECK(dir.entries() == 0);
  }
  SUBCASE("path is a directory") {
    const fs::path path = dir.path() / "model.qrt";
    fs::create_directory(path);
    const Status s = b.WriteFile(path.string());
    CHECK(s.code() == StatusCode::kIoError);
    CHECK(s.message().find(path.string()) != std::string::npos);
    CHECK(fs::is_directory(path));
    CHECK(dir.entries() == 1);  // no temporary file left beside it
  }
}

}  // namespace
}  // namespace qrt
