// The blocking of the x86 BATCH_MATMUL kernels, written once over a per-ISA path
// struct and instantiated in each ISA's own translation unit
// (qs8_batch_matmul_4x64c4__avx512vnni.cc, qs8_batch_matmul_4x16c2__avx2.cc),
// whose header comments give their packed layouts and exactness arguments.
//
// B is an activation, so it is packed at every call, into a stack panel: per
// output matrix, chunks of its columns (as many 16- or 8-column blocks as the
// panel holds, at most kMaxChunkColumns) times chunks of K (all of K when
// K <= kKc, else kKc values at a time). Every row of A then runs against the
// packed chunk, row tiles outside and column tiles inside, so a row tile's bytes
// of A stay in L1 while the chunk's columns go past. When K takes several chunks
// the rows go in bands of kMc, each band's int32 sums parked in a stack buffer
// between chunks; a band then repacks its chunks, which costs a kMc-th of the
// products. Nothing is allocated: the buffers are about 52 KB of stack.
//
// Path provides: kBlockColumns (columns per packed block), kKGroup (K values per
// packed group; a chunk's K is padded to a multiple), kBlockBytesPerK (packed
// bytes per K value of a block), PackChunk(job, b matrix) (fills the panel and
// the chunk's column terms) and RunRows(job, m_begin, m_end) (adds the chunk's
// contribution for those rows: from the column terms and, with `first`, from
// nothing, else from the parked sums; with `last` it requantizes and stores the
// outputs, else parks the sums).
//
// ODR: every function here is a member of a class template over Path, and each
// translation unit defines its Path in an anonymous namespace, so every
// instantiation is local to the ISA translation unit that made it. Nothing here
// calls an inline function of the standard library. The baseline functions it
// calls (simd::MakeRequantPlan, ref::BatchMatMul) are compiled once, without ISA
// flags.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "simd/plan.h"

namespace qrt::kernels::batch_matmul {

inline constexpr int kKc = 512;                // K values per chunk when K is longer
inline constexpr int kMc = 64;                 // rows per band when K takes several chunks
inline constexpr size_t kPanelBytes = 32768;   // the packed chunk of B
inline constexpr int kMaxChunkColumns = 1024;  // columns per chunk, whatever K
inline constexpr int kMaxPartialColumns = 64;  // columns per chunk when K takes several

// One chunk of one output matrix, as the path's functions see it.
struct ChunkJob {
  const BatchMatMulParams* p;
  const simd::RequantPlan* plan;
  const int8_t* a;  // the A matrix, [m, k]
  int8_t* out;      // the output matrix, [m, n]
  int k0, k1;       // the chunk's K values
  int n0, n1;       // the chunk's columns
  bool first, last;
  size_t block_bytes;     // of one packed block in the panel
  uint8_t* panel;         // kPanelBytes, 64-byte aligned
  int32_t* column_terms;  // per chunk column, what the path's packer puts there
  int32_t* partial;       // parked sums: row m - m0 at (m - m0) * kMaxPartialColumns
  int m0;                 // the band's first row
};

template <class Path>
class BatchMatMulBlocking {
 public:
  static void Run(const BatchMatMulParams& p, const int8_t* a, const int8_t* b, int8_t* out) {
    simd::RequantPlan plan;
    if (!simd::MakeRequantPlan(p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi, &plan)) {
      ref::BatchMatMul(p, a, b, out);  // a clamp outside int8: the reference narrows it
      return;
    }
    if (p.m <= 0 || p.n <= 0) return;
    alignas(64) uint8_t panel[kPanelBytes];
    alignas(64) int32_t column_terms[kMaxChunkColumns];
    alignas(64) int32_t partial[kMc * kMaxPartialColumns];
    ChunkJob job{};
    job.p = &p;
    job.plan = &plan;
    job.panel = panel;
    job.column_terms = column_terms;
    job.partial = partial;
    const bool several_chunks = p.k > kKc;
    const int chunk_k = several_chunks ? kKc : p.k;
    const int padded_k = (chunk_k + Path::kKGroup - 1) / Path::kKGroup * Path::kKGroup;
    job.block_bytes = static_cast<size_t>(padded_k > 0 ? padded_k : Path::kKGroup) *
                      static_cast<size_t>(Path::kBlockBytesPerK);
    int chunk_blocks = static_cast<int>(kPanelBytes / job.block_bytes);
    if (chunk_blocks * Path::kBlockColumns > kMaxChunkColumns) {
      chunk_blocks = kMaxChunkColumns / Path::kBlockColumns;
    }
    const int chunk_columns = chunk_blocks * Path::kBlockColumns;
    static_assert(
        kPanelBytes / (kKc * Path::kBlockBytesPerK) * Path::kBlockColumns <= kMaxPartialColumns,
        "with several K chunks a column chunk fits the parked sums");
    const int band = several_chunks ? kMc : p.m;
    const int64_t a_matrix = int64_t{p.m} * p.k;
    const int64_t b_matrix = int64_t{p.k} * p.n;
    const int64_t out_matrix = int64_t{p.m} * p.n;
    ForEachMatrix(p.batch, [&](int64_t out_index, int64_t a_index, int64_t b_index) {
      job.a = a + a_index * a_matrix;
      job.out = out + out_index * out_matrix;
      const int8_t* bm = b + b_index * b_matrix;
      for (job.n0 = 0; job.n0 < p.n; job.n0 += chunk_columns) {
        job.n1 = p.n - job.n0 < chunk_columns ? p.n : job.n0 + chunk_columns;
        for (job.m0 = 0; job.m0 < p.m; job.m0 += band) {
          const int m1 = p.m - job.m0 < band ? p.m : job.m0 + band;
          job.k0 = 0;
          do {
            job.k1 = p.k - job.k0 < chunk_k ? p.k : job.k0 + chunk_k;
            job.first = job.k0 == 0;
            job.last = job.k1 == p.k;
            Path::PackChunk(job, bm);
            Path::RunRows(job, job.m0, m1);
            job.k0 = job.k1;
          } while (job.k0 < p.k);
        }
      }
    });
  }

 private:
  // Calls f(out_index, a_index, b_index) for every output matrix, in order, with
  // the indices of its operand matrices (an operand's dimension of size 1 repeats).
  template <class F>
  static void ForEachMatrix(const BroadcastShapes& s, const F& f) {
    int64_t count = 1;
    for (int d = 0; d < s.rank; ++d) count *= s.out[d];
    for (int64_t o = 0; o < count; ++o) {
      int64_t rest = o;
      int64_t a_index = 0, a_stride = 1;
      int64_t b_index = 0, b_stride = 1;
      for (int d = s.rank - 1; d >= 0; --d) {
        const int64_t i = rest % s.out[d];
        rest /= s.out[d];
        if (s.a[d] != 1) a_index += i * a_stride;
        if (s.b[d] != 1) b_index += i * b_stride;
        a_stride *= s.a[d];
        b_stride *= s.b[d];
      }
      f(o, a_index, b_index);
    }
  }
};

}  // namespace qrt::kernels::batch_matmul
