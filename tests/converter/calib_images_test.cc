// Calibration data sources: .npy directories, images (PNG, JPEG) with their
// preprocessing, random data, and the errors every malformed input must give.
#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "data_source.h"
#include "image.h"
#include "npy.h"

#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STB_IMAGE_WRITE_STATIC
#include <stb_image_write.h>

namespace qrt::converter::calib {
namespace {

namespace fs = std::filesystem;

// A fresh directory, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("qrt_calib_test_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const fs::path& path() const { return path_; }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

void WriteFloats(const std::string& path, std::vector<int64_t> shape,
                 const std::vector<float>& values) {
  REQUIRE(tools::WriteNpy(path, tools::MakeNpyArray<float>(std::move(shape), values)).ok());
}

void WriteBytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A height x width RGB image whose pixel (y, x) is (10y + x, 100 + x, 200 - y).
std::vector<uint8_t> TestPixels(int height, int width) {
  std::vector<uint8_t> pixels;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      pixels.push_back(static_cast<uint8_t>(10 * y + x));
      pixels.push_back(static_cast<uint8_t>(100 + x));
      pixels.push_back(static_cast<uint8_t>(200 - y));
    }
  }
  return pixels;
}

void WritePng(const std::string& path, int height, int width) {
  const std::vector<uint8_t> pixels = TestPixels(height, width);
  REQUIRE(stbi_write_png(path.c_str(), width, height, 3, pixels.data(), width * 3) != 0);
}

std::string ReadAll(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
}

bool Contains(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

Status Open(const std::string& spec, const std::vector<InputSpec>& inputs,
            std::unique_ptr<CalibrationSource>* source,
            const ImageOptions& options = ImageOptions()) {
  return OpenCalibrationSource(spec, inputs, options, source);
}

TEST_CASE("npy directory: one file per sample, batch dim optional, name order") {
  TempDir dir;
  WriteFloats(dir / "b.npy", {1, 2, 3}, {6, 5, 4, 3, 2, 1});
  WriteFloats(dir / "a.npy", {2, 3}, {1, 2, 3, 4, 5, 6});
  WriteBytes(dir / ".hidden", "ignored");
  std::unique_ptr<CalibrationSource> source;
  REQUIRE(Open(dir.path().string(), {{"x", {1, 2, 3}}}, &source).ok());
  REQUIRE(source->size() == 2);
  std::vector<CalibTensor> sample;
  REQUIRE(source->Read(0, &sample).ok());
  REQUIRE(sample.size() == 1);
  CHECK(sample[0].shape == std::vector<int64_t>{1, 2, 3});
  CHECK(sample[0].values == std::vector<float>{1, 2, 3, 4, 5, 6});
  REQUIRE(source->Read(1, &sample).ok());
  CHECK(sample[0].values[0] == 6);

  // Unknown dims accept any size.
  REQUIRE(Open(dir.path().string(), {{"x", {-1, 2, 0}}}, &source).ok());
  REQUIRE(source->Read(0, &sample).ok());
  CHECK(sample[0].shape == std::vector<int64_t>{1, 2, 3});
}

TEST_CASE("npy directory: wrong shape and corrupt files name the file") {
  TempDir dir;
  WriteFloats(dir / "0.npy", {1, 3, 2}, {1, 2, 3, 4, 5, 6});
  WriteBytes(dir / "1.npy", "\x93NUMPY garbage");
  std::unique_ptr<CalibrationSource> source;
  REQUIRE(Open(dir.path().string(), {{"x", {1, 2, 3}}}, &source).ok());
  std::vector<CalibTensor> sample;
  Status status = source->Read(0, &sample);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "0.npy"));
  CHECK(Contains(status, "(1, 3, 2) does not match input 'x' of shape (1, 2, 3)"));
  status = source->Read(1, &sample);
  CHECK_FALSE(status.ok());
  CHECK(Contains(status, "1.npy"));
}

TEST_CASE("npy directory: one subfolder per input, paired by file name") {
  TempDir dir;
  fs::create_directories(dir.path() / "ids");
  fs::create_directories(dir.path() / "mask");
  for (const char* name : {"s0.npy", "s1.npy"}) {
    WriteFloats(dir / ("ids/" + std::string(name)), {1, 4}, {1, 2, 3, 4});
    WriteFloats(dir / ("mask/" + std::string(name)), {1, 4}, {0, 0, 1, 1});
  }
  const std::vector<InputSpec> inputs{{"ids", {1, 4}}, {"mask", {1, 4}}};
  std::unique_ptr<CalibrationSource> source;
  REQUIRE(Open(dir.path().string(), inputs, &source).ok());
  REQUIRE(source->size() == 2);
  std::vector<CalibTensor> sample;
  REQUIRE(source->Read(1, &sample).ok());
  REQUIRE(sample.size() == 2);
  CHECK(sample[0].values == std::vector<float>{1, 2, 3, 4});
  CHECK(sample[1].values == std::vector<float>{0, 0, 1, 1});

  WriteFloats(dir / "mask/s2.npy", {1, 4}, {1, 1, 1, 1});
  Status status = Open(dir.path().string(), inputs, &source);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "'s2.npy' is not in both ids/ and mask/"));

  status = Open(dir.path().string(), {{"ids", {1, 4}}, {"segment", {1, 4}}}, &source);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "missing: segment/"));
}

TEST_CASE("calibration directory errors") {
  TempDir dir;
  std::unique_ptr<CalibrationSource> source;
  const std::vector<InputSpec> input{{"x", {1, 4}}};

  Status status = Open(dir / "absent", input, &source);
  CHECK(status.code() == StatusCode::kIoError);
  CHECK(Contains(status, "absent"));

  status = Open(dir.path().string(), input, &source);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "no calibration files"));

  WriteBytes(dir / "notes.txt", "hello");
  status = Open(dir.path().string(), input, &source);
  CHECK(Contains(status, "notes.txt: unexpected file"));
  fs::remove(dir / "notes.txt");

  WriteFloats(dir / "0.npy", {1, 4}, {1, 2, 3, 4});
  WritePng(dir / "1.png", 2, 2);
  status = Open(dir.path().string(), input, &source);
  CHECK(Contains(status, "mixes .npy files and images"));

  status = Open(dir / "0.npy", input, &source);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "not a directory"));

  status = Open(dir.path().string(), {}, &source);
  CHECK(status.code() == StatusCode::kInvalidArgument);
}

TEST_CASE("random data: fixed shapes, reproducible, bad specs rejected") {
  std::unique_ptr<CalibrationSource> source;
  const std::vector<InputSpec> inputs{{"x", {-1, 3, 4}}, {"y", {2}}};
  REQUIRE(Open("random:3", inputs, &source).ok());
  CHECK(source->size() == 3);
  std::vector<CalibTensor> first;
  std::vector<CalibTensor> again;
  REQUIRE(source->Read(2, &first).ok());
  REQUIRE(source->Read(2, &again).ok());
  CHECK(first[0].shape == std::vector<int64_t>{1, 3, 4});
  CHECK(first[0].values.size() == 12);
  CHECK(first[1].values.size() == 2);
  CHECK(first[0].values == again[0].values);

  REQUIRE(Open("random:2:uniform", inputs, &source).ok());
  REQUIRE(source->Read(0, &first).ok());
  for (const float v : first[0].values) CHECK((v >= -1 && v < 1));

  for (const char* spec :
       {"random:", "random:0", "random:x", "random:-2", "random:3:cauchy", "random:2000000"}) {
    CAPTURE(spec);
    const Status status = Open(spec, inputs, &source);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(Contains(status, spec));
  }
  const Status status = Open("random:1", {{"x", {1, -1}}}, &source);
  CHECK(Contains(status, "input 'x' has shape (1, -1) with unknown dims"));
}

TEST_CASE("image flags parse or give clear errors") {
  std::vector<float> values;
  REQUIRE(ParseChannelValues("--mean", "0.485,0.456,0.406", false, &values).ok());
  CHECK(values == std::vector<float>{0.485f, 0.456f, 0.406f});
  REQUIRE(ParseChannelValues("--std", "0.5", true, &values).ok());
  CHECK(values == std::vector<float>{0.5f});
  for (const char* text : {"", "0.5,", ",0.5", "0.5,,0.5", "a", "0.5 0.5", "inf", "1e99"}) {
    CAPTURE(text);
    const Status status = ParseChannelValues("--mean", text, false, &values);
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(Contains(status, "--mean"));
  }
  CHECK(Contains(ParseChannelValues("--std", "0.5,0", true, &values), "nonzero"));

  int height = 0;
  int width = 0;
  REQUIRE(ParseImageSize("48x192", &height, &width).ok());
  CHECK(height == 48);
  CHECK(width == 192);
  for (const char* text : {"48", "48x", "x192", "0x5", "5x0", "-1x5", "48x192x3", "99999x10"}) {
    CAPTURE(text);
    CHECK(Contains(ParseImageSize(text, &height, &width), "--size"));
  }
  ImageLayout layout = ImageLayout::kNchw;
  REQUIRE(ParseImageLayout("nhwc", &layout).ok());
  CHECK(layout == ImageLayout::kNhwc);
  CHECK(Contains(ParseImageLayout("chw", &layout), "expected nchw or nhwc"));
}

TEST_CASE("PNG decoding is exact; JPEG decodes approximately; grey conversion") {
  TempDir dir;
  WritePng(dir / "a.png", 3, 5);
  Image image;
  REQUIRE(DecodeImage(dir / "a.png", 3, &image).ok());
  CHECK(image.height == 3);
  CHECK(image.width == 5);
  CHECK(image.pixels == TestPixels(3, 5));

  REQUIRE(DecodeImage(dir / "a.png", 1, &image).ok());
  CHECK(image.channels == 1);
  CHECK(image.pixels.size() == 15);

  const std::vector<uint8_t> flat(8 * 8 * 3, 128);
  REQUIRE(stbi_write_jpg((dir / "b.jpg").c_str(), 8, 8, 3, flat.data(), 95) != 0);
  REQUIRE(DecodeImage(dir / "b.jpg", 3, &image).ok());
  for (const uint8_t p : image.pixels) CHECK(std::abs(p - 128) <= 2);
}

TEST_CASE("malformed images: errors name the file and the problem") {
  TempDir dir;
  WritePng(dir / "good.png", 16, 16);
  const std::string png = ReadAll(dir / "good.png");
  Image image;

  WriteBytes(dir / "truncated.png", png.substr(0, png.size() / 2));
  Status status = DecodeImage(dir / "truncated.png", 3, &image);
  CHECK(status.code() == StatusCode::kInvalidArgument);
  CHECK(Contains(status, "truncated.png: corrupt or unsupported PNG"));

  std::string flipped = png;
  for (size_t i = 40; i < flipped.size(); i += 7) flipped[i] = static_cast<char>(~flipped[i]);
  WriteBytes(dir / "flipped.png", flipped);
  CHECK(Contains(DecodeImage(dir / "flipped.png", 3, &image), "flipped.png: corrupt"));

  WriteBytes(dir / "header_only.png", png.substr(0, 8));
  CHECK(Contains(DecodeImage(dir / "header_only.png", 3, &image), "header_only.png: corrupt"));

  WriteBytes(dir / "anim.png", "GIF89a\x01\x00\x01\x00");
  CHECK(Contains(DecodeImage(dir / "anim.png", 3, &image),
                 "anim.png: unsupported image type (only PNG and JPEG are read)"));
  WriteBytes(dir / "empty.jpg", "");
  CHECK(Contains(DecodeImage(dir / "empty.jpg", 3, &image), "empty.jpg: unsupported image type"));
  WriteBytes(dir / "bad.jpg", "\xff\xd8\xff\xe0 not really a jpeg");
  CHECK(Contains(DecodeImage(dir / "bad.jpg", 3, &image), "bad.jpg: corrupt or unsupported JPEG"));

  status = DecodeImage(dir / "missing.png", 3, &image);
  CHECK(status.code() == StatusCode::kIoError);
  CHECK(Contains(status, "missing.png: cannot open"));
}

TEST_CASE("image preprocessing: normalisation, layouts, BGR") {
  Image image;
  image.height = 2;
  image.width = 3;
  image.channels = 3;
  image.pixels = TestPixels(2, 3);
  ImageOptions options;
  options.height = 2;
  options.width = 3;
  options.mean = {0.5f, 0.25f, 0.0f};
  options.std = {0.5f};
  CalibTensor tensor;
  REQUIRE(PreprocessImage(image, options, &tensor).ok());
  CHECK(tensor.shape == std::vector<int64_t>{1, 3, 2, 3});
  auto expected = [](int pixel, float mean) {
    return (static_cast<float>(pixel) / 255.0f - mean) / 0.5f;
  };
  // NCHW: channel 1 (green = 100 + x) at y = 1, x = 2.
  CHECK(tensor.values[(1 * 2 + 1) * 3 + 2] == doctest::Approx(expected(102, 0.25f)));

  options.layout = ImageLayout::kNhwc;
  options.bgr = true;
  REQUIRE(PreprocessImage(image, options, &tensor).ok());
  CHECK(tensor.shape == std::vector<int64_t>{1, 2, 3, 3});
  // NHWC, BGR: channel 0 is blue (200 - y) at y = 1, x = 2, with mean[0].
  CHECK(tensor.values[(1 * 3 + 2) * 3 + 0] == doctest::Approx(expected(199, 0.5f)));
  CHECK(tensor.values[(1 * 3 + 2) * 3 + 2] == doctest::Approx(expected(12, 0.0f)));

  options.mean = {0.1f, 0.2f};
  const Status status = PreprocessImage(image, options, &tensor);
  CHECK(Contains(status, "--mean has 2 values; the input has 3 channels"));
}

TEST_CASE("image preprocessing: bilinear resize and aspect-keeping right padding") {
  Image image;
  image.height = 1;
  image.width = 2;
  image.channels = 1;
  image.pixels = {0, 255};
  ImageOptions options;
  options.height = 1;
  options.width = 4;
  CalibTensor tensor;
  REQUIRE(PreprocessImage(image, options, &tensor).ok());
  // Half-pixel centres: samples at x = 0.25, 0.75, 1.25, 1.75 of the source.
  CHECK(tensor.values[0] == doctest::Approx(0.0));
  CHECK(tensor.values[1] == doctest::Approx(0.25));
  CHECK(tensor.values[2] == doctest::Approx(0.75));
  CHECK(tensor.values[3] == doctest::Approx(1.0));

  // PaddleOCR's classifier: a 2x6 line into 4x32 keeps its 1:3 aspect as 4x12,
  // then zeros (after normalisation) fill columns 12..31.
  image.height = 2;
  image.width = 6;
  image.pixels.assign(12, 255);
  options.height = 4;
  options.width = 32;
  options.keep_aspect = true;
  options.mean = {0.5f};
  options.std = {0.5f};
  REQUIRE(PreprocessImage(image, options, &tensor).ok());
  CHECK(tensor.shape == std::vector<int64_t>{1, 1, 4, 32});
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 32; ++x) {
      CAPTURE(x);
      CHECK(tensor.values[y * 32 + x] == (x < 12 ? 1.0f : 0.0f));
    }
  }
  // A line wider than the target is squeezed to it, not cropped.
  image.width = 600;
  image.pixels.assign(1200, 0);
  REQUIRE(PreprocessImage(image, options, &tensor).ok());
  CHECK(tensor.values[31] == -1.0f);
}

TEST_CASE("image directory source: size from the input or --size, checked") {
  TempDir dir;
  WritePng(dir / "0.png", 4, 8);
  WritePng(dir / "1.PNG", 8, 4);
  std::unique_ptr<CalibrationSource> source;
  REQUIRE(Open(dir.path().string(), {{"image", {1, 3, 4, 8}}}, &source).ok());
  REQUIRE(source->size() == 2);
  std::vector<CalibTensor> sample;
  REQUIRE(source->Read(1, &sample).ok());
  CHECK(sample[0].shape == std::vector<int64_t>{1, 3, 4, 8});

  ImageOptions options;
  options.height = 6;
  options.width = 10;
  options.layout = ImageLayout::kNhwc;
  REQUIRE(Open(dir.path().string(), {{"image", {-1, -1, -1, 1}}}, &source, options).ok());
  REQUIRE(source->Read(0, &sample).ok());
  CHECK(sample[0].shape == std::vector<int64_t>{1, 6, 10, 1});

  Status status = Open(dir.path().string(), {{"image", {1, 3, -1, -1}}}, &source);
  CHECK(Contains(status, "pass --size HxW"));
  options.layout = ImageLayout::kNchw;
  status = Open(dir.path().string(), {{"image", {1, 3, 4, 8}}}, &source, options);
  CHECK(Contains(status, "--size 6x10 differs from the input's size"));
  status = Open(dir.path().string(), {{"image", {1, 4, 4, 8}}}, &source);
  CHECK(Contains(status, "expected 1 or 3 channels"));
  status = Open(dir.path().string(), {{"image", {1, 4, 8}}}, &source);
  CHECK(Contains(status, "(1, C, H, W)"));

  options = ImageOptions();
  options.std = {1, 2};
  REQUIRE(Open(dir.path().string(), {{"image", {1, 3, 4, 8}}}, &source, options).ok());
  status = source->Read(0, &sample);
  CHECK(Contains(status, "0.png: --std has 2 values"));

  WriteBytes(dir / "2.png", "\x89PNG\r\n\x1a\n broken");
  REQUIRE(Open(dir.path().string(), {{"image", {1, 3, 4, 8}}}, &source).ok());
  status = source->Read(2, &sample);
  CHECK(Contains(status, "2.png: corrupt or unsupported PNG"));
}

}  // namespace
}  // namespace qrt::converter::calib
