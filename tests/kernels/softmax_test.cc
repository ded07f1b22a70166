// ref::Softmax against an oracle that rounds the Q30 probability by quotient and
// remainder instead of one biased division.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

// The converter's table: round(2^16 * exp(-Sx * d)).
std::vector<int32_t> ExpTable(double input_scale) {
  std::vector<int32_t> table(256);
  for (int d = 0; d < 256; ++d) {
    table[static_cast<size_t>(d)] =
        static_cast<int32_t>(std::lround(65536.0 * std::exp(-input_scale * d)));
  }
  return table;
}

// Q30 probability round(e * 2^30 / sum) with ties up.
int64_t OracleProbability(int64_t e, int64_t sum) {
  if (sum == 0) return 0;
  const int64_t numerator = e * (int64_t{1} << 30);
  const int64_t quotient = numerator / sum;
  const int64_t remainder = numerator % sum;
  return quotient + (remainder >= sum - sum / 2 ? 1 : 0);
}

void CheckSoftmax(const kernels::SoftmaxParams& p, const std::vector<int8_t>& in) {
  std::vector<int8_t> out(in.size());
  kernels::ref::Softmax(p, in.data(), out.data());
  for (int r = 0; r < p.rows; ++r) {
    const size_t row = static_cast<size_t>(r) * p.depth;
    int max = -128;
    for (int i = 0; i < p.depth; ++i) max = std::max<int>(max, in[row + i]);
    int64_t sum = 0;
    for (int i = 0; i < p.depth; ++i) sum += p.exp_table[max - in[row + i]];
    for (int i = 0; i < p.depth; ++i) {
      CAPTURE(r);
      CAPTURE(i);
      const int64_t prob = OracleProbability(p.exp_table[max - in[row + i]], sum);
      REQUIRE(out[row + i] ==
              OracleRequantize(prob, p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi));
    }
  }
}

TEST_CASE("Softmax matches the oracle on random rows and input scales") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    const std::vector<int32_t> table = ExpTable(std::exp2(rng.Real(-8.0, 2.0)));
    kernels::SoftmaxParams p{};
    p.rows = static_cast<int>(rng.Int(1, 6));
    p.depth = static_cast<int>(rng.Pick(std::vector<int64_t>{1, 2, 3, 10, 17, 100, 1000}));
    p.exp_table = table.data();
    // Output scale 1/256 with zero point -128 (the usual), or a random one.
    const double sy = rng.Bool() ? 1.0 / 256 : std::exp2(rng.Real(-10.0, -1.0));
    p.requant = MustQuantizeMultiplier(1.0 / (sy * std::ldexp(1.0, 30)));
    p.output_zero_point = rng.Bool() ? -128 : rng.ZeroPoint();
    p.clamp = DrawClamp(p.output_zero_point, rng);
    CAPTURE(p.depth);
    std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.rows) * p.depth);
    if (rng.Int(0, 3) == 0) {  // all-equal rows
      for (int r = 0; r < p.rows; ++r) {
        const auto v = static_cast<int8_t>(rng.Int(-128, 127));
        for (int i = 0; i < p.depth; ++i) in[static_cast<size_t>(r) * p.depth + i] = v;
      }
    }
    CheckSoftmax(p, in);
  }
}

TEST_CASE("Softmax rounds the Q30 probability half up") {
  // With M = 1 the output is p itself; 19000 maxima make sum ~ 2^30.2, so the other
  // entries' probabilities are small and their rounding shows in the output.
  const uint64_t seed = 5;
  CAPTURE(seed);
  Rng rng(seed);
  std::vector<int32_t> table(256);
  table[0] = 65536;
  for (size_t d = 1; d < 256; ++d) table[d] = static_cast<int32_t>(rng.Int(0, 300));
  kernels::SoftmaxParams p{};
  p.rows = 1;
  p.depth = 20000;
  p.exp_table = table.data();
  p.requant = kernels::Dyadic{1 << 30, 30};
  p.output_zero_point = -128;
  p.clamp = {-128, 127};
  std::vector<int8_t> in(static_cast<size_t>(p.depth), 127);
  for (size_t i = 19000; i < in.size(); ++i) in[i] = static_cast<int8_t>(rng.Int(-128, 126));
  CheckSoftmax(p, in);
}

TEST_CASE("Softmax: depth 1, uniform rows, extreme spread and an all-zero table") {
  std::vector<int32_t> table = ExpTable(0.05);
  kernels::SoftmaxParams p{};
  p.exp_table = table.data();
  p.requant = MustQuantizeMultiplier(256.0 / std::ldexp(1.0, 30));
  p.output_zero_point = -128;
  p.clamp = {-128, 127};
  p.rows = 1;
  int8_t out[4] = {};
  // Depth 1: probability 1 = 256 steps above -128, saturating at 127.
  p.depth = 1;
  const int8_t one[] = {42};
  kernels::ref::Softmax(p, one, out);
  CHECK(out[0] == 127);
  // Four equal entries: exactly 1/4 = 64 steps.
  p.depth = 4;
  const int8_t equal[] = {-7, -7, -7, -7};
  kernels::ref::Softmax(p, equal, out);
  for (int8_t v : out) CHECK(v == -64);
  // A spread of 255 puts the smallest entries at E[255] ~ 2^16 * e^-12.75 ~ 0.19 -> 0.
  const int8_t spread[] = {127, -128, -128, 127};
  kernels::ref::Softmax(p, spread, out);
  CHECK(out[0] == 0);
  CHECK(out[1] == -128);
  // A table without mass has no distribution: every probability is 0.
  table.assign(256, 0);
  kernels::ref::Softmax(p, spread, out);
  for (int8_t v : out) CHECK(v == -128);
}

}  // namespace
}  // namespace qrt::test
