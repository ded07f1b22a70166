// Writes EveryOperatorModel() to the path given, for tests of the C API and tools.
// The fixtures report through doctest, so this program carries doctest's
// implementation (without doctest's main).
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "runtime/test_models.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUT.qrt\n", argv[0]);
    return 2;
  }
  const qrt::Status status = qrt::test::EveryOperatorModel().WriteFile(argv[1]);
  if (!status.ok()) {
    std::fprintf(stderr, "%s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
