#include "pack/depthwise_conv2d_16c_neon.h"

#include <cstring>

#include "pack/gemm_16c4_neon.h"
#include "ref/weights.h"

namespace qrt::kernels {

NeonDwGeometry GeometryNeonDepthwise(const Conv2DParams& p) {
  NeonDwGeometry g{};
  const int taps = p.kernel_h * p.kernel_w;
  g.taps_padded = (taps + 1) / 2 * 2;
  g.blocks = (p.out_c + kNeonDwNr - 1) / kNeonDwNr;
  g.weight_bytes = (static_cast<size_t>(g.taps_padded) * kNeonDwNr + 63) / 64 * 64;
  g.block_bytes = kNeonDwNr * sizeof(int32_t) + g.weight_bytes + kNeonGemmRequantBytes;
  return g;
}

size_t PackedSizeNeonDepthwise(const Conv2DParams& p) {
  const NeonDwGeometry g = GeometryNeonDepthwise(p);
  return static_cast<size_t>(g.blocks) * g.block_bytes;
}

void PackNeonDepthwise(const Conv2DParams& p, const void* weights, const int32_t* bias,
                       void* packed) {
  const NeonDwGeometry g = GeometryNeonDepthwise(p);
  const int taps = p.kernel_h * p.kernel_w;
  auto* block = static_cast<uint8_t*>(packed);
  for (int b = 0; b < g.blocks; ++b, block += g.block_bytes) {
    int32_t folded_bias[kNeonDwNr];
    int32_t multiplier[kNeonDwNr];
    int64_t rounding[kNeonDwNr];
    int64_t right_shift[kNeonDwNr];
    uint8_t* bytes = block + sizeof(folded_bias);
    std::memset(bytes, 0, g.weight_bytes);
    for (int j = 0; j < kNeonDwNr; ++j) {
      const int c = b * kNeonDwNr + j;
      const bool real = c < p.out_c;
      int64_t sum_w = 0;
      for (int t = 0; real && t < taps; ++t) {
        const int32_t w = ref::WeightAt(weights, p.weight_type, taps, c, t);
        sum_w += w;
        bytes[kNeonDwNr * t + j] = static_cast<uint8_t>(w);
      }
      // |sum_w| <= taps * 128 and |zx| <= 128: exact in int64, narrowed modulo 2^32.
      folded_bias[j] = real ? static_cast<int32_t>(bias[c] - p.input_zero_point * sum_w) : 0;
      multiplier[j] = real ? p.requant.multiplier[c] : 0;
      const int shift = real ? p.requant.shift[c] : 1;
      rounding[j] = int64_t{1} << (shift - 1);
      right_shift[j] = -shift;
    }
    std::memcpy(block, folded_bias, sizeof(folded_bias));
    uint8_t* requant = bytes + g.weight_bytes;
    std::memcpy(requant, multiplier, sizeof(multiplier));
    std::memcpy(requant + sizeof(multiplier), rounding, sizeof(rounding));
    std::memcpy(requant + sizeof(multiplier) + sizeof(rounding), right_shift, sizeof(right_shift));
  }
}

}  // namespace qrt::kernels
