// The .npy reader/writer and the input/output rules shared by qrt-run and
// qrt-bench: round trips for every dtype and one test per malformed-file error.
#include "npy.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "tool_common.h"

namespace qrt::tools {
namespace {

namespace fs = std::filesystem;

// A fresh directory per test, removed afterwards.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("qrt_npy_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// A .npy file as NumPy lays it out: magic, version, little-endian header length
// (2 bytes for 1.0, 4 for 2.0 and 3.0), the dict padded to 64 bytes, the data.
std::string NpyBytes(const std::string& dict, const std::string& data, int major = 1) {
  const size_t length_field = major == 1 ? 2 : 4;
  std::string header = dict;
  while ((8 + length_field + header.size() + 1) % 64 != 0) header.push_back(' ');
  header.push_back('\n');
  std::string bytes = "\x93NUMPY";
  bytes.push_back(static_cast<char>(major));
  bytes.push_back('\0');
  for (size_t i = 0; i < length_field; ++i) {
    bytes.push_back(static_cast<char>((header.size() >> (8 * i)) & 0xff));
  }
  return bytes + header + data;
}

std::string Dict(const std::string& descr, const std::string& shape,
                 const std::string& fortran_order = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran_order + ", 'shape': " + shape +
         ", }";
}

// Reads `bytes` from a file and returns the error message ("" when it loads).
std::string ReadError(const std::string& bytes,
                      StatusCode expected = StatusCode::kInvalidArgument) {
  TempDir dir;
  const std::string path = dir.File("bad.npy");
  WriteBytes(path, bytes);
  NpyArray array;
  const Status status = ReadNpy(path, &array);
  if (status.ok()) return "";
  CHECK(status.code() == expected);
  // Every message starts with the file it is about.
  CHECK(status.message().rfind(path + ": ", 0) == 0);
  return status.message();
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

template <typename T>
void CheckRoundTrip(std::vector<int64_t> shape, std::vector<T> values) {
  TempDir dir;
  const std::string path = dir.File("a.npy");
  REQUIRE(WriteNpy(path, MakeNpyArray<T>(shape, std::span<const T>(values))).ok());
  const std::string bytes = ReadBytes(path);
  CHECK(bytes.substr(0, 8) == std::string("\x93NUMPY\x01\x00", 8));
  CHECK((bytes.size() - values.size() * sizeof(T)) % 64 == 0);  // data 64-byte aligned

  NpyArray array;
  const Status status = ReadNpy(path, &array);
  REQUIRE_MESSAGE(status.ok(), status.ToString());
  CHECK(array.dtype == NpyDtypeOf<T>());
  CHECK(array.shape == shape);
  CHECK(array.source == path);
  std::vector<T> read;
  REQUIRE(NpyToVector(array, &read).ok());
  CHECK(read == values);
  // Only the file itself is left: the temporary file was renamed, not copied.
  CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("npy: every dtype round-trips through a file") {
  CheckRoundTrip<int8_t>({2, 3}, {-128, -1, 0, 1, 2, 127});
  CheckRoundTrip<uint8_t>({3}, {0, 128, 255});
  CheckRoundTrip<int32_t>({1, 2}, {std::numeric_limits<int32_t>::min(), 123456789});
  CheckRoundTrip<float>({2, 1, 2}, {-1.5f, 0.0f, 3.25f, 1e-30f});
  CheckRoundTrip<double>({2}, {-1e300, 0.1});
  CheckRoundTrip<float>({}, {42.0f});  // a scalar
  CheckRoundTrip<int8_t>({0, 4}, {});  // an empty array
}

TEST_CASE("npy: the written header is the one NumPy writes") {
  TempDir dir;
  const std::string path = dir.File("a.npy");
  const std::vector<float> values = {1, 2, 3};
  REQUIRE(WriteNpy(path, MakeNpyArray<float>({3}, std::span<const float>(values))).ok());
  CHECK(ReadBytes(path).substr(10, 57) ==
        "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
}

TEST_CASE("npy: format versions 2.0 and 3.0 are read") {
  for (const int major : {2, 3}) {
    const std::string data = {1, 2, 3};
    CHECK(ReadError(NpyBytes(Dict("|i1", "(3,)"), data, major)) == "");
  }
}

TEST_CASE("npy: the header dict may use any key order, quote style and spacing") {
  const std::string data(8, '\0');
  CHECK(ReadError(NpyBytes("{\"shape\":(2,),\"fortran_order\":False,\"descr\":\"<i4\"}", data)) ==
        "");
  CHECK(ReadError(NpyBytes("  { 'descr' : '<i4' , 'fortran_order' : False , 'shape' : ( 2 , ) }",
                           data)) == "");
  CHECK(ReadError(NpyBytes(Dict("<i4", "(1, 2)"), data)) == "");
}

TEST_CASE("npy: malformed prelude") {
  CHECK(Contains(ReadError(""), "empty file, not a .npy file"));
  CHECK(Contains(ReadError("PK\x03\x04 a zip file"), "bad magic: not a .npy file"));
  CHECK(Contains(ReadError("\x93NUM"), "truncated: the file ends before the format version"));
  CHECK(Contains(ReadError(NpyBytes(Dict("|i1", "(1,)"), "x").replace(6, 1, "\x04")),
                 "unsupported .npy format version 4.0"));
  CHECK(Contains(ReadError(NpyBytes(Dict("|i1", "(1,)"), "x").replace(7, 1, "\x01")),
                 "unsupported .npy format version 1.1"));
  CHECK(Contains(ReadError(std::string("\x93NUMPY\x01\x00\x10", 9)),
                 "truncated header: the file ends inside the header length"));
  CHECK(Contains(ReadError(std::string("\x93NUMPY\x02\x00\x10\x00", 10)),
                 "truncated header: the file ends inside the header length"));
}

TEST_CASE("npy: header length beyond the file") {
  // A real header cut short, and a length field claiming far more than exists.
  const std::string bytes = NpyBytes(Dict("|i1", "(1,)"), "x");
  CHECK(Contains(ReadError(bytes.substr(0, 40)),
                 "header length 118 goes beyond the end of the file (40 bytes)"));
  CHECK(Contains(ReadError(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff{}", 14)),
                 "header length 4294967295 goes beyond the end of the file (14 bytes)"));
}

TEST_CASE("npy: bad header dicts") {
  const auto error = [](const std::string& dict) { return ReadError(NpyBytes(dict, "")); };
  CHECK(Contains(error("['descr', '|i1']"), "bad header: expected a dict starting with '{'"));
  CHECK(Contains(error("{'descr': '|i1', 'fortran_order': False}"),
                 "bad header: missing key 'shape'"));
  CHECK(Contains(error("{'fortran_order': False, 'shape': (0,)}"),
                 "bad header: missing key 'descr'"));
  CHECK(Contains(error("{'descr': '|i1', 'shape': (0,)}"),
                 "bad header: missing key 'fortran_order'"));
  CHECK(Contains(error(Dict("|i1", "(0,)") + "{"), "bad header: unexpected text after the dict"));
  CHECK(Contains(error("{'descr': '|i1', 'descr': '|i1', 'fortran_order': False, 'shape': (0,)}"),
                 "bad header: duplicate key 'descr'"));
  CHECK(Contains(error("{'descr': '|i1', 'fortran_order': False, 'shape': (0,), 'x': 1}"),
                 "bad header: unexpected key 'x'"));
  CHECK(Contains(error("{'descr: '|i1'}"), "bad header: expected ':' after key 'descr: '"));
  // NpyBytes pads with spaces and '\n', which would end the string first.
  CHECK(Contains(ReadError(std::string("\x93NUMPY\x01\x00\x0e\x00{'descr': '|i1", 24)),
                 "bad header: 'descr': unterminated string"));
  CHECK(Contains(error("{'descr': '|i1"),
                 "bad header: 'descr': string holds an escape or a non-printable character"));
  CHECK(Contains(error("{descr: '|i1'}"), "bad header: dict key: expected a quoted string"));
  CHECK(Contains(error("{'descr': 'a\\'b'}"), "string holds an escape"));
  CHECK(Contains(error("{'descr': '|i1' 'shape': (0,)}"),
                 "bad header: expected ',' or '}' after the value of 'descr'"));
  CHECK(Contains(error(Dict("|i1", "(0,)", "0")), "'fortran_order': expected True or False"));
  CHECK(Contains(error("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,)}"),
                 "structured dtypes (a descr list) are not supported"));
}

TEST_CASE("npy: shapes are parsed strictly") {
  const auto error = [](const std::string& shape) {
    return ReadError(NpyBytes(Dict("|i1", shape), ""));
  };
  CHECK(Contains(error("(3)"), "'shape': (N) is not a tuple; a 1-d shape is written (N,)"));
  CHECK(Contains(error("[3]"), "'shape': expected a tuple such as (2, 3)"));
  CHECK(Contains(error("(-1,)"), "'shape': negative dimension"));
  CHECK(Contains(error("(3L,)"), "'shape': expected ',' between dims"));
  CHECK(Contains(error("(2 3)"), "'shape': expected ',' between dims"));
  CHECK(Contains(error("(2,,)"), "'shape': dimension is not a decimal integer"));
  CHECK(Contains(error("(1.5,)"), "'shape': expected ',' between dims"));
  CHECK(Contains(error("(99999999999999999999,)"), "'shape': dimension overflows int64"));
  CHECK(Contains(error("(4294967296, 4294967296)"),
                 "shape (4294967296, 4294967296) overflows the size type"));
}

TEST_CASE("npy: unsupported dtypes and layouts") {
  CHECK(Contains(ReadError(NpyBytes(Dict("<c8", "(1,)"), std::string(8, '\0'))),
                 "unsupported dtype '<c8' (supported: '|i1' int8"));
  CHECK(Contains(ReadError(NpyBytes(Dict("<i8", "(1,)"), std::string(8, '\0'))),
                 "unsupported dtype '<i8'"));
  CHECK(Contains(ReadError(NpyBytes(Dict(">f4", "(1,)"), std::string(4, '\0'))),
                 "big-endian dtype '>f4' is not supported"));
  CHECK(Contains(ReadError(NpyBytes(Dict("<f4", "(2, 2)", "True"), std::string(16, '\0'))),
                 "fortran_order is True; only C-order arrays are supported"));
}

TEST_CASE("npy: data size must equal the shape's") {
  CHECK(Contains(ReadError(NpyBytes(Dict("<f4", "(3,)"), std::string(8, '\0'))),
                 "data is 8 bytes but shape (3,) of float32 needs 12"));
  CHECK(Contains(ReadError(NpyBytes(Dict("<f4", "(2,)"), std::string(12, '\0'))),
                 "data is 12 bytes but shape (2,) of float32 needs 8"));
  CHECK(Contains(ReadError(NpyBytes(Dict("<f8", "()"), "")),
                 "data is 0 bytes but shape () of float64 needs 8"));
}

TEST_CASE("npy: missing files and directories are I/O errors") {
  TempDir dir;
  NpyArray array;
  Status status = ReadNpy(dir.File("absent.npy"), &array);
  CHECK(status.code() == StatusCode::kIoError);
  CHECK(status.message() == dir.File("absent.npy") + ": no such file");
  status = ReadNpy(dir.path().string(), &array);
  CHECK(status.code() == StatusCode::kIoError);
  CHECK(status.message() == dir.path().string() + ": is a directory, not a file");
}

TEST_CASE("npy: conversions are allowed only where no value can change") {
  const std::vector<int8_t> small = {-3, 4};
  NpyArray int8_array = MakeNpyArray<int8_t>({2}, std::span<const int8_t>(small));
  int8_array.source = "x.npy";
  std::vector<float> floats;
  REQUIRE(NpyToVector(int8_array, &floats).ok());
  CHECK(floats == std::vector<float>{-3.0f, 4.0f});
  std::vector<uint8_t> bytes;
  const Status status = NpyToVector(int8_array, &bytes);
  CHECK(status.message() ==
        "x.npy: has dtype int8, which cannot be read as uint8 without losing "
        "values");

  const std::vector<int32_t> ints = {1 << 30};
  const NpyArray int32_array = MakeNpyArray<int32_t>({1}, std::span<const int32_t>(ints));
  CHECK_FALSE(NpyToVector(int32_array, &floats).ok());  // float32 has 24 mantissa bits
  std::vector<double> doubles;
  CHECK(NpyToVector(int32_array, &doubles).ok());

  const std::vector<double> reals = {0.1, -2.5};
  const NpyArray f64 = MakeNpyArray<double>({2}, std::span<const double>(reals));
  REQUIRE(NpyToVector(f64, &floats).ok());
  CHECK(floats == std::vector<float>{0.1f, -2.5f});
  std::vector<int8_t> int8s;
  CHECK_FALSE(NpyToVector(f64, &int8s).ok());

  const std::vector<double> huge = {1.0, 1e39};
  NpyArray too_big = MakeNpyArray<double>({2}, std::span<const double>(huge));
  too_big.source = "big.npy";
  const std::string message = NpyToVector(too_big, &floats).message();
  CHECK(Contains(message, "big.npy: element 1 ("));
  CHECK(Contains(message, ") is outside the float32 range"));
}

TEST_CASE("npy: writing fails cleanly and leaves nothing behind") {
  TempDir dir;
  const std::vector<int8_t> values = {1, 2, 3};
  const std::string in_missing_dir = dir.File("no/such/dir/a.npy");
  Status status =
      WriteNpy(in_missing_dir, MakeNpyArray<int8_t>({3}, std::span<const int8_t>(values)));
  CHECK(status.code() == StatusCode::kIoError);
  CHECK(Contains(status.message(), in_missing_dir + ": cannot create: No such file or directory"));

  status = WriteNpy(dir.File("a.npy"), MakeNpyArray<int8_t>({4}, std::span<const int8_t>(values)));
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status.message(), "shape (4,) of int8 does not match 3 data bytes"));
  CHECK(fs::is_empty(dir.path()));

  // Overwriting replaces the old file whole.
  const std::string path = dir.File("b.npy");
  WriteBytes(path, "old contents");
  REQUIRE(WriteNpy(path, MakeNpyArray<int8_t>({3}, std::span<const int8_t>(values))).ok());
  NpyArray array;
  CHECK(ReadNpy(path, &array).ok());
}

TEST_CASE("tools: --input syntax") {
  InputSpec spec;
  REQUIRE(ParseInputSpec("image=a/b=c.npy", &spec).ok());
  CHECK(spec.name == "image");
  CHECK(spec.path == "a/b=c.npy");
  REQUIRE(ParseInputSpec("a.npy", &spec).ok());
  CHECK(spec.name.empty());
  CHECK(spec.path == "a.npy");
  CHECK(ParseInputSpec("=a.npy", &spec).message() ==
        "--input '=a.npy': empty input name before '='");
  CHECK(ParseInputSpec("x=", &spec).message() == "--input 'x=': empty path after '='");
  CHECK(ParseInputSpec("", &spec).message() == "--input: empty argument; expected NAME=FILE.npy");
}

TEST_CASE("tools: output file names are safe and distinct") {
  CHECK(OutputFileName("logits") == "logits.npy");
  CHECK(OutputFileName("logits/BiasAdd:0") == "logits%2FBiasAdd%3A0.npy");
  CHECK(OutputFileName("a_b") != OutputFileName("a/b"));
  CHECK(OutputFileName("100%") == "100%25.npy");
  CHECK(OutputFileName("..") == "%2E..npy");
  CHECK(OutputFileName(".hidden") == "%2Ehidden.npy");
  CHECK(OutputFileName("a.b-c") == "a.b-c.npy");
  CHECK(OutputFileName("\xff ") == "%FF%20.npy");
  CHECK(OutputFileName("") == "%.npy");
}

TEST_CASE("tools: which arrays an input accepts") {
  TensorInfo int8_input;
  int8_input.name = "x";
  int8_input.shape = {1, 2, 3};
  int8_input.type = ElementType::kInt8;
  int8_input.element_count = 6;
  TensorInfo float_input = int8_input;
  float_input.type = ElementType::kFloat32;

  const std::vector<int8_t> q(6, 1);
  const std::vector<double> reals(6, 0.5);
  const std::vector<int32_t> ints(6, 1);
  InputData data;
  NpyArray array = MakeNpyArray<int8_t>({2, 3}, std::span<const int8_t>(q));  // leading 1 dropped
  REQUIRE(ArrayToInput(int8_input, array, &data).ok());
  CHECK(data.name == "x");
  CHECK(std::get<std::vector<int8_t>>(data.values) == q);

  array = MakeNpyArray<double>({1, 1, 2, 3}, std::span<const double>(reals));
  REQUIRE(ArrayToInput(int8_input, array, &data).ok());
  CHECK(std::get<std::vector<float>>(data.values) == std::vector<float>(6, 0.5f));
  REQUIRE(ArrayToInput(float_input, array, &data).ok());

  array = MakeNpyArray<int8_t>({3, 2}, std::span<const int8_t>(q));
  array.source = "t.npy";
  Status status = ArrayToInput(int8_input, array, &data);
  CHECK(status.code() == StatusCode::kBadShape);
  CHECK(status.message() == "t.npy: shape (3, 2) does not match input 'x' (int8 (1, 2, 3))");

  array = MakeNpyArray<int32_t>({1, 2, 3}, std::span<const int32_t>(ints));
  array.source = "t.npy";
  status = ArrayToInput(int8_input, array, &data);
  CHECK(status.code() == StatusCode::kBadType);
  CHECK(Contains(status.message(),
                 "t.npy: dtype int32 does not fit input 'x' (int8 (1, 2, 3)); "
                 "give int8 (quantized values) or float32/float64"));
  CHECK(Contains(ArrayToInput(float_input, array, &data).message(),
                 "cannot be read as float32 without losing values"));

  TensorInfo int32_input = int8_input;
  int32_input.type = ElementType::kInt32;
  CHECK(Contains(ArrayToInput(int32_input, array, &data).message(),
                 "input 'x' (int32 (1, 2, 3)): the library's SetInput only fills int8 and "
                 "float32 inputs"));
}

}  // namespace
}  // namespace qrt::tools
