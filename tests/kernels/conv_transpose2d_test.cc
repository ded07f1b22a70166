// ref::ConvTranspose2D against an oracle that scatters every input pixel's taps
// into int64 output accumulators (the definition of a transposed convolution,
// where the reference gathers), and the kernel == stride GEMM decomposition
// (conv_transpose2d_gemm.h) on every fully connected kernel this CPU runs
// against the reference, byte for byte.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/conv_transpose2d_gemm.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/reference.h"
#include "util/random.h"

namespace qrt::test {
namespace {

struct Case {
  kernels::ConvTranspose2DParams p{};
  std::vector<int8_t> weight_values;  // OHWI, one int8 per weight
  std::vector<uint8_t> weights;       // as the kernels read them (int8 or packed int4)
  std::vector<int32_t> bias;
  std::vector<int8_t> input;
  ChannelRequantStorage requant;
};

// Draws a case; pad_bottom / pad_right / output padding only change out_h, out_w.
// narrow: rows of 16-70 pixels and 1-2 output channels, so that with kernel ==
// stride most tap rows have at most 4 channels (the x86 VNNI GEMM's narrow tiles).
Case DrawCase(Rng& rng, bool kernel_is_stride, bool narrow = false) {
  Case t;
  kernels::ConvTranspose2DParams& p = t.p;
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.in_h = static_cast<int>(rng.Int(1, 6));
  p.in_w = static_cast<int>(narrow ? rng.Int(16, 70) : rng.Int(1, 6));
  p.in_c =
      static_cast<int>(narrow ? 4 * rng.Int(1, 10) - (rng.Int(0, 4) == 0 ? 1 : 0) : rng.Int(1, 20));
  p.out_c = static_cast<int>(narrow ? rng.Int(1, 2) : rng.Int(1, 40));
  p.stride_h = static_cast<int>(rng.Int(1, 3));
  p.stride_w = static_cast<int>(rng.Int(1, 3));
  if (kernel_is_stride) {
    p.kernel_h = p.stride_h;
    p.kernel_w = p.stride_w;
    p.out_h = p.in_h * p.stride_h;
    p.out_w = p.in_w * p.stride_w;
  } else {
    p.kernel_h = static_cast<int>(rng.Int(1, 4));
    p.kernel_w = static_cast<int>(rng.Int(1, 4));
    p.pad_top = static_cast<int>(rng.Int(0, p.kernel_h - 1));
    p.pad_left = static_cast<int>(rng.Int(0, p.kernel_w - 1));
    const int pad_bottom = static_cast<int>(rng.Int(0, p.kernel_h - 1));
    const int pad_right = static_cast<int>(rng.Int(0, p.kernel_w - 1));
    const int output_padding_h = static_cast<int>(rng.Int(0, p.stride_h - 1));
    const int output_padding_w = static_cast<int>(rng.Int(0, p.stride_w - 1));
    p.out_h = (p.in_h - 1) * p.stride_h + p.kernel_h - p.pad_top - pad_bottom + output_padding_h;
    p.out_w = (p.in_w - 1) * p.stride_w + p.kernel_w - p.pad_left - pad_right + output_padding_w;
    if (p.out_h < 1) p.out_h = 1;
    if (p.out_w < 1) p.out_w = 1;
  }
  const bool int4 = rng.Bool();
  p.weight_type = int4 ? kernels::WeightType::kInt4 : kernels::WeightType::kInt8;
  const size_t k = static_cast<size_t>(p.kernel_h) * p.kernel_w * p.in_c;
  t.weight_values = int4 ? rng.Int8s(p.out_c * k, -8, 7) : rng.Int8s(p.out_c * k, -127, 127);
  if (int4) {
    t.weights = PackInt4Rows(t.weight_values, static_cast<size_t>(p.out_c), k);
  } else {
    t.weights.assign(t.weight_values.begin(), t.weight_values.end());
  }
  t.bias = rng.Int32s(static_cast<size_t>(p.out_c), -5000, 5000);
  t.input = rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.in_c);
  p.input_zero_point = rng.ZeroPoint();
  const int64_t reach = static_cast<int64_t>(k) * 255 * (int4 ? 8 : 127) / 4;
  const OutputQuant oq = OutputQuantForRange(-reach, reach, rng);
  p.output_zero_point = oq.zero_point;
  p.clamp = DrawClamp(oq.zero_point, rng);
  for (int c = 0; c < p.out_c; ++c) {
    t.requant.Push(rng.Int(0, 7) == 0 ? MustQuantizeMultiplier(std::exp2(rng.Real(-20, 0)))
                                      : oq.requant);
  }
  p.requant = t.requant.View();
  return t;
}

std::vector<int8_t> Reference(const Case& t) {
  const kernels::ConvTranspose2DParams& p = t.p;
  std::vector<int8_t> out(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c);
  kernels::ref::ConvTranspose2D(p, t.input.data(), t.weights.data(), t.bias.data(), out.data());
  return out;
}

std::vector<int8_t> Oracle(const Case& t) {
  const kernels::ConvTranspose2DParams& p = t.p;
  const size_t count = static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c;
  std::vector<int64_t> acc(count);
  for (size_t i = 0; i < count; ++i) acc[i] = t.bias[i % static_cast<size_t>(p.out_c)];
  for (int n = 0; n < p.batch; ++n) {
    for (int iy = 0; iy < p.in_h; ++iy) {
      for (int ix = 0; ix < p.in_w; ++ix) {
        for (int ky = 0; ky < p.kernel_h; ++ky) {
          for (int kx = 0; kx < p.kernel_w; ++kx) {
            const int y = iy * p.stride_h - p.pad_top + ky;
            const int x = ix * p.stride_w - p.pad_left + kx;
            if (y < 0 || y >= p.out_h || x < 0 || x >= p.out_w) continue;
            for (int c = 0; c < p.out_c; ++c) {
              for (int i = 0; i < p.in_c; ++i) {
                const int64_t v =
                    t.input[((static_cast<size_t>(n) * p.in_h + iy) * p.in_w + ix) * p.in_c + i] -
                    p.input_zero_point;
                const int64_t w =
                    t.weight_values[((static_cast<size_t>(c) * p.kernel_h + ky) * p.kernel_w + kx) *
                                        p.in_c +
                                    i];
                acc[((static_cast<size_t>(n) * p.out_h + y) * p.out_w + x) * p.out_c + c] += v * w;
              }
            }
          }
        }
      }
    }
  }
  std::vector<int8_t> out(count);
  for (size_t i = 0; i < count; ++i) {
    out[i] = OracleRequantize(acc[i], t.requant.At(i % static_cast<size_t>(p.out_c)),
                              p.output_zero_point, p.clamp.lo, p.clamp.hi);
  }
  return out;
}

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using Aligned = std::unique_ptr<uint8_t, FreeDeleter>;

Aligned Allocate(size_t bytes) {
  return Aligned(static_cast<uint8_t*>(std::aligned_alloc(64, (bytes / 64 + 1) * 64)));
}

// The runtime's use of conv_transpose2d_gemm.h with one fully connected kernel.
std::vector<int8_t> ByTapRows(const Case& t, const kernels::FullyConnectedKernel& gemm) {
  const kernels::ConvTranspose2DParams& p = t.p;
  const auto channels = static_cast<size_t>(kernels::TapRowChannels(p));
  std::vector<int32_t> tap_bias(channels);
  std::vector<int32_t> tap_multiplier(channels);
  std::vector<int8_t> tap_shift(channels);
  kernels::RepeatOverTaps(p, t.bias.data(), tap_bias.data(), tap_multiplier.data(),
                          tap_shift.data());
  const kernels::FullyConnectedParams params =
      kernels::TapRowGemmParams(p, {tap_multiplier.data(), tap_shift.data()});
  std::vector<Aligned> buffers;
  std::vector<const void*> tap_weights;
  for (int ky = 0; ky < p.kernel_h; ++ky) {
    Aligned canonical = Allocate(kernels::TapRowWeightBytes(p));
    kernels::GatherTapRowWeights(p, t.weights.data(), ky, canonical.get());
    if (gemm.pack != nullptr) {
      Aligned packed = Allocate(gemm.packed_size(params));
      gemm.pack(params, canonical.get(), tap_bias.data(), packed.get());
      canonical = std::move(packed);
    }
    tap_weights.push_back(canonical.get());
    buffers.push_back(std::move(canonical));
  }
  std::vector<int8_t> out(static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.out_c);
  // Two row ranges, as two threads would run them.
  const int rows = p.batch * p.in_h;
  const int split = rows / 2;
  kernels::ConvTranspose2DByTapRows(p, params, gemm, tap_weights.data(), tap_bias.data(),
                                    t.input.data(), out.data(), split, rows);
  kernels::ConvTranspose2DByTapRows(p, params, gemm, tap_weights.data(), tap_bias.data(),
                                    t.input.data(), out.data(), 0, split);
  return out;
}

}  // namespace

TEST_CASE("ConvTranspose2D matches the scatter oracle") {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    CAPTURE(seed);
    Rng rng(seed);
    const Case t = DrawCase(rng, rng.Int(0, 3) == 0);
    CAPTURE(t.p.kernel_h);
    CAPTURE(t.p.kernel_w);
    CAPTURE(t.p.stride_h);
    CAPTURE(t.p.stride_w);
    REQUIRE(Reference(t) == Oracle(t));
  }
}

TEST_CASE("kernel == stride ConvTranspose2D as GEMMs equals the reference on every path") {
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  int paths = 0;
  for (const kernels::Isa isa :
       {kernels::Isa::kReference, kernels::Isa::kAvx2, kernels::Isa::kAvx512Vnni,
        kernels::Isa::kNeon, kernels::Isa::kNeonDot}) {
    if (!kernels::CpuSupports(cpu, isa)) continue;
    const kernels::FullyConnectedKernel gemm = kernels::SelectKernels(isa).fully_connected;
    CAPTURE(kernels::IsaName(isa));
    ++paths;
    for (uint64_t seed = 1; seed <= 150; ++seed) {
      CAPTURE(seed);
      Rng rng(seed);
      for (const bool narrow : {false, true}) {
        CAPTURE(narrow);
        const Case t = DrawCase(rng, true, narrow);
        REQUIRE(kernels::IsTapRowGemm(t.p));
        REQUIRE(ByTapRows(t, gemm) == Reference(t));
      }
    }
  }
  CHECK(paths >= 1);
}

TEST_CASE("only kernel == stride without cropping is a tap-row GEMM") {
  Rng rng(5);
  Case t = DrawCase(rng, true);
  CHECK(kernels::IsTapRowGemm(t.p));
  kernels::ConvTranspose2DParams p = t.p;
  p.pad_top = 1;
  CHECK_FALSE(kernels::IsTapRowGemm(p));
  p = t.p;
  p.out_w += 1;  // output padding
  CHECK_FALSE(kernels::IsTapRowGemm(p));
  p = t.p;
  p.kernel_h += 1;
  CHECK_FALSE(kernels::IsTapRowGemm(p));
}

}  // namespace qrt::test
