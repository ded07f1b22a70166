#include "progress.h"

#include <unistd.h>

#include <algorithm>

namespace qrt::converter::calib {

std::string RenderProgress(size_t done, size_t total, size_t width) {
  done = std::min(done, total);
  const size_t filled = total == 0 ? width : done * width / total;
  return "calibrating [" + std::string(filled, '#') + std::string(width - filled, '.') + "] " +
         std::to_string(done) + "/" + std::to_string(total) + " inputs";
}

ProgressBar::ProgressBar(size_t total, std::FILE* stream)
    : total_(total), stream_(stream), enabled_(isatty(fileno(stream)) != 0) {}

ProgressBar::~ProgressBar() {
  if (drawn_) std::fputc('\n', stream_);
}

void ProgressBar::Update(size_t done) {
  if (!enabled_) return;
  // \r returns to the line start; the line only ever grows, so no erasing is needed.
  std::fprintf(stream_, "\r%s", RenderProgress(done, total_, 30).c_str());
  std::fflush(stream_);
  drawn_ = true;
}

}  // namespace qrt::converter::calib
