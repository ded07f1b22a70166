// The kernels of the baseline NEON path (Armv8-A Advanced SIMD, every aarch64
// CPU). Only built, and only named by dispatch.cc, when QRT_HAVE_NEON is set.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

// Grouped convolution (any groups, stride, dilation, padding) as an implicit GEMM
// on weights packed by PackNeonGemm (pack/gemm_16c4_neon.h), int8 or int4 as
// p.weight_type says: tiles of up to 2 output pixels x 16 channels, smull/smlal
// into int16 and sadalp into int32. `bias` is not read: the packed blocks hold the
// folded bias. Int8 weights must be in [-127, 127], as the validator requires.
void qs8_conv2d_2x16c4__neon(const Conv2DParams& p, const int8_t* input, const void* packed_weights,
                             const int32_t* bias, int8_t* output, const OutputTile& tile);

// Fully connected as the 1x1 convolution it is, by qs8_conv2d_2x16c4__neon, on
// weights packed by PackNeonGemm.
void qs8_fully_connected_2x16c4__neon(const FullyConnectedParams& p, const int8_t* input,
                                      const void* packed_weights, const int32_t* bias,
                                      int8_t* output, const OutputTile& tile);

// Depthwise convolution (groups == in_c == out_c; any kernel size, stride,
// dilation, padding) on weights packed by PackNeonDepthwise
// (pack/depthwise_conv2d_16c_neon.h): blocks of 16 channels, (x - zx) and the
// weights as int16, smlal into int32. Also the depthwise kernel of the neondot
// path (dot products do not fit one tap per channel). `bias` is not read.
void qs8_depthwise_conv2d_16c__neon(const Conv2DParams& p, const int8_t* input,
                                    const void* packed_weights, const int32_t* bias, int8_t* output,
                                    const OutputTile& tile);

}  // namespace qrt::kernels
