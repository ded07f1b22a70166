#include "data_source.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <random>
#include <string_view>
#include <utility>

#include "npy.h"

namespace qrt::converter::calib {
namespace {

namespace fs = std::filesystem;

constexpr size_t kMaxRandomSamples = 1000000;

Status Invalid(std::string message) {
  return Status(StatusCode::kInvalidArgument, std::move(message));
}

bool DimsMatch(std::span<const int64_t> expected, std::span<const int64_t> actual) {
  return expected.size() == actual.size() &&
         std::equal(expected.begin(), expected.end(), actual.begin(),
                    [](int64_t e, int64_t a) { return e <= 0 || e == a; });
}

// The shape to feed for an array of shape `actual`: itself when it matches the
// input, or with a batch dimension of 1 prepended when only that is missing.
Status FitShape(const std::string& source, const InputSpec& input,
                const std::vector<int64_t>& actual, std::vector<int64_t>* fitted) {
  const std::span<const int64_t> expected(input.shape);
  if (DimsMatch(expected, actual)) {
    *fitted = actual;
    return Status::Ok();
  }
  if (!expected.empty() && expected[0] <= 1 && DimsMatch(expected.subspan(1), actual)) {
    *fitted = actual;
    fitted->insert(fitted->begin(), 1);
    return Status::Ok();
  }
  return Invalid(source + ": shape " + tools::FormatShape(actual) + " does not match input '" +
                 input.name + "' of shape " + tools::FormatShape(expected) +
                 " (unknown dims are <= 0; a missing leading batch dim of 1 is accepted)");
}

enum class FileKind { kNpy, kImage };

// The sorted regular files of `dir`, all of one kind.
Status ListFiles(const fs::path& dir, std::vector<std::string>* names, FileKind* kind) {
  std::error_code error;
  fs::directory_iterator it(dir, error);
  if (error) {
    return Status(StatusCode::kIoError, dir.string() + ": cannot list: " + error.message());
  }
  std::vector<std::string> npy;
  std::vector<std::string> images;
  for (; it != fs::directory_iterator(); it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.starts_with('.')) continue;
    if (!it->is_regular_file(error)) {
      return Invalid((dir / name).string() + ": not a regular file (expected .npy or image files)");
    }
    std::string extension = it->path().extension().string();
    std::transform(extension.begin(), extension.end(), extension.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (extension == ".npy") {
      npy.push_back(name);
    } else if (extension == ".png" || extension == ".jpg" || extension == ".jpeg") {
      images.push_back(name);
    } else {
      return Invalid((dir / name).string() +
                     ": unexpected file (calibration files end in .npy, .png, .jpg or .jpeg)");
    }
  }
  if (error) {
    return Status(StatusCode::kIoError, dir.string() + ": cannot list: " + error.message());
  }
  if (!npy.empty() && !images.empty()) {
    return Invalid(dir.string() + ": mixes .npy files and images; use one kind");
  }
  if (npy.empty() && images.empty()) {
    return Invalid(dir.string() + ": no calibration files (.npy, .png, .jpg or .jpeg)");
  }
  *kind = npy.empty() ? FileKind::kImage : FileKind::kNpy;
  *names = npy.empty() ? std::move(images) : std::move(npy);
  std::sort(names->begin(), names->end());
  return Status::Ok();
}

class NpySource : public CalibrationSource {
 public:
  // paths[s][i]: sample s's file for input i.
  NpySource(std::vector<InputSpec> inputs, std::vector<std::vector<std::string>> paths)
      : inputs_(std::move(inputs)), paths_(std::move(paths)) {}

  size_t size() const override { return paths_.size(); }

  Status Read(size_t index, std::vector<CalibTensor>* sample) override {
    std::vector<CalibTensor> tensors(inputs_.size());
    for (size_t i = 0; i < inputs_.size(); ++i) {
      const std::string& path = paths_[index][i];
      tools::NpyArray array;
      QRT_RETURN_IF_ERROR(tools::ReadNpy(path, &array));
      QRT_RETURN_IF_ERROR(FitShape(path, inputs_[i], array.shape, &tensors[i].shape));
      QRT_RETURN_IF_ERROR(tools::NpyToVector(array, &tensors[i].values));
    }
    *sample = std::move(tensors);
    return Status::Ok();
  }

 private:
  std::vector<InputSpec> inputs_;
  std::vector<std::vector<std::string>> paths_;
};

class ImageSource : public CalibrationSource {
 public:
  ImageSource(ImageOptions options, int channels, std::vector<std::string> paths)
      : options_(std::move(options)), channels_(channels), paths_(std::move(paths)) {}

  size_t size() const override { return paths_.size(); }

  Status Read(size_t index, std::vector<CalibTensor>* sample) override {
    Image image;
    QRT_RETURN_IF_ERROR(DecodeImage(paths_[index], channels_, &image));
    std::vector<CalibTensor> tensors(1);
    const Status status = PreprocessImage(image, options_, &tensors[0]);
    if (!status.ok()) return Invalid(paths_[index] + ": " + status.message());
    *sample = std::move(tensors);
    return Status::Ok();
  }

 private:
  ImageOptions options_;
  int channels_;
  std::vector<std::string> paths_;
};

class RandomSource : public CalibrationSource {
 public:
  RandomSource(std::vector<std::vector<int64_t>> shapes, size_t count, bool uniform)
      : shapes_(std::move(shapes)), count_(count), uniform_(uniform) {}

  size_t size() const override { return count_; }

  Status Read(size_t index, std::vector<CalibTensor>* sample) override {
    // Seeded by the index, so a sample does not depend on which were read before.
    std::mt19937_64 engine(index);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    std::vector<CalibTensor> tensors(shapes_.size());
    for (size_t i = 0; i < shapes_.size(); ++i) {
      int64_t elements = 1;
      for (const int64_t dim : shapes_[i]) elements *= dim;
      tensors[i].shape = shapes_[i];
      tensors[i].values.resize(static_cast<size_t>(elements));
      for (float& value : tensors[i].values) value = uniform_ ? uniform(engine) : normal(engine);
    }
    *sample = std::move(tensors);
    return Status::Ok();
  }

 private:
  std::vector<std::vector<int64_t>> shapes_;
  size_t count_;
  bool uniform_;
};

Status OpenRandom(std::string_view spec, const std::vector<InputSpec>& inputs,
                  std::unique_ptr<CalibrationSource>* source) {
  const auto error = [&](const std::string& why) {
    return Invalid("calibration data '" + std::string(spec) + "': " + why);
  };
  std::string_view rest = spec.substr(std::string_view("random:").size());
  const size_t colon = rest.find(':');
  const std::string_view count_text = rest.substr(0, colon);
  const std::string_view distribution =
      colon == std::string_view::npos ? "normal" : rest.substr(colon + 1);
  size_t count = 0;
  const auto [end, ec] =
      std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
  if (count_text.empty() || ec != std::errc() || end != count_text.data() + count_text.size() ||
      count < 1 || count > kMaxRandomSamples) {
    return error("expected random:N[:normal|:uniform] with N in [1, 1000000]");
  }
  if (distribution != "normal" && distribution != "uniform") {
    return error("unknown distribution '" + std::string(distribution) +
                 "' (expected normal or uniform)");
  }
  std::vector<std::vector<int64_t>> shapes;
  for (const InputSpec& input : inputs) {
    std::vector<int64_t> shape = input.shape;
    if (!shape.empty() && shape[0] <= 0) shape[0] = 1;
    if (std::any_of(shape.begin(), shape.end(), [](int64_t dim) { return dim <= 0; })) {
      return error("input '" + input.name + "' has shape " + tools::FormatShape(input.shape) +
                   " with unknown dims; random data needs them fixed (use .npy files instead)");
    }
    shapes.push_back(std::move(shape));
  }
  *source = std::make_unique<RandomSource>(std::move(shapes), count, distribution == "uniform");
  return Status::Ok();
}

// Checks that `input` is an image tensor and completes the options from its shape.
Status OpenImages(const fs::path& dir, const InputSpec& input, ImageOptions options,
                  std::vector<std::string> names, std::unique_ptr<CalibrationSource>* source) {
  const std::string prefix = dir.string() + ": images for input '" + input.name + "' of shape " +
                             tools::FormatShape(input.shape) + ": ";
  const bool nchw = options.layout == ImageLayout::kNchw;
  if (input.shape.size() != 4 || input.shape[0] > 1) {
    return Invalid(prefix + "an image input has shape (1, C, H, W) or (1, H, W, C)");
  }
  const int64_t channels = input.shape[nchw ? 1 : 3];
  if (channels != 1 && channels != 3) {
    return Invalid(prefix + "expected 1 or 3 channels in " + (nchw ? "NCHW" : "NHWC") +
                   " layout (see --layout)");
  }
  const int64_t height = input.shape[nchw ? 2 : 1];
  const int64_t width = input.shape[nchw ? 3 : 2];
  if (options.height == 0) {
    if (height <= 0 || width <= 0) return Invalid(prefix + "its size is unknown: pass --size HxW");
    options.height = static_cast<int>(height);
    options.width = static_cast<int>(width);
  } else if ((height > 0 && height != options.height) || (width > 0 && width != options.width)) {
    return Invalid(prefix + "--size " + std::to_string(options.height) + "x" +
                   std::to_string(options.width) + " differs from the input's size");
  }
  for (std::string& name : names) name = (dir / name).string();
  *source = std::make_unique<ImageSource>(std::move(options), static_cast<int>(channels),
                                          std::move(names));
  return Status::Ok();
}

}  // namespace

Status OpenCalibrationSource(const std::string& spec, const std::vector<InputSpec>& inputs,
                             const ImageOptions& image_options,
                             std::unique_ptr<CalibrationSource>* source) {
  if (inputs.empty()) return Invalid("calibration: the model has no inputs");
  if (spec.starts_with("random:")) return OpenRandom(spec, inputs, source);

  const fs::path dir(spec);
  std::error_code error;
  const fs::file_status status = fs::status(dir, error);
  if (!fs::exists(status)) {
    return Status(StatusCode::kIoError,
                  "calibration data '" + spec +
                      "': no such file or directory (expected a directory or random:N)");
  }
  if (!fs::is_directory(status)) {
    return Invalid("calibration data '" + spec +
                   "': not a directory (expected a directory of .npy files or images, or "
                   "random:N)");
  }

  std::vector<std::string> missing;
  for (const InputSpec& input : inputs) {
    // A name that is not a single path component cannot be a folder name.
    const bool usable = !input.name.empty() && input.name != "." && input.name != ".." &&
                        input.name.find('/') == std::string::npos;
    if (!usable || !fs::is_directory(dir / input.name, error)) missing.push_back(input.name + "/");
  }
  std::vector<std::vector<std::string>> paths;
  if (missing.empty()) {
    // One subfolder per input; sample s is the s-th name, present in each.
    std::vector<std::string> names;
    for (size_t i = 0; i < inputs.size(); ++i) {
      const fs::path folder = dir / inputs[i].name;
      std::vector<std::string> folder_names;
      FileKind kind;
      QRT_RETURN_IF_ERROR(ListFiles(folder, &folder_names, &kind));
      if (kind != FileKind::kNpy) {
        return Invalid(folder.string() + ": per-input folders hold .npy files, not images");
      }
      if (i == 0) {
        names = folder_names;
        paths.resize(names.size());
      } else if (folder_names != names) {
        std::vector<std::string> unpaired;
        std::set_symmetric_difference(names.begin(), names.end(), folder_names.begin(),
                                      folder_names.end(), std::back_inserter(unpaired));
        return Invalid(dir.string() + ": '" + unpaired.front() + "' is not in both " +
                       inputs[0].name + "/ and " + inputs[i].name +
                       "/ (each sample needs a file of the same name for every input)");
      }
      for (size_t s = 0; s < names.size(); ++s) paths[s].push_back((folder / names[s]).string());
    }
  } else if (inputs.size() == 1) {
    std::vector<std::string> names;
    FileKind kind;
    QRT_RETURN_IF_ERROR(ListFiles(dir, &names, &kind));
    if (kind == FileKind::kImage) {
      return OpenImages(dir, inputs[0], image_options, std::move(names), source);
    }
    for (const std::string& name : names) paths.push_back({(dir / name).string()});
  } else {
    std::string list;
    for (const std::string& name : missing) list += (list.empty() ? "" : ", ") + name;
    return Invalid(dir.string() + ": a model with " + std::to_string(inputs.size()) +
                   " inputs needs one subfolder of .npy files per input name; missing: " + list);
  }
  *source = std::make_unique<NpySource>(inputs, std::move(paths));
  return Status::Ok();
}

}  // namespace qrt::converter::calib
