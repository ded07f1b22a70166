// ref::Slice against an oracle that decodes every output index and applies
// begin + i * step per axis, with positive and negative steps.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {

TEST_CASE("Slice matches the oracle") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::SliceParams p{};
    p.rank = static_cast<int>(rng.Int(0, kernels::kMaxRank));
    for (int d = 0; d < p.rank; ++d) {
      p.in_shape[d] = static_cast<int32_t>(rng.Int(1, 6));
      p.step[d] = static_cast<int32_t>(rng.Pick(std::vector<int64_t>{1, 1, 2, 3, -1, -2}));
      p.begin[d] = static_cast<int32_t>(rng.Int(0, p.in_shape[d] - 1));
      // The most elements that fit from begin in the step's direction.
      const int32_t room = p.step[d] > 0 ? (p.in_shape[d] - 1 - p.begin[d]) / p.step[d] + 1
                                         : p.begin[d] / -p.step[d] + 1;
      p.out_shape[d] = static_cast<int32_t>(rng.Int(0, room));
    }
    const std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(Product(p.rank, p.in_shape)));
    const int64_t count = Product(p.rank, p.out_shape);
    std::vector<int8_t> out(static_cast<size_t>(count));
    kernels::ref::Slice(p, in.data(), out.data());
    for (int64_t o = 0; o < count; ++o) {
      int64_t rest = o;
      int64_t offset = 0;
      int64_t stride = 1;
      for (int d = p.rank - 1; d >= 0; --d) {
        const int64_t i = rest % p.out_shape[d];
        rest /= p.out_shape[d];
        offset += (p.begin[d] + i * p.step[d]) * stride;
        stride *= p.in_shape[d];
      }
      CAPTURE(o);
      REQUIRE(out[static_cast<size_t>(o)] == in[static_cast<size_t>(offset)]);
    }
  }
}

}  // namespace qrt::test
