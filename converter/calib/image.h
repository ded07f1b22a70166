// Image calibration inputs: PNG and JPEG decoding (stb_image) and the
// preprocessing that turns an image into a model input tensor.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "qrt/status.h"

namespace qrt::converter::calib {

// A float model input (also what every calibration source yields).
struct CalibTensor {
  std::vector<int64_t> shape;
  std::vector<float> values;  // C order
};

// 8-bit pixels, rows top to bottom, channels interleaved (RGB when 3).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;
};

enum class ImageLayout { kNchw, kNhwc };

// --mean, --std, --size, --keep-aspect, --layout and --bgr.
struct ImageOptions {
  // Per channel in the model's channel order (after --bgr), or one value for all
  // channels. Applied to pixels scaled to [0, 1]: x = (p/255 - mean) / std.
  std::vector<float> mean{0.0f};
  std::vector<float> std{1.0f};
  // The model input's spatial size; 0 takes it from the input's shape.
  int height = 0;
  int width = 0;
  // false: bilinear resize to height x width, ignoring the aspect ratio.
  // true (PaddleOCR's text-line classifier): resize to `height` rows and
  // min(width, ceil(height * image aspect)) columns, then fill the remaining
  // columns on the right with 0 (after normalisation).
  bool keep_aspect = false;
  ImageLayout layout = ImageLayout::kNchw;
  bool bgr = false;  // feed channels as B, G, R (models trained with OpenCV)
};

// "0.5,0.5,0.5" or "0.5": finite numbers separated by commas. `flag` (e.g.
// "--std") names the option in errors. `nonzero` rejects 0, as --std needs.
Status ParseChannelValues(std::string_view flag, std::string_view text, bool nonzero,
                          std::vector<float>* values);
// "HxW", e.g. "48x192", each in [1, 16384].
Status ParseImageSize(std::string_view text, int* height, int* width);
// "nchw" or "nhwc".
Status ParseImageLayout(std::string_view text, ImageLayout* layout);

// Decodes a PNG or JPEG file to `channels` channels (1: grey, 3: RGB; stb
// converts). Errors name the file: kIoError when it cannot be read,
// kInvalidArgument when it is neither PNG nor JPEG, is corrupt or truncated, or
// larger than 16384 pixels a side (stb_image's limit, lowered to bound memory).
Status DecodeImage(const std::string& path, int channels, Image* image);

// Resizes and normalises `image` into a tensor of shape (1, C, H, W) or
// (1, H, W, C), with H and W from the options. Errors (kInvalidArgument) are bad
// option values: a mean or std list whose length is neither 1 nor C, or no size.
Status PreprocessImage(const Image& image, const ImageOptions& options, CalibTensor* tensor);

}  // namespace qrt::converter::calib
