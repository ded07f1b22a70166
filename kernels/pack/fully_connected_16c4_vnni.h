// The packed weight layout of the VNNI fully connected kernel
// (qs8_fully_connected_4x16c4__avx512vnni) and its pack functions. The layout
// belongs to the kernel, never to the model file: the runtime packs the canonical
// [N, K] weights once, at Prepare, into a 64-byte aligned buffer.
//
// Output channels are cut into blocks of kFc16c4Nr = 16 (the last block padded
// with inert channels). Each block is one contiguous stream, every part a
// multiple of 64 bytes:
//   int32 folded_bias[16]  bias[n] - (zx + 128) * sum_k w[n, k]   (mod 2^32)
//   weights                int8: ceil(K / 4) groups of 16 x 4 bytes,
//                            byte 4c + j of group g = w[n0 + c, 4g + j]
//                          int4: ceil(K / 8) groups of 16 x 4 bytes,
//                            byte 4c + j of group g = (w[n0 + c, 8g + j] ^ 8)
//                                              | (w[n0 + c, 8g + 4 + j] ^ 8) << 4
//   int32 multiplier[16]   requant[n].multiplier
//   int32 shift[16]        requant[n].shift
// Weights past K are 0 (int4: the biased nibble 8), so whatever input byte meets
// them adds nothing. Padded channels have bias 0, weights 0, multiplier 0 and
// shift 1; their outputs are never stored.
//
// Why the bias folding is exact: vpdpbusd multiplies unsigned by signed bytes,
// so the kernel feeds u = x + 128 (x ^ 0x80) and
//   acc = bias + sum_k (x - zx) w = bias + sum_k (u - 128 - zx) w
//       = [bias - (zx + 128) sum_k w] + sum_k u w.
// The bracket is the folded bias. Every step is a ring operation, so computing
// it in wrapping int32 gives exactly the reference's int64 sum narrowed modulo
// 2^32, for any input, in or out of the accumulator bound.
//
// int4 nibbles are stored biased by 8 (w ^ 8 == w + 8 for 4-bit two's
// complement), so the kernel unpacks a nibble with an AND and one byte subtract.
// The low nibbles of a group are k = 8g..8g+3, the high nibbles 8g+4..8g+7: one
// AND gives the first c4 group and a 16-bit shift plus AND the second.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kFc16c4Nr = 16;
// Bytes of one per-channel int32 array of a block (bias, multiplier, shift).
inline constexpr size_t kFc16c4ChannelArrayBytes = kFc16c4Nr * sizeof(int32_t);
// Bytes of one group of weights: 16 channels x 4 bytes (4 int8 or 8 int4 values).
inline constexpr size_t kFc16c4GroupBytes = kFc16c4Nr * 4;

struct Fc16c4Geometry {
  int blocks;          // ceil(N / 16)
  int groups;          // weight groups per block: ceil(K / 4), int4 ceil(K / 8)
  size_t block_bytes;  // (3 + groups) * 64
};

// Defined in the baseline translation unit and called by the kernel, so no inline
// helper is shared between baseline and AVX-512 code (see anchors: ODR).
Fc16c4Geometry GeometryFullyConnected16c4Vnni(const FullyConnectedParams& p);

size_t PackedSizeFullyConnected16c4Vnni(const FullyConnectedParams& p);

// packed: PackedSizeFullyConnected16c4Vnni(p) bytes, 64-byte aligned.
void PackFullyConnected16c4Vnni(const FullyConnectedParams& p, const void* weights,
                                const int32_t* bias, void* packed);

}  // namespace qrt::kernels
