// The kernels of the NEON dot-product path (Armv8.2 dotprod: SDOT/UDOT). Only
// built, and only named by dispatch.cc, when QRT_HAVE_NEONDOT is set; only called
// when the CPU has dotprod (getauxval HWCAP_ASIMDDP). The families it does not
// implement come from the baseline NEON path (arm/neon/neon.h).
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

// Grouped convolution (any groups, stride, dilation, padding) as an implicit GEMM
// on weights packed by PackNeonGemm (pack/gemm_16c4_neon.h, the layout the
// baseline NEON kernel reads too), int8 or int4 as p.weight_type says: tiles of up
// to 4 output pixels x 16 channels, sdot by lane. `bias` is not read: the packed
// blocks hold the folded bias.
void qs8_conv2d_4x16c4__neondot(const Conv2DParams& p, const int8_t* input,
                                const void* packed_weights, const int32_t* bias, int8_t* output,
                                const OutputTile& tile);

// Fully connected as the 1x1 convolution it is, by qs8_conv2d_4x16c4__neondot.
void qs8_fully_connected_4x16c4__neondot(const FullyConnectedParams& p, const int8_t* input,
                                         const void* packed_weights, const int32_t* bias,
                                         int8_t* output, const OutputTile& tile);

}  // namespace qrt::kernels
