// Row-major walks over an N-d index space shared by the elementwise and data
// movement reference kernels, so broadcasting, transposing and padding are all
// expressed as one odometer with per-operand strides.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels::ref {

using Strides = std::array<int64_t, kMaxRank>;

// Element strides of a dense row-major tensor of `shape`.
inline Strides RowMajorStrides(int rank, const int32_t* shape) {
  Strides strides{};
  int64_t stride = 1;
  for (int d = rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= shape[d];
  }
  return strides;
}

inline int64_t ElementCount(int rank, const int32_t* shape) {
  int64_t count = 1;
  for (int d = 0; d < rank; ++d) count *= shape[d];
  return count;
}

// Calls f(index, offsets) for every index of `shape` in row-major order, where
// offsets[k] = sum_d index[d] * strides[k][d]. Offsets are updated incrementally,
// so a walk costs O(1) per element whatever the rank.
template <size_t N, class F>
void ForEachIndex(int rank, const int32_t* shape, const std::array<Strides, N>& strides, F&& f) {
  if (ElementCount(rank, shape) == 0) return;
  std::array<int32_t, kMaxRank> index{};
  std::array<int64_t, N> offsets{};
  for (;;) {
    f(index, offsets);
    int d = rank - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d]) {
        for (size_t k = 0; k < N; ++k) offsets[k] += strides[k][d];
        break;
      }
      for (size_t k = 0; k < N; ++k) offsets[k] -= strides[k][d] * (shape[d] - 1);
      index[d] = 0;
    }
    if (d < 0) return;
  }
}

// Visits every output element of a numpy broadcast in row-major order, calling
// f(out_offset, a_offset, b_offset). A dimension of size 1 in an operand gets
// stride 0, so it repeats along the output.
template <class F>
void ForEachBroadcast(const BroadcastShapes& s, F&& f) {
  const auto broadcast_strides = [&s](const int32_t* shape) {
    Strides strides = RowMajorStrides(s.rank, shape);
    for (int d = 0; d < s.rank; ++d) {
      if (shape[d] == 1) strides[d] = 0;
    }
    return strides;
  };
  const std::array<Strides, 2> strides = {broadcast_strides(s.a), broadcast_strides(s.b)};
  int64_t out = 0;
  ForEachIndex(s.rank, s.out, strides,
               [&](const auto&, const std::array<int64_t, 2>& o) { f(out++, o[0], o[1]); });
}

}  // namespace qrt::kernels::ref
