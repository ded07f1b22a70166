// Grouped convolution on NEON with the Armv8.2 dot product (sdot) as an implicit
// GEMM, bit-identical to ref::Conv2D: the driver of arm/neon/qs8_implicit_gemm_neon.h
// with an sdot microkernel on the 16c4 layout (pack/gemm_16c4_neon.h).
//
// Register tile: 4 rows x one block of 16 channels, 16 int32x4 accumulators (one
// channel per lane, so no reduction is needed). Per 8 K values each row loads 8
// activation bytes (two c4 dwords) once; per c4 group the block's 4 weight
// vectors (4 channels x 4 K values) are loaded once and used by every row through
// sdot's lane form (vdotq_lane_s32). Int4 weights: one 64-byte group holds 8 K
// values, the low nibbles (sign-extended by shl + sshr) meeting activation dword 0
// and the high nibbles (sshr) dword 1.
//
// Exactness: sdot adds four exact int8 x int8 products (|.| <= 2^14 each) into the
// int32 lane with wrapping arithmetic, so the accumulators equal the reference's
// sum narrowed modulo 2^32 (the packed bias is folded modulo 2^32), for any int8
// weights.
//
// Compiled with -march=armv8.2-a+dotprod; only called when the CPU has dotprod.
#include <arm_neon.h>

#include <cstdint>

#include "arm/neon/qs8_implicit_gemm_neon.h"
#include "arm/neondot/neondot.h"
#include "pack/gemm_16c4_neon.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {
namespace {

struct SdotMicro {
  static constexpr int kMr = 4;
  static constexpr int kAcc = 4;  // channels 4q .. 4q + 3

  // acc[r][q] += sdot(w[q], the activation dword kLane of row r).
  template <int kLane, int kRows>
  static void DotGroup(int32x4_t (&acc)[kRows][kAcc], const int8x16_t (&w)[4],
                       const int8x8_t (&x)[kRows]) {
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < 4; ++q) acc[r][q] = vdotq_lane_s32(acc[r][q], w[q], x[r], kLane);
    }
  }

  // The group's 4 weight vectors: int8 as stored; int4 the low nibbles (shl +
  // sshr) or, with kHigh, the high nibbles (sshr).
  template <bool kInt4, bool kHigh>
  static void LoadGroup(const int8_t* w, int8x16_t (&v)[4]) {
    for (int q = 0; q < 4; ++q) {
      const int8x16_t stored = vld1q_s8(w + 16 * q);
      if constexpr (!kInt4) {
        v[q] = stored;
      } else if constexpr (kHigh) {
        v[q] = vshrq_n_s8(stored, 4);
      } else {
        v[q] = vshrq_n_s8(vshlq_n_s8(stored, 4), 4);
      }
    }
  }

  // Per 8 K values each row's 8 activation bytes (two c4 dwords) against two c4
  // weight groups (int8) or one group's low and high nibbles (int4). Eight bytes
  // rather than sixteen keep 16 accumulators, 8 weight and 4 activation vectors
  // within the 32 registers.
  template <int kRows, bool kInt4>
  static void Accumulate(int32x4_t (&acc)[kRows][kAcc], const int8_t* const (&rows)[kRows],
                         int k_length, const uint8_t* weights) {
    const auto* w = reinterpret_cast<const int8_t*>(weights);
    constexpr size_t kSecondGroup = kInt4 ? 0 : kNeonGemmGroupBytes;  // int4: same bytes
    for (int k = 0; k < k_length; k += 8) {
      int8x8_t x[kRows];
      for (int r = 0; r < kRows; ++r) x[r] = vld1_s8(rows[r] + k);
      int8x16_t v[4];
      LoadGroup<kInt4, false>(w, v);
      DotGroup<0>(acc, v, x);
      LoadGroup<kInt4, kInt4>(w + kSecondGroup, v);
      DotGroup<1>(acc, v, x);
      w += kNeonGemmGroupBytes + kSecondGroup;
    }
  }

  template <int kRows>
  static void Reduce(const int32x4_t (&acc)[kRows][kAcc], int32x4_t (&sums)[kRows][4]) {
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < 4; ++q) sums[r][q] = acc[r][q];
    }
  }
};

}  // namespace

void qs8_conv2d_4x16c4__neondot(const Conv2DParams& p, const int8_t* input,
                                const void* packed_weights, const int32_t* bias, int8_t* output,
                                const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  RunNeonConv2D<SdotMicro>(p, input, packed_weights, output, tile);
}

void qs8_fully_connected_4x16c4__neondot(const FullyConnectedParams& p, const int8_t* input,
                                         const void* packed_weights, const int32_t* bias,
                                         int8_t* output, const OutputTile& tile) {
  qs8_conv2d_4x16c4__neondot(Conv2DOfFullyConnected(p), input, packed_weights, bias, output, tile);
}

}  // namespace qrt::kernels
