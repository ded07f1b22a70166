// Checks a packed GEMM-shaped kernel (fully connected, convolution; dispatch.h's
// GemmKernel) against its reference kernel, byte for byte: the packed buffer is
// 64-byte aligned with canaries after it, the input ends at a PROT_NONE page
// (guarded_memory.h), the output is followed by canaries, and the output is
// computed once whole and once as random OutputTiles in random order, as threads
// would split it, each tile checked to write nothing outside itself. Also draws
// per-channel output quantizations from accumulator ranges.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <utility>
#include <vector>

#include "kernels/guarded_memory.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/params.h"
#include "util/random.h"

namespace qrt::test {

inline constexpr size_t kGemmCanaryBytes = 64;
inline constexpr uint8_t kGemmCanary = 0xA5;

inline bool GemmCanariesIntact(const uint8_t* bytes, size_t count) {
  return std::all_of(bytes, bytes + count, [](uint8_t b) { return b == kGemmCanary; });
}

// Output cuts the way params.h allows them: rows anywhere, channels at multiples
// of channel_block; 1 to 3 pieces along each dimension, in random order.
inline std::vector<kernels::OutputTile> RandomTiles(const kernels::OutputTile& whole,
                                                    int channel_block, Rng& rng) {
  auto cuts = [&rng](int begin, int end, int unit) {
    std::vector<int> points = {begin, end};
    const int units = (end - begin + unit - 1) / unit;
    for (int i = static_cast<int>(rng.Int(0, 2)); i > 0 && units > 1; --i) {
      points.push_back(begin + unit * static_cast<int>(rng.Int(1, units - 1)));
    }
    std::sort(points.begin(), points.end());
    points.erase(std::unique(points.begin(), points.end()), points.end());
    return points;
  };
  const std::vector<int> m = cuts(whole.m_begin, whole.m_end, 1);
  const std::vector<int> n = cuts(whole.n_begin, whole.n_end, channel_block);
  std::vector<kernels::OutputTile> tiles;
  for (size_t i = 0; i + 1 < m.size(); ++i) {
    for (size_t j = 0; j + 1 < n.size(); ++j) tiles.push_back({m[i], m[i + 1], n[j], n[j + 1]});
  }
  // In random order, so a stray write into any neighbour can land before that
  // neighbour is computed.
  for (size_t i = tiles.size(); i > 1; --i) {
    std::swap(tiles[i - 1], tiles[static_cast<size_t>(rng.Int(0, static_cast<int64_t>(i) - 1))]);
  }
  return tiles;
}

// The output quantization of each channel from the exact range [lo[c], hi[c]] of its
// accumulators, so outputs span int8; now and then an arbitrary multiplier and
// shift, or a zero multiplier, and a zero point and clamp of any kind.
struct DrawnRequant {
  ChannelRequantStorage requant;
  int32_t zero_point = 0;
  kernels::OutputClamp clamp{};
};

inline DrawnRequant DrawRequantForRanges(const std::vector<int64_t>& lo,
                                         const std::vector<int64_t>& hi, Rng& rng) {
  DrawnRequant d;
  for (size_t c = 0; c < lo.size(); ++c) {
    const OutputQuant q = OutputQuantForRange(lo[c], hi[c], rng);
    switch (rng.Int(0, 15)) {
      case 0:
        d.requant.Push({static_cast<int32_t>(rng.Int(int64_t{1} << 30, INT32_MAX)),
                        static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))});
        break;
      case 1:
        d.requant.Push({0, static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))});
        break;
      default:
        d.requant.Push(q.requant);
    }
    if (c == 0) d.zero_point = rng.Int(0, 3) == 0 ? rng.ZeroPoint() : q.zero_point;
  }
  d.clamp = DrawClamp(d.zero_point, rng);
  return d;
}

struct GemmFreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Packs the weights as `kernel` asks, runs it over the whole output and over random
// tiles, and requires the reference's bytes and untouched canaries. Returns the
// number of kernel runs (for a coverage count).
template <class Params, class Fn>
int ExpectGemmMatchesReference(const kernels::GemmKernel<Params, Fn>& kernel, Fn reference,
                               const Params& p, const std::vector<int8_t>& input,
                               const void* weights, const std::vector<int32_t>& bias, Rng& rng) {
  const kernels::OutputTile whole = kernels::WholeOutput(p);
  const auto n = static_cast<size_t>(whole.n_end);
  const size_t count = static_cast<size_t>(whole.m_end) * n;
  std::vector<int8_t> expected(count);
  reference(p, input.data(), weights, bias.data(), expected.data(), whole);

  const size_t packed_size = kernel.packed_size(p);
  const size_t allocated = (packed_size + kGemmCanaryBytes + 63) / 64 * 64;
  std::unique_ptr<uint8_t, GemmFreeDeleter> packed(
      static_cast<uint8_t*>(std::aligned_alloc(64, allocated)));
  REQUIRE(packed != nullptr);
  std::memset(packed.get(), kGemmCanary, allocated);
  kernel.pack(p, weights, bias.data(), packed.get());
  REQUIRE(GemmCanariesIntact(packed.get() + packed_size, allocated - packed_size));

  const GuardedBytes guarded_input(input);
  int runs = 0;
  for (const bool split : {false, true}) {
    std::vector<int8_t> out(count + kGemmCanaryBytes, static_cast<int8_t>(kGemmCanary));
    const std::vector<kernels::OutputTile> tiles =
        split ? RandomTiles(whole, kernel.channel_block, rng)
              : std::vector<kernels::OutputTile>{whole};
    // Bytes of tiles not run yet must still hold the canary after each call: a
    // kernel that writes outside its tile races with the threads computing the
    // others, even when it writes the right values.
    std::vector<bool> done(count, false);
    for (const kernels::OutputTile& tile : tiles) {
      kernel.fn(p, guarded_input.data(), packed.get(), bias.data(), out.data(), tile);
      ++runs;
      for (int m = tile.m_begin; m < tile.m_end; ++m) {
        for (int c = tile.n_begin; c < tile.n_end; ++c) done[static_cast<size_t>(m) * n + c] = true;
      }
      for (size_t i = 0; i < count; ++i) {
        if (!done[i] && static_cast<uint8_t>(out[i]) != kGemmCanary) {
          CAPTURE(i / n);
          CAPTURE(i % n);
          CAPTURE(tile.m_begin);
          CAPTURE(tile.m_end);
          CAPTURE(tile.n_begin);
          CAPTURE(tile.n_end);
          FAIL("the kernel wrote outside its tile");
        }
      }
    }
    CAPTURE(split);
    CAPTURE(tiles.size());
    if (std::memcmp(out.data(), expected.data(), count) != 0) {
      const auto mismatch = std::mismatch(expected.begin(), expected.end(), out.begin());
      const auto index = static_cast<size_t>(mismatch.first - expected.begin());
      const auto channel = static_cast<int>(index % n);
      CAPTURE(index / n);
      CAPTURE(channel);
      CAPTURE(static_cast<int>(*mismatch.first));
      CAPTURE(static_cast<int>(*mismatch.second));
      CAPTURE(p.requant.multiplier[channel]);
      CAPTURE(static_cast<int>(p.requant.shift[channel]));
      CAPTURE(p.output_zero_point);
      CAPTURE(p.clamp.lo);
      CAPTURE(p.clamp.hi);
      FAIL("the kernel differs from the reference");
    }
    REQUIRE(
        GemmCanariesIntact(reinterpret_cast<const uint8_t*>(out.data()) + count, kGemmCanaryBytes));
  }
  return runs;
}

}  // namespace qrt::test
