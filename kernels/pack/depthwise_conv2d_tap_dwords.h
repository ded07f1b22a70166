// The packed weight layout of the x86 depthwise convolution kernels
// (qs8_depthwise_conv2d_64c4__avx512vnni, qs8_depthwise_conv2d_32c2__avx2) and
// its pack functions. Both kernels vectorise over channels (NHWC) and put the
// taps of T consecutive kernel rows of one channel into one dword lane, so one
// dot-product instruction does T multiply-adds per channel: the VNNI layout
// holds T = 4 int8 taps per dword (vpdpbusd), the AVX2 layout T = 2 int16 taps
// (vpmaddwd). The kernel interleaves the input the same way on the fly.
//
// Channels are cut into blocks of max_block channels (VNNI 64, AVX2 32); the
// last block is 32 channels wide when at most 32 are left, else max_block, and
// its channels past out_c are inert. A block of W channels is
// one contiguous stream of 64-byte multiples:
//   header   64 bytes: int32 requant_mode (kDwRequantFast or kDwRequantExact)
//   int32 bias[W]        folded bias (below)
//   int32 multiplier[W]  requant multiplier m
//   int32 mult_odd[W]    mult_odd[2q] = multiplier[2q + 1], mult_odd[2q + 1] = 0
//   int32 addend[W]      fast mode: 2^(s-33) + zy * 2^(s-32); exact mode: 0
//   int32 shift[W]       fast mode: s - 32; exact mode: s
//   weights   row_groups x kernel_w slices (group g, column kx), each W dwords:
//             the dword of a channel holds the taps ky = T*g + t, t < T
//             (0 past kernel_h) at column kx, VNNI as bytes, AVX2 as int16.
// Every per-channel array is in lane order: the channel c of a block sits at
// dword DwLanePosition(c, W) = ((c % 16) / 4) * (W / 4) + (c / 16) * 4 + c % 4,
// i.e. vector j = (c % 16) / 4 of the block's four vectors, 128-bit lane c / 16,
// dword c % 4. That is the order the per-128-bit-lane unpack instructions put
// the channels in when they interleave T input rows, and the order the
// saturating packs (packssdw, packsswb) undo when they narrow the four result
// vectors back to W bytes.
//
// Exactness of the folded bias. Positions outside the input hold zx (params.h),
// and the kernel feeds a vector of zx bytes for them, so every tap sees an
// input byte x and
//   acc = bias + sum_taps (x - zx) w = [bias - (zx + o) sum_taps w] + sum_taps (x + o) w,
// o = 128 for VNNI (vpdpbusd multiplies u8 = x ^ 0x80 = x + 128 by s8 weights)
// and o = 0 for AVX2 (x sign-extended to int16). The bracket is the folded bias,
// computed in int64 and narrowed modulo 2^32; the kernels add exact products
// with wrapping int32 adds, so acc is the reference's int64 sum modulo 2^32.
// Tap slots past kernel_h have weight 0 and add nothing whatever they read.
//
// Requantization (requant.h: floor((acc * m + 2^(s-1)) / 2^s) + zy, clamped).
// With P = acc * m, |P| < 2^62, and H = floor(P / 2^32) in [-2^30, 2^30), for
// s >= 33 the rounding term 2^(s-1) is a multiple of 2^32, so
//   floor((P + 2^(s-1)) / 2^s) = floor((H + 2^(s-33)) / 2^(s-32))
// and adding zy * 2^(s-32) before the shift adds exactly zy after it. A block is
// kDwRequantFast when, for every channel, that sum stays in int32 (|addend| <
// 2^30) and the clamp bounds are int8: the kernel then needs only the high
// halves of two vpmuldq products, one add and one 32-bit arithmetic shift per
// lane, and saturating packs plus an int8 min/max (saturation to int8 before a
// clamp within int8 changes nothing). A zero multiplier is stored as s = 33
// (any s gives 0), and so is a channel whose every possible accumulator (bounded
// from its weights, bias and zx) requantizes to one value k, with zy + k for zy:
// a dead channel's tiny multiplier (s near 62) would not fit the addend.
// Otherwise the block is kDwRequantExact and the kernel requantizes each channel
// in scalar int64, as requant.h does.
//
// int4 weights are widened to the same layout at pack time: depthwise weights
// are a few hundred bytes per block, so their width costs nothing at run time.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

inline constexpr int kDwVnniTaps = 4;       // int8 taps per dword (vpdpbusd)
inline constexpr int kDwVnniMaxBlock = 64;  // channels of a full VNNI block
inline constexpr int kDwAvx2Taps = 2;       // int16 taps per dword (vpmaddwd)
inline constexpr int kDwAvx2MaxBlock = 32;  // channels of a full AVX2 block

inline constexpr size_t kDwHeaderBytes = 64;
inline constexpr int kDwChannelArrays = 5;  // bias, multiplier, mult_odd, addend, shift
inline constexpr int32_t kDwRequantFast = 1;
inline constexpr int32_t kDwRequantExact = 0;

struct DwGeometry {
  int taps;            // T: kernel rows per dword
  int row_groups;      // ceil(kernel_h / T)
  int max_block;       // channels of a full block
  int full_blocks;     // out_c / max_block
  int tail_width;      // W of the last, partial block (32 or 64), 0 if none
  size_t block_bytes;  // bytes of a full block
  size_t tail_bytes;   // bytes of the last, partial block, 0 if none
};

// Defined in the baseline translation unit and called by the kernels, so no
// inline helper is shared between baseline and ISA code (ODR).
DwGeometry GeometryDepthwiseConv2dVnni(const Conv2DParams& p);
DwGeometry GeometryDepthwiseConv2dAvx2(const Conv2DParams& p);

size_t PackedSizeDepthwiseConv2dVnni(const Conv2DParams& p);
size_t PackedSizeDepthwiseConv2dAvx2(const Conv2DParams& p);

// packed: PackedSize...(p) bytes, 64-byte aligned. p must be depthwise
// (groups == in_c == out_c); p's zero points and clamp are folded in.
void PackDepthwiseConv2dVnni(const Conv2DParams& p, const void* weights, const int32_t* bias,
                             void* packed);
void PackDepthwiseConv2dAvx2(const Conv2DParams& p, const void* weights, const int32_t* bias,
                             void* packed);

}  // namespace qrt::kernels
