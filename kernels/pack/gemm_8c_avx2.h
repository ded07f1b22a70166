// The packed weight layout of the AVX2 convolution and fully connected kernels
// (qs8_conv2d_4x16__avx2, qs8_fully_connected_4x16__avx2) and its pack functions.
// The layout belongs to the kernels, never to the model file: the runtime packs
// the canonical weights once, at Prepare, into a 64-byte aligned buffer.
//
// A convolution's weights are, per group, K = kernel_h * kernel_w * in_c / groups
// values (the OHWI row) for each of the group's out_c / groups output channels.
// Each group's channels are cut into blocks of kGemm8cNr = 8 (its last block
// padded with inert channels), and group g's blocks follow group g - 1's. A fully
// connected layer is packed as the 1x1 convolution it is (Conv2DOfFullyConnected).
// K is padded with zero weights to Kp, a multiple of kGemm8cKr = 8. Each block is
// one contiguous stream, every part a multiple of 32 bytes:
//   int32 folded_bias[8]  bias[c] - (zx + offset) * sum_k w[c, k]   (mod 2^32)
//   weights               int8: Kp / 2 pairs of 8 x 2 bytes,
//                           byte 2j + i of pair q = w[c0 + j, 2q + i]
//                         int4: Kp / 8 groups of 8 x 4 bytes,
//                           byte 4j + i of group q = (w[c0 + j, 8q + i] ^ 8)
//                                                  | (w[c0 + j, 8q + 4 + i] ^ 8) << 4
//   then four arrays of 8 int64, each in the lane order c0 c2 c4 c6 c1 c3 c5 c7
//   (the even and the odd int32 lanes that vpmuldq reads, 4 of each):
//   multiplier            requant[c].multiplier
//   rounding              2^63 + 2^(shift - 1)     (mod 2^64)
//   shift                 requant[c].shift
//   correction            2^(63 - shift) - zy
// Padded channels have bias 0, weights 0, multiplier 0 and shift 1; their outputs
// are never stored.
//
// The kernels multiply the weights by activations offset by `offset`: int8 weights
// by x itself (offset 0, sign-extended to int16 for vpmaddwd), int4 weights by the
// unsigned byte x + 128 (offset 128, x ^ 0x80, for vpmaddubsw). Why folding the
// zero point into the bias is exact:
//   acc = bias + sum_k (x - zx) w = [bias - (zx + offset) sum_k w] + sum_k (x + offset) w
// Every step is a ring operation, so the wrapping int32 result equals the
// reference's int64 sum narrowed modulo 2^32, in or out of the accumulator bound.
// Input positions outside the image hold zx, i.e. zx + offset in the kernel's terms.
//
// Why rounding, shift and correction give requant.h's Rescale plus zy: AVX2 has no
// 64-bit arithmetic shift, so the kernel biases the exact int64 v = acc * m +
// 2^(s-1) (|v| < 2^63, requant.h) by 2^63 into [0, 2^64), shifts logically, and
// removes the bias again: floor((v + 2^63) / 2^s) = floor(v / 2^s) + 2^(63 - s)
// because 2^s divides 2^63. Subtracting the correction then leaves
// floor(v / 2^s) + zy, computed modulo 2^64 but exact because it fits int64.
//
// int4 nibbles are stored biased by 8 (w ^ 8 == w + 8 for 4-bit two's complement)
// so the kernel unpacks them with an AND and a byte subtract; the low nibbles of a
// group are k = 8q..8q+3 and the high nibbles 8q+4..8q+7, one c4 step each.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kGemm8cNr = 8;  // output channels per block
inline constexpr int kGemm8cKr = 8;  // K is padded to a multiple of this
inline constexpr size_t kGemm8cBiasBytes = kGemm8cNr * sizeof(int32_t);
inline constexpr size_t kGemm8cRequantBytes = 4 * kGemm8cNr * sizeof(int64_t);

struct Gemm8cGeometry {
  int k;                // kernel_h * kernel_w * in_c / groups
  int k_padded;         // k rounded up to a multiple of kGemm8cKr
  int group_channels;   // out_c / groups
  int group_blocks;     // blocks per group: ceil(group_channels / 8)
  size_t weight_bytes;  // of one block: int8 8 * k_padded, int4 4 * k_padded
  size_t block_bytes;   // bias + weights + requant
};

// Defined in this baseline translation unit and called by the kernels, so no
// inline helper is shared between baseline and AVX2 code (see anchors: ODR).
Gemm8cGeometry GeometryConv2D8cAvx2(const Conv2DParams& p);

size_t PackedSizeConv2D8cAvx2(const Conv2DParams& p);
size_t PackedSizeFullyConnected8cAvx2(const FullyConnectedParams& p);

// packed: PackedSize*8cAvx2(p) bytes, 64-byte aligned.
void PackConv2D8cAvx2(const Conv2DParams& p, const void* weights, const int32_t* bias,
                      void* packed);
void PackFullyConnected8cAvx2(const FullyConnectedParams& p, const void* weights,
                              const int32_t* bias, void* packed);

}  // namespace qrt::kernels
