// BATCH_MATMUL on AVX2, bit-identical to ref::BatchMatMul; the blocking (stack
// panel of B per chunk of columns and K) is x86/batch_matmul_template.h.
//
// Both operands go in with their zero points taken off, as int16 in
// [-255, 255], so vpmaddwd's pair sums (a - za)(b - zb) + (a' - za)(b' - zb) are
// exact (|.| <= 2 * 255^2 < 2^31) and no correction terms are needed; the
// wrapping int32 sum of every pair equals the reference's sum, which fits int32
// (the model bounds K).
//
// Packed chunk of B: blocks of 8 columns, each kc_pad / 2 groups of 32 bytes,
// int16 element 2c + t of group q = B[k0 + 2q + t, column c] - zb, and 0 where the
// K value or the column lies outside B. A row tile's A values go into a stack
// panel likewise (int16 a - za, 0 past the chunk's K). Register tile: up to 4
// rows x 2 blocks, 8 accumulators, each lane one column; per pair of K values
// each block's 32 bytes are loaded once and each row's pair broadcast.
//
// The epilogue is requant.h's Requantize through simd/plan.h's RequantPlan: the
// accumulator clamped to [x_lo, x_hi] (no output changes), exact int64 products
// (vpmuldq), the rounding and a logical shift of the biased sum, whose low 32
// bits minus the plan's offset are Rescale + zy (which fits int32 after the
// clamp), then saturating narrowing to int8 and the int8 clamp (a value that
// saturates lies beyond the clamp on the same side).
//
// Memory: A and B are read only inside their rows (16- or 8-byte loads, then
// single bytes), outputs are written only inside the tensor (a partial row of a
// tile through a stack copy).
//
// This translation unit is compiled with -mavx2 -mfma: its helpers live in the
// anonymous namespace, and the template's instantiations are local to it.
#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"
#include "simd/plan.h"
#include "x86/avx2/avx2.h"
#include "x86/batch_matmul_template.h"

namespace qrt::kernels {
namespace {

using batch_matmul::ChunkJob;

constexpr int kNr = 8;           // columns per block
constexpr int kGroupBytes = 32;  // one group: 8 columns x 2 K values x int16
constexpr int kRows = 4;         // rows per tile
constexpr int kTileBlocks = 2;   // blocks per tile

int Min(int a, int b) { return a < b ? a : b; }

// The requantization of one call (simd/plan.h's RequantPlan) in vector form.
struct Requant {
  __m256i x_lo, x_hi;  // the accumulator clamp
  __m256i multiplier;  // int64 lanes
  __m256i add;         // int64 lanes
  __m128i shift;       // the logical shift count
  __m256i sub;         // low 32 bits of the plan's sub, int32 lanes
  __m128i lo, hi;      // the output clamp, int8 lanes
};

Requant MakeRequant(const simd::RequantPlan& plan) {
  Requant q;
  q.x_lo = _mm256_set1_epi32(plan.x_lo);
  q.x_hi = _mm256_set1_epi32(plan.x_hi);
  q.multiplier = _mm256_set1_epi64x(plan.rescale.multiplier);
  q.add = _mm256_set1_epi64x(plan.rescale.add);
  q.shift = _mm_cvtsi32_si128(plan.rescale.shift);
  q.sub = _mm256_set1_epi32(static_cast<int32_t>(plan.rescale.sub));
  q.lo = _mm_set1_epi8(static_cast<char>(plan.lo));
  q.hi = _mm_set1_epi8(static_cast<char>(plan.hi));
  return q;
}

// Rescale(acc) + zy of 8 accumulators, in lane order (exact int32: see the top).
__m256i Rescale8(__m256i acc, const Requant& q) {
  acc = _mm256_min_epi32(_mm256_max_epi32(acc, q.x_lo), q.x_hi);
  __m256i half[2];
  for (int h = 0; h < 2; ++h) {
    const __m256i x = h == 0 ? acc : _mm256_srli_epi64(acc, 32);
    half[h] = _mm256_srl_epi64(_mm256_add_epi64(_mm256_mul_epi32(x, q.multiplier), q.add), q.shift);
  }
  const __m256i merged = _mm256_blend_epi32(half[0], _mm256_slli_epi64(half[1], 32), 0xAA);
  return _mm256_sub_epi32(merged, q.sub);
}

// The int8 outputs of two blocks of rescaled values, in column order:
// int32 [b0 0-3, b1 0-3 | b0 4-7, b1 4-7] -> int16 -> bytes, whose dwords 0, 4,
// 1, 5 hold the 16 columns in order.
__m128i Narrow(__m256i r0, __m256i r1, const Requant& q) {
  const __m256i words = _mm256_packs_epi32(r0, r1);
  const __m256i bytes = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(words, words),
                                                    _mm256_setr_epi32(0, 4, 1, 5, 0, 4, 1, 5));
  return _mm_min_epi8(_mm_max_epi8(_mm256_castsi256_si128(bytes), q.lo), q.hi);
}

__m256i BroadcastDword(const int16_t* x) {
  int32_t dword;
  __builtin_memcpy(&dword, x, sizeof(dword));
  return _mm256_set1_epi32(dword);
}

// One register tile: panel rows 0 .. kTileRows - 1 (rows m ..) x blocks
// [block, block + kBlocks) of the chunk.
struct Tile {
  const ChunkJob* job;
  const Requant* q;
  const int16_t* panel;  // row r at r * batch_matmul::kKc
  int m;
  int block;
};

template <int kTileRows, int kBlocks>
void RunTile(const Tile& t) {
  const ChunkJob& j = *t.job;
  const int groups = (j.k1 - j.k0 + 1) / 2;
  const int column0 = t.block * kNr;  // within the chunk
  const uint8_t* w0 = j.panel + t.block * j.block_bytes;
  const uint8_t* w1 = w0 + (kBlocks - 1) * j.block_bytes;
  // Named accumulators rather than an array: GCC keeps arrays of vectors partly
  // in memory inside the K loop.
  __m256i c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = _mm256_setzero_si256();
  if (!j.first) {
    const int32_t* parked = j.partial + (t.m - j.m0) * batch_matmul::kMaxPartialColumns + column0;
    const auto load = [&](int r, int b) {
      return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(
          parked + r * batch_matmul::kMaxPartialColumns + b * kNr));
    };
    c00 = load(0, 0);
    if constexpr (kBlocks > 1) c01 = load(0, 1);
    if constexpr (kTileRows > 1) c10 = load(1, 0), c11 = kBlocks > 1 ? load(1, 1) : c11;
    if constexpr (kTileRows > 2) c20 = load(2, 0), c21 = kBlocks > 1 ? load(2, 1) : c21;
    if constexpr (kTileRows > 3) c30 = load(3, 0), c31 = kBlocks > 1 ? load(3, 1) : c31;
  }
  const int16_t* a = t.panel;
  constexpr int kStride = batch_matmul::kKc;
  for (int g = 0; g < groups; ++g) {
    const __m256i v0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w0 + g * kGroupBytes));
    const __m256i v1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(w1 + g * kGroupBytes));
    const auto row = [&](int r, __m256i& x0, __m256i& x1) {
      const __m256i x = BroadcastDword(a + r * kStride + 2 * g);
      x0 = _mm256_add_epi32(x0, _mm256_madd_epi16(x, v0));
      if constexpr (kBlocks > 1) x1 = _mm256_add_epi32(x1, _mm256_madd_epi16(x, v1));
    };
    row(0, c00, c01);
    if constexpr (kTileRows > 1) row(1, c10, c11);
    if constexpr (kTileRows > 2) row(2, c20, c21);
    if constexpr (kTileRows > 3) row(3, c30, c31);
  }
  const __m256i acc[kRows][kTileBlocks] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}};
  if (!j.last) {
    for (int r = 0; r < kTileRows; ++r) {
      int32_t* parked = j.partial + (t.m + r - j.m0) * batch_matmul::kMaxPartialColumns + column0;
      for (int b = 0; b < kBlocks; ++b) {
        _mm256_storeu_si256(reinterpret_cast<__m256i*>(parked + b * kNr), acc[r][b]);
      }
    }
    return;
  }
  const int n = j.p->n;
  const int first_column = j.n0 + column0;
  const int columns = Min(kBlocks * kNr, j.n1 - first_column);
  for (int r = 0; r < kTileRows; ++r) {
    const __m256i y0 = Rescale8(acc[r][0], *t.q);
    const __m256i y1 = kBlocks > 1 ? Rescale8(acc[r][1], *t.q) : y0;
    const __m128i out = Narrow(y0, y1, *t.q);
    int8_t* row = j.out + int64_t{t.m + r} * n + first_column;
    if (columns == 16) {
      _mm_storeu_si128(reinterpret_cast<__m128i*>(row), out);
    } else if (columns == 8) {
      _mm_storel_epi64(reinterpret_cast<__m128i*>(row), out);
    } else {
      alignas(16) int8_t staged[16];
      _mm_store_si128(reinterpret_cast<__m128i*>(staged), out);
      __builtin_memcpy(row, staged, static_cast<size_t>(columns));
    }
  }
}

using TileFn = void (*)(const Tile&);

// kTiles[rows - 1][blocks - 1].
constexpr TileFn kTiles[kRows][kTileBlocks] = {
    {RunTile<1, 1>, RunTile<1, 2>},
    {RunTile<2, 1>, RunTile<2, 2>},
    {RunTile<3, 1>, RunTile<3, 2>},
    {RunTile<4, 1>, RunTile<4, 2>},
};

struct Avx2Path {
  static constexpr int kBlockColumns = kNr;
  static constexpr int kKGroup = 2;
  static constexpr int kBlockBytesPerK = kNr * 2;

  static void PackChunk(const ChunkJob& j, const int8_t* bm) {
    const BatchMatMulParams& p = *j.p;
    const int kc = j.k1 - j.k0;
    const int groups = (kc + 1) / 2;  // those the tiles read
    const auto zb = static_cast<int16_t>(p.b_zero_point);
    const __m128i zb_lanes = _mm_set1_epi16(zb);
    for (int c0 = j.n0, block = 0; c0 < j.n1; c0 += kNr, ++block) {
      const int columns = Min(kNr, j.n1 - c0);
      auto* out = reinterpret_cast<int16_t*>(j.panel + block * j.block_bytes);
      // Element (k, c) of the block, k counted from k0.
      const auto at = [out](int k, int c) -> int16_t& { return out[(k / 2) * 16 + 2 * c + k % 2]; };
      if (!p.transpose_b && columns == kNr) {
        // Two rows of 8 bytes per group, widened and interleaved.
        for (int g = 0; g < groups; ++g) {
          const int8_t* row = bm + int64_t{j.k0 + 2 * g} * p.n + c0;
          const __m128i r0 = _mm_sub_epi16(
              _mm_cvtepi8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(row))), zb_lanes);
          const __m128i r1 = 2 * g + 1 < kc
                                 ? _mm_sub_epi16(_mm_cvtepi8_epi16(_mm_loadl_epi64(
                                                     reinterpret_cast<const __m128i*>(row + p.n))),
                                                 zb_lanes)
                                 : _mm_setzero_si128();
          auto* group = reinterpret_cast<__m128i*>(out + g * 16);
          _mm_store_si128(group, _mm_unpacklo_epi16(r0, r1));
          _mm_store_si128(group + 1, _mm_unpackhi_epi16(r0, r1));
        }
        continue;
      }
      for (int i = 0; i < groups * 16; i += 16) {
        _mm256_store_si256(reinterpret_cast<__m256i*>(out + i), _mm256_setzero_si256());
      }
      for (int c = 0; c < columns; ++c) {
        for (int k = 0; k < kc; ++k) {
          const int64_t stored =
              p.transpose_b ? int64_t{c0 + c} * p.k + j.k0 + k : int64_t{j.k0 + k} * p.n + c0 + c;
          at(k, c) = static_cast<int16_t>(bm[stored] - zb);
        }
      }
    }
  }

  static void RunRows(const ChunkJob& j, int m_begin, int m_end) {
    const BatchMatMulParams& p = *j.p;
    const Requant q = MakeRequant(*j.plan);
    const int kc = j.k1 - j.k0;
    const int blocks = (j.n1 - j.n0 + kNr - 1) / kNr;
    const __m256i za = _mm256_set1_epi16(static_cast<int16_t>(p.a_zero_point));
    alignas(32) int16_t panel[kRows * batch_matmul::kKc];
    for (int m = m_begin; m < m_end; m += kRows) {
      const int rows = Min(kRows, m_end - m);
      for (int r = 0; r < rows; ++r) {
        const int8_t* x = j.a + int64_t{m + r} * p.k + j.k0;
        int16_t* dst = panel + r * batch_matmul::kKc;
        int i = 0;
        for (; i + 16 <= kc; i += 16) {
          const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + i));
          _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i),
                              _mm256_sub_epi16(_mm256_cvtepi8_epi16(bytes), za));
        }
        for (; i < kc; ++i) dst[i] = static_cast<int16_t>(x[i] - p.a_zero_point);
        if (kc % 2 != 0) dst[kc] = 0;
      }
      for (int b = 0; b < blocks; b += kTileBlocks) {
        const Tile t{&j, &q, panel, m, b};
        kTiles[rows - 1][Min(kTileBlocks, blocks - b) - 1](t);
      }
    }
  }
};

}  // namespace

void qs8_batch_matmul_4x16c2__avx2(const BatchMatMulParams& p, const int8_t* a, const int8_t* b,
                                   int8_t* output) {
  batch_matmul::BatchMatMulBlocking<Avx2Path>::Run(p, a, b, output);
}

}  // namespace qrt::kernels
