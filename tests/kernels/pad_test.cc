// ref::Pad against a scatter oracle: the output is filled with the pad value and
// each input element is written at its index plus pads_begin when that lies inside.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

TEST_CASE("Pad matches the scatter oracle, including empty inputs and negative pads") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::PadParams p{};
    p.rank = static_cast<int>(rng.Int(0, kernels::kMaxRank));
    CAPTURE(p.rank);
    int32_t out_shape[kernels::kMaxRank] = {};
    for (int d = 0; d < p.rank; ++d) {
      p.in_shape[d] = static_cast<int32_t>(rng.Int(rng.Int(0, 9) == 0 ? 0 : 1, 4));
      const bool crop = rng.Int(0, 4) == 0;
      p.pads_begin[d] = static_cast<int32_t>(crop ? -rng.Int(0, p.in_shape[d]) : rng.Int(0, 2));
      p.pads_end[d] =
          static_cast<int32_t>(crop ? -rng.Int(0, p.in_shape[d] + p.pads_begin[d]) : rng.Int(0, 2));
      out_shape[d] = p.in_shape[d] + p.pads_begin[d] + p.pads_end[d];
    }
    p.value = static_cast<int8_t>(rng.Int(-128, 127));
    const std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(Product(p.rank, p.in_shape)));
    std::vector<int8_t> out(static_cast<size_t>(Product(p.rank, out_shape)));
    kernels::ref::Pad(p, in.data(), out.data());
    std::vector<int8_t> expected(out.size(), p.value);
    for (int64_t j = 0; j < static_cast<int64_t>(in.size()); ++j) {
      int64_t rest = j;
      int64_t o = 0;
      int64_t stride = 1;
      bool inside = true;
      for (int d = p.rank - 1; d >= 0; --d) {
        const int64_t i = rest % p.in_shape[d] + p.pads_begin[d];
        rest /= p.in_shape[d];
        inside = inside && i >= 0 && i < out_shape[d];
        o += i * stride;
        stride *= out_shape[d];
      }
      if (inside) expected[static_cast<size_t>(o)] = in[static_cast<size_t>(j)];
    }
    CHECK(out == expected);
  }
}

}  // namespace
}  // namespace qrt::test
