// The packed weight layout of the NEON depthwise convolution
// (qs8_depthwise_conv2d_16c__neon) and its pack functions. The layout belongs to the
// kernel, never to the model file: the runtime packs the canonical OHWI weights
// [out_c, kernel_h, kernel_w, 1] once, at Prepare, into a 64-byte aligned buffer.
//
// Channels are cut into blocks of kNeonDwNr = 16 (the last block padded with inert
// channels). The T = kernel_h * kernel_w taps are padded to an even count Tp (the
// kernel takes two taps per step). Each block is one contiguous stream, every part
// a multiple of 64 bytes:
//   int32 folded_bias[16]  bias[c] - zx * sum_t w[c, t]   (mod 2^32)
//   int8 weights           Tp taps x 16 channels (int4 weights sign-extended),
//                          byte 16t + j = w[c0 + j, t], zero past T; padded to 64
//   int32 multiplier[16], int64 rounding[16], int64 right_shift[16]
//                          as in pack/gemm_16c4_neon.h
// Padded channels have bias 0, weights 0, multiplier 0 and shift 1.
//
// Why the folding is exact: acc = bias + sum_t (x_t - zx) w_t = [bias - zx sum_t w_t]
// + sum_t x_t w_t in wrapping int32, as in the GEMM layout; taps outside the input
// read zx (adding zx w_t, which the folded bias takes away) and the padding tap
// meets zero weights.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kNeonDwNr = 16;

struct NeonDwGeometry {
  int taps_padded;      // kernel_h * kernel_w rounded up to even
  int blocks;           // ceil(out_c / 16)
  size_t weight_bytes;  // 16 * taps_padded rounded up to 64
  size_t block_bytes;   // bias + weights + requant
};

// Defined in this baseline translation unit and called by the kernel (ODR).
NeonDwGeometry GeometryNeonDepthwise(const Conv2DParams& p);

size_t PackedSizeNeonDepthwise(const Conv2DParams& p);

// packed: PackedSizeNeonDepthwise(p) bytes, 64-byte aligned. Int8 weights must be
// in [-127, 127] (as the validator requires) for the kernel's smlal to be exact.
void PackNeonDepthwise(const Conv2DParams& p, const void* weights, const int32_t* bias,
                       void* packed);

}  // namespace qrt::kernels
