#include "npy.h"

#include <bit>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <string_view>
#include <system_error>

#include "atomic_file.h"

namespace qrt::tools {
namespace {

// Elements are copied as raw bytes, so the .npy little-endian layout must be the
// host's; every target qrt supports (x86-64, AArch64) is little-endian.
static_assert(std::endian::native == std::endian::little);

constexpr std::string_view kMagic = "\x93NUMPY";
constexpr size_t kPreludeSize = 8;  // magic + major + minor
// NumPy pads headers so the data starts on a 64-byte boundary.
constexpr size_t kHeaderAlignment = 64;

struct DtypeCode {
  NpyDtype dtype;
  std::string_view descr;
};
constexpr DtypeCode kDtypeCodes[] = {
    {NpyDtype::kInt8, "|i1"},    {NpyDtype::kUInt8, "|u1"},   {NpyDtype::kInt32, "<i4"},
    {NpyDtype::kFloat32, "<f4"}, {NpyDtype::kFloat64, "<f8"},
};

std::string_view DescrOf(NpyDtype dtype) {
  for (const DtypeCode& code : kDtypeCodes) {
    if (code.dtype == dtype) return code.descr;
  }
  return "?";
}

Status Invalid(const std::string& source, const std::string& problem) {
  return Status(StatusCode::kInvalidArgument, source + ": " + problem);
}

Status IoError(const std::string& source, const std::string& problem) {
  return Status(StatusCode::kIoError, source + ": " + problem);
}

std::string ErrnoText(int error) { return std::generic_category().message(error); }

// The header is a Python dict literal such as
//   {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }
// This recursive-descent parser accepts exactly that grammar (either quote
// style, any key order, optional trailing commas, surrounding whitespace) and
// nothing else, so a hostile header cannot smuggle in values it did not spell out.
class HeaderParser {
 public:
  explicit HeaderParser(std::string_view text) : text_(text) {}

  // On failure returns the problem, phrased to follow "bad header: ".
  std::optional<std::string> Parse(std::string* descr, bool* fortran_order,
                                   std::vector<int64_t>* shape) {
    SkipSpace();
    if (!Consume('{')) return "expected a dict starting with '{'";
    bool have_descr = false;
    bool have_order = false;
    bool have_shape = false;
    while (true) {
      SkipSpace();
      if (Consume('}')) break;
      std::string key;
      if (auto error = ParseString(&key)) return "dict key: " + *error;
      SkipSpace();
      if (!Consume(':')) return "expected ':' after key '" + key + "'";
      SkipSpace();
      std::optional<std::string> error;
      if (key == "descr") {
        if (have_descr) return std::string("duplicate key 'descr'");
        have_descr = true;
        if (Peek() == '[') return std::string("structured dtypes (a descr list) are not supported");
        error = ParseString(descr);
      } else if (key == "fortran_order") {
        if (have_order) return std::string("duplicate key 'fortran_order'");
        have_order = true;
        error = ParseBool(fortran_order);
      } else if (key == "shape") {
        if (have_shape) return std::string("duplicate key 'shape'");
        have_shape = true;
        error = ParseShape(shape);
      } else {
        return "unexpected key '" + key + "'";
      }
      if (error) return "'" + key + "': " + *error;
      SkipSpace();
      if (Consume('}')) break;
      if (!Consume(',')) return "expected ',' or '}' after the value of '" + key + "'";
    }
    SkipSpace();
    if (pos_ != text_.size()) return std::string("unexpected text after the dict");
    if (!have_descr) return std::string("missing key 'descr'");
    if (!have_order) return std::string("missing key 'fortran_order'");
    if (!have_shape) return std::string("missing key 'shape'");
    return std::nullopt;
  }

 private:
  char Peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool Consume(char c) {
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }
  void SkipSpace() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\t' || text_[pos_] == '\r')) {
      ++pos_;
    }
  }

  std::optional<std::string> ParseString(std::string* value) {
    const char quote = Peek();
    if (quote != '\'' && quote != '"') return std::string("expected a quoted string");
    ++pos_;
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] != quote) {
      const unsigned char c = static_cast<unsigned char>(text_[pos_]);
      if (c == '\\' || c < 0x20 || c > 0x7e) {
        return std::string("string holds an escape or a non-printable character");
      }
      ++pos_;
    }
    if (pos_ == text_.size()) return std::string("unterminated string");
    *value = std::string(text_.substr(start, pos_ - start));
    ++pos_;
    return std::nullopt;
  }

  std::optional<std::string> ParseBool(bool* value) {
    for (const auto& [word, result] :
         {std::pair{std::string_view("True"), true}, std::pair{std::string_view("False"), false}}) {
      if (text_.substr(pos_, word.size()) == word) {
        pos_ += word.size();
        *value = result;
        return std::nullopt;
      }
    }
    return std::string("expected True or False");
  }

  std::optional<std::string> ParseShape(std::vector<int64_t>* shape) {
    shape->clear();
    if (!Consume('(')) return std::string("expected a tuple such as (2, 3)");
    bool trailing_comma = false;
    while (true) {
      SkipSpace();
      if (Consume(')')) break;
      if (!shape->empty() && !trailing_comma) return std::string("expected ',' between dims");
      if (Peek() == '-') return std::string("negative dimension");
      if (Peek() < '0' || Peek() > '9') return std::string("dimension is not a decimal integer");
      int64_t dim = 0;
      while (Peek() >= '0' && Peek() <= '9') {
        const int digit = Peek() - '0';
        if (dim > (std::numeric_limits<int64_t>::max() - digit) / 10) {
          return std::string("dimension overflows int64");
        }
        dim = dim * 10 + digit;
        ++pos_;
      }
      shape->push_back(dim);
      SkipSpace();
      trailing_comma = Consume(',');
    }
    // Python reads "(3)" as the integer 3, not a tuple.
    if (shape->size() == 1 && !trailing_comma) {
      return std::string("(N) is not a tuple; a 1-d shape is written (N,)");
    }
    return std::nullopt;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

uint32_t ReadLittleEndian(std::span<const std::byte> bytes) {
  uint32_t value = 0;
  for (size_t i = bytes.size(); i-- > 0;) {
    value = (value << 8) | std::to_integer<uint32_t>(bytes[i]);
  }
  return value;
}

// Number of elements, or nullopt when it or its byte size overflows size_t.
std::optional<size_t> ElementCount(std::span<const int64_t> shape, size_t element_size) {
  size_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0) return std::nullopt;
    const auto udim = static_cast<uint64_t>(dim);
    if (udim != 0 && count > std::numeric_limits<size_t>::max() / element_size / udim) {
      return std::nullopt;
    }
    count *= udim;
  }
  return count;
}

template <typename From, typename To>
constexpr bool IsLossless() {
  if constexpr (std::is_same_v<From, To>) {
    return true;
  } else if constexpr (std::is_integral_v<From> && std::is_integral_v<To>) {
    return std::numeric_limits<From>::min() >= std::numeric_limits<To>::min() &&
           std::numeric_limits<From>::max() <= std::numeric_limits<To>::max();
  } else if constexpr (std::is_integral_v<From>) {
    return std::numeric_limits<From>::digits <= std::numeric_limits<To>::digits;
  } else if constexpr (std::is_floating_point_v<To>) {
    // float64 -> float32 rounds but is accepted on purpose (see npy.h).
    return true;
  } else {
    return false;
  }
}

template <typename From, typename To>
Status ConvertElements(const NpyArray& array, std::vector<To>* values) {
  const size_t count = array.element_count();
  values->resize(count);
  for (size_t i = 0; i < count; ++i) {
    From value;
    std::memcpy(&value, array.data.data() + i * sizeof(From), sizeof(From));
    if constexpr (std::is_floating_point_v<From> && sizeof(To) < sizeof(From)) {
      // Converting a finite value beyond the target's range is undefined behaviour.
      if (std::isfinite(value) && std::fabs(value) > std::numeric_limits<To>::max()) {
        return Invalid(array.source, "element " + std::to_string(i) + " (" + std::to_string(value) +
                                         ") is outside the " + NpyDtypeName(NpyDtypeOf<To>()) +
                                         " range");
      }
    }
    (*values)[i] = static_cast<To>(value);
  }
  return Status::Ok();
}

template <typename From, typename To>
Status ConvertIfLossless(const NpyArray& array, std::vector<To>* values) {
  if constexpr (IsLossless<From, To>()) {
    return ConvertElements<From>(array, values);
  } else {
    return Invalid(array.source, std::string("has dtype ") + NpyDtypeName(array.dtype) +
                                     ", which cannot be read as " + NpyDtypeName(NpyDtypeOf<To>()) +
                                     " without losing values");
  }
}

// Magic, version, header length and the header dict, padded with spaces and
// ended by '\n' so the data starts on a 64-byte boundary as NumPy writes it.
std::string EncodePreludeAndHeader(const NpyArray& array) {
  const std::string dict = "{'descr': '" + std::string(DescrOf(array.dtype)) +
                           "', 'fortran_order': False, 'shape': " + FormatShape(array.shape) +
                           ", }";
  const auto padded_length = [&dict](size_t length_field) {
    const size_t unpadded = kPreludeSize + length_field + dict.size() + 1;
    return dict.size() + 1 + (kHeaderAlignment - unpadded % kHeaderAlignment) % kHeaderAlignment;
  };
  // Version 1.0 has a 2-byte header length; only a huge shape needs 2.0's 4 bytes.
  size_t length_field = 2;
  size_t header_length = padded_length(length_field);
  if (header_length > 0xffff) {
    length_field = 4;
    header_length = padded_length(length_field);
  }
  std::string encoded(kMagic);
  encoded.push_back(static_cast<char>(length_field == 2 ? 1 : 2));
  encoded.push_back('\0');
  for (size_t i = 0; i < length_field; ++i) {
    encoded.push_back(static_cast<char>((header_length >> (8 * i)) & 0xff));
  }
  encoded += dict;
  encoded.append(header_length - dict.size() - 1, ' ');
  encoded.push_back('\n');
  return encoded;
}

}  // namespace

const char* NpyDtypeName(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kInt8:
      return "int8";
    case NpyDtype::kUInt8:
      return "uint8";
    case NpyDtype::kInt32:
      return "int32";
    case NpyDtype::kFloat32:
      return "float32";
    case NpyDtype::kFloat64:
      return "float64";
  }
  return "unknown";
}

size_t NpyDtypeSize(NpyDtype dtype) {
  switch (dtype) {
    case NpyDtype::kInt8:
    case NpyDtype::kUInt8:
      return 1;
    case NpyDtype::kInt32:
    case NpyDtype::kFloat32:
      return 4;
    case NpyDtype::kFloat64:
      return 8;
  }
  return 1;
}

std::string FormatShape(std::span<const int64_t> shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

Status ParseNpy(const std::string& source, std::span<const std::byte> bytes, NpyArray* array) {
  if (bytes.empty()) return Invalid(source, "empty file, not a .npy file");
  const size_t magic_checked = std::min(bytes.size(), kMagic.size());
  if (std::memcmp(bytes.data(), kMagic.data(), magic_checked) != 0) {
    return Invalid(source, "bad magic: not a .npy file (expected \\x93NUMPY)");
  }
  if (bytes.size() < kPreludeSize) {
    return Invalid(source, "truncated: the file ends before the format version");
  }
  const auto major = std::to_integer<int>(bytes[6]);
  const auto minor = std::to_integer<int>(bytes[7]);
  if (minor != 0 || major < 1 || major > 3) {
    return Invalid(source, "unsupported .npy format version " + std::to_string(major) + "." +
                               std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  }
  const size_t length_field = major == 1 ? 2 : 4;
  if (bytes.size() < kPreludeSize + length_field) {
    return Invalid(source, "truncated header: the file ends inside the header length");
  }
  const size_t header_length = ReadLittleEndian(bytes.subspan(kPreludeSize, length_field));
  const size_t header_start = kPreludeSize + length_field;
  if (header_length > bytes.size() - header_start) {
    return Invalid(source, "header length " + std::to_string(header_length) +
                               " goes beyond the end of the file (" + std::to_string(bytes.size()) +
                               " bytes)");
  }
  const auto header_bytes = bytes.subspan(header_start, header_length);
  const std::string_view header(reinterpret_cast<const char*>(header_bytes.data()),
                                header_bytes.size());

  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
  if (auto error = HeaderParser(header).Parse(&descr, &fortran_order, &shape)) {
    return Invalid(source, "bad header: " + *error);
  }
  const DtypeCode* code = nullptr;
  for (const DtypeCode& candidate : kDtypeCodes) {
    if (candidate.descr == descr) code = &candidate;
  }
  if (code == nullptr) {
    if (descr.size() >= 2 && descr[0] == '>') {
      return Invalid(source, "big-endian dtype '" + descr +
                                 "' is not supported (save it little-endian, e.g. "
                                 "a.astype(a.dtype.newbyteorder('<')))");
    }
    return Invalid(source, "unsupported dtype '" + descr +
                               "' (supported: '|i1' int8, '|u1' uint8, '<i4' int32, "
                               "'<f4' float32, '<f8' float64)");
  }
  if (fortran_order) {
    return Invalid(source,
                   "fortran_order is True; only C-order arrays are supported "
                   "(save np.ascontiguousarray(a))");
  }
  const size_t element_size = NpyDtypeSize(code->dtype);
  const std::optional<size_t> count = ElementCount(shape, element_size);
  if (!count) return Invalid(source, "shape " + FormatShape(shape) + " overflows the size type");
  const auto data = bytes.subspan(header_start + header_length);
  if (data.size() != *count * element_size) {
    return Invalid(source, "data is " + std::to_string(data.size()) + " bytes but shape " +
                               FormatShape(shape) + " of " + NpyDtypeName(code->dtype) + " needs " +
                               std::to_string(*count * element_size));
  }
  array->dtype = code->dtype;
  array->shape = std::move(shape);
  array->data.assign(data.begin(), data.end());
  array->source = source;
  return Status::Ok();
}

Status ReadNpy(const std::string& path, NpyArray* array) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(status)) return IoError(path, "no such file");
  if (std::filesystem::is_directory(status)) return IoError(path, "is a directory, not a file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError(path, "cannot open: " + ErrnoText(errno));
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  in.seekg(0, std::ios::beg);
  if (!in || size < 0) return IoError(path, "cannot determine the file size");
  std::vector<std::byte> bytes(static_cast<size_t>(size));
  in.read(reinterpret_cast<char*>(bytes.data()), size);
  if (in.gcount() != size) return IoError(path, "cannot read the whole file");
  return ParseNpy(path, bytes, array);
}

Status WriteNpy(const std::string& path, const NpyArray& array) {
  const std::optional<size_t> count = ElementCount(array.shape, NpyDtypeSize(array.dtype));
  if (!count || *count * NpyDtypeSize(array.dtype) != array.data.size()) {
    return Invalid(path, "cannot write: shape " + FormatShape(array.shape) + " of " +
                             NpyDtypeName(array.dtype) + " does not match " +
                             std::to_string(array.data.size()) + " data bytes");
  }
  const std::string header = EncodePreludeAndHeader(array);
  return WriteFileAtomically(path, {std::as_bytes(std::span(header.data(), header.size())),
                                    std::span<const std::byte>(array.data)});
}

template <typename T>
Status NpyToVector(const NpyArray& array, std::vector<T>* values) {
  switch (array.dtype) {
    case NpyDtype::kInt8:
      return ConvertIfLossless<int8_t>(array, values);
    case NpyDtype::kUInt8:
      return ConvertIfLossless<uint8_t>(array, values);
    case NpyDtype::kInt32:
      return ConvertIfLossless<int32_t>(array, values);
    case NpyDtype::kFloat32:
      return ConvertIfLossless<float>(array, values);
    case NpyDtype::kFloat64:
      return ConvertIfLossless<double>(array, values);
  }
  return Invalid(array.source, "unknown dtype");
}

template Status NpyToVector(const NpyArray&, std::vector<int8_t>*);
template Status NpyToVector(const NpyArray&, std::vector<uint8_t>*);
template Status NpyToVector(const NpyArray&, std::vector<int32_t>*);
template Status NpyToVector(const NpyArray&, std::vector<float>*);
template Status NpyToVector(const NpyArray&, std::vector<double>*);

}  // namespace qrt::tools
