#!/usr/bin/env bash
# Sets up and runs the whole test suite: the Release build's tests, the aarch64
# cross build's under qemu (scripts/test-aarch64.sh), then the
# malformed-input tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

jobs=$(nproc)

cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release -L fast -j "$jobs" --output-on-failure --timeout 600

# The aarch64 cross build under qemu (both NEON paths) and its end-to-end outputs
# against this x86 build's.
scripts/test-aarch64.sh build/release

cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DQRT_SANITIZE=address,undefined -DQRT_BUILD_CONVERTER=OFF >/dev/null
# Only what the malformed-input tests run (the sanitized build is the slow part of CI).
cmake --build build/sanitize -j "$jobs" --target qrt_validation_tests qrt_tools_tests \
  qrt-run qrt-bench make_test_model
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build/sanitize -L malformed -j "$jobs" --output-on-failure --timeout 600
