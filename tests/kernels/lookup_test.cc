// ref::Lookup: every int8 input indexes the table at in + 128.
#include <doctest/doctest.h>

#include <cstdint>
#include <vector>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

TEST_CASE("Lookup maps every input through the table") {
  const uint64_t seed = 7;
  CAPTURE(seed);
  Rng rng(seed);
  const std::vector<int8_t> table = rng.Int8s(256);
  std::vector<int8_t> in(1000);
  for (size_t i = 0; i < in.size(); ++i) {
    in[i] = static_cast<int8_t>(i < 256 ? static_cast<int>(i) - 128 : rng.Int(-128, 127));
  }
  std::vector<int8_t> out(in.size());
  kernels::ref::Lookup(kernels::LookupParams{static_cast<int64_t>(in.size()), table.data()},
                       in.data(), out.data());
  for (size_t i = 0; i < in.size(); ++i) {
    CAPTURE(i);
    // Entry k of the table belongs to input k - 128.
    REQUIRE(out[i] == table[static_cast<size_t>(in[i] - INT8_MIN)]);
  }
  CHECK(out[0] == table[0]);
  CHECK(out[255] == table[255]);
}

}  // namespace
}  // namespace qrt::test
