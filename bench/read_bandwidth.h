// The single-core bandwidth of reading a buffer over and over: what an M = 1
// GEMM, which reads each weight once per run and does little else with it, can
// stream at best from the cache level that holds its weights. Measured on the
// machine, with the same 64-byte loads as the kernels, so that an M = 1 kernel's
// weight stream (bytes per second) can be read as a share of it.
#pragma once

#include <cstddef>
#include <cstdint>

namespace qrt::bench {

// Sums `bytes` (a multiple of 512) of 64-byte aligned data with zmm loads into
// independent accumulators and returns a value that depends on every byte, so
// the reads cannot be elided. Needs AVX-512: call it only when the CPU has it.
int64_t SumBytesAvx512(const uint8_t* data, size_t bytes);

// GB/s of SumBytesAvx512 over one buffer of `bytes` on the calling thread: the
// median of many passes after warm-up passes (the buffer is then in the caches
// it fits), as the kernels' figures are medians. Needs AVX-512.
double MeasureReadBandwidthGbps(size_t bytes);

}  // namespace qrt::bench
