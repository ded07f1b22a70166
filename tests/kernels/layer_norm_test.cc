// ref::LayerNorm against an oracle of its integer formula (square root by a
// floating estimate corrected in 128-bit integers, rounding by quotient and
// remainder), and its accuracy against float layer normalization of the same
// int8 input with the converter's quantization of gamma and beta.
#include <doctest/doctest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

uint64_t OracleISqrt(uint64_t v) {
  auto r = static_cast<uint64_t>(std::sqrt(static_cast<long double>(v)));
  while (static_cast<Int128>(r) * r > v) --r;
  while (static_cast<Int128>(r + 1) * (r + 1) <= v) ++r;
  return r;
}

// round(num / den) with ties up, den > 0, by quotient and remainder.
int64_t RoundHalfUp(Int128 num, Int128 den) {
  Int128 q = num / den;
  Int128 rem = num % den;
  if (rem < 0) {
    rem += den;
    --q;
  }
  return static_cast<int64_t>(2 * rem >= den ? q + 1 : q);
}

std::vector<int8_t> OracleLayerNorm(const kernels::LayerNormParams& p,
                                    const std::vector<int8_t>& in) {
  std::vector<int8_t> out(in.size());
  for (int row = 0; row < p.rows; ++row) {
    const size_t base = static_cast<size_t>(row) * p.depth;
    Int128 sum = 0;
    Int128 squares = 0;
    for (int i = 0; i < p.depth; ++i) {
      const int64_t d = in[base + i] - p.input_zero_point;
      sum += d;
      squares += d * d;
    }
    const Int128 w = p.depth * squares - sum * sum + p.epsilon;
    int k = 0;
    while (w != 0 && (w << (2 * (k + 1))) < (Int128{1} << 62)) ++k;
    const uint64_t r = OracleISqrt(static_cast<uint64_t>(w << (2 * k)));
    for (int i = 0; i < p.depth; ++i) {
      const Int128 c = Int128{p.depth} * (in[base + i] - p.input_zero_point) - sum;
      const int64_t n = r == 0 ? 0 : RoundHalfUp(c << (k + kernels::kLayerNormFractionBits), r);
      out[base + i] = OracleRequantize(int64_t{p.gamma[i]} * n + p.beta[i], p.requant.At(i),
                                       p.output_zero_point, p.clamp.lo, p.clamp.hi);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("LayerNorm matches the oracle") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::LayerNormParams p{};
    p.rows = static_cast<int>(rng.Int(1, 5));
    p.depth = static_cast<int>(rng.Pick(std::vector<int64_t>{1, 2, 3, 7, 120, 256, 1000, 4096}));
    p.input_zero_point = rng.ZeroPoint();
    p.output_zero_point = rng.ZeroPoint();
    p.epsilon = rng.Pick(std::vector<int64_t>{0, 0, 1, 144, int64_t{1} << 40});
    const std::vector<int8_t> gamma = rng.Int8s(static_cast<size_t>(p.depth), -127, 127);
    const auto max_n = static_cast<int32_t>(std::sqrt(p.depth - 1.0) + 1) << 16;
    const int32_t beta_bound = static_cast<int32_t>((int64_t{1} << 31) - 1 - int64_t{127} * max_n);
    const std::vector<int32_t> beta =
        rng.Int32s(static_cast<size_t>(p.depth), -std::min(beta_bound, 1 << 24),
                   std::min(beta_bound, 1 << 24));
    p.gamma = gamma.data();
    p.beta = beta.data();
    ChannelRequantStorage requant;
    for (int i = 0; i < p.depth; ++i) {
      requant.Push(MustQuantizeMultiplier(std::exp2(rng.Real(-26, -18))));
    }
    p.requant = requant.View();
    p.clamp = DrawClamp(p.output_zero_point, rng);
    std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.rows) * p.depth);
    if (rng.Int(0, 4) == 0) {  // constant rows: zero variance
      std::fill(in.begin(), in.end(), static_cast<int8_t>(rng.Int(-128, 127)));
    } else if (rng.Int(0, 4) == 0) {  // a narrow range: small variance
      for (int8_t& v : in) v = static_cast<int8_t>(rng.Int(-2, 2) + 10);
    }
    std::vector<int8_t> out(in.size());
    kernels::ref::LayerNorm(p, in.data(), out.data());
    REQUIRE(out == OracleLayerNorm(p, in));
  }
}

// The converter's quantization (docs/quantization.md): gamma_q = sign(gamma) * 127
// with scale Sg = |gamma| / 127, beta_q = round(beta * 2^16 / Sg),
// requant[i] = Sg / (Sy * 2^16), epsilon = round(eps * depth^2 / Sx^2).
TEST_CASE("LayerNorm is within one output step of float layer normalization") {
  int64_t total = 0;
  int64_t off_by_one = 0;
  int max_error = 0;
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    const int depth = static_cast<int>(rng.Pick(std::vector<int64_t>{32, 120, 384}));
    const double sx = std::exp2(rng.Real(-7, -3));
    const int32_t zx = static_cast<int32_t>(rng.Int(-20, 20));
    const double eps = 1e-6;
    const double sy = 4.0 / 128;  // outputs in about [-4, 4]
    const int32_t zy = 0;
    std::vector<double> gamma(static_cast<size_t>(depth));
    std::vector<double> beta(static_cast<size_t>(depth));
    std::vector<int8_t> gamma_q(gamma.size());
    std::vector<int32_t> beta_q(gamma.size());
    ChannelRequantStorage requant;
    for (size_t i = 0; i < gamma.size(); ++i) {
      gamma[i] = rng.Real(0.3, 1.5) * (rng.Int(0, 9) == 0 ? -1 : 1);
      beta[i] = rng.Real(-0.5, 0.5);
      const double sg = std::abs(gamma[i]) / 127;
      gamma_q[i] = static_cast<int8_t>(std::lround(gamma[i] / sg));
      beta_q[i] = static_cast<int32_t>(std::lround(beta[i] * 65536 / sg));
      requant.Push(MustQuantizeMultiplier(sg / (sy * 65536)));
    }
    kernels::LayerNormParams p{};
    p.rows = 8;
    p.depth = depth;
    p.input_zero_point = zx;
    p.output_zero_point = zy;
    p.epsilon = std::llround(eps * depth * depth / (sx * sx));
    p.gamma = gamma_q.data();
    p.beta = beta_q.data();
    p.requant = requant.View();
    p.clamp = {-128, 127};
    // Rows with an offset and a spread of a few steps to the whole int8 range.
    std::vector<int8_t> in(static_cast<size_t>(p.rows) * depth);
    for (int r = 0; r < p.rows; ++r) {
      const double centre = rng.Real(-40, 40);
      const double spread = std::exp2(rng.Real(1, 6));
      for (int i = 0; i < depth; ++i) {
        const double v = centre + spread * std::sin(1.7 * i + r) * rng.Real(0.2, 1.0);
        in[static_cast<size_t>(r) * depth + i] =
            static_cast<int8_t>(std::clamp(std::lround(v), -128L, 127L));
      }
    }
    std::vector<int8_t> out(in.size());
    kernels::ref::LayerNorm(p, in.data(), out.data());
    for (int r = 0; r < p.rows; ++r) {
      const int8_t* row = in.data() + static_cast<size_t>(r) * depth;
      double mean = 0;
      for (int i = 0; i < depth; ++i) mean += sx * (row[i] - zx);
      mean /= depth;
      double var = 0;
      for (int i = 0; i < depth; ++i) var += std::pow(sx * (row[i] - zx) - mean, 2);
      var /= depth;
      for (int i = 0; i < depth; ++i) {
        const double y =
            gamma[static_cast<size_t>(i)] * (sx * (row[i] - zx) - mean) / std::sqrt(var + eps) +
            beta[static_cast<size_t>(i)];
        const long expected = std::clamp(std::lround(y / sy) + zy, -128L, 127L);
        const int error =
            static_cast<int>(std::abs(expected - out[static_cast<size_t>(r) * depth + i]));
        max_error = std::max(max_error, error);
        off_by_one += error > 0 ? 1 : 0;
        ++total;
      }
    }
  }
  MESSAGE("LayerNorm vs float: max error " << max_error << " LSB, " << off_by_one << " of " << total
                                           << " outputs off by one");
  CHECK(max_error <= 1);
  CHECK(off_by_one * 100 < total);  // only rounding ties of float vs integer differ
}

}  // namespace qrt::test
