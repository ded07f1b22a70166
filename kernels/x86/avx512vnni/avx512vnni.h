// The kernels of the AVX-512 VNNI path (F/BW/VL/VNNI). Only built, and only
// named by dispatch.cc, when QRT_HAVE_AVX512VNNI is set; only called when the
// CPU supports the path.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels {

// Fully connected on weights packed by PackFullyConnected16c4Vnni
// (pack/fully_connected_16c4_vnni.h), int8 or int4 as p.weight_type says: tiles
// of up to 4 rows x 4 blocks of 16 channels, K in groups of 4 (c4) for vpdpbusd.
// `bias` is not read: the packed blocks hold the folded bias.
void qs8_fully_connected_4x16c4__avx512vnni(const FullyConnectedParams& p, const int8_t* input,
                                            const void* packed_weights, const int32_t* bias,
                                            int8_t* output, const OutputTile& tile);

}  // namespace qrt::kernels
