#include "pack/gemm_8c_avx2.h"

#include <cstring>

#include "ref/weights.h"

namespace qrt::kernels {
namespace {

// The position of channel j of a block in the kernel's int64 arrays: the even
// channels first, then the odd ones.
int Int64Lane(int j) { return j % 2 == 0 ? j / 2 : kGemm8cNr / 2 + j / 2; }

}  // namespace

Gemm8cGeometry GeometryConv2D8cAvx2(const Conv2DParams& p) {
  Gemm8cGeometry g{};
  g.k = p.kernel_h * p.kernel_w * (p.in_c / p.groups);
  g.k_padded = (g.k + kGemm8cKr - 1) / kGemm8cKr * kGemm8cKr;
  g.group_channels = p.out_c / p.groups;
  g.group_blocks = (g.group_channels + kGemm8cNr - 1) / kGemm8cNr;
  const size_t bytes_per_k = p.weight_type == WeightType::kInt4 ? 4 : 8;
  g.weight_bytes = static_cast<size_t>(g.k_padded) * bytes_per_k;
  g.block_bytes = kGemm8cBiasBytes + g.weight_bytes + kGemm8cRequantBytes;
  return g;
}

size_t PackedSizeConv2D8cAvx2(const Conv2DParams& p) {
  const Gemm8cGeometry g = GeometryConv2D8cAvx2(p);
  return static_cast<size_t>(p.groups) * static_cast<size_t>(g.group_blocks) * g.block_bytes;
}

size_t PackedSizeFullyConnected8cAvx2(const FullyConnectedParams& p) {
  return PackedSizeConv2D8cAvx2(Conv2DOfFullyConnected(p));
}

void PackConv2D8cAvx2(const Conv2DParams& p, const void* weights, const int32_t* bias,
                      void* packed) {
  const Gemm8cGeometry g = GeometryConv2D8cAvx2(p);
  const bool int4 = p.weight_type == WeightType::kInt4;
  const int64_t offset = int4 ? 128 : 0;
  auto* block = static_cast<uint8_t*>(packed);
  for (int group = 0; group < p.groups; ++group) {
    for (int b = 0; b < g.group_blocks; ++b, block += g.block_bytes) {
      int32_t folded_bias[kGemm8cNr];
      uint64_t requant[4][kGemm8cNr];  // multiplier, rounding, shift, correction
      uint8_t* bytes = block + kGemm8cBiasBytes;
      for (int j = 0; j < kGemm8cNr; ++j) {
        const int local = b * kGemm8cNr + j;
        const bool real = local < g.group_channels;
        const int c = group * g.group_channels + local;
        // The weight at k, 0 for padded channels and past K.
        auto w = [&](int64_t k) -> int32_t {
          if (!real || k >= g.k) return 0;
          return ref::WeightAt(weights, p.weight_type, g.k, c, k);
        };
        int64_t sum_w = 0;
        if (int4) {
          for (int q = 0; q < g.k_padded / 8; ++q) {
            for (int i = 0; i < 4; ++i) {
              const int32_t lo = w(int64_t{8} * q + i);
              const int32_t hi = w(int64_t{8} * q + 4 + i);
              sum_w += lo + hi;
              bytes[32 * q + 4 * j + i] =
                  static_cast<uint8_t>(((lo ^ 8) & 0x0F) | ((hi ^ 8) & 0x0F) << 4);
            }
          }
        } else {
          for (int q = 0; q < g.k_padded / 2; ++q) {
            for (int i = 0; i < 2; ++i) {
              const int32_t v = w(int64_t{2} * q + i);
              sum_w += v;
              bytes[16 * q + 2 * j + i] = static_cast<uint8_t>(v);
            }
          }
        }
        // |sum_w| <= K * 128 < 2^38 and zx + offset is in [-128, 255], so the
        // product and the difference fit int64; the narrowing is the reference's
        // modulo 2^32.
        folded_bias[j] =
            real ? static_cast<int32_t>(bias[c] - (p.input_zero_point + offset) * sum_w) : 0;
        const int32_t multiplier = real ? p.requant.multiplier[c] : 0;
        const int shift = real ? p.requant.shift[c] : 1;
        const int lane = Int64Lane(j);
        requant[0][lane] = static_cast<uint64_t>(static_cast<int64_t>(multiplier));
        requant[1][lane] = (uint64_t{1} << 63) + (uint64_t{1} << (shift - 1));
        requant[2][lane] = static_cast<uint64_t>(shift);
        requant[3][lane] =
            (uint64_t{1} << (63 - shift)) - static_cast<uint64_t>(int64_t{p.output_zero_point});
      }
      std::memcpy(block, folded_bias, sizeof(folded_bias));
      std::memcpy(bytes + g.weight_bytes, requant, sizeof(requant));
    }
  }
}

void PackFullyConnected8cAvx2(const FullyConnectedParams& p, const void* weights,
                              const int32_t* bias, void* packed) {
  PackConv2D8cAvx2(Conv2DOfFullyConnected(p), weights, bias, packed);
}

}  // namespace qrt::kernels
