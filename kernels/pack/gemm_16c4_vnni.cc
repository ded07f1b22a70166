#include "pack/gemm_16c4_vnni.h"

#include <cstring>
#include <limits>

#include "pack/gemm_8c_avx2.h"
#include "qrt/kernels/requant.h"
#include "ref/weights.h"

namespace qrt::kernels {
namespace {

constexpr size_t kRowAlignment = 64;

// The channel that accumulator lane j of a block holds (see the header).
int LaneChannel(int j) { return j % 2 == 0 ? j / 2 : kGemm16c4Nr / 2 + j / 2; }

// The weights of one convolution group as the kernel walks them.
struct GroupWeights {
  const Conv2DParams& p;
  const void* weights;
  int first_channel;  // of the group
  int out_c;          // channels of the group
  int in_c;           // input channels of the group
  int64_t row_length;

  // w[first_channel + n, segment, i], or 0 outside the group's channels.
  int32_t At(int n, int segment, int i) const {
    if (n >= out_c || i >= in_c) return 0;
    return ref::WeightAt(weights, p.weight_type, row_length, first_channel + n,
                         int64_t{segment} * in_c + i);
  }
};

// The accumulator range [lo, hi] the kernel clamps to before it rescales (see the
// header): lo is the largest int32 whose output is below clamp.lo (INT32_MIN if
// none), hi the smallest whose output is above clamp.hi (INT32_MAX if none).
// Rescale is monotone in the accumulator, so binary searches find both.
struct AccumulatorRange {
  int32_t lo;
  int32_t hi;
};

AccumulatorRange ClampedAccumulatorRange(Dyadic d, int32_t zero_point, OutputClamp clamp) {
  const auto output = [&](int64_t acc) {
    return Rescale(static_cast<int32_t>(acc), d) + zero_point;
  };
  constexpr int64_t kMin = std::numeric_limits<int32_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int32_t>::max();
  // Largest acc in [kMin, kMax] with below(acc), for a predicate true up to a point.
  const auto last_true = [&](auto below) {
    if (!below(kMin)) return kMin;
    int64_t yes = kMin;
    int64_t no = kMax + 1;
    while (no - yes > 1) {
      const int64_t mid = yes + (no - yes) / 2;
      (below(mid) ? yes : no) = mid;
    }
    return yes;
  };
  const int64_t lo = last_true([&](int64_t a) { return output(a) < clamp.lo; });
  const int64_t hi = last_true([&](int64_t a) { return output(a) <= clamp.hi; }) + 1;
  return {static_cast<int32_t>(lo), static_cast<int32_t>(hi > kMax ? kMax : hi)};
}

// Fills one block: channels n0 .. n0 + 15 of group `w`.
void PackBlock(const Gemm16c4Geometry& geo, const GroupWeights& w, const int32_t* bias, int n0,
               uint8_t* block) {
  const bool int4 = w.p.weight_type == WeightType::kInt4;
  const int32_t low_bias = Gemm16c4VnniBiasesLowNibbles(w.p) ? 8 : 0;
  int32_t folded_bias[kGemm16c4Nr];
  int32_t accumulator_lo[kGemm16c4Nr];
  int32_t accumulator_hi[kGemm16c4Nr];
  int64_t multiplier[kGemm16c4Nr];
  int64_t rounding[kGemm16c4Nr];
  int64_t shift[kGemm16c4Nr];
  uint8_t* groups = block + kGemm16c4Int32ArrayBytes;
  auto* position_bias = block + geo.position_bias_offset;
  for (int j = 0; j < kGemm16c4Nr; ++j) {
    const int n = n0 + LaneChannel(j);
    int64_t sum_w = 0;
    for (int s = 0; s < geo.segments; ++s) {
      const int64_t segment_start = sum_w;
      for (int q = 0; q < geo.segment_groups; ++q) {
        uint8_t* bytes = groups +
                         (static_cast<size_t>(s) * geo.segment_groups + q) * kGemm16c4GroupBytes +
                         4 * j;
        for (int t = 0; t < 4; ++t) {
          if (int4) {
            const int32_t lo = w.At(n, s, 8 * q + t);
            const int32_t hi = w.At(n, s, 8 * q + 4 + t);
            sum_w += lo + hi;
            bytes[t] = static_cast<uint8_t>(((lo + low_bias) & 0x0F) | (hi & 0x0F) << 4);
          } else {
            const int32_t v = w.At(n, s, 4 * q + t);
            sum_w += v;
            bytes[t] = static_cast<uint8_t>(v);
          }
        }
      }
      // The segment's |sum w| < 2^38 (see the folded bias below); narrowed modulo 2^32.
      const auto segment_bias =
          static_cast<int32_t>((w.p.input_zero_point + int64_t{128}) * (sum_w - segment_start));
      std::memcpy(position_bias + (static_cast<size_t>(s) * kGemm16c4Nr + j) * sizeof(int32_t),
                  &segment_bias, sizeof(segment_bias));
    }
    const bool real = n < w.out_c;
    const int c = w.first_channel + n;
    // |sum_w| <= K * 127 < 2^38 and zx + 128 is in [0, 255], so the product and
    // the difference fit int64; the narrowing is the reference's modulo 2^32.
    folded_bias[j] =
        real ? static_cast<int32_t>(bias[c] - (w.p.input_zero_point + int64_t{128}) * sum_w) : 0;
    const int channel = LaneChannel(j);
    const Dyadic d = real ? w.p.requant.At(c) : Dyadic{0, 1};
    multiplier[channel] = d.multiplier;
    shift[channel] = d.shift;
    rounding[channel] = int64_t{1} << (d.shift - 1);
    const AccumulatorRange range = ClampedAccumulatorRange(d, w.p.output_zero_point, w.p.clamp);
    accumulator_lo[j] = range.lo;
    accumulator_hi[j] = range.hi;
  }
  std::memcpy(block, folded_bias, sizeof(folded_bias));
  uint8_t* tail = position_bias + static_cast<size_t>(geo.segments) * kGemm16c4Int32ArrayBytes;
  std::memcpy(tail, accumulator_lo, sizeof(accumulator_lo));
  std::memcpy(tail + sizeof(accumulator_lo), accumulator_hi, sizeof(accumulator_hi));
  tail += sizeof(accumulator_lo) + sizeof(accumulator_hi);
  std::memcpy(tail, multiplier, sizeof(multiplier));
  std::memcpy(tail + kGemm16c4Int64ArrayBytes, rounding, sizeof(rounding));
  std::memcpy(tail + 2 * kGemm16c4Int64ArrayBytes, shift, sizeof(shift));
}

}  // namespace

Gemm16c4Geometry GeometryGemm16c4Vnni(const Conv2DParams& p) {
  const int k_per_group = p.weight_type == WeightType::kInt4 ? 8 : 4;
  const int in_c = p.in_c / p.groups;
  Gemm16c4Geometry g{};
  g.group_blocks = (p.out_c / p.groups + kGemm16c4Nr - 1) / kGemm16c4Nr;
  g.segment_groups = (in_c + k_per_group - 1) / k_per_group;
  g.segments = p.kernel_h * p.kernel_w;
  g.position_bias_offset = kGemm16c4Int32ArrayBytes +
                           static_cast<size_t>(g.segments) * g.segment_groups * kGemm16c4GroupBytes;
  g.block_bytes = g.position_bias_offset +
                  static_cast<size_t>(g.segments) * kGemm16c4Int32ArrayBytes +
                  2 * kGemm16c4Int32ArrayBytes + 3 * kGemm16c4Int64ArrayBytes;
  g.zero_row_offset = static_cast<size_t>(p.groups) * g.group_blocks * g.block_bytes;
  return g;
}

bool Gemm16c4VnniRunsAvx2(const Conv2DParams& p) {
  return p.weight_type == WeightType::kInt4 &&
         int64_t{p.kernel_h} * p.kernel_w * (p.in_c / p.groups) > kGemm16c4MaxInt4K;
}

bool Gemm16c4VnniPointwise(const Conv2DParams& p) {
  return p.kernel_h == 1 && p.kernel_w == 1 && p.stride_h == 1 && p.stride_w == 1 &&
         p.pad_top == 0 && p.pad_left == 0 && p.out_h == p.in_h && p.out_w == p.in_w;
}

bool Gemm16c4VnniBiasesLowNibbles(const Conv2DParams& p) {
  return p.weight_type == WeightType::kInt4 && !Gemm16c4VnniRunsAvx2(p) &&
         Gemm16c4VnniPointwise(p) &&
         int64_t{p.batch} * p.out_h * p.out_w <= kGemm16c4MaxBiasedLowPixels;
}

size_t PackedSizeGemm16c4Vnni(const Conv2DParams& p) {
  if (Gemm16c4VnniRunsAvx2(p)) return PackedSizeConv2D8cAvx2(p);
  const size_t zero_row = static_cast<size_t>(p.in_c / p.groups);
  return GeometryGemm16c4Vnni(p).zero_row_offset +
         (zero_row + kRowAlignment - 1) / kRowAlignment * kRowAlignment;
}

size_t PackedSizeGemm16c4Vnni(const FullyConnectedParams& p) {
  return PackedSizeGemm16c4Vnni(Conv2DOfFullyConnected(p));
}

void PackGemm16c4Vnni(const Conv2DParams& p, const void* weights, const int32_t* bias,
                      void* packed) {
  if (Gemm16c4VnniRunsAvx2(p)) {
    PackConv2D8cAvx2(p, weights, bias, packed);
    return;
  }
  const Gemm16c4Geometry geo = GeometryGemm16c4Vnni(p);
  const int in_c = p.in_c / p.groups;
  const int out_c = p.out_c / p.groups;
  const int64_t row_length = int64_t{p.kernel_h} * p.kernel_w * in_c;
  auto* block = static_cast<uint8_t*>(packed);
  for (int g = 0; g < p.groups; ++g) {
    const GroupWeights w{p, weights, g * out_c, out_c, in_c, row_length};
    for (int b = 0; b < geo.group_blocks; ++b, block += geo.block_bytes) {
      PackBlock(geo, w, bias, b * kGemm16c4Nr, block);
    }
  }
  auto* zero_row = static_cast<uint8_t*>(packed) + geo.zero_row_offset;
  std::memset(zero_row, static_cast<uint8_t>(p.input_zero_point),
              PackedSizeGemm16c4Vnni(p) - geo.zero_row_offset);
}

void PackGemm16c4Vnni(const FullyConnectedParams& p, const void* weights, const int32_t* bias,
                      void* packed) {
  PackGemm16c4Vnni(Conv2DOfFullyConnected(p), weights, bias, packed);
}

}  // namespace qrt::kernels
