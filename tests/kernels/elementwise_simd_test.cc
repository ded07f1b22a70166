// The xsimd elementwise and pooling kernels (kernels/simd/) of every path this
// build has and this CPU runs, against the reference kernels, byte for byte (bit
// for bit for Dequantize's floats): Add, Mul, MaxPool2D, AveragePool2D, Concat,
// ResizeNearest, Lookup, Quantize, Dequantize, Softmax, on random shapes (sizes that are no
// multiple of any vector, broadcasts, empty tensors) and random quantizations up to the extremes of
// requant.h's invariants. Inputs end where an inaccessible page begins and outputs are followed by
// canaries, so reads past an input fault and stray writes are caught. The last test case fails if a
// path was built, the CPU has it and some family never ran on it.
#include <doctest/doctest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "kernels/oracle.h"
#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/params.h"
#include "qrt/kernels/reference.h"
#include "simd/plan.h"
#if QRT_HAVE_AVX512_ELEMENTWISE
#include "simd/elementwise_kernels.h"
#endif
#include "util/random.h"

namespace qrt::test {
namespace {

using kernels::Dyadic;
using kernels::Isa;
using kernels::KernelTable;

constexpr size_t kCanaryBytes = 64;
constexpr uint8_t kCanary = 0xA5;

// The path whose xsimd kernels SelectKernels(isa) holds in this build, or
// kReference where none was built.
Isa BuiltElementwisePath(Isa isa) {
  switch (isa) {
#if QRT_HAVE_AVX2_ELEMENTWISE
    case Isa::kAvx2:
      return Isa::kAvx2;
#endif
#if QRT_HAVE_AVX512_ELEMENTWISE
    case Isa::kAvx512Vnni:
      return Isa::kAvx512Vnni;
#endif
#if QRT_HAVE_NEON_ELEMENTWISE
    case Isa::kNeon:
    case Isa::kNeonDot:
      return Isa::kNeon;
#endif
    default:
      return Isa::kReference;
  }
}

constexpr Isa kAllIsas[] = {Isa::kAvx2, Isa::kAvx512Vnni, Isa::kNeon, Isa::kNeonDot};

// The ISAs (capping SelectKernels) whose table has xsimd kernels and that the CPU
// runs.
std::vector<Isa> RunnablePaths() {
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  std::vector<Isa> paths;
  for (const Isa isa : kAllIsas) {
    if (BuiltElementwisePath(isa) != Isa::kReference && kernels::CpuSupports(cpu, isa)) {
      paths.push_back(isa);
    }
  }
  return paths;
}

// Cases run per (path, family), for the coverage check at the end.
std::map<std::pair<Isa, std::string>, int>& Runs() {
  static std::map<std::pair<Isa, std::string>, int> runs;
  return runs;
}

const char* const kFamilies[] = {"add",        "add per channel", "mul",        "mul per channel",
                                 "max_pool2d", "average_pool2d",  "concat",     "resize_nearest",
                                 "lookup",     "quantize",        "dequantize", "softmax"};

// Elements that end exactly where an inaccessible page begins (MLAS's
// MatrixGuardBuffer), so any read past the end faults.
template <class T>
class Guarded {
 public:
  explicit Guarded(const std::vector<T>& data) {
    const auto page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    const size_t bytes = data.size() * sizeof(T);
    const size_t data_pages = (bytes + page - 1) / page;
    size_ = (data_pages + 1) * page;
    void* map = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(map != MAP_FAILED);
    base_ = static_cast<uint8_t*>(map);
    REQUIRE(mprotect(base_ + data_pages * page, page, PROT_NONE) == 0);
    data_ = reinterpret_cast<T*>(base_ + data_pages * page - bytes);
    if (bytes > 0) std::memcpy(data_, data.data(), bytes);
  }
  Guarded(const Guarded&) = delete;
  Guarded& operator=(const Guarded&) = delete;
  ~Guarded() { munmap(base_, size_); }

  const T* data() const { return data_; }

 private:
  uint8_t* base_ = nullptr;
  size_t size_ = 0;
  T* data_ = nullptr;
};

// Runs fast and reference through run(fn, out) and requires equal bytes.
template <class T, class Fn, class Run>
void ExpectSame(Isa isa, const char* family, Fn fast, Fn reference, size_t count, const Run& run) {
  std::vector<T> expected(count + 1);
  run(reference, expected.data());
  std::vector<T> aligned(count + (kCanaryBytes + sizeof(T) - 1) / sizeof(T) + 1);
  auto* raw = reinterpret_cast<uint8_t*>(aligned.data());
  std::memset(raw, kCanary, aligned.size() * sizeof(T));
  run(fast, aligned.data());
  ++Runs()[{isa, family}];
  const size_t bytes = count * sizeof(T);
  if (std::memcmp(raw, expected.data(), bytes) != 0) {
    size_t i = 0;
    while (std::memcmp(&aligned[i], &expected[i], sizeof(T)) == 0) ++i;
    CAPTURE(i);
    CAPTURE(+expected[i]);
    CAPTURE(+aligned[i]);
    const std::string what =
        std::string(family) + " on " + kernels::IsaName(isa) + " differs from the reference";
    FAIL(what);
  }
  for (size_t b = bytes; b < bytes + kCanaryBytes; ++b) REQUIRE(raw[b] == kCanary);
}

// A valid Dyadic: realistic from a real multiplier, or anywhere in requant.h's
// invariant (extreme multipliers and shifts, zero).
Dyadic DrawDyadic(Rng& rng, double real) {
  switch (rng.Int(0, 7)) {
    case 0:
      return {static_cast<int32_t>(rng.Int(int64_t{1} << 30, INT32_MAX)),
              static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))};
    case 1:
      return {rng.Bool() ? INT32_MAX : int32_t{1} << 30, rng.Bool() ? 1 : 62};
    case 2:
      return {0, static_cast<int32_t>(rng.Int(kernels::kMinShift, kernels::kMaxShift))};
    default:
      return MustQuantizeMultiplier(real);
  }
}

kernels::OutputClamp DrawAnyClamp(int32_t zy, Rng& rng) {
  switch (rng.Int(0, 31)) {
    case 0:  // outside int8: the kernels defer to the reference
    case 1:
      return {static_cast<int32_t>(rng.Int(-300, -129)), static_cast<int32_t>(rng.Int(128, 300))};
    case 2: {  // empty (lo > hi): Requantize gives hi
      const auto hi = static_cast<int32_t>(rng.Int(-128, 126));
      return {static_cast<int32_t>(rng.Int(hi + 1, 127)), hi};
    }
    default:
      return DrawClamp(zy, rng);
  }
}

int32_t DrawZeroPoint(Rng& rng) { return rng.ZeroPoint(); }

// Broadcast shapes: the test library's small random ones, or a few larger
// layouts the kernels treat specially (same shape, row broadcast, scalar,
// column broadcast, a per-channel operand over NHWC pixels), with sizes around
// vector multiples and empty tensors. *per_channel tells the last layout.
kernels::BroadcastShapes DrawShapes(Rng& rng, bool* per_channel) {
  *per_channel = false;
  static const int32_t kSizes[] = {0,  1,  2,  3,  7,  8,  9,   15,  16,  17,  31,
                                   32, 33, 63, 64, 65, 97, 128, 130, 255, 1000};
  const auto size = [&] { return kSizes[rng.Int(0, std::size(kSizes) - 1)]; };
  kernels::BroadcastShapes s{};
  switch (rng.Int(0, 6)) {
    case 0: {  // same shape
      s.rank = 2;
      s.out[0] = s.a[0] = s.b[0] = static_cast<int32_t>(rng.Int(1, 3));
      s.out[1] = s.a[1] = s.b[1] = size();
      return s;
    }
    case 1: {  // one operand a row repeated over rows
      s.rank = 3;
      s.out[0] = s.a[0] = static_cast<int32_t>(rng.Int(1, 3));
      s.out[1] = s.a[1] = static_cast<int32_t>(rng.Int(1, 5));
      s.out[2] = s.a[2] = size();
      s.b[0] = s.b[1] = 1;
      s.b[2] = s.out[2];
      if (rng.Bool()) std::swap(s.a, s.b);
      return s;
    }
    case 2: {  // one operand a scalar
      s.rank = static_cast<int>(rng.Int(1, 2));
      for (int d = 0; d < s.rank; ++d) {
        s.out[d] = s.a[d] = d + 1 == s.rank ? size() : static_cast<int32_t>(rng.Int(1, 3));
        s.b[d] = 1;
      }
      if (rng.Bool()) std::swap(s.a, s.b);
      return s;
    }
    case 3: {  // outer product: a column against a row
      s.rank = 2;
      s.out[0] = s.a[0] = static_cast<int32_t>(rng.Int(1, 9));
      s.a[1] = 1;
      s.b[0] = 1;
      s.out[1] = s.b[1] = size();
      return s;
    }
    case 4: {  // [N, H, W, C] against [N or 1, 1, 1, C] or [1, H, W, C]
      // Channel counts below, around and beyond a vector and plan.h's kMaxPeriod.
      static const int32_t kChannels[] = {1, 2, 3, 5, 8, 13, 16, 17, 40, 88, 200, 1024, 1025};
      *per_channel = true;
      s.rank = 4;
      s.out[0] = s.a[0] = static_cast<int32_t>(rng.Int(1, 3));
      s.out[1] = s.a[1] = static_cast<int32_t>(rng.Int(1, 5));
      s.out[2] = s.a[2] = static_cast<int32_t>(rng.Int(1, 9));
      s.out[3] = s.a[3] = s.b[3] = kChannels[rng.Int(0, std::size(kChannels) - 1)];
      const bool pixels = rng.Int(0, 3) == 0;
      s.b[0] = !pixels && rng.Bool() ? s.out[0] : 1;
      s.b[1] = pixels ? s.out[1] : 1;
      s.b[2] = pixels ? s.out[2] : 1;
      if (rng.Bool()) std::swap(s.a, s.b);
      return s;
    }
    default:
      return DrawBroadcastShapes(rng);
  }
}

// ---------------------------------------------------------------------------

// How many cases of a family ran with ([{family, true}]) and without a plan of
// simd/plan.h that selects the vector kernel's fast path.
std::map<std::pair<std::string, bool>, int>& PlanCases() {
  static std::map<std::pair<std::string, bool>, int> cases;
  return cases;
}

void RunAdd(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::AddParams p{};
  bool per_channel = false;
  p.shapes = DrawShapes(rng, &per_channel);
  p.a_zero_point = DrawZeroPoint(rng);
  p.b_zero_point = DrawZeroPoint(rng);
  p.left_shift = rng.Bool() ? 20 : static_cast<int32_t>(rng.Int(0, 23));
  const double sa = std::exp2(rng.Real(-8.0, -2.0));
  const double sb = sa * std::exp2(rng.Real(-3.0, 3.0));
  const double so = std::max(sa, sb) * std::exp2(rng.Real(-1.0, 2.0));
  const double twice_max = 2.0 * std::max(sa, sb);
  // Half the cases with the converter's 16-bit mantissas, which the kernels'
  // AddPlan path takes (simd/plan.h); the others mostly take the general one.
  const bool mantissas = rng.Bool();
  const auto draw = [&](double real) {
    return mantissas ? MustQuantizeMantissa(real) : DrawDyadic(rng, real);
  };
  p.a_requant = draw(sa / twice_max);
  p.b_requant = draw(sb / twice_max);
  p.out_requant = draw(twice_max / (std::ldexp(1.0, p.left_shift) * so));
  p.output_zero_point = DrawZeroPoint(rng);
  p.clamp = DrawAnyClamp(p.output_zero_point, rng);
  kernels::simd::AddPlan plan;
  ++PlanCases()[{"add", kernels::simd::MakeAddPlan(p, &plan)}];
  const kernels::BroadcastShapes& s = p.shapes;
  const Guarded<int8_t> a(rng.Int8s(static_cast<size_t>(Product(s.rank, s.a))));
  const Guarded<int8_t> b(rng.Int8s(static_cast<size_t>(Product(s.rank, s.b))));
  CAPTURE(s.rank);
  ExpectSame<int8_t>(isa, per_channel ? "add per channel" : "add", t.add.fn, &kernels::ref::Add,
                     static_cast<size_t>(Product(s.rank, s.out)),
                     [&](kernels::AddFn fn, int8_t* out) { fn(p, a.data(), b.data(), out); });
}

void RunMul(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::MulParams p{};
  bool per_channel = false;
  p.shapes = DrawShapes(rng, &per_channel);
  p.a_zero_point = DrawZeroPoint(rng);
  p.b_zero_point = DrawZeroPoint(rng);
  p.requant = DrawDyadic(rng, std::exp2(rng.Real(-16.0, 2.0)));
  p.output_zero_point = DrawZeroPoint(rng);
  p.clamp = DrawAnyClamp(p.output_zero_point, rng);
  // (q - z) * (r - z') over int8 q and r lies between its corners' values.
  const int64_t x[] = {-128 - p.a_zero_point, 127 - p.a_zero_point};
  const int64_t y[] = {-128 - p.b_zero_point, 127 - p.b_zero_point};
  const int64_t corners[] = {x[0] * y[0], x[0] * y[1], x[1] * y[0], x[1] * y[1]};
  kernels::simd::HighRescalePlan plan;
  ++PlanCases()[{"mul", kernels::simd::MakeHighRescalePlan(
                            p.requant, p.output_zero_point, *std::ranges::min_element(corners),
                            *std::ranges::max_element(corners), &plan)}];
  const kernels::BroadcastShapes& s = p.shapes;
  const Guarded<int8_t> a(rng.Int8s(static_cast<size_t>(Product(s.rank, s.a))));
  const Guarded<int8_t> b(rng.Int8s(static_cast<size_t>(Product(s.rank, s.b))));
  CAPTURE(s.rank);
  ExpectSame<int8_t>(isa, per_channel ? "mul per channel" : "mul", t.mul.fn, &kernels::ref::Mul,
                     static_cast<size_t>(Product(s.rank, s.out)),
                     [&](kernels::MulFn fn, int8_t* out) { fn(p, a.data(), b.data(), out); });
}

void RunPool(Isa isa, const KernelTable& t, uint64_t seed, bool average) {
  static const int kChannels[] = {1,  2,  3,  4,  7,  8,  9,  15,  16,  17,
                                  31, 32, 33, 48, 63, 64, 65, 100, 129, 200};
  Rng rng(seed);
  kernels::Pool2DParams p{};
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.channels = kChannels[rng.Int(0, std::size(kChannels) - 1)];
  p.in_h = static_cast<int>(rng.Int(1, 9));
  // Now and then rows of several vectors of pixels (average pooling sums
  // narrow pixels several to a vector).
  p.in_w = static_cast<int>(rng.Int(0, 3) == 0 ? rng.Int(10, 40) : rng.Int(1, 9));
  if (rng.Int(0, 4) == 0) {  // global pooling
    if (rng.Bool()) {        // windows beyond a cache's worth of bytes, read a row at a time
      p.in_h = static_cast<int>(rng.Int(20, 50));
      p.in_w = static_cast<int>(rng.Int(20, 50));
    }
    p.kernel_h = p.in_h;
    p.kernel_w = p.in_w;
    p.stride_h = p.stride_w = 1;
    p.out_h = p.out_w = 1;
  } else {
    p.kernel_h = static_cast<int>(rng.Int(1, 4));
    p.kernel_w = static_cast<int>(rng.Int(1, 4));
    p.stride_h = static_cast<int>(rng.Int(1, 3));
    p.stride_w = static_cast<int>(rng.Int(1, 3));
    // Pads up to the kernel: some windows lie wholly in the padding.
    p.pad_top = static_cast<int>(rng.Int(0, p.kernel_h));
    p.pad_bottom = static_cast<int>(rng.Int(0, p.kernel_h));
    p.pad_left = static_cast<int>(rng.Int(0, p.kernel_w));
    p.pad_right = static_cast<int>(rng.Int(0, p.kernel_w));
    const int padded_h = p.in_h + p.pad_top + p.pad_bottom;
    const int padded_w = p.in_w + p.pad_left + p.pad_right;
    if (padded_h < p.kernel_h) p.pad_bottom += p.kernel_h - padded_h;
    if (padded_w < p.kernel_w) p.pad_right += p.kernel_w - padded_w;
    p.out_h = (p.in_h + p.pad_top + p.pad_bottom - p.kernel_h) / p.stride_h + 1;
    p.out_w = (p.in_w + p.pad_left + p.pad_right - p.kernel_w) / p.stride_w + 1;
  }
  p.count_include_pad = rng.Bool();
  p.input_zero_point = DrawZeroPoint(rng);
  p.output_zero_point = average ? DrawZeroPoint(rng) : p.input_zero_point;
  ChannelRequantStorage requant;
  const double ratio = std::exp2(rng.Real(-2.0, 2.0));
  for (int n = 1; n <= p.kernel_h * p.kernel_w; ++n) requant.Push(DrawDyadic(rng, ratio / n));
  p.count_requant = requant.View();
  p.clamp = DrawAnyClamp(p.output_zero_point, rng);
  const auto in_count = static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.channels;
  const auto out_count = static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.channels;
  std::vector<int8_t> values = rng.Int8s(in_count);
  if (rng.Int(0, 7) == 0) std::fill(values.begin(), values.end(), rng.Bool() ? -128 : 127);
  const Guarded<int8_t> in(values);
  CAPTURE(p.channels);
  CAPTURE(p.kernel_h);
  CAPTURE(p.kernel_w);
  const auto run = [&](kernels::Pool2DFn fn, int8_t* out) { fn(p, in.data(), out); };
  if (average) {
    ExpectSame<int8_t>(isa, "average_pool2d", t.average_pool2d.fn, &kernels::ref::AveragePool2D,
                       out_count, run);
  } else {
    ExpectSame<int8_t>(isa, "max_pool2d", t.max_pool2d.fn, &kernels::ref::MaxPool2D, out_count,
                       run);
  }
}

void RunConcat(Isa isa, const KernelTable& t, uint64_t seed) {
  static const int kInner[] = {1, 2, 3, 5, 8, 16, 17, 33, 64, 100};
  Rng rng(seed);
  const int num_inputs = static_cast<int>(rng.Int(1, 4));
  std::vector<int32_t> axis_sizes;
  std::vector<int32_t> zero_points;
  ChannelRequantStorage requant;
  const int32_t zy = DrawZeroPoint(rng);
  for (int i = 0; i < num_inputs; ++i) {
    axis_sizes.push_back(static_cast<int32_t>(rng.Int(0, 4)));
    switch (rng.Int(0, 3)) {
      case 0:  // the output's quantization: a copy
        requant.Push({int32_t{1} << 30, 30});
        zero_points.push_back(zy);
        break;
      case 1:  // the output's scale, another zero point
        requant.Push({int32_t{1} << 30, 30});
        zero_points.push_back(DrawZeroPoint(rng));
        break;
      default:
        requant.Push(DrawDyadic(rng, std::exp2(rng.Real(-3.0, 3.0))));
        zero_points.push_back(DrawZeroPoint(rng));
    }
  }
  kernels::ConcatParams p{};
  p.num_inputs = num_inputs;
  // Sometimes enough rows that short ones fill several of the kernels' stack chunks.
  p.outer = static_cast<int>(rng.Int(0, 7) == 0 ? rng.Int(100, 700) : rng.Int(1, 5));
  p.inner = kInner[rng.Int(0, std::size(kInner) - 1)];
  p.axis_sizes = axis_sizes.data();
  p.zero_points = zero_points.data();
  p.requant = requant.View();
  p.output_zero_point = zy;
  std::vector<std::unique_ptr<Guarded<int8_t>>> inputs;
  std::vector<const int8_t*> pointers;
  int64_t out_axis = 0;
  for (int i = 0; i < num_inputs; ++i) {
    const auto n = static_cast<size_t>(p.outer) * static_cast<size_t>(axis_sizes[i]) * p.inner;
    inputs.push_back(std::make_unique<Guarded<int8_t>>(rng.Int8s(n)));
    pointers.push_back(inputs.back()->data());
    out_axis += axis_sizes[i];
  }
  ExpectSame<int8_t>(isa, "concat", t.concat.fn, &kernels::ref::Concat,
                     static_cast<size_t>(p.outer * out_axis * p.inner),
                     [&](kernels::ConcatFn fn, int8_t* out) { fn(p, pointers.data(), out); });
}

void RunResizeNearest(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::ResizeNearestParams p{};
  p.transform = static_cast<kernels::CoordinateTransform>(rng.Int(0, 2));
  p.rounding = static_cast<kernels::NearestRounding>(rng.Int(0, 3));
  p.batch = static_cast<int>(rng.Int(1, 2));
  p.channels = static_cast<int>(rng.Pick<int64_t>({1, 3, 8, 24, 67}));
  p.in_h = static_cast<int>(rng.Int(1, 12));
  p.in_w = static_cast<int>(rng.Int(1, 12));
  // Up- and downsampling, integer factors (the rows a fast path copies) among them,
  // and now and then a row wider than the fast paths' column array.
  const int factor = static_cast<int>(rng.Int(1, 8));
  p.out_h = static_cast<int>(rng.Bool() ? p.in_h * factor : rng.Int(1, 40));
  p.out_w = static_cast<int>(rng.Int(0, 15) == 0 ? rng.Int(4090, 4200)
                             : rng.Bool()        ? p.in_w * factor
                                                 : rng.Int(1, 40));
  const Guarded<int8_t> input(
      rng.Int8s(static_cast<size_t>(p.batch) * p.in_h * p.in_w * p.channels));
  ExpectSame<int8_t>(isa, "resize_nearest", t.resize_nearest.fn, &kernels::ref::ResizeNearest,
                     static_cast<size_t>(p.batch) * p.out_h * p.out_w * p.channels,
                     [&](kernels::ResizeNearestFn fn, int8_t* out) { fn(p, input.data(), out); });
}

int64_t DrawCount(Rng& rng) {
  static const int64_t kCounts[] = {0, 1, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 1000, 4099};
  return rng.Bool() ? rng.Int(0, 200) : kCounts[rng.Int(0, std::size(kCounts) - 1)];
}

void RunLookup(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::LookupParams p{};
  p.count = DrawCount(rng);
  std::vector<int8_t> values = rng.Int8s(static_cast<size_t>(p.count));
  if (rng.Bool()) {  // every index, in order, as often as fits
    for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<int8_t>(i % 256 - 128);
  }
  const std::vector<int8_t> table = rng.Int8s(256);
  p.table = table.data();
  const Guarded<int8_t> in(values);
  ExpectSame<int8_t>(isa, "lookup", t.lookup.fn, &kernels::ref::Lookup,
                     static_cast<size_t>(p.count),
                     [&](kernels::LookupFn fn, int8_t* out) { fn(p, in.data(), out); });
}

// Rows of class scores: values over a random part of the int8 range (a narrow one
// leaves most of a row's 256 possible values absent), the converter's exp table for
// a random input scale or random entries, and a probability requantization that
// spreads [0, 1] over int8 or lands anywhere.
void RunSoftmax(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::SoftmaxParams p{};
  p.rows = static_cast<int>(rng.Int(1, 4));
  // Half the rows long enough for the per-row table (softmax.h), up to a
  // recogniser's 6625 classes.
  p.depth =
      static_cast<int>(rng.Bool() ? rng.Int(256, 7000) : std::max<int64_t>(DrawCount(rng), 1));
  const int64_t lo = rng.Int(-128, 127);
  const int64_t hi = rng.Bool() ? rng.Int(lo, 127) : 127;
  std::vector<int8_t> values(static_cast<size_t>(p.rows) * p.depth);
  for (int8_t& v : values) v = static_cast<int8_t>(rng.Int(lo, hi));
  std::vector<int32_t> table(256);
  const double scale = std::exp2(rng.Real(-8.0, 2.0));
  const bool random_table = rng.Int(0, 3) == 0;
  for (size_t d = 0; d < table.size(); ++d) {
    table[d] = random_table ? static_cast<int32_t>(rng.Int(0, 1 << 16))
                            : static_cast<int32_t>(
                                  std::lround(65536.0 * std::exp(-scale * static_cast<double>(d))));
  }
  p.exp_table = table.data();
  p.requant = DrawDyadic(rng, 256.0 / std::ldexp(1.0, 30) * std::exp2(rng.Real(-2.0, 2.0)));
  p.output_zero_point = rng.Bool() ? -128 : static_cast<int32_t>(rng.Int(-128, 127));
  p.clamp = DrawAnyClamp(p.output_zero_point, rng);
  const Guarded<int8_t> in(values);
  ExpectSame<int8_t>(isa, "softmax", t.softmax.fn, &kernels::ref::Softmax, values.size(),
                     [&](kernels::SoftmaxFn fn, int8_t* out) { fn(p, in.data(), out); });
}

float DrawFloat(Rng& rng, float scale) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  switch (rng.Int(0, 15)) {
    case 0:
      return std::numeric_limits<float>::quiet_NaN();
    case 1:
      return rng.Bool() ? kInf : -kInf;
    case 2:
      return rng.Bool() ? 0.0f : -0.0f;
    case 3:  // a tie of x / scale (exact when scale is a power of two)
      return (static_cast<float>(rng.Int(-300, 300)) + 0.5f) * scale;
    case 4:
      return static_cast<float>(rng.Real(-1e30, 1e30));
    case 5:
      return std::numeric_limits<float>::denorm_min() * static_cast<float>(rng.Int(-100, 100));
    case 6:  // around the int32 and 2^24 boundaries of the scaled value
      return static_cast<float>(rng.Bool() ? -1.0 : 1.0) *
             std::ldexp(1.0f, static_cast<int>(rng.Int(23, 33))) * scale;
    default:
      return static_cast<float>(rng.Real(-200.0, 200.0)) * scale;
  }
}

void RunQuantize(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::QuantizeParams p{};
  p.count = DrawCount(rng);
  switch (rng.Int(0, 5)) {
    case 0:
      p.scale = std::ldexp(1.0f, static_cast<int>(rng.Int(-10, 3)));
      break;
    case 1:
      p.scale = std::numeric_limits<float>::denorm_min() * static_cast<float>(rng.Int(1, 9));
      break;
    default:
      p.scale = static_cast<float>(std::exp2(rng.Real(-12.0, 4.0)));
  }
  switch (rng.Int(0, 7)) {
    case 0:  // beyond int8 (invalid, but the kernels must still agree)
      p.zero_point = rng.Pick(std::vector<int32_t>{INT32_MIN, -(1 << 24) - 1, -(1 << 24), 1 << 24,
                                                   (1 << 24) + 1, INT32_MAX, 40000, -40000});
      break;
    default:
      p.zero_point = DrawZeroPoint(rng);
  }
  std::vector<float> values(static_cast<size_t>(p.count));
  for (float& v : values) v = DrawFloat(rng, p.scale);
  const Guarded<float> in(values);
  CAPTURE(p.scale);
  CAPTURE(p.zero_point);
  ExpectSame<int8_t>(isa, "quantize", t.quantize.fn, &kernels::ref::Quantize,
                     static_cast<size_t>(p.count),
                     [&](kernels::QuantizeFn fn, int8_t* out) { fn(p, in.data(), out); });
}

void RunDequantize(Isa isa, const KernelTable& t, uint64_t seed) {
  Rng rng(seed);
  kernels::DequantizeParams p{};
  p.count = DrawCount(rng);
  switch (rng.Int(0, 7)) {
    case 0:
      p.scale = rng.Pick(std::vector<float>{0.0f, -0.0f, std::numeric_limits<float>::infinity(),
                                            std::numeric_limits<float>::quiet_NaN(),
                                            std::numeric_limits<float>::max(),
                                            std::numeric_limits<float>::denorm_min(), -1.5f});
      break;
    default:
      p.scale = static_cast<float>(std::exp2(rng.Real(-20.0, 4.0)));
  }
  // Beyond 2^24 in magnitude q - z rounds when converted, alike in both.
  p.zero_point =
      rng.Int(0, 7) == 0 ? static_cast<int32_t>(rng.Int(-(1 << 30), 1 << 30)) : DrawZeroPoint(rng);
  const Guarded<int8_t> in(rng.Int8s(static_cast<size_t>(p.count)));
  CAPTURE(p.scale);
  CAPTURE(p.zero_point);
  ExpectSame<float>(isa, "dequantize", t.dequantize.fn, &kernels::ref::Dequantize,
                    static_cast<size_t>(p.count),
                    [&](kernels::DequantizeFn fn, float* out) { fn(p, in.data(), out); });
}

// ---------------------------------------------------------------------------

TEST_CASE("SelectKernels: the xsimd elementwise kernels on every path that has them") {
  const KernelTable reference = kernels::SelectKernels(Isa::kReference);
  CHECK(reference.add.isa == Isa::kReference);
  CHECK((reference.add.fn == &kernels::ref::Add));
  CHECK((reference.lookup.fn == &kernels::ref::Lookup));
  for (const Isa isa : kAllIsas) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    const KernelTable t = kernels::SelectKernels(isa);
    const Isa path = BuiltElementwisePath(isa);
    for (const Isa got :
         {t.add.isa, t.mul.isa, t.max_pool2d.isa, t.average_pool2d.isa, t.concat.isa, t.lookup.isa,
          t.quantize.isa, t.dequantize.isa, t.softmax.isa}) {
      CHECK(got == path);
    }
    if (path != Isa::kReference) {
      CHECK((t.add.fn != &kernels::ref::Add));
      CHECK((t.average_pool2d.fn != &kernels::ref::AveragePool2D));
      CHECK((t.dequantize.fn != &kernels::ref::Dequantize));
    }
  }
}

// Runs `cases` seeds of one family on every runnable path.
template <class Case>
void ForEveryPath(int cases, const Case& run_case) {
  const std::vector<Isa> paths = RunnablePaths();
  if (paths.empty()) MESSAGE("skipped: no xsimd path was built for this CPU or it runs none");
  for (const Isa isa : paths) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    const KernelTable t = kernels::SelectKernels(isa);
    for (uint64_t seed = 1; seed <= static_cast<uint64_t>(cases); ++seed) {
      CAPTURE(seed);
      run_case(isa, t, seed);
    }
  }
}

TEST_CASE("xsimd Add matches the reference") {
  ForEveryPath(1500, RunAdd);
  // Both of the vector kernel's paths ran (when a path ran at all).
  if (!RunnablePaths().empty()) {
    CHECK(PlanCases()[{"add", true}] >= 500);
    CHECK(PlanCases()[{"add", false}] >= 500);
  }
}

TEST_CASE("xsimd Mul matches the reference") {
  ForEveryPath(1500, RunMul);
  // Both of the vector kernel's requantizations ran (when a path ran at all).
  if (!RunnablePaths().empty()) {
    CHECK(PlanCases()[{"mul", true}] >= 500);
    CHECK(PlanCases()[{"mul", false}] >= 500);
  }
}

TEST_CASE("xsimd MaxPool2D matches the reference") {
  ForEveryPath(800,
               [](Isa isa, const KernelTable& t, uint64_t seed) { RunPool(isa, t, seed, false); });
}

TEST_CASE("xsimd AveragePool2D matches the reference") {
  ForEveryPath(800,
               [](Isa isa, const KernelTable& t, uint64_t seed) { RunPool(isa, t, seed, true); });
}

TEST_CASE("xsimd Concat matches the reference") { ForEveryPath(800, RunConcat); }

TEST_CASE("xsimd ResizeNearest matches the reference") { ForEveryPath(400, RunResizeNearest); }

TEST_CASE("xsimd Lookup matches the reference") { ForEveryPath(400, RunLookup); }

TEST_CASE("xsimd Softmax matches the reference") { ForEveryPath(400, RunSoftmax); }

#if QRT_HAVE_AVX512_ELEMENTWISE
// The AVX-512 path's table holds one of two lookups, chosen by the CPU; each on its
// own (the vpermi2b one where the CPU has AVX-512 VBMI).
TEST_CASE("Both AVX-512 lookups match the reference") {
  if (!kernels::CpuSupports(kernels::DetectCpuFeatures(), Isa::kAvx512Vnni)) {
    MESSAGE("skipped: the CPU has no AVX-512");
    return;
  }
  std::vector<kernels::LookupFn> lookups = {&kernels::x8_lookup__avx512bw};
  if (kernels::DetectCpuFeatures().avx512_vbmi) {
    lookups.push_back(&kernels::x8_lookup__avx512vbmi);
  } else {
    MESSAGE("the CPU has no AVX-512 VBMI: its lookup is not tested");
  }
  for (const kernels::LookupFn lookup : lookups) {
    KernelTable t = kernels::SelectKernels(Isa::kAvx512Vnni);
    t.lookup.fn = lookup;
    for (uint64_t seed = 1; seed <= 400; ++seed) {
      CAPTURE(seed);
      RunLookup(Isa::kAvx512Vnni, t, seed);
    }
  }
}
#endif  // QRT_HAVE_AVX512_ELEMENTWISE

TEST_CASE("xsimd Quantize matches the reference") { ForEveryPath(800, RunQuantize); }

TEST_CASE("xsimd Dequantize matches the reference") { ForEveryPath(400, RunDequantize); }

// Every int32 accumulator class against every Dyadic extreme: the x clamp of
// plan.h must leave Requantize's result alone whatever the multiplier, shift and
// zero point. Mul's product spans [-65025, 65025]; with a ones operand and zero
// zero points, a equals the accumulator.
TEST_CASE("xsimd Mul requantizes every product exactly at Dyadic extremes") {
  const std::vector<Isa> paths = RunnablePaths();
  std::vector<int8_t> a(256);
  std::vector<int8_t> b(256);
  for (int i = 0; i < 256; ++i) {
    a[static_cast<size_t>(i)] = static_cast<int8_t>(i - 128);
    b[static_cast<size_t>(i)] = static_cast<int8_t>(127 - ((i * 37) & 255));
  }
  for (const Isa isa : paths) {
    const std::string path_name = kernels::IsaName(isa);
    CAPTURE(path_name);
    const KernelTable t = kernels::SelectKernels(isa);
    for (const int32_t m : {0, 1 << 30, (1 << 30) + 1, 1518500250, INT32_MAX - 1, INT32_MAX}) {
      for (int32_t s = kernels::kMinShift; s <= kernels::kMaxShift; ++s) {
        for (const int32_t zy : {-128, -1, 0, 127}) {
          kernels::MulParams p{};
          p.shapes.rank = 1;
          p.shapes.a[0] = p.shapes.b[0] = p.shapes.out[0] = 256;
          p.a_zero_point = zy == 0 ? -128 : 127;
          p.b_zero_point = zy == -1 ? 127 : -128;
          p.requant = {m, s};
          p.output_zero_point = zy;
          p.clamp = zy == -1 ? kernels::OutputClamp{-5, 9} : kernels::OutputClamp{-128, 127};
          CAPTURE(m);
          CAPTURE(s);
          CAPTURE(zy);
          ExpectSame<int8_t>(
              isa, "mul", t.mul.fn, &kernels::ref::Mul, 256,
              [&](kernels::MulFn fn, int8_t* out) { fn(p, a.data(), b.data(), out); });
        }
      }
    }
  }
}

// Last in this file, so it runs after every case above (doctest orders by file
// and line).
TEST_CASE("Every xsimd family ran on every path that was built and the CPU has") {
  for (const Isa isa : RunnablePaths()) {
    for (const char* family : kFamilies) {
      const std::string path_name = kernels::IsaName(isa);
      CAPTURE(path_name);
      const std::string family_name = family;
      CAPTURE(family_name);
      CHECK(Runs()[{isa, family}] > 0);
    }
  }
}

}  // namespace
}  // namespace qrt::test
