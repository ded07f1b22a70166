// The single-core peak of vpdpbusd on zmm registers, the int8 dot-product
// instruction qrt's AVX-512 VNNI kernels are built on. It is measured on the
// machine rather than taken from a datasheet, so a kernel's GOP/s can be read as
// the share of what this core actually sustains (clock and turbo included).
#pragma once

#include <cstdint>

namespace qrt::bench {

// Independent accumulator chains per loop iteration: enough to cover vpdpbusd's
// latency times its throughput on current x86 cores (about 5 x 2).
inline constexpr int kVpdpbusdChains = 16;
// One vpdpbusd on zmm: 64 u8 x s8 products, each a multiply and an add.
inline constexpr int kOpsPerVpdpbusd = 2 * 64;

// Runs iterations x kVpdpbusdChains vpdpbusd instructions (kVpdpbusdChains
// independent dependency chains) on operands derived from seed, and returns a
// value that depends on every result, so the work cannot be elided. Needs
// AVX-512 VNNI: call it only when the CPU has it.
int32_t RunVpdpbusdChains(int64_t iterations, int32_t seed);

// GOP/s of RunVpdpbusdChains on the calling thread: the best of a few short
// trials after a warm-up (about 0.25 s in all). Needs AVX-512 VNNI.
double MeasureVpdpbusdPeakGops();

}  // namespace qrt::bench
