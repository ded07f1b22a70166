// A one-line progress bar for the calibration loop, redrawn in place with a
// carriage return: "calibrating [#####.....] 37/100 inputs". It draws only when
// the stream is a terminal, so logs and pipes get no control characters.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

namespace qrt::converter::calib {

// The bar's text for `done` of `total` inputs, `width` cells wide.
std::string RenderProgress(size_t done, size_t total, size_t width);

class ProgressBar {
 public:
  explicit ProgressBar(size_t total, std::FILE* stream = stderr);
  // Ends the line if anything was drawn.
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void Update(size_t done);

 private:
  size_t total_;
  std::FILE* stream_;
  bool enabled_;
  bool drawn_ = false;
};

}  // namespace qrt::converter::calib
