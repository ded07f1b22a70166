// Fully connected on AVX-512 VNNI, bit-identical to ref::FullyConnected: the
// convolution kernel on the 1x1 convolution over [rows, 1, 1, in_features], whose
// output pixels are the rows and whose OutputTile is the same [M, N] view.
#include "pack/gemm_16c4_vnni.h"
#include "qrt/kernels/params.h"
#include "x86/avx512vnni/avx512vnni.h"

namespace qrt::kernels {

void qs8_fully_connected_4x16c4__avx512vnni(const FullyConnectedParams& p, const int8_t* input,
                                            const void* packed_weights, const int32_t* bias,
                                            int8_t* output, const OutputTile& tile) {
  qs8_conv2d_6x16c4__avx512vnni(Conv2DOfFullyConnected(p), input, packed_weights, bias, output,
                                tile);
}

}  // namespace qrt::kernels
