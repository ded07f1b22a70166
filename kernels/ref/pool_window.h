// Window clipping shared by the max and average pooling reference kernels.
#pragma once

#include <algorithm>

namespace qrt::kernels::ref {

// Half-open range of kernel offsets [begin, end).
struct KernelRange {
  int begin;
  int end;
  int size() const { return std::max(end - begin, 0); }
};

// The offsets k in [0, kernel) whose coordinate start + k lies in [lo, hi).
inline KernelRange ClipWindow(int start, int kernel, int lo, int hi) {
  return KernelRange{std::max(0, lo - start), std::min(kernel, hi - start)};
}

}  // namespace qrt::kernels::ref
