// The xsimd pooling kernels: MaxPool2D and AveragePool2D over NHWC, vectorised
// over channels, each one template on the xsimd architecture, bit-identical to
// kernels/ref/max_pool2d.cc and average_pool2d.cc (the formulas of Pool2DParams
// in params.h). Instantiated by the per-ISA translation units beside
// elementwise.h's kernels; everything here is in an anonymous namespace (see
// arch_ops.h on ODR).
//
// Channels come in vectors; when the channel count is not a multiple of the
// vector, the last vector is the one ending at the last channel (it overlaps the
// one before and writes the same values again). With fewer channels than a
// vector, max pooling goes through stack copies and average pooling sums several
// pixels per vector (NarrowWindowSum). An output clamp outside int8 (which the
// reference narrows modulo 256) or an empty one sends the call to the reference.
#pragma once

#include <cstdint>
#include <cstring>
#include <xsimd/xsimd.hpp>

#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "simd/arch_ops.h"
#include "simd/plan.h"
#include "simd/vector_requant.h"

namespace qrt::kernels::simd {
namespace {

// The offsets k in [0, kernel) whose coordinate start + k lies in [lo, hi)
// (kernels/ref/pool_window.h).
struct Window {
  int begin, end;
  int Size() const { return end > begin ? end - begin : 0; }
};
Window ClipWindow(int start, int kernel, int lo, int hi) {
  return Window{lo - start > 0 ? lo - start : 0, hi - start < kernel ? hi - start : kernel};
}

bool ClampInInt8(const OutputClamp& clamp) {
  return clamp.lo >= INT8_MIN && clamp.hi <= INT8_MAX && clamp.lo <= clamp.hi;
}

// Calls pixel(in, out, ky, kx, ...) for every output pixel: `in` the input pixel
// at the window's (0, 0) offset (as an element offset; it may lie in the
// padding, only offsets inside ky x kx are read), `out` the output pixel.
template <class Pixel>
void ForEachWindow(const Pool2DParams& p, const Pixel& pixel) {
  for (int n = 0; n < p.batch; ++n) {
    for (int y = 0; y < p.out_h; ++y) {
      const int y0 = y * p.stride_h - p.pad_top;
      const Window ky = ClipWindow(y0, p.kernel_h, 0, p.in_h);
      const Window padded_ky = ClipWindow(y0, p.kernel_h, -p.pad_top, p.in_h + p.pad_bottom);
      for (int x = 0; x < p.out_w; ++x) {
        const int x0 = x * p.stride_w - p.pad_left;
        const Window kx = ClipWindow(x0, p.kernel_w, 0, p.in_w);
        const Window padded_kx = ClipWindow(x0, p.kernel_w, -p.pad_left, p.in_w + p.pad_right);
        const int64_t in_at = ((int64_t{n} * p.in_h + y0) * p.in_w + x0) * p.channels;
        const int64_t out_at = ((int64_t{n} * p.out_h + y) * p.out_w + x) * p.channels;
        pixel(in_at, out_at, ky, kx, padded_ky.Size() * padded_kx.Size());
      }
    }
  }
}

// Calls block(c, partial) for the channel vectors of a pixel, `lanes` channels
// from c. With channels >= lanes, the last vector ends at the last channel;
// with fewer, one call with partial set, whose loads and store must go through
// stack copies of `channels` bytes.
template <class Block>
void ForEachChannelBlock(int channels, int lanes, const Block& block) {
  if (channels >= lanes) {
    for (int c = 0;; c += lanes) {
      if (c + lanes > channels) c = channels - lanes;
      block(c, false);
      if (c + lanes == channels) return;
    }
  }
  block(0, true);
}

template <class A>
void MaxPool2D(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  if (!ClampInInt8(p.clamp)) {
    ref::MaxPool2D(p, input, output);
    return;
  }
  constexpr int kLanes = static_cast<int>(I8<A>::size);
  const I8<A> lo(static_cast<int8_t>(p.clamp.lo));
  const I8<A> hi(static_cast<int8_t>(p.clamp.hi));
  const I8<A> lowest(static_cast<int8_t>(INT8_MIN));
  const auto empty = static_cast<int8_t>(ClampScalar(p.input_zero_point, p.clamp.lo, p.clamp.hi));
  const auto channels = static_cast<size_t>(p.channels);
  const int64_t row = int64_t{p.in_w} * p.channels;
  ForEachWindow(p, [&](int64_t in_at, int64_t out_at, Window ky, Window kx, int) {
    int8_t* out = output + out_at;
    if (ky.Size() == 0 || kx.Size() == 0) {
      std::memset(out, empty, channels);
      return;
    }
    ForEachChannelBlock(p.channels, kLanes, [&](int c, bool partial) {
      alignas(64) int8_t copy[kMaxStepBytes] = {};
      I8<A> max = lowest;
      for (int i = ky.begin; i < ky.end; ++i) {
        for (int j = kx.begin; j < kx.end; ++j) {
          const int8_t* x = input + in_at + i * row + int64_t{j} * p.channels + c;
          if (partial) x = static_cast<const int8_t*>(std::memcpy(copy, x, channels));
          max = xsimd::max(max, I8<A>::load_unaligned(x));
        }
      }
      max = xsimd::min(xsimd::max(max, lo), hi);
      if (partial) {
        max.store_unaligned(copy);
        std::memcpy(out, copy, channels);
      } else {
        max.store_unaligned(out + c);
      }
    });
  });
}

// Requantizations by window size, computed when a size first shows up: a
// window's size changes only along the borders, a few sizes per call.
template <class A>
class CountRequants {
 public:
  explicit CountRequants(const Pool2DParams& p) : p_(p) {}
  const VectorRequant<A>& For(int count) {
    Entry& e = entries_[count % kEntries];
    if (e.count != count) {
      RequantPlan plan;
      // Not ChannelRequant::At: an inline function of a shared header (ODR).
      const Dyadic d{p_.count_requant.multiplier[count - 1], p_.count_requant.shift[count - 1]};
      MakeRequantPlan(d, p_.output_zero_point, p_.clamp.lo, p_.clamp.hi,
                      &plan);  // in domain: checked by the caller
      e.requant = VectorRequant<A>(plan);
      e.count = count;
    }
    return e.requant;
  }

 private:
  static constexpr int kEntries = 16;
  struct Entry {
    int count = 0;
    VectorRequant<A> requant;
  };
  const Pool2DParams& p_;
  Entry entries_[kEntries];
};

// The window sums of a pixel with fewer channels than a vector: k = lanes /
// channels whole pixels share a vector, lane j summing channel j % channels
// (lanes from k * channels on masked off), and a window row's pixels are
// contiguous, so each load covers k of them; the last bytes of a row (fewer
// than a vector) go through a zero-filled copy. The k partial sums of a
// channel are added at the end; integer sums, so the order changes nothing.
template <class A>
class NarrowWindowSum {
 public:
  NarrowWindowSum(int channels, int64_t row) : channels_(channels), row_(row) {
    pixels_per_vector_ = kLanes / channels;
    alignas(64) int32_t keep[kLanes];
    for (int j = 0; j < kLanes; ++j) keep[j] = j < pixels_per_vector_ * channels ? -1 : 0;
    keep_ = I32<A>::load_aligned(keep);
  }
  // sums[c] for c < channels: the sum of input channel c over the window whose
  // (0, 0) offset is at `in`.
  void Sum(const int8_t* in, Window ky, Window kx, int32_t* sums) const {
    const int64_t step = int64_t{pixels_per_vector_} * channels_;
    const int64_t span = int64_t{kx.Size()} * channels_;
    I32<A> acc(0);
    for (int i = ky.begin; i < ky.end; ++i) {
      const int8_t* x = in + i * row_ + int64_t{kx.begin} * channels_;
      int64_t at = 0;
      for (; at + kLanes <= span; at += step) acc += Ops<A>::LoadI8(x + at) & keep_;
      if (at < span) {
        alignas(64) int8_t copy[kMaxStepBytes] = {};
        std::memcpy(copy, x + at, static_cast<size_t>(span - at));  // at most k pixels
        acc += Ops<A>::LoadI8(copy);
      }
    }
    alignas(64) int32_t lanes[kLanes];
    acc.store_aligned(lanes);
    for (int c = 0; c < channels_; ++c) {
      int32_t sum = 0;
      for (int t = 0; t < pixels_per_vector_; ++t) sum += lanes[t * channels_ + c];
      sums[c] = sum;
    }
  }

 private:
  static constexpr int kLanes = static_cast<int>(I32<A>::size);
  int channels_;
  int64_t row_;
  int pixels_per_vector_;
  I32<A> keep_;
};

// AveragePool2D reads a window of more bytes than this (most of an L1 data
// cache) a row at a time, with stack sums for up to kMaxRowOrderChannels channels.
constexpr int64_t kWindowCacheBytes = 32 * 1024;
constexpr int kMaxRowOrderChannels = 4096;

template <class A>
void AveragePool2D(const Pool2DParams& p, const int8_t* input, int8_t* output) {
  if (!ClampInInt8(p.clamp)) {
    ref::AveragePool2D(p, input, output);
    return;
  }
  if (p.channels == 0) return;  // an empty output
  constexpr int kLanes = static_cast<int>(I32<A>::size);
  const auto empty = static_cast<int8_t>(ClampScalar(p.output_zero_point, p.clamp.lo, p.clamp.hi));
  const auto channels = static_cast<size_t>(p.channels);
  const int64_t row = int64_t{p.in_w} * p.channels;
  CountRequants<A> requants(p);
  const NarrowWindowSum<A> narrow(p.channels < kLanes ? p.channels : 1, row);
  ForEachWindow(p, [&](int64_t in_at, int64_t out_at, Window ky, Window kx, int padded_count) {
    int8_t* out = output + out_at;
    const int valid = ky.Size() * kx.Size();
    const int count = p.count_include_pad ? padded_count : valid;
    if (count == 0) {
      std::memset(out, empty, channels);
      return;
    }
    const VectorRequant<A>& requant = requants.For(count);
    // sum(in - zx) == sum(in) - valid * zx, exactly in int32.
    const I32<A> start(-valid * p.input_zero_point);
    if (p.channels < kLanes) {
      alignas(64) int32_t sums[kLanes] = {};
      alignas(64) int8_t copy[kMaxStepBytes];
      narrow.Sum(input + in_at, ky, kx, sums);
      Ops<A>::StoreI8(copy, requant(I32<A>::load_aligned(sums) + start));
      std::memcpy(out, copy, channels);
      return;
    }
    const int64_t window_bytes = int64_t{valid} * p.channels;
    if (window_bytes > kWindowCacheBytes && p.channels <= kMaxRowOrderChannels) {
      // A large window (a global average pool) is read once, a window row at a
      // time, each channel vector summing the row into its own stack slot: the
      // window then streams from memory once rather than once per channel vector.
      alignas(64) int32_t sums[kMaxRowOrderChannels + kLanes];
      int slots = 0;
      ForEachChannelBlock(p.channels, kLanes,
                          [&](int, bool) { start.store_aligned(sums + kLanes * slots++); });
      for (int i = ky.begin; i < ky.end; ++i) {
        const int8_t* x = input + in_at + i * row;
        int slot = 0;
        ForEachChannelBlock(p.channels, kLanes, [&](int c, bool) {
          int32_t* sum = sums + kLanes * slot++;
          // kChains chains of additions, pixel j + k adding to chain k: with one
          // chain each add waits on the one before (the detector's 160x160x96
          // pool took 64 us with one chain, 42 us with four or eight).
          constexpr int kChains = 4;
          const I32<A> zero(0);
          I32<A> acc[kChains] = {I32<A>::load_aligned(sum), zero, zero, zero};
          int j = kx.begin;
          for (; j + kChains <= kx.end; j += kChains) {
            for (int k = 0; k < kChains; ++k) {
              acc[k] += Ops<A>::LoadI8(x + int64_t{j + k} * p.channels + c);
            }
          }
          for (; j < kx.end; ++j) acc[0] += Ops<A>::LoadI8(x + int64_t{j} * p.channels + c);
          ((acc[0] + acc[1]) + (acc[2] + acc[3])).store_aligned(sum);
        });
      }
      int slot = 0;
      ForEachChannelBlock(p.channels, kLanes, [&](int c, bool) {
        Ops<A>::StoreI8(out + c, requant(I32<A>::load_aligned(sums + kLanes * slot++)));
      });
      return;
    }
    ForEachChannelBlock(p.channels, kLanes, [&](int c, bool) {
      I32<A> acc = start;
      for (int i = ky.begin; i < ky.end; ++i) {
        for (int j = kx.begin; j < kx.end; ++j) {
          acc += Ops<A>::LoadI8(input + in_at + i * row + int64_t{j} * p.channels + c);
        }
      }
      Ops<A>::StoreI8(out + c, requant(acc));
    });
  });
}

}  // namespace
}  // namespace qrt::kernels::simd
