// Grouped convolution on baseline NEON (Armv8-A Advanced SIMD) as an implicit
// GEMM, bit-identical to ref::Conv2D: the driver of qs8_implicit_gemm_neon.h with
// an smull/smlal/sadalp microkernel on the 16c4 layout (pack/gemm_16c4_neon.h).
//
// Register tile: 2 rows x one block of 16 channels. A weight vector holds 4
// channels x 4 K values; an activation dword (4 K values) is broadcast to all four
// lanes. Per 8 K values (two c4 groups, or one int4 group: low and high nibbles),
// smull + smlal multiply the two groups' low halves (channels 4q, 4q + 1) into 8
// int16 sums of two products, smull2 + smlal2 the high halves (4q + 2, 4q + 3), and
// sadalp adds adjacent pairs into int32. Each row keeps 8 accumulators per block,
// lanes [c(k0+k1), c(k2+k3), c'(..), c'(..)]; Reduce adds the pairs with addp.
//
// Exactness: an int16 lane adds two products x w of |x| <= 128 and |w| <= 127 (the
// validator's int8 weight range) or |w| <= 8 (int4): at most 32512 in magnitude,
// exact. sadalp widens exactly and the int32 accumulators wrap like the
// reference's narrowed sum (the packed bias is folded modulo 2^32).
#include <arm_neon.h>

#include <cstdint>

#include "arm/neon/neon.h"
#include "arm/neon/qs8_implicit_gemm_neon.h"
#include "pack/gemm_16c4_neon.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {
namespace {

struct SmullMicro {
  static constexpr int kMr = 2;
  static constexpr int kAcc = 8;  // 4 weight vectors x (low, high half)

  // acc[r][2q + h] += the products of weight vectors w0[q], w1[q] with the
  // broadcast activation dwords x0, x1 of row r.
  template <int kRows>
  static void MultiplyAdd(int32x4_t (&acc)[kRows][kAcc], const int8x16_t (&w0)[4],
                          const int8x16_t (&w1)[4], const int8x16_t (&x0)[kRows],
                          const int8x16_t (&x1)[kRows]) {
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < 4; ++q) {
        int16x8_t low = vmull_s8(vget_low_s8(w0[q]), vget_low_s8(x0[r]));
        low = vmlal_s8(low, vget_low_s8(w1[q]), vget_low_s8(x1[r]));
        int16x8_t high = vmull_high_s8(w0[q], x0[r]);
        high = vmlal_high_s8(high, w1[q], x1[r]);
        acc[r][2 * q] = vpadalq_s16(acc[r][2 * q], low);
        acc[r][2 * q + 1] = vpadalq_s16(acc[r][2 * q + 1], high);
      }
    }
  }

  template <int kRows, bool kInt4>
  static void Accumulate(int32x4_t (&acc)[kRows][kAcc], const int8_t* const (&rows)[kRows],
                         int k_length, const uint8_t* weights) {
    const auto* w = reinterpret_cast<const int8_t*>(weights);
    for (int k = 0; k < k_length; k += 8) {
      int8x16_t x0[kRows];
      int8x16_t x1[kRows];
      for (int r = 0; r < kRows; ++r) {
        const int32x2_t x = vreinterpret_s32_s8(vld1_s8(rows[r] + k));
        x0[r] = vreinterpretq_s8_s32(vdupq_lane_s32(x, 0));
        x1[r] = vreinterpretq_s8_s32(vdupq_lane_s32(x, 1));
      }
      int8x16_t w0[4];
      int8x16_t w1[4];
      if constexpr (kInt4) {
        for (int q = 0; q < 4; ++q) {
          const int8x16_t packed = vld1q_s8(w + 16 * q);
          w0[q] = vshrq_n_s8(vshlq_n_s8(packed, 4), 4);
          w1[q] = vshrq_n_s8(packed, 4);
        }
        w += kNeonGemmGroupBytes;
      } else {
        for (int q = 0; q < 4; ++q) {
          w0[q] = vld1q_s8(w + 16 * q);
          w1[q] = vld1q_s8(w + kNeonGemmGroupBytes + 16 * q);
        }
        w += 2 * kNeonGemmGroupBytes;
      }
      MultiplyAdd<kRows>(acc, w0, w1, x0, x1);
    }
  }

  template <int kRows>
  static void Reduce(const int32x4_t (&acc)[kRows][kAcc], int32x4_t (&sums)[kRows][4]) {
    for (int r = 0; r < kRows; ++r) {
      for (int q = 0; q < 4; ++q) sums[r][q] = vpaddq_s32(acc[r][2 * q], acc[r][2 * q + 1]);
    }
  }
};

}  // namespace

void qs8_conv2d_2x16c4__neon(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
                             const int32_t* bias, int8_t* output, const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  RunNeonConv2D<SmullMicro>(p, input, packed_weights, output, tile);
}

void qs8_fully_connected_2x16c4__neon(const FullyConnectedParams& p, const int8_t* input,
                                      const void* packed_weights, const int32_t* bias,
                                      int8_t* output, const OutputTile& tile) {
  qs8_conv2d_2x16c4__neon(Conv2DOfFullyConnected(p), input, packed_weights, bias, output, tile);
}

}  // namespace qrt::kernels
