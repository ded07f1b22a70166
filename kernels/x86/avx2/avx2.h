// The kernels of the AVX2 path (AVX2 + FMA, for x86 CPUs without AVX-512 VNNI).
// Only built, and only named by dispatch.cc, when QRT_HAVE_AVX2 is set; only
// called when the CPU supports the path.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

// Grouped convolution (any groups, stride, dilation, padding) as an implicit GEMM
// on weights packed by PackConv2D8cAvx2 (pack/gemm_8c_avx2.h), int8 or int4 as
// p.weight_type says: tiles of up to 4 output pixels x 2 blocks of 8 channels.
// `bias` is not read: the packed blocks hold the folded bias.
void qs8_conv2d_4x16__avx2(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
                           const int32_t* bias, int8_t* output, const OutputTile& tile);

// Fully connected on weights packed by PackFullyConnected8cAvx2, run as the
// equivalent 1x1 convolution by qs8_conv2d_4x16__avx2.
void qs8_fully_connected_4x16__avx2(const FullyConnectedParams& p, const int8_t* input,
                                    const void* packed_weights, const int32_t* bias, int8_t* output,
                                    const OutputTile& tile);

// Depthwise convolution (groups == in_c == out_c; any kernel size, stride,
// dilation, padding) on weights packed by PackDepthwiseConv2dAvx2
// (pack/depthwise_conv2d_tap_dwords.h): blocks of 32 channels, two kernel rows
// per dword as int16 for vpmaddwd. `bias` is not read: the packed blocks hold the
// folded bias.
void qs8_depthwise_conv2d_32c2__avx2(const Conv2DParams& p, const int8_t* input,
                                     const void* packed_weights, const int32_t* bias,
                                     int8_t* output, const OutputTile& tile);

// Batch matmul of two activations (x86/batch_matmul_template.h): B packed per call
// into a stack panel of 8-column blocks of int16 b - zb pairs (c2), A converted to
// int16 a - za per row tile; tiles of up to 4 rows x 2 blocks, vpmaddwd.
void qs8_batch_matmul_4x16c2__avx2(const BatchMatMulParams& p, const int8_t* a, const int8_t* b,
                                   int8_t* output);

// Transpose (x8_transpose_interleave__avx2.cc): the NCHW -> NHWC interleave of
// a few channels with byte shuffles (SSSE3, which every AVX2 CPU has); every
// other permutation through the reference kernel. Also on the AVX-512 path.
void x8_transpose_interleave__avx2(const TransposeParams& p, const int8_t* input, int8_t* output);

}  // namespace qrt::kernels
