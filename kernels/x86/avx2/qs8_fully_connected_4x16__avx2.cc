// Fully connected on AVX2: the 1x1 convolution of `rows` pixels that it is
// (Conv2DOfFullyConnected), run by the AVX2 convolution kernel on weights packed
// by PackFullyConnected8cAvx2. One GEMM mechanism serves both operators.
#include <cstdint>

#include "pack/gemm_8c_avx2.h"
#include "qrt/kernels/params.h"
#include "x86/avx2/avx2.h"

namespace qrt::kernels {

void qs8_fully_connected_4x16__avx2(const FullyConnectedParams& p, const int8_t* input,
                                    const void* packed_weights, const int32_t* bias, int8_t* output,
                                    const OutputTile& tile) {
  qs8_conv2d_4x16__avx2(Conv2DOfFullyConnected(p), input, packed_weights, bias, output, tile);
}

}  // namespace qrt::kernels
