// BATCH_MATMUL on AVX-512 VNNI, bit-identical to ref::BatchMatMul; the blocking
// (stack panel of B per chunk of columns and K) is x86/batch_matmul_template.h.
//
// Packed chunk of B: blocks of 16 columns, each kc_pad / 4 groups of 64 bytes,
// byte 4c + t of group q = B[k0 + 4q + t, column c] ^ 0x80 (the u8 b + 128), and 0
// where the K value or the column lies outside B (so whatever A byte meets it
// adds nothing). Its column terms: column l gets kc * za * (zb + 128) - za *
// sum_k (b + 128) over the chunk's kc K values.
//
// Register tile: up to 4 rows x 4 blocks, or 8 rows x up to 2 blocks (narrow
// chunks, e.g. attention's P V with 15 columns), at most 16 accumulators. Per
// group of 4 K values each block's 64 bytes are loaded once and each row's 4
// bytes of A, read in place, are broadcast (vpdpbusd's memory broadcast) as the
// signed operand against them.
//
// Exactness: vpdpbusd adds exact 16-bit products with wrapping int32
// arithmetic. For a chunk,
//   sum_k (a - za)(b - zb) = sum_k a (b + 128) - (zb + 128) sum_k a
//                            + kc za (zb + 128) - za sum_k (b + 128),
// the first term the dot product, the second the row term (vpdpbusd of A with
// ones), the rest the packed column term. Every step is a ring operation, so the
// wrapping int32 sum of the chunks equals the reference's sum, which fits int32
// (the model bounds K). The epilogue is requant.h's Requantize through
// simd/plan.h's RequantPlan: the accumulator clamped to [x_lo, x_hi] (no output
// changes), the exact int64 product, its rounding and a logical shift of the
// biased sum, whose low 32 bits minus the plan's offset are Rescale + zy (which
// fits int32 after the clamp), then saturating narrowing to int8 and the int8
// clamp (a value that saturates lies beyond the clamp on the same side).
//
// Memory: A is read with 4-byte loads inside its rows and a masked load for a
// row's remainder, B likewise (masked loads, and a gather of whole dwords inside
// the rows of a transposed B), outputs are written with masked stores.
//
// This translation unit is compiled with -mavx512f/bw/vl/vnni: its helpers live
// in the anonymous namespace, and the template's instantiations are local to it.
#include <immintrin.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "qrt/kernels/params.h"
#include "simd/plan.h"
#include "x86/avx512vnni/avx512vnni.h"
#include "x86/batch_matmul_template.h"

namespace qrt::kernels {
namespace {

using batch_matmul::ChunkJob;

constexpr int kNr = 16;          // columns per block
constexpr int kGroupBytes = 64;  // one group: 16 columns x 4 K values
constexpr int kWideRows = 4;     // rows per tile of 3 or 4 blocks
constexpr int kTallRows = 8;     // rows per tile of up to kTallBlocks blocks
constexpr int kTallBlocks = 2;
constexpr int kMaxBlocks = 4;
constexpr int kFlip = static_cast<int>(0x80808080u);

int Min(int a, int b) { return a < b ? a : b; }

// The mask of bits 0 .. n - 1, n in [0, 64].
__mmask64 LowBits(int n) { return n >= 64 ? ~__mmask64{0} : (__mmask64{1} << n) - 1; }

// f(std::integral_constant<int, i>{}) for i = 0 .. N-1, as straight-line code.
template <int N, class F>
[[gnu::always_inline]] constexpr void Unroll(F&& f) {
  [&]<int... I>(std::integer_sequence<int, I...>) { (f(std::integral_constant<int, I>{}), ...); }
  (std::make_integer_sequence<int, N>{});
}

__m512i BroadcastDword(const int8_t* x) {
  int32_t dword;
  __builtin_memcpy(&dword, x, sizeof(dword));
  return _mm512_set1_epi32(dword);
}

// sum of `count` bytes at x, as int32 (vpdpbusd of ones with the signed bytes).
int32_t RowSum(const int8_t* x, int count) {
  const __m512i ones = _mm512_set1_epi8(1);
  __m512i sum = _mm512_setzero_si512();
  int i = 0;
  for (; i + 64 <= count; i += 64) sum = _mm512_dpbusd_epi32(sum, ones, _mm512_loadu_si512(x + i));
  if (i < count) {
    sum = _mm512_dpbusd_epi32(sum, ones, _mm512_maskz_loadu_epi8(LowBits(count - i), x + i));
  }
  return _mm512_reduce_add_epi32(sum);
}

// The requantization of one call (simd/plan.h's RequantPlan) in vector form.
struct Requant {
  __m512i x_lo, x_hi;  // the accumulator clamp
  __m512i multiplier;  // int64 lanes
  __m512i add;         // int64 lanes
  __m128i shift;       // the logical shift count
  __m512i sub;         // low 32 bits of the plan's sub, int32 lanes
  __m512i lo, hi;      // the output clamp, int8 lanes
};

Requant MakeRequant(const simd::RequantPlan& plan) {
  Requant q;
  q.x_lo = _mm512_set1_epi32(plan.x_lo);
  q.x_hi = _mm512_set1_epi32(plan.x_hi);
  q.multiplier = _mm512_set1_epi64(plan.rescale.multiplier);
  q.add = _mm512_set1_epi64(plan.rescale.add);
  q.shift = _mm_cvtsi32_si128(plan.rescale.shift);
  q.sub = _mm512_set1_epi32(static_cast<int32_t>(plan.rescale.sub));
  q.lo = _mm512_set1_epi8(static_cast<char>(plan.lo));
  q.hi = _mm512_set1_epi8(static_cast<char>(plan.hi));
  return q;
}

// Rescale(acc) + zy of 16 accumulators, in lane order (exact int32: see the top).
__m512i Rescale16(__m512i acc, const Requant& q) {
  acc = _mm512_min_epi32(_mm512_max_epi32(acc, q.x_lo), q.x_hi);
  __m512i half[2];
  for (int h = 0; h < 2; ++h) {
    const __m512i x = h == 0 ? acc : _mm512_srli_epi64(acc, 32);
    half[h] = _mm512_srl_epi64(_mm512_add_epi64(_mm512_mul_epi32(x, q.multiplier), q.add), q.shift);
  }
  // Lane j: the low half of qword j / 2 of the even (j even) or odd results.
  const __m512i interleave =
      _mm512_set_epi32(30, 14, 28, 12, 26, 10, 24, 8, 22, 6, 20, 4, 18, 2, 16, 0);
  return _mm512_sub_epi32(_mm512_permutex2var_epi32(half[0], interleave, half[1]), q.sub);
}

// The int8 outputs of 4 blocks of rescaled values, in column order.
__m512i Narrow(const __m512i (&r)[kMaxBlocks], const Requant& q) {
  const __m512i words01 = _mm512_packs_epi32(r[0], r[1]);
  const __m512i words23 = _mm512_packs_epi32(r[2], r[3]);
  const __m512i lane_order = _mm512_set_epi32(15, 11, 7, 3, 14, 10, 6, 2, 13, 9, 5, 1, 12, 8, 4, 0);
  const __m512i y = _mm512_permutexvar_epi32(lane_order, _mm512_packs_epi16(words01, words23));
  return _mm512_min_epi8(_mm512_max_epi8(y, q.lo), q.hi);
}

// One register tile: rows [m, m + kRows) x blocks [block, block + kBlocks) of the chunk.
struct Tile {
  const ChunkJob* job;
  const Requant* q;
  int m;
  int block;
  const int32_t* row_terms;  // kRows entries
};

template <int kRows, int kBlocks>
void RunTile(const Tile& t) {
  const ChunkJob& j = *t.job;
  const int k = j.p->k;
  const int n = j.p->n;
  const int kc = j.k1 - j.k0;
  __m512i acc[kRows][kBlocks];
  const uint8_t* w[kBlocks];
  const int column0 = t.block * kNr;  // within the chunk
  Unroll<kBlocks>([&](auto b) {
    w[b] = j.panel + (t.block + b) * j.block_bytes;
    const __m512i column_terms = _mm512_load_si512(j.column_terms + column0 + b * kNr);
    Unroll<kRows>([&](auto r) {
      __m512i start = _mm512_add_epi32(column_terms, _mm512_set1_epi32(t.row_terms[r]));
      if (!j.first) {
        const int32_t* parked =
            j.partial + (t.m + r - j.m0) * batch_matmul::kMaxPartialColumns + column0 + b * kNr;
        start = _mm512_add_epi32(start, _mm512_loadu_si512(parked));
      }
      acc[r][b] = start;
    });
  });
  const int8_t* a[kRows];
  Unroll<kRows>([&](auto r) { a[r] = j.a + int64_t{t.m + r} * k + j.k0; });
  const int full_groups = kc / 4;
  for (int g = 0; g < full_groups; ++g) {
    __m512i wg[kBlocks];
    Unroll<kBlocks>([&](auto b) { wg[b] = _mm512_load_si512(w[b] + g * kGroupBytes); });
    Unroll<kRows>([&](auto r) {
      const __m512i x = BroadcastDword(a[r] + 4 * g);
      Unroll<kBlocks>([&](auto b) { acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], wg[b], x); });
    });
  }
  if (kc % 4 != 0) {
    const auto mask = static_cast<__mmask16>((1u << (kc % 4)) - 1);
    __m512i wg[kBlocks];
    Unroll<kBlocks>([&](auto b) { wg[b] = _mm512_load_si512(w[b] + full_groups * kGroupBytes); });
    Unroll<kRows>([&](auto r) {
      const __m512i x = _mm512_broadcastd_epi32(_mm_maskz_loadu_epi8(mask, a[r] + 4 * full_groups));
      Unroll<kBlocks>([&](auto b) { acc[r][b] = _mm512_dpbusd_epi32(acc[r][b], wg[b], x); });
    });
  }
  if (!j.last) {
    Unroll<kRows>([&](auto r) {
      int32_t* parked = j.partial + (t.m + r - j.m0) * batch_matmul::kMaxPartialColumns + column0;
      Unroll<kBlocks>([&](auto b) { _mm512_storeu_si512(parked + b * kNr, acc[r][b]); });
    });
    return;
  }
  // The accumulators go through a stack buffer to the epilogue, which otherwise
  // raises the register pressure enough that GCC spills inside the K loop.
  alignas(64) int32_t raw[kRows][kBlocks][kNr];
  Unroll<kRows>(
      [&](auto r) { Unroll<kBlocks>([&](auto b) { _mm512_store_si512(raw[r][b], acc[r][b]); }); });
  const int first_column = j.n0 + column0;
  const __mmask64 store = LowBits(Min(kBlocks * kNr, j.n1 - first_column));
  for (int r = 0; r < kRows; ++r) {
    // A tile of fewer blocks narrows its last block again in place of the
    // missing ones; their bytes are not stored.
    __m512i rescaled[kMaxBlocks];
    Unroll<kBlocks>([&](auto b) { rescaled[b] = Rescale16(_mm512_load_si512(raw[r][b]), *t.q); });
    Unroll<kMaxBlocks - kBlocks>([&](auto b) { rescaled[kBlocks + b] = rescaled[kBlocks - 1]; });
    _mm512_mask_storeu_epi8(j.out + int64_t{t.m + r} * n + first_column, store,
                            Narrow(rescaled, *t.q));
  }
}

using TileFn = void (*)(const Tile&);

// kTiles[rows - 1][blocks - 1]; null for the tall shapes of more than kTallBlocks
// blocks, which never run.
constexpr std::array<std::array<TileFn, kMaxBlocks>, kTallRows> MakeTiles() {
  std::array<std::array<TileFn, kMaxBlocks>, kTallRows> tiles{};
  Unroll<kTallRows>([&](auto r) {
    Unroll<kMaxBlocks>([&](auto b) {
      if constexpr (r + 1 <= kWideRows || b + 1 <= kTallBlocks) tiles[r][b] = RunTile<r + 1, b + 1>;
    });
  });
  return tiles;
}

constexpr auto kTiles = MakeTiles();

struct VnniPath {
  static constexpr int kBlockColumns = kNr;
  static constexpr int kKGroup = 4;
  static constexpr int kBlockBytesPerK = kNr;

  static void PackChunk(const ChunkJob& j, const int8_t* bm) {
    const BatchMatMulParams& p = *j.p;
    const int kc = j.k1 - j.k0;
    const int groups = (kc + 3) / 4;  // those the tiles read
    const int full_groups = kc / 4;
    const __m512i flip = _mm512_set1_epi32(kFlip);
    const __m512i ones = _mm512_set1_epi8(1);
    const int32_t za = p.a_zero_point;
    const __m512i constant_term = _mm512_set1_epi32(
        static_cast<int32_t>(static_cast<uint32_t>(kc) * static_cast<uint32_t>(za) *
                             static_cast<uint32_t>(p.b_zero_point + 128)));
    const __m512i za_lanes = _mm512_set1_epi32(za);
    for (int c0 = j.n0, block = 0; c0 < j.n1; c0 += kNr, ++block) {
      const int columns = Min(kNr, j.n1 - c0);
      const __mmask16 column_mask = static_cast<__mmask16>((1u << columns) - 1);
      uint8_t* out = j.panel + block * j.block_bytes;
      // Signed B bytes, 0x80 (u8 0 after the flip) outside B.
      if (p.transpose_b) {
        // Column c's K values are contiguous: each group is a gather of one
        // dword per column.
        const int8_t* column_base = bm + int64_t{c0} * p.k + j.k0;
        const __m512i offsets = _mm512_mullo_epi32(
            _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
            _mm512_set1_epi32(p.k));
        for (int g = 0; g < full_groups; ++g) {
          const __m512i v =
              _mm512_mask_i32gather_epi32(flip, column_mask, offsets, column_base + 4 * g, 1);
          _mm512_store_si512(out + g * kGroupBytes, v);
        }
        const int tail = kc % 4;
        if (tail != 0 && j.k1 >= 4) {
          // The dword that ends at the column's last chunk byte (it starts inside
          // the column), shifted down to the tail's bytes, 0x80 above them.
          const __m512i v =
              _mm512_mask_i32gather_epi32(flip, column_mask, offsets, column_base + kc - 4, 1);
          const __m512i above = _mm512_slli_epi32(flip, 8 * tail);
          _mm512_store_si512(out + full_groups * kGroupBytes,
                             _mm512_or_si512(_mm512_srli_epi32(v, 32 - 8 * tail), above));
        } else if (tail != 0) {
          alignas(64) int8_t group[kGroupBytes];
          _mm512_store_si512(group, flip);
          for (int c = 0; c < columns; ++c) {
            for (int t = 0; t < tail; ++t) {
              group[4 * c + t] = column_base[int64_t{c} * p.k + 4 * full_groups + t];
            }
          }
          _mm512_store_si512(out + full_groups * kGroupBytes, _mm512_load_si512(group));
        }
      } else {
        // Rows of B: a 4 x 16 byte transpose per group.
        const __m128i outside = _mm_set1_epi32(kFlip);
        for (int g = 0; g < groups; ++g) {
          __m128i rows[4];
          for (int t = 0; t < 4; ++t) {
            const int kk = 4 * g + t;
            rows[t] = kk < kc ? _mm_mask_loadu_epi8(outside, column_mask,
                                                    bm + int64_t{j.k0 + kk} * p.n + c0)
                              : outside;
          }
          const __m128i t01lo = _mm_unpacklo_epi8(rows[0], rows[1]);
          const __m128i t01hi = _mm_unpackhi_epi8(rows[0], rows[1]);
          const __m128i t23lo = _mm_unpacklo_epi8(rows[2], rows[3]);
          const __m128i t23hi = _mm_unpackhi_epi8(rows[2], rows[3]);
          uint8_t* group = out + g * kGroupBytes;
          _mm_store_si128(reinterpret_cast<__m128i*>(group), _mm_unpacklo_epi16(t01lo, t23lo));
          _mm_store_si128(reinterpret_cast<__m128i*>(group + 16), _mm_unpackhi_epi16(t01lo, t23lo));
          _mm_store_si128(reinterpret_cast<__m128i*>(group + 32), _mm_unpacklo_epi16(t01hi, t23hi));
          _mm_store_si128(reinterpret_cast<__m128i*>(group + 48), _mm_unpackhi_epi16(t01hi, t23hi));
        }
      }
      // Flip to u8 and sum each column's u8 values (the padding adds 0).
      __m512i column_sum = _mm512_setzero_si512();
      for (int g = 0; g < groups; ++g) {
        const __m512i u = _mm512_xor_si512(_mm512_load_si512(out + g * kGroupBytes), flip);
        _mm512_store_si512(out + g * kGroupBytes, u);
        column_sum = _mm512_dpbusd_epi32(column_sum, u, ones);
      }
      _mm512_store_si512(j.column_terms + block * kNr,
                         _mm512_sub_epi32(constant_term, _mm512_mullo_epi32(za_lanes, column_sum)));
    }
  }

  static void RunRows(const ChunkJob& j, int m_begin, int m_end) {
    const BatchMatMulParams& p = *j.p;
    const Requant q = MakeRequant(*j.plan);
    const int kc = j.k1 - j.k0;
    const int blocks = (j.n1 - j.n0 + kNr - 1) / kNr;
    // Column tiles of equal width (5 blocks: 3 + 2, not 4 + 1): a narrow tile
    // reuses each broadcast of A for fewer vpdpbusd.
    const int column_tiles = (blocks + kMaxBlocks - 1) / kMaxBlocks;
    const int width = (blocks + column_tiles - 1) / column_tiles;
    const int tile_rows = width <= kTallBlocks ? kTallRows : kWideRows;
    const int32_t row_factor = -(p.b_zero_point + 128);
    for (int m = m_begin; m < m_end; m += tile_rows) {
      const int rows = Min(tile_rows, m_end - m);
      int32_t row_terms[kTallRows];
      for (int r = 0; r < rows; ++r) {
        row_terms[r] = row_factor * RowSum(j.a + int64_t{m + r} * p.k + j.k0, kc);
      }
      for (int b = 0; b < blocks; b += width) {
        const Tile t{&j, &q, m, b, row_terms};
        kTiles[rows - 1][Min(width, blocks - b) - 1](t);
      }
    }
  }
};

}  // namespace

void qs8_batch_matmul_4x64c4__avx512vnni(const BatchMatMulParams& p, const int8_t* a,
                                         const int8_t* b, int8_t* output) {
  batch_matmul::BatchMatMulBlocking<VnniPath>::Run(p, a, b, output);
}

}  // namespace qrt::kernels
