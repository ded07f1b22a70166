#include "pack/gemm_16c4_neon.h"

#include <cstring>

#include "ref/weights.h"

namespace qrt::kernels {

NeonGemmGeometry GeometryNeonGemm(const Conv2DParams& p) {
  NeonGemmGeometry g{};
  g.k = p.kernel_h * p.kernel_w * (p.in_c / p.groups);
  g.k_padded = (g.k + kNeonGemmKc - 1) / kNeonGemmKc * kNeonGemmKc;
  g.group_channels = p.out_c / p.groups;
  g.group_blocks = (g.group_channels + kNeonGemmNr - 1) / kNeonGemmNr;
  const size_t bytes_per_k = p.weight_type == WeightType::kInt4 ? 8 : 16;
  g.weight_bytes = static_cast<size_t>(g.k_padded) * bytes_per_k;
  g.block_bytes = kNeonGemmBiasBytes + g.weight_bytes + kNeonGemmRequantBytes;
  return g;
}

size_t PackedSizeNeonGemm(const Conv2DParams& p) {
  const NeonGemmGeometry g = GeometryNeonGemm(p);
  return static_cast<size_t>(p.groups) * static_cast<size_t>(g.group_blocks) * g.block_bytes;
}

size_t PackedSizeNeonGemm(const FullyConnectedParams& p) {
  return PackedSizeNeonGemm(Conv2DOfFullyConnected(p));
}

void PackNeonGemm(const Conv2DParams& p, const void* weights, const int32_t* bias, void* packed) {
  const NeonGemmGeometry g = GeometryNeonGemm(p);
  const bool int4 = p.weight_type == WeightType::kInt4;
  auto* block = static_cast<uint8_t*>(packed);
  for (int group = 0; group < p.groups; ++group) {
    for (int b = 0; b < g.group_blocks; ++b, block += g.block_bytes) {
      int32_t folded_bias[kNeonGemmNr];
      int32_t multiplier[kNeonGemmNr];
      int64_t rounding[kNeonGemmNr];
      int64_t right_shift[kNeonGemmNr];
      uint8_t* bytes = block + kNeonGemmBiasBytes;
      for (int j = 0; j < kNeonGemmNr; ++j) {
        const int local = b * kNeonGemmNr + j;
        const bool real = local < g.group_channels;
        const int c = group * g.group_channels + local;
        // The weight at k, 0 for padded channels and past K.
        auto w = [&](int64_t k) -> int32_t {
          if (!real || k >= g.k) return 0;
          return ref::WeightAt(weights, p.weight_type, g.k, c, k);
        };
        int64_t sum_w = 0;
        const int k_per_group = int4 ? 8 : 4;
        for (int q = 0; q < g.k_padded / k_per_group; ++q) {
          for (int t = 0; t < 4; ++t) {
            uint8_t& byte = bytes[kNeonGemmGroupBytes * q + 4 * j + t];
            if (int4) {
              const int32_t lo = w(int64_t{8} * q + t);
              const int32_t hi = w(int64_t{8} * q + 4 + t);
              sum_w += lo + hi;
              byte = static_cast<uint8_t>((lo & 0x0F) | (hi & 0x0F) << 4);
            } else {
              const int32_t v = w(int64_t{4} * q + t);
              sum_w += v;
              byte = static_cast<uint8_t>(v);
            }
          }
        }
        // |sum_w| <= K * 128 < 2^38 and |zx| <= 128, so the product and the
        // difference fit int64; the narrowing is the reference's modulo 2^32.
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
      std::memcpy(requant + sizeof(multiplier) + sizeof(rounding), right_shift,
                  sizeof(right_shift));
    }
  }
}

void PackNeonGemm(const FullyConnectedParams& p, const void* weights, const int32_t* bias,
                  void* packed) {
  PackNeonGemm(Conv2DOfFullyConnected(p), weights, bias, packed);
}

}  // namespace qrt::kernels
