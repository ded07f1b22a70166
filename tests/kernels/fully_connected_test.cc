// ref::FullyConnected against a transposed-weights oracle: the test lays the
// weights out as [in_features, out_features] and accumulates each output row as a
// sum of scaled weight rows, in int64, requantized by the __int128 oracle.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/int4.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::FullyConnectedParams;
using kernels::WeightType;

TEST_CASE("FullyConnected matches the oracle on random shapes and quantizations") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    FullyConnectedParams p{};
    p.rows = static_cast<int>(rng.Int(1, 5));
    p.in_features = static_cast<int>(rng.Int(1, 70));
    p.out_features = static_cast<int>(rng.Int(1, 19));
    p.input_zero_point = rng.ZeroPoint();
    p.weight_type = rng.Bool() ? WeightType::kInt4 : WeightType::kInt8;
    CAPTURE(p.in_features);
    CAPTURE(static_cast<int>(p.weight_type));
    const int32_t w_max = p.weight_type == WeightType::kInt4 ? 7 : 127;
    const int32_t w_min = p.weight_type == WeightType::kInt4 ? -8 : -127;
    const auto n_out = static_cast<size_t>(p.out_features);
    const auto k_len = static_cast<size_t>(p.in_features);
    std::vector<int8_t> w = rng.Int8s(n_out * k_len, w_min, w_max);
    if (rng.Int(0, 3) == 0) {
      for (int8_t& v : w) v = static_cast<int8_t>(rng.Bool() ? w_min : w_max);
    }
    const std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(p.rows) * k_len);
    const std::vector<int32_t> bias = rng.Int32s(n_out, -5000, 5000);

    std::vector<int64_t> acc(static_cast<size_t>(p.rows) * n_out);
    for (size_t r = 0; r < static_cast<size_t>(p.rows); ++r) {
      for (size_t n = 0; n < n_out; ++n) acc[r * n_out + n] = bias[n];
      for (size_t k = 0; k < k_len; ++k) {
        const int64_t x = in[r * k_len + k] - p.input_zero_point;
        for (size_t n = 0; n < n_out; ++n) acc[r * n_out + n] += x * w[n * k_len + k];
      }
    }
    ChannelRequantStorage requant;
    int32_t zy = 0;
    for (size_t n = 0; n < n_out; ++n) {
      int64_t lo = INT64_MAX;
      int64_t hi = INT64_MIN;
      for (size_t r = 0; r < static_cast<size_t>(p.rows); ++r) {
        lo = std::min(lo, acc[r * n_out + n]);
        hi = std::max(hi, acc[r * n_out + n]);
      }
      const OutputQuant q = OutputQuantForRange(lo, hi, rng);
      requant.Push(q.requant);
      if (n == 0) zy = q.zero_point;
    }
    p.output_zero_point = zy;
    p.requant = requant.View();
    p.clamp = DrawClamp(zy, rng);

    std::vector<uint8_t> packed;
    const void* weights = w.data();
    if (p.weight_type == WeightType::kInt4) {
      packed = PackInt4Rows(w, n_out, k_len);
      weights = packed.data();
    }
    std::vector<int8_t> out(acc.size());
    kernels::ref::FullyConnected(p, in.data(), weights, bias.data(), out.data(),
                                 kernels::WholeOutput(p));
    for (size_t i = 0; i < acc.size(); ++i) {
      CAPTURE(i);
      REQUIRE(out[i] ==
              OracleRequantize(acc[i], requant.At(i % n_out), zy, p.clamp.lo, p.clamp.hi));
    }
  }
}

TEST_CASE("FullyConnected at the accumulator extremes") {
  // K * 127 * 255 with the largest |in - zx| = 255 and all weights at +-127.
  constexpr int kK = 66311;  // the largest K with K * 127 * 255 < 2^31
  for (int32_t w_value : {-127, 127}) {
    CAPTURE(w_value);
    FullyConnectedParams p{};
    p.rows = 1;
    p.in_features = kK;
    p.out_features = 1;
    p.input_zero_point = 127;
    p.output_zero_point = 0;
    p.weight_type = WeightType::kInt8;
    ChannelRequantStorage requant;
    requant.Push(MustQuantizeMultiplier(1.0 / (kK * 127.0 * 255.0 / 100.0)));
    p.requant = requant.View();
    p.clamp = {-128, 127};
    const std::vector<int8_t> in(kK, -128);
    const std::vector<int8_t> w(kK, static_cast<int8_t>(w_value));
    const int32_t bias = 0;
    int8_t out = 0;
    kernels::ref::FullyConnected(p, in.data(), w.data(), &bias, &out, kernels::WholeOutput(p));
    CHECK(out == (w_value > 0 ? -100 : 100));
  }
}

TEST_CASE("int4 weights: value 2j in the low nibble, odd rows padded") {
  // Row 0 = {1, -2, 3}, row 1 = {-8, 7, 0}: bytes 0xE1 0x03, 0x78 0x00.
  const uint8_t packed[] = {0xE1, 0x03, 0x78, 0x00};
  const std::vector<int8_t> unpacked = {1, -2, 3, -8, 7, 0};
  CHECK(PackInt4Rows(unpacked, 2, 3) == std::vector<uint8_t>(packed, packed + 4));
  for (size_t r = 0; r < 2; ++r) {
    for (size_t k = 0; k < 3; ++k) CHECK(kernels::Int4At(packed + 2 * r, k) == unpacked[r * 3 + k]);
  }
  // One input row selecting each weight in turn through FullyConnected.
  FullyConnectedParams p{};
  p.rows = 3;
  p.in_features = 3;
  p.out_features = 2;
  p.weight_type = WeightType::kInt4;
  ChannelRequantStorage requant;
  requant.Push(MustQuantizeMultiplier(1.0));
  requant.Push(MustQuantizeMultiplier(1.0));
  p.requant = requant.View();
  p.clamp = {-128, 127};
  const int8_t in[] = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  const int32_t bias[] = {0, 0};
  int8_t out[6] = {};
  kernels::ref::FullyConnected(p, in, packed, bias, out, kernels::WholeOutput(p));
  const int8_t expected[] = {1, -8, -2, 7, 3, 0};
  for (int i = 0; i < 6; ++i) CHECK(out[i] == expected[i]);
}

}  // namespace
}  // namespace qrt::test
