// ref::Mul against an oracle that decodes every output index to find its operands.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

TEST_CASE("Mul matches the oracle on random broadcasts and quantizations") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::MulParams p{};
    p.shapes = DrawBroadcastShapes(rng);
    const kernels::BroadcastShapes& s = p.shapes;
    p.a_zero_point = rng.ZeroPoint();
    p.b_zero_point = rng.ZeroPoint();
    const std::vector<int8_t> a = rng.Int8s(static_cast<size_t>(Product(s.rank, s.a)));
    const std::vector<int8_t> b = rng.Int8s(static_cast<size_t>(Product(s.rank, s.b)));
    std::vector<int64_t> products(static_cast<size_t>(Product(s.rank, s.out)));
    for (int64_t o = 0; o < static_cast<int64_t>(products.size()); ++o) {
      const int64_t ia = BroadcastOffset(s.rank, s.a, s.out, o);
      const int64_t ib = BroadcastOffset(s.rank, s.b, s.out, o);
      products[static_cast<size_t>(o)] = int64_t{a[static_cast<size_t>(ia)] - p.a_zero_point} *
                                         (b[static_cast<size_t>(ib)] - p.b_zero_point);
    }
    const auto [lo, hi] = std::minmax_element(products.begin(), products.end());
    const OutputQuant q = OutputQuantForRange(*lo, *hi, rng);
    p.requant = q.requant;
    p.output_zero_point = q.zero_point;
    p.clamp = DrawClamp(q.zero_point, rng);
    std::vector<int8_t> out(products.size());
    kernels::ref::Mul(p, a.data(), b.data(), out.data());
    for (size_t o = 0; o < out.size(); ++o) {
      CAPTURE(o);
      REQUIRE(out[o] == OracleRequantize(products[o], p.requant, p.output_zero_point, p.clamp.lo,
                                         p.clamp.hi));
    }
  }
}

TEST_CASE("Mul at the extreme product (-128 - 127)^2") {
  kernels::MulParams p{};
  p.shapes.rank = 2;
  p.shapes.a[0] = 1;
  p.shapes.a[1] = 2;
  p.shapes.b[0] = 2;
  p.shapes.b[1] = 1;
  p.shapes.out[0] = p.shapes.out[1] = 2;
  p.a_zero_point = 127;
  p.b_zero_point = 127;
  p.output_zero_point = -128;
  p.requant = MustQuantizeMultiplier(255.0 / 65025.0);
  p.clamp = {-128, 127};
  const int8_t a[] = {-128, 127};
  const int8_t b[] = {-128, 126};
  int8_t out[4] = {};
  kernels::ref::Mul(p, a, b, out);
  // out[i][j] = a[j] (row-broadcast) times b[i] (column-broadcast).
  CHECK(out[0] == 127);   // 65025 * 255 / 65025 - 128
  CHECK(out[1] == -128);  // 0
  CHECK(out[2] == -127);  // 255 / 255 - 128
  CHECK(out[3] == -128);
}

}  // namespace
}  // namespace qrt::test
