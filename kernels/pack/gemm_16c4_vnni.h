// The packed weight layout of the AVX-512 VNNI implicit GEMM
// (qs8_conv2d_6x16c4__avx512vnni, which fully connected also runs as a 1x1
// convolution) and its pack functions. The layout belongs to the kernel, never to
// the model file: the runtime packs the canonical OHWI / [N, K] weights once, at
// Prepare, into a 64-byte aligned buffer.
//
// A convolution is `groups` GEMMs. Each group's out_c / groups output channels are
// cut into blocks of kGemm16c4Nr = 16 (the last block padded with inert channels);
// the blocks of group 0 come first, then those of group 1, and so on. Each block is
// one contiguous stream, every part a multiple of 64 bytes:
//   int32 folded_bias[16]  bias[n] - (zx + 128) * sum_k w[n, k]   (mod 2^32)
//   weights                kernel_h * kernel_w segments, one per kernel position
//                          (ky, kx) in OHWI order, each of segment_groups groups
//                          of 16 x 4 bytes covering the group's in_c / groups
//                          input channels i:
//                          int8: byte 4j + t of group q = w[n(j), ky, kx, 4q + t]
//                          int4: byte 4j + t of group q = (w[n(j), ky, kx, 8q + t] & 15)
//                                             | (w[n(j), ky, kx, 8q + 4 + t] & 15) << 4
//                          (Gemm16c4VnniBiasesLowNibbles: the low nibble
//                          w[n(j), ky, kx, 8q + t] + 8 instead)
//   int32 position_bias[kernel_h * kernel_w][16]
//                          (zx + 128) * sum_i w[n, ky, kx, i]   (mod 2^32), per
//                          kernel position: what the position adds to the
//                          accumulator when it reads the zero-point row, which
//                          a tile that skips the position adds instead
//   int32 acc_lo[16]       the accumulator range the kernel clamps to before it
//   int32 acc_hi[16]       rescales: acc_lo is the largest accumulator whose output
//                          is below clamp.lo (INT32_MIN if none), acc_hi the
//                          smallest whose output is above clamp.hi (INT32_MAX if
//                          none)
//   int64 multiplier[16]   requant[n].multiplier
//   int64 rounding[16]     2^(requant[n].shift - 1)
//   int64 shift[16]        requant[n].shift
// Weights past the group's input channels are 0, so whatever input byte meets
// them adds nothing. Padded channels have bias 0, weights 0, multiplier 0 and
// shift 1; their outputs are never stored.
//
// Lane order: the int32 accumulator lane j of a block (and of folded_bias,
// position_bias, acc_lo and acc_hi) holds channel n(j) = j / 2 for even j and
// 8 + j / 2 for odd j, so that the kernel's 64-bit requantization of the even
// lanes gives channels 0..7 and of the odd lanes channels 8..15, in order; the
// int64 arrays are in channel order.
//
// Why clamping the accumulator first changes no output: an output
// clamp(Rescale(acc) + zy, lo, hi) is monotone in acc, every accumulator at or
// below acc_lo gives lo and every one at or above acc_hi gives hi. It bounds what
// the kernel has to narrow: Rescale moves by at most M = multiplier / 2^shift < 2^30
// per accumulator step, so Rescale(acc) + zy lies in [lo - 2^30 - 1, hi + 2^30] for
// acc in [acc_lo, acc_hi], which fits int32.
//
// After the blocks: a zero-point row, in_c / groups bytes of zx (64-byte
// aligned), that the kernel reads in place of kernel positions outside the input.
//
// Why the bias folding is exact: vpdpbusd multiplies unsigned by signed bytes,
// so the kernel feeds u = x + 128 (x ^ 0x80) and
//   acc = bias + sum_k (x - zx) w = bias + sum_k (u - 128 - zx) w
//       = [bias - (zx + 128) sum_k w] + sum_k u w.
// The bracket is the folded bias. Every step is a ring operation, so computing
// it in wrapping int32 gives exactly the reference's int64 sum narrowed modulo
// 2^32, for any input, in or out of the accumulator bound. A position outside the
// input reads zx from the zero-point row and adds (zx + 128) w, which the folded
// bias takes away again, as the reference's skipped position adds nothing. A
// tile may also skip a kernel position that lies outside the input for all its
// pixels and add the position's position_bias: the same (zx + 128) * sum w.
//
// int4 nibbles are 4-bit two's complement. The low nibbles of a group are
// i = 8q..8q+3, the high nibbles 8q+4..8q+7; the kernel unpacks them into the
// high half of each byte (a 16-bit shift left plus an AND for the low nibbles, an
// AND alone for the high ones), which are the weights times 16 as int8, and
// divides its sums by 16. Where Gemm16c4VnniBiasesLowNibbles, the low nibbles
// hold the weights plus 8 (0..15) instead, which an AND alone gives as u8; the
// kernel then subtracts 8 times the sum of their activations (weights past the
// input channels are 0 there too: low nibbles 8). int4 convolutions with more
// than kGemm16c4MaxInt4K
// weights per output channel, whose sums times 16 could leave int32, are packed
// and run as the AVX2 path's (Gemm16c4VnniRunsAvx2).
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kGemm16c4Nr = 16;
// Bytes of one group of weights: 16 channels x 4 bytes (4 int8 or 8 int4 values).
inline constexpr size_t kGemm16c4GroupBytes = kGemm16c4Nr * 4;
// Bytes of one int32 lane array of a block (folded_bias, a position_bias row,
// acc_lo, acc_hi).
inline constexpr size_t kGemm16c4Int32ArrayBytes = kGemm16c4Nr * sizeof(int32_t);
// Bytes of one per-channel int64 array of a block (multiplier, rounding, shift).
inline constexpr size_t kGemm16c4Int64ArrayBytes = kGemm16c4Nr * sizeof(int64_t);

struct Gemm16c4Geometry {
  int group_blocks;             // blocks per convolution group: ceil(out_c / groups / 16)
  int segment_groups;           // weight groups per kernel position: ceil(in_c / groups / 4),
                                // int4 ceil(in_c / groups / 8)
  int segments;                 // kernel positions: kernel_h * kernel_w
  size_t position_bias_offset;  // of position_bias in a block: 64 + segments * segment_groups * 64
  size_t block_bytes;           // position_bias_offset + segments * 64 + 2 * 64 + 3 * 128
  size_t zero_row_offset;       // of the zero-point row, after every block
};

// Defined in the baseline translation unit and called by the kernel, so no inline
// helper is shared between baseline and AVX-512 code (see anchors: ODR).
Gemm16c4Geometry GeometryGemm16c4Vnni(const Conv2DParams& p);

// The most int4 weights per output channel (kernel_h * kernel_w * in_c / groups)
// the VNNI kernel's int4 tiles take: 16 * 65536 products of |u8 x s4| <= 255 * 8
// stay below 2^31 (the validator allows about 2^20).
inline constexpr int64_t kGemm16c4MaxInt4K = 65536;

// True for int4 convolutions with more weights per output channel than
// kGemm16c4MaxInt4K: the functions below then pack for the AVX2 kernel
// (pack/gemm_8c_avx2.h), which qs8_conv2d_6x16c4__avx512vnni runs on them.
bool Gemm16c4VnniRunsAvx2(const Conv2DParams& p);

// True for pointwise convolutions (1x1, stride 1, no padding; fully connected
// layers are), whose pixels the kernel reads as rows of in_c bytes.
bool Gemm16c4VnniPointwise(const Conv2DParams& p);

// The most pixels (batch x out_h x out_w) of an int4 pointwise convolution
// (fully connected: rows) packed with biased low nibbles.
inline constexpr int kGemm16c4MaxBiasedLowPixels = 2;

// True for int4 pointwise convolutions of at most kGemm16c4MaxBiasedLowPixels
// pixels (an M = 1 GEMM) that the VNNI kernel runs: their low nibbles are packed
// biased by 8, for tiles that unpack them with one instruction fewer.
bool Gemm16c4VnniBiasesLowNibbles(const Conv2DParams& p);

size_t PackedSizeGemm16c4Vnni(const Conv2DParams& p);
size_t PackedSizeGemm16c4Vnni(const FullyConnectedParams& p);

// packed: PackedSizeGemm16c4Vnni(p) bytes, 64-byte aligned. weights are OHWI
// (fully connected: [N, K]), int8 or int4 rows as p.weight_type says.
void PackGemm16c4Vnni(const Conv2DParams& p, const void* weights, const int32_t* bias,
                      void* packed);
void PackGemm16c4Vnni(const FullyConnectedParams& p, const void* weights, const int32_t* bias,
                      void* packed);

}  // namespace qrt::kernels
