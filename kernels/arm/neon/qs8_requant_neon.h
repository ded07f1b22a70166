// requant.h's Requantize on NEON, for the translation units of the NEON paths.
// Everything here has internal linkage (anonymous namespace; `inline` only keeps
// unused ones quiet), so each path's
// translation unit, compiled with its own flags, gets its own copy (see anchors:
// ODR).
//
// Exactness: vmull_s32 gives the exact int64 products acc * m (|.| < 2^62), the
// rounding 2^(s-1) <= 2^61 cannot overflow the sum, and SSHL by -s is the
// arithmetic (flooring) shift of Rescale. The zero point is added in int64, then
// the saturating narrow to int32 and the clamp to [lo, hi] (both int8 values) give
// clamp(y, lo, hi) exactly: a value beyond int32 saturates to a bound that the
// clamp maps where the int64 clamp would. (vqrdmulh and vrshl would round twice and
// are not exact in general.)
#pragma once

#include <arm_neon.h>

#include <cstdint>

namespace qrt::kernels {
namespace {

// The output side of a requantization: zero point and clamp.
struct NeonOutputQuant {
  int64x2_t zero_point;
  int32x4_t lo;
  int32x4_t hi;
};

inline NeonOutputQuant MakeNeonOutputQuant(int32_t zero_point, int32_t lo, int32_t hi) {
  return {vdupq_n_s64(zero_point), vdupq_n_s32(lo), vdupq_n_s32(hi)};
}

// Requantizes four int32 accumulators with per-lane multiplier (int32), rounding
// and negated shift (int64, two vectors each: lanes 0-1 and 2-3).
inline int32x4_t Requantize4(int32x4_t acc, int32x4_t multiplier, const int64x2_t (&rounding)[2],
                             const int64x2_t (&right_shift)[2], const NeonOutputQuant& q) {
  int64x2_t low = vmull_s32(vget_low_s32(acc), vget_low_s32(multiplier));
  int64x2_t high = vmull_high_s32(acc, multiplier);
  low = vaddq_s64(vshlq_s64(vaddq_s64(low, rounding[0]), right_shift[0]), q.zero_point);
  high = vaddq_s64(vshlq_s64(vaddq_s64(high, rounding[1]), right_shift[1]), q.zero_point);
  const int32x4_t y = vqmovn_high_s64(vqmovn_s64(low), high);
  return vminq_s32(vmaxq_s32(y, q.lo), q.hi);
}

// Requantizes 16 accumulators (channels in order) with the arrays of a packed
// block: int32 multiplier[16], int64 rounding[16], int64 right_shift[16], back to
// back; returns the 16 int8 outputs. Each value is already in [lo, hi], so the
// narrowing moves are exact.
inline int8x16_t Requantize16(const int32x4_t (&acc)[4], const uint8_t* requant,
                              const NeonOutputQuant& q) {
  const auto* multiplier = reinterpret_cast<const int32_t*>(requant);
  const auto* rounding = reinterpret_cast<const int64_t*>(requant + 16 * sizeof(int32_t));
  const auto* right_shift = rounding + 16;
  int32x4_t y[4];
  for (int i = 0; i < 4; ++i) {
    const int64x2_t r[2] = {vld1q_s64(rounding + 4 * i), vld1q_s64(rounding + 4 * i + 2)};
    const int64x2_t s[2] = {vld1q_s64(right_shift + 4 * i), vld1q_s64(right_shift + 4 * i + 2)};
    y[i] = Requantize4(acc[i], vld1q_s32(multiplier + 4 * i), r, s, q);
  }
  const int16x8_t low = vmovn_high_s32(vmovn_s32(y[0]), y[1]);
  const int16x8_t high = vmovn_high_s32(vmovn_s32(y[2]), y[3]);
  return vmovn_high_s16(vmovn_s16(low), high);
}

}  // namespace
}  // namespace qrt::kernels
