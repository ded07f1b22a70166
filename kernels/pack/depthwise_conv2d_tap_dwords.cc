#include "pack/depthwise_conv2d_tap_dwords.h"

#include <cstdint>
#include <cstring>
#include <vector>

#include "qrt/kernels/requant.h"
#include "ref/weights.h"

namespace qrt::kernels {
namespace {

// How one ISA's layout differs: taps per dword, their width, the input offset o
// of the folded bias and the largest block.
struct DwLayout {
  int taps;
  int tap_bytes;
  int32_t input_offset;
  int max_block;
};

constexpr DwLayout kVnniLayout{kDwVnniTaps, 1, 128, kDwVnniMaxBlock};
constexpr DwLayout kAvx2Layout{kDwAvx2Taps, 2, 0, kDwAvx2MaxBlock};

int BlockWidth(int channels, int max_block) {
  int width = 32;
  while (width < channels && width < max_block) width *= 2;
  return width;
}

size_t BlockBytes(const Conv2DParams& p, int row_groups, int width) {
  const size_t dwords = static_cast<size_t>(width) * sizeof(int32_t);
  return kDwHeaderBytes +
         dwords * (kDwChannelArrays + static_cast<size_t>(row_groups) * p.kernel_w);
}

DwGeometry Geometry(const Conv2DParams& p, const DwLayout& layout) {
  DwGeometry g{};
  g.taps = layout.taps;
  g.row_groups = (p.kernel_h + layout.taps - 1) / layout.taps;
  g.max_block = layout.max_block;
  g.full_blocks = p.out_c / layout.max_block;
  const int left = p.out_c % layout.max_block;
  g.tail_width = left == 0 ? 0 : BlockWidth(left, layout.max_block);
  g.block_bytes = BlockBytes(p, g.row_groups, layout.max_block);
  g.tail_bytes = left == 0 ? 0 : BlockBytes(p, g.row_groups, g.tail_width);
  return g;
}

size_t PackedSize(const Conv2DParams& p, const DwLayout& layout) {
  const DwGeometry g = Geometry(p, layout);
  return static_cast<size_t>(g.full_blocks) * g.block_bytes + g.tail_bytes;
}

// The dword of channel c of a block of `width` channels (the header's lane order).
size_t LanePosition(int c, int width) {
  return static_cast<size_t>((c % 16) / 4 * (width / 4) + c / 16 * 4 + c % 4);
}

bool IsInt8(int32_t v) { return v >= -128 && v <= 127; }

// The fast-mode addend of a channel, or false when the channel needs the exact mode.
bool FastAddend(Dyadic d, int32_t zy, int32_t* addend, int32_t* shift) {
  if (d.multiplier == 0) d.shift = 33;
  if (d.shift < 33) return false;
  const int64_t sum = (int64_t{1} << (d.shift - 33)) + (int64_t{zy} << (d.shift - 32));
  if (sum < -(int64_t{1} << 30) || sum >= (int64_t{1} << 30)) return false;
  *addend = static_cast<int32_t>(sum);
  *shift = d.shift - 32;
  return true;
}

// The fast mode of a channel whose every possible accumulator requantizes to the
// same value k (a channel whose weights are all but zero, common where training
// left a channel dead): the zero multiplier with zero point zy + k, which gives
// zy + k for any accumulator. Such a channel's real multiplier is tiny (shift up
// to 62), so zy * 2^(s - 32) would not fit the fast mode's addend and the
// channel would send its whole block to the exact mode. acc_lo and acc_hi bound
// the reference's int64 accumulator; the kernel requantizes it narrowed modulo
// 2^32, so the range must lie inside int32. Rescale is non-decreasing in the
// accumulator, so its two ends decide.
bool ConstantFastAddend(Dyadic d, int32_t zy, int64_t acc_lo, int64_t acc_hi, int32_t* addend,
                        int32_t* shift) {
  if (acc_lo < INT32_MIN || acc_hi > INT32_MAX) return false;
  const int64_t k = Rescale(static_cast<int32_t>(acc_lo), d);
  if (Rescale(static_cast<int32_t>(acc_hi), d) != k || k < -256 || k > 255) return false;
  return FastAddend({0, 1}, static_cast<int32_t>(zy + k), addend, shift);
}

void Pack(const Conv2DParams& p, const void* weights, const int32_t* bias, void* packed,
          const DwLayout& layout) {
  const DwGeometry g = Geometry(p, layout);
  const int64_t taps_per_channel = int64_t{p.kernel_h} * p.kernel_w;
  const bool int8_clamp = IsInt8(p.clamp.lo) && IsInt8(p.clamp.hi);
  auto* block = static_cast<uint8_t*>(packed);
  const int blocks = g.full_blocks + (g.tail_width != 0 ? 1 : 0);
  for (int b = 0; b < blocks; ++b) {
    const int width = b < g.full_blocks ? g.max_block : g.tail_width;
    const int c0 = b * g.max_block;
    const size_t bytes = BlockBytes(p, g.row_groups, width);
    std::memset(block, 0, bytes);
    std::vector<int32_t> arrays(static_cast<size_t>(kDwChannelArrays) * width, 0);
    int32_t* folded_bias = arrays.data();
    int32_t* multiplier = folded_bias + width;
    int32_t* mult_odd = multiplier + width;
    int32_t* addend = mult_odd + width;
    int32_t* shift = addend + width;
    bool fast = int8_clamp;
    uint8_t* slices = block + kDwHeaderBytes + sizeof(int32_t) * kDwChannelArrays * width;
    for (int c = 0; c < width; ++c) {
      const size_t lane = LanePosition(c, width);
      const int n = c0 + c;
      if (n >= p.out_c) {  // inert: 0 in, zy out (never stored)
        shift[lane] = 1;
        continue;
      }
      int64_t sum_w = 0;
      // The range of the reference's accumulator: each tap adds (x - zx) w with
      // x - zx in [-128 - zx, 127 - zx] (0, inside it, for a tap in the padding).
      int64_t acc_lo = bias[n];
      int64_t acc_hi = bias[n];
      for (int ky = 0; ky < p.kernel_h; ++ky) {
        for (int kx = 0; kx < p.kernel_w; ++kx) {
          const int32_t w = ref::WeightAt(weights, p.weight_type, taps_per_channel, n,
                                          int64_t{ky} * p.kernel_w + kx);
          sum_w += w;
          const int64_t low = (-128 - int64_t{p.input_zero_point}) * w;
          const int64_t high = (127 - int64_t{p.input_zero_point}) * w;
          acc_lo += low < high ? low : high;
          acc_hi += low < high ? high : low;
          const size_t slice = static_cast<size_t>(ky / g.taps) * p.kernel_w + kx;
          uint8_t* dword = slices + (slice * width + lane) * sizeof(int32_t);
          const size_t at = static_cast<size_t>(ky % g.taps) * layout.tap_bytes;
          if (layout.tap_bytes == 1) {
            dword[at] = static_cast<uint8_t>(w);
          } else {
            const auto w16 = static_cast<int16_t>(w);
            std::memcpy(dword + at, &w16, sizeof(w16));
          }
        }
      }
      // |sum_w| <= kernel_h * kernel_w * 128 < 2^40 and zx + o is in [-128, 255], so
      // the product and the difference fit int64; the narrowing is modulo 2^32.
      folded_bias[lane] = static_cast<int32_t>(
          bias[n] - (p.input_zero_point + int64_t{layout.input_offset}) * sum_w);
      const Dyadic d = p.requant.At(n);
      const bool constant =
          ConstantFastAddend(d, p.output_zero_point, acc_lo, acc_hi, &addend[lane], &shift[lane]);
      multiplier[lane] = constant ? 0 : d.multiplier;
      fast = fast && (constant || FastAddend(d, p.output_zero_point, &addend[lane], &shift[lane]));
    }
    if (fast) {
      for (int c = 0; c < width; ++c) {
        const size_t lane = LanePosition(c, width);
        if (c0 + c >= p.out_c) FastAddend({0, 1}, p.output_zero_point, &addend[lane], &shift[lane]);
      }
    } else {
      // Exact mode: every channel keeps its own multiplier and shift.
      for (int c = 0; c < width; ++c) {
        const size_t lane = LanePosition(c, width);
        const int n = c0 + c;
        const Dyadic d = n < p.out_c ? p.requant.At(n) : Dyadic{0, 1};
        multiplier[lane] = d.multiplier;
        addend[lane] = 0;
        shift[lane] = d.shift;
      }
    }
    for (int q = 0; q + 1 < width; q += 2) mult_odd[q] = multiplier[q + 1];
    const int32_t mode = fast ? kDwRequantFast : kDwRequantExact;
    std::memcpy(block, &mode, sizeof(mode));
    std::memcpy(block + kDwHeaderBytes, arrays.data(), arrays.size() * sizeof(int32_t));
    block += bytes;
  }
}

}  // namespace

DwGeometry GeometryDepthwiseConv2dVnni(const Conv2DParams& p) { return Geometry(p, kVnniLayout); }
DwGeometry GeometryDepthwiseConv2dAvx2(const Conv2DParams& p) { return Geometry(p, kAvx2Layout); }

size_t PackedSizeDepthwiseConv2dVnni(const Conv2DParams& p) { return PackedSize(p, kVnniLayout); }
size_t PackedSizeDepthwiseConv2dAvx2(const Conv2DParams& p) { return PackedSize(p, kAvx2Layout); }

void PackDepthwiseConv2dVnni(const Conv2DParams& p, const void* weights, const int32_t* bias,
                             void* packed) {
  Pack(p, weights, bias, packed, kVnniLayout);
}
void PackDepthwiseConv2dAvx2(const Conv2DParams& p, const void* weights, const int32_t* bias,
                             void* packed) {
  Pack(p, weights, bias, packed, kAvx2Layout);
}

}  // namespace qrt::kernels
