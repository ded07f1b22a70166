// Where calibration inputs come from. OpenCalibrationSource takes the CLI's
// --calibration-data value:
//
//   DIR of .npy files   one file per sample (single-input models), or one
//                       subfolder per input name holding files with the same
//                       names (multi-input models: a/0001.npy pairs with
//                       b/0001.npy). Samples are taken in file name order. An
//                       array's shape must equal the input's, or equal it
//                       without a leading batch dimension of 1.
//   DIR of images       PNG or JPEG files for a single image input of rank 4,
//                       preprocessed per ImageOptions (image.h); 1 channel
//                       decodes grey, 3 decode RGB.
//   random:N[:normal|:uniform]
//                       N inputs drawn from N(0, 1) (default) or U[-1, 1), the
//                       same on every run. A last resort: activation ranges
//                       from noise rarely match real data, so expect a larger
//                       accuracy loss than with a few real samples.
//
// In a directory, names starting with '.' are ignored; any other file that is
// not .npy, .png, .jpg or .jpeg, or a mix of arrays and images, is an error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "image.h"
#include "qrt/status.h"

namespace qrt::converter::calib {

// A float model input to feed. Dims <= 0 are unknown (dynamic): any size is
// accepted from .npy files, a leading one is 1 for images and random data.
struct InputSpec {
  std::string name;
  std::vector<int64_t> shape;
};

class CalibrationSource {
 public:
  virtual ~CalibrationSource() = default;

  // The number of samples.
  virtual size_t size() const = 0;

  // Loads sample `index` < size(): one tensor per input, in the order of the
  // InputSpecs given at opening. Errors name the file and the problem.
  virtual Status Read(size_t index, std::vector<CalibTensor>* sample) = 0;
};

// Checks what can be checked without reading every sample (the directory
// exists and lists usable files; random data has fixed shapes; image inputs
// have rank 4 and 1 or 3 channels), then returns a source that loads samples
// on demand. Errors are kInvalidArgument or kIoError naming the path.
Status OpenCalibrationSource(const std::string& spec, const std::vector<InputSpec>& inputs,
                             const ImageOptions& image_options,
                             std::unique_ptr<CalibrationSource>* source);

}  // namespace qrt::converter::calib
