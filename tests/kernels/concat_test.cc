// ref::Concat against an oracle that walks the output and finds, for each position
// along the axis, the input it comes from.
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

TEST_CASE("Concat matches the oracle on random shapes and quantizations") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    const auto num_inputs = static_cast<size_t>(rng.Int(1, 4));
    std::vector<int32_t> axis_sizes;
    std::vector<int32_t> zero_points;
    ChannelRequantStorage requant;
    std::vector<std::vector<int8_t>> inputs;
    std::vector<const int8_t*> input_ptrs;
    const auto outer = static_cast<int>(rng.Int(1, 4));
    const auto inner = static_cast<int>(rng.Int(1, 5));
    int32_t out_axis = 0;
    for (size_t i = 0; i < num_inputs; ++i) {
      axis_sizes.push_back(static_cast<int32_t>(rng.Int(0, 4)));
      zero_points.push_back(rng.ZeroPoint());
      // Same scale as the output half the time (the common case), else a ratio.
      requant.Push(MustQuantizeMultiplier(rng.Bool() ? 1.0 : std::exp2(rng.Real(-3.0, 3.0))));
      inputs.push_back(rng.Int8s(static_cast<size_t>(outer) * axis_sizes[i] * inner));
      input_ptrs.push_back(inputs.back().data());
      out_axis += axis_sizes[i];
    }
    kernels::ConcatParams p{};
    p.num_inputs = static_cast<int>(num_inputs);
    p.outer = outer;
    p.inner = inner;
    p.axis_sizes = axis_sizes.data();
    p.zero_points = zero_points.data();
    p.requant = requant.View();
    p.output_zero_point = rng.ZeroPoint();
    std::vector<int8_t> out(static_cast<size_t>(outer) * out_axis * inner);
    kernels::ref::Concat(p, input_ptrs.data(), out.data());
    size_t o = 0;
    for (int n = 0; n < outer; ++n) {
      for (int a = 0; a < out_axis; ++a) {
        size_t i = 0;
        int32_t local = a;
        while (local >= axis_sizes[i]) local -= axis_sizes[i++];
        for (int k = 0; k < inner; ++k) {
          const int8_t q = inputs[i][(static_cast<size_t>(n) * axis_sizes[i] + local) * inner + k];
          CAPTURE(o);
          REQUIRE(out[o++] == OracleRequantize(q - zero_points[i], requant.At(i),
                                               p.output_zero_point, -128, 127));
        }
      }
    }
  }
}

}  // namespace
}  // namespace qrt::test
