#include "layout.h"

#include <algorithm>
#include <numeric>

namespace qrt::converter {

std::vector<int32_t> OnnxDimsOf(size_t rank) {
  if (rank == 4) return {std::begin(kNchwToNhwc), std::end(kNchwToNhwc)};
  std::vector<int32_t> dims(rank);
  std::iota(dims.begin(), dims.end(), 0);
  return dims;
}

std::vector<int32_t> RuntimeShape(const Shape& onnx) {
  std::vector<int32_t> shape;
  for (int32_t d : OnnxDimsOf(onnx.size())) shape.push_back(static_cast<int32_t>(onnx[d]));
  return shape;
}

int32_t RuntimeAxis(int64_t axis, size_t rank) {
  const std::vector<int32_t> dims = OnnxDimsOf(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (dims[d] == axis) return static_cast<int32_t>(d);
  }
  return -1;
}

std::vector<int32_t> PermuteShape(std::span<const int32_t> shape, std::span<const int32_t> perm) {
  std::vector<int32_t> out;
  for (int32_t p : perm) out.push_back(shape[p]);
  return out;
}

bool PermutationKeepsOrder(std::span<const int32_t> shape, std::span<const int32_t> perm) {
  int32_t last = -1;
  for (int32_t p : perm) {
    if (shape[p] == 1) continue;
    if (p < last) return false;
    last = p;
  }
  return true;
}

std::vector<float> OihwToOhwi(std::span<const float> oihw, const Shape& shape) {
  const int64_t o = shape[0], i = shape[1], h = shape[2], w = shape[3];
  std::vector<float> ohwi(oihw.size());
  for (int64_t a = 0; a < o; ++a) {
    for (int64_t b = 0; b < i; ++b) {
      for (int64_t y = 0; y < h; ++y) {
        for (int64_t x = 0; x < w; ++x) {
          ohwi[((a * h + y) * w + x) * i + b] = oihw[((a * i + b) * h + y) * w + x];
        }
      }
    }
  }
  return ohwi;
}

std::vector<float> IohwToOhwi(std::span<const float> iohw, const Shape& shape) {
  const int64_t i = shape[0], o = shape[1], plane = shape[2] * shape[3];
  std::vector<float> oihw(iohw.size());
  for (int64_t a = 0; a < i; ++a) {
    for (int64_t b = 0; b < o; ++b) {
      std::copy_n(iohw.begin() + (a * o + b) * plane, plane, oihw.begin() + (b * i + a) * plane);
    }
  }
  return OihwToOhwi(oihw, {o, i, shape[2], shape[3]});
}

std::vector<float> TransposeMatrix(std::span<const float> values, int64_t rows, int64_t cols) {
  std::vector<float> out(values.size());
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) out[c * rows + r] = values[r * cols + c];
  }
  return out;
}

}  // namespace qrt::converter
