// Depthwise convolution on baseline NEON, bit-identical to ref::Conv2D for
// groups == in_c == out_c, on the layout of pack/depthwise_conv2d_16c_neon.h.
//
// Per output pixel and block of 16 channels, taps are taken two at a time: smull
// multiplies the 16 input bytes of the first tap by its 16 weights (low and high
// halves), smlal adds the second tap's products into the same int16 lanes, and
// saddw widens the sums into four int32x4 accumulators. A tap outside the input
// reads a vector of zx (the folded bias takes its contribution away). The taps'
// input pixels are found once per output pixel (kTapChunk at a time) and serve
// every channel block.
//
// Exactness: an int16 lane adds two products of |x| <= 128 and |w| <= 127 (the
// validator's int8 weight range; int4 |w| <= 8): at most 32512 in magnitude. The
// int32 accumulators wrap like the reference's narrowed sum; the requantization is
// arm/neon/qs8_requant_neon.h's exact int64 one.
//
// Memory: a partial last block copies its channels through a stack vector (the rest
// zx), so nothing past a pixel's channels is read, and stores only its channels.
#include <arm_neon.h>

#include <cstdint>
#include <cstring>

#include "arm/neon/neon.h"
#include "arm/neon/qs8_requant_neon.h"
#include "pack/depthwise_conv2d_16c_neon.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {
namespace {

constexpr int kTapChunk = 32;  // tap pointers computed at a time (kernels up to 5x6 at once)

// 16 channels of one tap: in place, the zx vector outside the input, or (a partial
// block) the channels copied after zx.
template <bool kFull>
int8x16_t LoadTap(const int8_t* pixel, int c0, int channels, int8x16_t zero_point) {
  if (pixel == nullptr) return zero_point;
  if constexpr (kFull) {
    static_cast<void>(channels);
    return vld1q_s8(pixel + c0);
  } else {
    int8_t staged[kNeonDwNr];
    vst1q_s8(staged, zero_point);
    std::memcpy(staged, pixel + c0, static_cast<size_t>(channels));
    return vld1q_s8(staged);
  }
}

// acc += the taps [0, count) (count even) of one 16-channel block: pixels[t] is
// tap t's pixel (channel 0) or nullptr outside the input, weights tap t's 16 bytes
// at 16 t.
template <bool kFull>
void AccumulateTaps(int32x4_t (&acc)[4], const int8_t* const* pixels, const int8_t* weights,
                    int count, int c0, int channels, int8x16_t zero_point) {
  for (int t = 0; t < count; t += 2) {
    const int8x16_t xa = LoadTap<kFull>(pixels[t], c0, channels, zero_point);
    const int8x16_t xb = LoadTap<kFull>(pixels[t + 1], c0, channels, zero_point);
    const int8x16_t wa = vld1q_s8(weights + kNeonDwNr * t);
    const int8x16_t wb = vld1q_s8(weights + kNeonDwNr * (t + 1));
    const int16x8_t low =
        vmlal_s8(vmull_s8(vget_low_s8(xa), vget_low_s8(wa)), vget_low_s8(xb), vget_low_s8(wb));
    const int16x8_t high = vmlal_high_s8(vmull_high_s8(xa, wa), xb, wb);
    acc[0] = vaddw_s16(acc[0], vget_low_s16(low));
    acc[1] = vaddw_high_s16(acc[1], low);
    acc[2] = vaddw_s16(acc[2], vget_low_s16(high));
    acc[3] = vaddw_high_s16(acc[3], high);
  }
}

}  // namespace

void qs8_depthwise_conv2d_16c__neon(const Conv2DParams& p, const int8_t* input,
                                    const void* packed_weights, const int32_t* bias, int8_t* output,
                                    const OutputTile& tile) {
  static_cast<void>(bias);  // folded into the packed blocks
  if (tile.m_begin >= tile.m_end || tile.n_begin >= tile.n_end) return;
  const NeonDwGeometry g = GeometryNeonDepthwise(p);
  const auto* packed = static_cast<const uint8_t*>(packed_weights);
  const int taps = p.kernel_h * p.kernel_w;
  const int8x16_t zero_point = vdupq_n_s8(static_cast<int8_t>(p.input_zero_point));
  const NeonOutputQuant quant = MakeNeonOutputQuant(p.output_zero_point, p.clamp.lo, p.clamp.hi);
  // tile.n_begin is a multiple of kNeonDwNr (the kernel's channel_block).
  const int block_begin = tile.n_begin / kNeonDwNr;
  const int block_end = (tile.n_end + kNeonDwNr - 1) / kNeonDwNr;
  const int8_t* pixels[kTapChunk];
  for (int m = tile.m_begin; m < tile.m_end; ++m) {
    const int x = m % p.out_w;
    const int y = m / p.out_w % p.out_h;
    const int n = m / p.out_w / p.out_h;
    // pixels[t - t0] for taps [t0, t1): channel 0 of the tap's input pixel, nullptr
    // outside the input and past the last tap (which meets zero weights).
    auto gather = [&](int t0, int t1) {
      for (int t = t0; t < t1; ++t) {
        const int iy = y * p.stride_h - p.pad_top + t / p.kernel_w * p.dilation_h;
        const int ix = x * p.stride_w - p.pad_left + t % p.kernel_w * p.dilation_w;
        const bool inside = t < taps && iy >= 0 && iy < p.in_h && ix >= 0 && ix < p.in_w;
        pixels[t - t0] =
            inside ? input + ((int64_t{n} * p.in_h + iy) * p.in_w + ix) * p.in_c : nullptr;
      }
    };
    const bool one_chunk = g.taps_padded <= kTapChunk;
    if (one_chunk) gather(0, g.taps_padded);
    for (int b = block_begin; b < block_end; ++b) {
      const int c0 = b * kNeonDwNr;
      const int channels = tile.n_end - c0 < kNeonDwNr ? tile.n_end - c0 : kNeonDwNr;
      const uint8_t* block = packed + static_cast<size_t>(b) * g.block_bytes;
      const auto* weights = reinterpret_cast<const int8_t*>(block + kNeonDwNr * sizeof(int32_t));
      const auto* folded_bias = reinterpret_cast<const int32_t*>(block);
      int32x4_t acc[4];
      for (int i = 0; i < 4; ++i) acc[i] = vld1q_s32(folded_bias + 4 * i);
      for (int t0 = 0; t0 < g.taps_padded; t0 += kTapChunk) {
        const int t1 = g.taps_padded - t0 < kTapChunk ? g.taps_padded : t0 + kTapChunk;
        if (!one_chunk) gather(t0, t1);
        const int8_t* chunk_weights = weights + kNeonDwNr * t0;
        if (channels == kNeonDwNr) {
          AccumulateTaps<true>(acc, pixels, chunk_weights, t1 - t0, c0, channels, zero_point);
        } else {
          AccumulateTaps<false>(acc, pixels, chunk_weights, t1 - t0, c0, channels, zero_point);
        }
      }
      const int8x16_t out =
          Requantize16(acc, block + kNeonDwNr * sizeof(int32_t) + g.weight_bytes, quant);
      int8_t* dst = output + int64_t{m} * p.out_c + c0;
      if (channels == kNeonDwNr) {
        vst1q_s8(dst, out);
      } else {
        int8_t staged[kNeonDwNr];
        vst1q_s8(staged, out);
        std::memcpy(dst, staged, static_cast<size_t>(channels));
      }
    }
  }
}

}  // namespace qrt::kernels
