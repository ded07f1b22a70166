// ref::BatchMatMul against an oracle that decodes each output element's batch
// index and reads both operands through an explicitly transposed copy of B.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {

TEST_CASE("BatchMatMul matches the oracle with broadcast batches and transposed B") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::BatchMatMulParams p{};
    p.batch = DrawBroadcastShapes(rng);
    if (p.batch.rank > 4) p.batch.rank = 4;
    p.m = static_cast<int>(rng.Int(1, 9));
    p.k = static_cast<int>(rng.Pick(std::vector<int64_t>{1, 2, 15, 16, 33, 80}));
    p.n = static_cast<int>(rng.Int(1, 9));
    p.transpose_b = rng.Bool();
    p.a_zero_point = rng.ZeroPoint();
    p.b_zero_point = rng.ZeroPoint();
    const int64_t reach = int64_t{p.k} * 255 * 255 / 8;
    const OutputQuant oq = OutputQuantForRange(-reach, reach, rng);
    p.requant = oq.requant;
    p.output_zero_point = oq.zero_point;
    p.clamp = DrawClamp(oq.zero_point, rng);
    const int64_t a_batches = Product(p.batch.rank, p.batch.a);
    const int64_t b_batches = Product(p.batch.rank, p.batch.b);
    const int64_t out_batches = Product(p.batch.rank, p.batch.out);
    const size_t a_matrix = static_cast<size_t>(p.m) * p.k;
    const size_t b_matrix = static_cast<size_t>(p.k) * p.n;
    const std::vector<int8_t> a = rng.Int8s(static_cast<size_t>(a_batches) * a_matrix);
    const std::vector<int8_t> b = rng.Int8s(static_cast<size_t>(b_batches) * b_matrix);
    std::vector<int8_t> out(static_cast<size_t>(out_batches) * p.m * p.n);
    kernels::ref::BatchMatMul(p, a.data(), b.data(), out.data());

    for (int64_t batch = 0; batch < out_batches; ++batch) {
      const int64_t ab = BroadcastOffset(p.batch.rank, p.batch.a, p.batch.out, batch);
      const int64_t bb = BroadcastOffset(p.batch.rank, p.batch.b, p.batch.out, batch);
      // B of this batch as a [k][n] table, whatever its storage order.
      std::vector<std::vector<int64_t>> bm(static_cast<size_t>(p.k),
                                           std::vector<int64_t>(static_cast<size_t>(p.n)));
      for (int j = 0; j < p.k; ++j) {
        for (int l = 0; l < p.n; ++l) {
          const size_t stored =
              p.transpose_b ? static_cast<size_t>(l) * p.k + j : static_cast<size_t>(j) * p.n + l;
          bm[static_cast<size_t>(j)][static_cast<size_t>(l)] =
              b[static_cast<size_t>(bb) * b_matrix + stored] - p.b_zero_point;
        }
      }
      for (int i = 0; i < p.m; ++i) {
        for (int l = 0; l < p.n; ++l) {
          int64_t acc = 0;
          for (int j = 0; j < p.k; ++j) {
            acc += (a[static_cast<size_t>(ab) * a_matrix + static_cast<size_t>(i) * p.k + j] -
                    p.a_zero_point) *
                   bm[static_cast<size_t>(j)][static_cast<size_t>(l)];
          }
          CAPTURE(batch);
          CAPTURE(i);
          CAPTURE(l);
          REQUIRE(out[(static_cast<size_t>(batch) * p.m + i) * p.n + l] ==
                  OracleRequantize(acc, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi));
        }
      }
    }
  }
}

}  // namespace qrt::test
