#include "pack/fully_connected_16c4_vnni.h"

#include <cstring>

#include "ref/weights.h"

namespace qrt::kernels {
namespace {

// The padded weight of channel n at k: the canonical weight inside [N, K], else 0.
int32_t PaddedWeight(const FullyConnectedParams& p, const void* weights, int n, int64_t k) {
  if (n >= p.out_features || k >= p.in_features) return 0;
  return ref::WeightAt(weights, p.weight_type, p.in_features, n, k);
}

}  // namespace

Fc16c4Geometry GeometryFullyConnected16c4Vnni(const FullyConnectedParams& p) {
  const int k_per_group = p.weight_type == WeightType::kInt4 ? 8 : 4;
  Fc16c4Geometry g{};
  g.blocks = (p.out_features + kFc16c4Nr - 1) / kFc16c4Nr;
  g.groups = (p.in_features + k_per_group - 1) / k_per_group;
  g.block_bytes = 3 * kFc16c4ChannelArrayBytes + static_cast<size_t>(g.groups) * kFc16c4GroupBytes;
  return g;
}

size_t PackedSizeFullyConnected16c4Vnni(const FullyConnectedParams& p) {
  const Fc16c4Geometry g = GeometryFullyConnected16c4Vnni(p);
  return static_cast<size_t>(g.blocks) * g.block_bytes;
}

void PackFullyConnected16c4Vnni(const FullyConnectedParams& p, const void* weights,
                                const int32_t* bias, void* packed) {
  const Fc16c4Geometry g = GeometryFullyConnected16c4Vnni(p);
  const bool int4 = p.weight_type == WeightType::kInt4;
  auto* block = static_cast<uint8_t*>(packed);
  for (int b = 0; b < g.blocks; ++b, block += g.block_bytes) {
    int32_t folded_bias[kFc16c4Nr];
    int32_t multiplier[kFc16c4Nr];
    int32_t shift[kFc16c4Nr];
    uint8_t* group = block + kFc16c4ChannelArrayBytes;
    for (int c = 0; c < kFc16c4Nr; ++c) {
      const int n = b * kFc16c4Nr + c;
      int64_t sum_w = 0;
      for (int gi = 0; gi < g.groups; ++gi) {
        uint8_t* bytes = group + gi * kFc16c4GroupBytes + 4 * c;
        for (int j = 0; j < 4; ++j) {
          if (int4) {
            const int32_t lo = PaddedWeight(p, weights, n, int64_t{8} * gi + j);
            const int32_t hi = PaddedWeight(p, weights, n, int64_t{8} * gi + 4 + j);
            sum_w += lo + hi;
            bytes[j] = static_cast<uint8_t>(((lo ^ 8) & 0x0F) | ((hi ^ 8) & 0x0F) << 4);
          } else {
            const int32_t w = PaddedWeight(p, weights, n, int64_t{4} * gi + j);
            sum_w += w;
            bytes[j] = static_cast<uint8_t>(w);
          }
        }
      }
      const bool real = n < p.out_features;
      // |sum_w| <= K * 127 < 2^38 and zx + 128 is in [0, 255], so the product and
      // the difference fit int64; the narrowing is the reference's modulo 2^32.
      folded_bias[c] =
          real ? static_cast<int32_t>(bias[n] - (p.input_zero_point + int64_t{128}) * sum_w) : 0;
      multiplier[c] = real ? p.requant.multiplier[n] : 0;
      shift[c] = real ? p.requant.shift[n] : 1;
    }
    std::memcpy(block, folded_bias, sizeof(folded_bias));
    uint8_t* tail = group + static_cast<size_t>(g.groups) * kFc16c4GroupBytes;
    std::memcpy(tail, multiplier, sizeof(multiplier));
    std::memcpy(tail + kFc16c4ChannelArrayBytes, shift, sizeof(shift));
  }
}

}  // namespace qrt::kernels
