// ref::Add against an oracle that decodes every output index to find its operands
// and rescales them with the __int128 oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

TEST_CASE("Add matches the oracle on random broadcasts and quantizations") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::AddParams p{};
    p.shapes = DrawBroadcastShapes(rng);
    const kernels::BroadcastShapes& s = p.shapes;
    CAPTURE(s.rank);
    p.a_zero_point = rng.ZeroPoint();
    p.b_zero_point = rng.ZeroPoint();
    p.left_shift = rng.Bool() ? 20 : static_cast<int32_t>(rng.Int(0, 23));
    CAPTURE(p.left_shift);
    // Input and output scales as a converter sees them, folded the usual way:
    // a and b to twice the larger input scale, the sum to the output scale.
    const double sa = std::exp2(rng.Real(-8.0, -2.0));
    const double sb = sa * std::exp2(rng.Real(-3.0, 3.0));
    const double so = std::max(sa, sb) * std::exp2(rng.Real(-1.0, 2.0));
    const double twice_max = 2.0 * std::max(sa, sb);
    p.a_requant = MustQuantizeMultiplier(sa / twice_max);
    p.b_requant = MustQuantizeMultiplier(sb / twice_max);
    p.out_requant = MustQuantizeMultiplier(twice_max / (std::ldexp(1.0, p.left_shift) * so));
    p.output_zero_point = rng.ZeroPoint();
    p.clamp = DrawClamp(p.output_zero_point, rng);

    const std::vector<int8_t> a = rng.Int8s(static_cast<size_t>(Product(s.rank, s.a)));
    const std::vector<int8_t> b = rng.Int8s(static_cast<size_t>(Product(s.rank, s.b)));
    std::vector<int8_t> out(static_cast<size_t>(Product(s.rank, s.out)));
    kernels::ref::Add(p, a.data(), b.data(), out.data());
    const int64_t scale = int64_t{1} << p.left_shift;
    for (int64_t o = 0; o < static_cast<int64_t>(out.size()); ++o) {
      CAPTURE(o);
      const int64_t ia = BroadcastOffset(s.rank, s.a, s.out, o);
      const int64_t ib = BroadcastOffset(s.rank, s.b, s.out, o);
      const int64_t ra =
          OracleRescale((a[static_cast<size_t>(ia)] - p.a_zero_point) * scale, p.a_requant);
      const int64_t rb =
          OracleRescale((b[static_cast<size_t>(ib)] - p.b_zero_point) * scale, p.b_requant);
      REQUIRE(out[static_cast<size_t>(o)] == OracleRequantize(ra + rb, p.out_requant,
                                                              p.output_zero_point, p.clamp.lo,
                                                              p.clamp.hi));
    }
  }
}

TEST_CASE("Add of equal scales is the integer sum") {
  // Sa = Sb = So: a + b - za - zb + zy exactly, saturating.
  kernels::AddParams p{};
  p.shapes.rank = 1;
  p.shapes.a[0] = p.shapes.b[0] = p.shapes.out[0] = 5;
  p.a_zero_point = 3;
  p.b_zero_point = -4;
  p.output_zero_point = 1;
  p.left_shift = 20;
  p.a_requant = p.b_requant = MustQuantizeMultiplier(0.5);
  p.out_requant = MustQuantizeMultiplier(2.0 / std::ldexp(1.0, 20));
  p.clamp = {-128, 127};
  const int8_t a[] = {3, 10, -50, 127, -128};
  const int8_t b[] = {-4, -20, 30, 127, -128};
  const int8_t expected[] = {1, -8, -18, 127, -128};
  int8_t out[5] = {};
  kernels::ref::Add(p, a, b, out);
  for (int i = 0; i < 5; ++i) CHECK(out[i] == expected[i]);
}

}  // namespace
}  // namespace qrt::test
