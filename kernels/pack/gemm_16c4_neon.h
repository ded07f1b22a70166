// The packed weight layout of the two NEON implicit GEMMs (qs8_conv2d_2x16c4__neon,
// smull/sadalp, and qs8_conv2d_4x16c4__neondot, sdot; fully connected runs on both
// as a 1x1 convolution) and its pack functions. Both paths read the same layout,
// so one packer serves them. The layout belongs to the kernels, never to the model
// file: the runtime packs the canonical OHWI / [N, K] weights once, at Prepare,
// into a 64-byte aligned buffer.
//
// A convolution is `groups` GEMMs of K = kernel_h * kernel_w * in_c / groups (the
// OHWI row, ordered (ky, kx, i)). Each group's out_c / groups output channels are
// cut into blocks of kNeonGemmNr = 16 (the last block padded with inert channels);
// group g's blocks follow group g - 1's. K is padded with zero weights to Kp, a
// multiple of kNeonGemmKc = 16 (one 16-byte load of activations). Each block is one
// contiguous stream, every part a multiple of 64 bytes:
//   int32 folded_bias[16]  bias[c] - zx * sum_k w[c, k]   (mod 2^32)
//   weights                int8: Kp / 4 groups of 16 x 4 bytes,
//                            byte 4j + t of group q = w[c0 + j, 4q + t]
//                          int4: Kp / 8 groups of 16 x 4 bytes,
//                            byte 4j + t of group q = w[c0 + j, 8q + t] & 0xF
//                                                 | w[c0 + j, 8q + 4 + t] << 4
//   int32 multiplier[16]   requant[c].multiplier
//   int64 rounding[16]     2^(requant[c].shift - 1)
//   int64 right_shift[16]  -requant[c].shift (SSHL by a negative count shifts right)
// Padded channels have bias 0, weights 0, multiplier 0 and shift 1; their outputs
// are never stored.
//
// Why the bias folding is exact: both paths multiply signed activations by signed
// weights, so acc = bias + sum_k (x - zx) w = [bias - zx sum_k w] + sum_k x w. Every
// step is a ring operation, so the wrapping int32 result equals the reference's
// int64 sum narrowed modulo 2^32, in or out of the accumulator bound. Input
// positions outside the image hold zx in the kernels' activation panels and add
// zx w, which the folded bias takes away again, as the reference's skipped position
// adds nothing; K padding meets zero weights.
//
// int4 nibbles are stored as they are (two's complement): an arithmetic byte shift
// right by 4 sign-extends the high nibble, a shift left by 4 then right by 4 the
// low one. The low nibbles of a group are k = 8q..8q+3 and the high nibbles
// 8q+4..8q+7, so each gives one c4 group against the activation dwords 2q and 2q+1
// of the eight activations 8q..8q+7.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kNeonGemmNr = 16;  // output channels per block
inline constexpr int kNeonGemmKc = 16;  // K is padded to a multiple of this
inline constexpr size_t kNeonGemmBiasBytes = kNeonGemmNr * sizeof(int32_t);
inline constexpr size_t kNeonGemmGroupBytes = kNeonGemmNr * 4;  // one c4 group of a block
// multiplier (int32), rounding and right_shift (int64).
inline constexpr size_t kNeonGemmRequantBytes = kNeonGemmNr * (4 + 8 + 8);

struct NeonGemmGeometry {
  int k;                // kernel_h * kernel_w * in_c / groups
  int k_padded;         // k rounded up to a multiple of kNeonGemmKc
  int group_channels;   // out_c / groups
  int group_blocks;     // blocks per group: ceil(group_channels / 16)
  size_t weight_bytes;  // of one block: int8 16 * k_padded, int4 8 * k_padded
  size_t block_bytes;   // bias + weights + requant
};

// Defined in this baseline translation unit and called by the kernels, so no
// inline helper is shared between baseline and NEON-flagged code (see anchors: ODR).
NeonGemmGeometry GeometryNeonGemm(const Conv2DParams& p);

size_t PackedSizeNeonGemm(const Conv2DParams& p);
size_t PackedSizeNeonGemm(const FullyConnectedParams& p);

// packed: PackedSizeNeonGemm(p) bytes, 64-byte aligned. Int8 weights must be in
// [-127, 127] (as the validator requires) for the smull/smlal path to be exact.
void PackNeonGemm(const Conv2DParams& p, const void* weights, const int32_t* bias, void* packed);
void PackNeonGemm(const FullyConnectedParams& p, const void* weights, const int32_t* bias,
                  void* packed);

}  // namespace qrt::kernels
