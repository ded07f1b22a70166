// The runtime's layout: 4-D activations are NHWC, every other rank keeps ONNX's
// order. These helpers map ONNX (NCHW) shapes, axes and permutations onto it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "converter/ir/tensor.h"

namespace qrt::converter {

// TRANSPOSE permutations between the two 4-D layouts (output dim d = input dim perm[d]).
inline constexpr int32_t kNchwToNhwc[] = {0, 2, 3, 1};
inline constexpr int32_t kNhwcToNchw[] = {0, 3, 1, 2};

// For each runtime dim, the ONNX dim it holds: {0, 2, 3, 1} at rank 4, else identity.
std::vector<int32_t> OnnxDimsOf(size_t rank);

// The runtime shape of an activation with ONNX shape `onnx` (fully known).
std::vector<int32_t> RuntimeShape(const Shape& onnx);

// The runtime dim holding ONNX axis `axis` (in [0, rank)).
int32_t RuntimeAxis(int64_t axis, size_t rank);

// out[d] = shape[perm[d]].
std::vector<int32_t> PermuteShape(std::span<const int32_t> shape, std::span<const int32_t> perm);

// Whether transposing `shape` by `perm` leaves the bytes in the same order, i.e. the
// dims larger than 1 keep their relative order. Such a TRANSPOSE is a RESHAPE.
bool PermutationKeepsOrder(std::span<const int32_t> shape, std::span<const int32_t> perm);

// Reorders a float OIHW conv kernel ([o, i, h, w] row-major) to OHWI.
std::vector<float> OihwToOhwi(std::span<const float> oihw, const Shape& shape);

// Reorders a float ConvTranspose kernel ([i, o, h, w] row-major, group 1) to OHWI.
std::vector<float> IohwToOhwi(std::span<const float> iohw, const Shape& shape);

// Transposes a row-major [rows, cols] matrix.
std::vector<float> TransposeMatrix(std::span<const float> values, int64_t rows, int64_t cols);

}  // namespace qrt::converter
