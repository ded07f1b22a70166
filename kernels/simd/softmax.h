// Softmax (SoftmaxParams, params.h) by a table per row, for the xsimd paths.
//
// In the reference every element costs an int64 division: p = floor((E[d] * 2^30 +
// sum / 2) / sum) with d = max(row) - x. But an element's output depends only on
// its value x and on the row's max and sum, and x takes at most 256 values. So a
// row is one histogram pass (which also gives the max and, through E, the sum), one
// division and requantization per value present, and a LOOKUP of the row through
// the resulting 256-entry table on the path's vector lookup: the same formula per
// element, so the same bytes as the reference. A recogniser's 40 x 6625 class
// softmax, a fifth of its run time on the reference, is the case it is for.
// Everything is in an anonymous namespace (see arch_ops.h on ODR).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "qrt/kernels/requant.h"
#include "simd/elementwise.h"

namespace qrt::kernels::simd {
namespace {

template <class A>
void Softmax(const SoftmaxParams& p, const int8_t* input, int8_t* output) {
  // A row shorter than the table costs fewer divisions than the table's set-up: an
  // attention softmax over 40 tokens took 3x the reference's time this way.
  if (p.depth < 256) {
    ref::Softmax(p, input, output);
    return;
  }
  for (int r = 0; r < p.rows; ++r) {
    const int8_t* in = input + int64_t{r} * p.depth;
    int8_t* out = output + int64_t{r} * p.depth;
    // Four histograms break the dependency between equal neighbouring values.
    std::array<std::array<uint32_t, 256>, 4> counts{};
    int i = 0;
    for (; i + 4 <= p.depth; i += 4) {
      for (int k = 0; k < 4; ++k) ++counts[k][static_cast<uint8_t>(in[i + k] + 128)];
    }
    for (; i < p.depth; ++i) ++counts[0][static_cast<uint8_t>(in[i] + 128)];
    std::array<uint32_t, 256> count{};
    int max = -1;
    for (int v = 0; v < 256; ++v) {
      count[v] = counts[0][v] + counts[1][v] + counts[2][v] + counts[3][v];
      if (count[v] != 0) max = v;
    }
    if (max < 0) continue;  // an empty row
    int64_t sum = 0;
    for (int v = 0; v <= max; ++v) sum += int64_t{count[v]} * p.exp_table[max - v];
    // table[v] is the output for input v - 128; values above the max do not occur.
    std::array<int8_t, 256> table{};
    for (int v = 0; v <= max; ++v) {
      if (count[v] == 0) continue;
      const int64_t e = p.exp_table[max - v];
      const int64_t prob = sum == 0 ? 0 : ((e << 30) + sum / 2) / sum;
      table[v] = Requantize(static_cast<int32_t>(prob), p.requant, p.output_zero_point, p.clamp.lo,
                            p.clamp.hi);
    }
    Lookup<A>(LookupParams{p.depth, table.data()}, in, out);
  }
}

}  // namespace
}  // namespace qrt::kernels::simd
