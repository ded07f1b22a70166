#include "image.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>

// Only the two formats calibration reads, with stb's own file I/O left out (the
// file is read here, so errors name it), and a smaller size limit: stb accepts
// up to 2^24 pixels a side, i.e. multi-gigabyte allocations from a tiny file.
#define STB_IMAGE_IMPLEMENTATION
#define STB_IMAGE_STATIC
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_NO_STDIO
#define STBI_MAX_DIMENSIONS (1 << 14)
#include <stb_image.h>

namespace qrt::converter::calib {
namespace {

constexpr int kMaxImageSide = 1 << 14;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool StartsWith(const std::vector<char>& bytes, std::string_view prefix) {
  return bytes.size() >= prefix.size() && std::equal(prefix.begin(), prefix.end(), bytes.begin());
}

// The pixel value at real coordinates (y, x), pixel centres at integer + 0.5,
// interpolated from the four nearest pixels (edges clamped).
float Bilinear(const Image& image, double y, double x, int channel) {
  y = std::clamp(y - 0.5, 0.0, static_cast<double>(image.height - 1));
  x = std::clamp(x - 0.5, 0.0, static_cast<double>(image.width - 1));
  const int y0 = static_cast<int>(y);
  const int x0 = static_cast<int>(x);
  const int y1 = std::min(y0 + 1, image.height - 1);
  const int x1 = std::min(x0 + 1, image.width - 1);
  const double fy = y - y0;
  const double fx = x - x0;
  auto at = [&](int row, int col) {
    return static_cast<double>(
        image.pixels[(static_cast<size_t>(row) * image.width + col) * image.channels + channel]);
  };
  const double top = at(y0, x0) + (at(y0, x1) - at(y0, x0)) * fx;
  const double bottom = at(y1, x0) + (at(y1, x1) - at(y1, x0)) * fx;
  return static_cast<float>(top + (bottom - top) * fy);
}

}  // namespace

Status ParseChannelValues(std::string_view flag, std::string_view text, bool nonzero,
                          std::vector<float>* values) {
  const auto error = [&](const std::string& why) {
    return Invalid(std::string(flag) + " '" + std::string(text) + "': " + why);
  };
  std::vector<float> parsed;
  size_t start = 0;
  while (true) {
    const size_t comma = std::min(text.find(',', start), text.size());
    const std::string_view item = text.substr(start, comma - start);
    float value = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (item.empty() || ec != std::errc() || end != item.data() + item.size() ||
        !std::isfinite(value)) {
      return error("expected finite numbers separated by commas, e.g. 0.5,0.5,0.5");
    }
    if (nonzero && value == 0) return error("values must be nonzero");
    parsed.push_back(value);
    if (comma == text.size()) break;
    start = comma + 1;
  }
  *values = std::move(parsed);
  return Status::Ok();
}

Status ParseImageSize(std::string_view text, int* height, int* width) {
  const size_t x = text.find('x');
  int parsed[2] = {0, 0};
  const std::string_view parts[2] = {text.substr(0, x),
                                     x == std::string_view::npos ? "" : text.substr(x + 1)};
  for (int i = 0; i < 2; ++i) {
    const auto [end, ec] =
        std::from_chars(parts[i].data(), parts[i].data() + parts[i].size(), parsed[i]);
    if (parts[i].empty() || ec != std::errc() || end != parts[i].data() + parts[i].size() ||
        parsed[i] < 1 || parsed[i] > kMaxImageSide) {
      return Invalid("--size '" + std::string(text) +
                     "': expected HxW with H and W in [1, 16384], e.g. 48x192");
    }
  }
  *height = parsed[0];
  *width = parsed[1];
  return Status::Ok();
}

Status ParseImageLayout(std::string_view text, ImageLayout* layout) {
  if (text == "nchw") {
    *layout = ImageLayout::kNchw;
  } else if (text == "nhwc") {
    *layout = ImageLayout::kNhwc;
  } else {
    return Invalid("--layout '" + std::string(text) + "': expected nchw or nhwc");
  }
  return Status::Ok();
}

Status DecodeImage(const std::string& path, int channels, Image* image) {
  if (channels != 1 && channels != 3) {
    return Invalid(path + ": images decode to 1 or 3 channels, not " + std::to_string(channels));
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status(StatusCode::kIoError, path + ": cannot open: " + std::strerror(errno));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());
  if (file.bad()) return Status(StatusCode::kIoError, path + ": read failed");

  const char* format = StartsWith(bytes, "\x89PNG\r\n\x1a\n") ? "PNG"
                       : StartsWith(bytes, "\xff\xd8\xff")    ? "JPEG"
                                                              : nullptr;
  if (format == nullptr) {
    return Invalid(path + ": unsupported image type (only PNG and JPEG are read)");
  }
  if (bytes.size() > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Invalid(path + ": file too large");
  }
  int width = 0;
  int height = 0;
  int file_channels = 0;
  const std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            static_cast<int>(bytes.size()), &width, &height, &file_channels,
                            channels),
      stbi_image_free);
  if (pixels == nullptr) {
    return Invalid(path + ": corrupt or unsupported " + format + " (" + stbi_failure_reason() +
                   ")");
  }
  image->height = height;
  image->width = width;
  image->channels = channels;
  image->pixels.assign(pixels.get(), pixels.get() + static_cast<size_t>(width) * height * channels);
  return Status::Ok();
}

Status PreprocessImage(const Image& image, const ImageOptions& options, CalibTensor* tensor) {
  const int channels = image.channels;
  const int height = options.height;
  const int width = options.width;
  if (height <= 0 || width <= 0) {
    return Invalid("the image input's size is unknown: pass --size HxW");
  }
  for (const auto& [flag, list] : {std::pair{"--mean", &options.mean}, {"--std", &options.std}}) {
    if (list->size() != 1 && list->size() != static_cast<size_t>(channels)) {
      return Invalid(std::string(flag) + " has " + std::to_string(list->size()) +
                     " values; the input has " + std::to_string(channels) +
                     " channels (give 1 or " + std::to_string(channels) + ")");
    }
  }
  const int resized_width =
      options.keep_aspect ? std::min(width, static_cast<int>(std::ceil(static_cast<double>(height) *
                                                                       image.width / image.height)))
                          : width;
  const bool nchw = options.layout == ImageLayout::kNchw;
  tensor->shape = nchw ? std::vector<int64_t>{1, channels, height, width}
                       : std::vector<int64_t>{1, height, width, channels};
  tensor->values.assign(static_cast<size_t>(channels) * height * width, 0.0f);
  const double y_step = static_cast<double>(image.height) / height;
  const double x_step = static_cast<double>(image.width) / resized_width;
  for (int c = 0; c < channels; ++c) {
    const int source_channel = options.bgr && channels == 3 ? 2 - c : c;
    const float mean = options.mean[options.mean.size() == 1 ? 0 : c];
    const float std = options.std[options.std.size() == 1 ? 0 : c];
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < resized_width; ++x) {
        const float pixel = Bilinear(image, (y + 0.5) * y_step, (x + 0.5) * x_step, source_channel);
        const size_t index = nchw ? (static_cast<size_t>(c) * height + y) * width + x
                                  : (static_cast<size_t>(y) * width + x) * channels + c;
        tensor->values[index] = (pixel / 255.0f - mean) / std;
      }
    }
  }
  return Status::Ok();
}

}  // namespace qrt::converter::calib
