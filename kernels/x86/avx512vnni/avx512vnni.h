// The kernels of the AVX-512 VNNI path (F/BW/VL/VNNI). Only built, and only
// named by dispatch.cc, when QRT_HAVE_AVX512VNNI is set; only called when the
// CPU supports the path.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

// Grouped convolution as an implicit GEMM on weights packed by PackGemm16c4Vnni
// (pack/gemm_16c4_vnni.h), int8 or int4 as p.weight_type says: tiles of up to 6
// output pixels x 4 blocks of 16 channels (int4: 4 pixels; 8 pixels x 1 block for
// narrow channel tiles) of one group, K in groups of 4 (c4) for vpdpbusd,
// activations read in place from the NHWC input, kernel positions outside the
// input skipped. `bias` is not read: the packed blocks hold the folded bias.
void qs8_conv2d_6x16c4__avx512vnni(const Conv2DParams& p, const int8_t* input,
                                   const void* packed_weights, const int32_t* bias, int8_t* output,
                                   const OutputTile& tile);

// The same kernel and packing for CPUs that also have AVX-512 VBMI (only called
// there): image stems (at most 4 input channels and 64 output channels) run
// tiles of 16 pixels of an output row in the lanes, each kernel row's input
// bytes picked per kernel position with vpermi2b.
void qs8_conv2d_6x16c4__avx512vbmi(const Conv2DParams& p, const int8_t* input,
                                   const void* packed_weights, const int32_t* bias, int8_t* output,
                                   const OutputTile& tile);

// Fully connected as the 1x1 convolution over [rows, 1, 1, in_features] it is:
// the same kernel and packing (PackGemm16c4Vnni's FullyConnectedParams overload).
void qs8_fully_connected_4x16c4__avx512vnni(const FullyConnectedParams& p, const int8_t* input,
                                            const void* packed_weights, const int32_t* bias,
                                            int8_t* output, const OutputTile& tile);

// Depthwise convolution (groups == in_c == out_c; any kernel size, stride,
// dilation, padding) on weights packed by PackDepthwiseConv2dVnni
// (pack/depthwise_conv2d_tap_dwords.h): blocks of 64 channels, four kernel rows
// per dword for vpdpbusd. `bias` is not read: the packed blocks hold the folded bias.
void qs8_depthwise_conv2d_64c4__avx512vnni(const Conv2DParams& p, const int8_t* input,
                                           const void* packed_weights, const int32_t* bias,
                                           int8_t* output, const OutputTile& tile);

// Batch matmul of two activations (x86/batch_matmul_template.h): B packed per call
// into a stack panel of 16-column blocks (c4: K in groups of 4, u8 b + 128), A read
// in place; tiles of up to 4 rows x 4 blocks, or 8 rows x 2 blocks.
void qs8_batch_matmul_4x64c4__avx512vnni(const BatchMatMulParams& p, const int8_t* a,
                                         const int8_t* b, int8_t* output);

}  // namespace qrt::kernels
