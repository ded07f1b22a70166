// ref::Transpose against a scatter oracle: each input element is written to the
// output position whose index d is the input's index perm[d].
#include <doctest/doctest.h>

#include <cstdint>
#include <utility>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

TEST_CASE("Transpose matches the scatter oracle on random ranks and permutations") {
  for (uint64_t seed = 1; seed <= 500; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    kernels::TransposeParams p{};
    p.rank = static_cast<int>(rng.Int(0, kernels::kMaxRank));
    CAPTURE(p.rank);
    for (int d = 0; d < p.rank; ++d) {
      p.in_shape[d] = static_cast<int32_t>(rng.Int(1, 4));
      p.perm[d] = d;
    }
    for (int d = p.rank - 1; d > 0; --d) std::swap(p.perm[d], p.perm[rng.Int(0, d)]);
    int32_t out_shape[kernels::kMaxRank] = {};
    for (int d = 0; d < p.rank; ++d) out_shape[d] = p.in_shape[p.perm[d]];
    const std::vector<int8_t> in = rng.Int8s(static_cast<size_t>(Product(p.rank, p.in_shape)));
    std::vector<int8_t> out(in.size());
    kernels::ref::Transpose(p, in.data(), out.data());
    std::vector<int8_t> expected(in.size());
    for (int64_t j = 0; j < static_cast<int64_t>(in.size()); ++j) {
      int32_t index[kernels::kMaxRank] = {};
      int64_t rest = j;
      for (int d = p.rank - 1; d >= 0; --d) {
        index[d] = static_cast<int32_t>(rest % p.in_shape[d]);
        rest /= p.in_shape[d];
      }
      int64_t o = 0;
      for (int d = 0; d < p.rank; ++d) o = o * out_shape[d] + index[p.perm[d]];
      expected[static_cast<size_t>(o)] = in[static_cast<size_t>(j)];
    }
    CHECK(out == expected);
  }
}

}  // namespace
}  // namespace qrt::test
