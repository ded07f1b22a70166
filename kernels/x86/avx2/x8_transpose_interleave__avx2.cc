// Transpose on the AVX2 path for the layout change of an NCHW graph input to
// NHWC: a permutation that reduces to [outer, rows, columns] -> [outer, columns,
// rows] with at most kMaxRows rows (the channels) interleaves 16 columns of
// every row at a time with byte shuffles; any other permutation goes to the
// reference kernel (kernels/ref/transpose.cc, the spec). Output byte e of a
// block of 16 columns is row e % rows, column e / rows: block chunk k (16 bytes)
// is the OR over rows r of pshufb(row r's 16 bytes, mask[k][r]), where the mask
// selects column e / rows for the bytes of row r and gives 0 elsewhere.
#include <immintrin.h>

#include <cstdint>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "x86/avx2/avx2.h"

namespace qrt::kernels {
namespace {

constexpr int kMaxRows = 8;
constexpr int kBlock = 16;  // columns per block: one 16-byte load per row

struct RowColumnSwap {
  int64_t outer, rows, columns;
};

// Whether p is [outer, rows, columns] -> [outer, columns, rows] once dimensions
// of size 1 are dropped and input dimensions that stay adjacent and in order in
// the output are merged.
bool AsRowColumnSwap(const TransposeParams& p, RowColumnSwap* swap) {
  // Input axes renumbered without the unit dimensions.
  int32_t kept_axis[kMaxRank];
  int kept = 0;
  for (int d = 0; d < p.rank; ++d) kept_axis[d] = p.in_shape[d] == 1 ? -1 : kept++;
  // Output dimensions as runs of consecutive kept input axes: first axis, size.
  int32_t run_axis[kMaxRank];
  int64_t run_size[kMaxRank];
  int32_t run_last[kMaxRank];
  int runs = 0;
  for (int d = 0; d < p.rank; ++d) {
    const int32_t axis = kept_axis[p.perm[d]];
    if (axis < 0) continue;
    const int64_t size = p.in_shape[p.perm[d]];
    if (runs > 0 && run_last[runs - 1] + 1 == axis) {
      run_size[runs - 1] *= size;
      run_last[runs - 1] = axis;
    } else {
      run_axis[runs] = run_last[runs] = axis;
      run_size[runs] = size;
      ++runs;
    }
  }
  // Runs ordered by input axis are the input's merged dimensions; the output
  // must swap the last two of them and keep the rest first.
  if (runs == 2 && run_axis[0] > run_axis[1]) {
    *swap = {1, run_size[1], run_size[0]};
    return true;
  }
  if (runs == 3 && run_axis[0] == 0 && run_axis[1] > run_axis[2]) {
    *swap = {run_size[0], run_size[2], run_size[1]};
    return true;
  }
  return false;
}

void Interleave(const RowColumnSwap& s, const int8_t* input, int8_t* output) {
  const int rows = static_cast<int>(s.rows);
  __m128i mask[kMaxRows][kMaxRows];
  for (int k = 0; k < rows; ++k) {
    for (int r = 0; r < rows; ++r) {
      alignas(16) int8_t bytes[kBlock];
      for (int j = 0; j < kBlock; ++j) {
        const int e = k * kBlock + j;
        bytes[j] = static_cast<int8_t>(e % rows == r ? e / rows : -128);
      }
      mask[k][r] = _mm_load_si128(reinterpret_cast<const __m128i*>(bytes));
    }
  }
  const int64_t plane = s.rows * s.columns;
  for (int64_t o = 0; o < s.outer; ++o) {
    const int8_t* in = input + o * plane;
    int8_t* out = output + o * plane;
    int64_t c = 0;
    for (; c + kBlock <= s.columns; c += kBlock) {
      __m128i row[kMaxRows];
      for (int r = 0; r < rows; ++r) {
        row[r] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + r * s.columns + c));
      }
      for (int k = 0; k < rows; ++k) {
        __m128i chunk = _mm_shuffle_epi8(row[0], mask[k][0]);
        for (int r = 1; r < rows; ++r) {
          chunk = _mm_or_si128(chunk, _mm_shuffle_epi8(row[r], mask[k][r]));
        }
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + c * rows + k * kBlock), chunk);
      }
    }
    for (; c < s.columns; ++c) {
      for (int r = 0; r < rows; ++r) out[c * rows + r] = in[r * s.columns + c];
    }
  }
}

}  // namespace

void x8_transpose_interleave__avx2(const TransposeParams& p, const int8_t* input, int8_t* output) {
  RowColumnSwap swap;
  if (AsRowColumnSwap(p, &swap) && swap.rows <= kMaxRows) {
    Interleave(swap, input, output);
  } else {
    ref::Transpose(p, input, output);
  }
}

}  // namespace qrt::kernels
