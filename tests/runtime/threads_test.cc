// Threads: the pool runs every task exactly once, the tiler covers every output
// element exactly once on valid channel-block boundaries, and a session gives the
// same bytes for every thread count on every instruction set the CPU has, without
// allocating in Run().
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

#include "ops/row_split.h"
#include "qrt/kernels/isa.h"
#include "qrt/kernels/tiling.h"
#include "qrt/qrt.h"
#include "qrt/qrt_c.h"
#include "runtime/test_models.h"
#include "thread_pool.h"
#include "util/random.h"

namespace {

// Counts every global allocation made by this test binary, so a test can prove
// that a threaded Run() makes none.
std::atomic<int64_t> allocations{0};

}  // namespace

void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace qrt::test {
namespace {

using internal::ThreadPool;
using kernels::OutputTile;
using kernels::TileGrid;

constexpr int kThreadCounts[] = {1, 2, 3, 4, 7};

TEST_CASE("the pool runs each task exactly once, batch after batch") {
  for (const int threads : kThreadCounts) {
    CAPTURE(threads);
    ThreadPool pool(threads);
    CHECK(pool.num_threads() == threads);
    std::vector<std::atomic<int>> runs(200);
    for (int batch = 0; batch < 300; ++batch) {
      const int count = batch % 23 == 0 ? 0 : 1 + (batch * 37) % 200;
      for (std::atomic<int>& r : runs) r.store(0);
      pool.Run(count, [&](int i) { runs[static_cast<size_t>(i)].fetch_add(1); });
      for (int i = 0; i < 200; ++i) {
        const int ran = runs[static_cast<size_t>(i)].load();
        if (ran != (i < count ? 1 : 0)) {
          FAIL("batch " << batch << " of " << count << " tasks: task " << i << " ran " << ran
                        << " times");
        }
      }
    }
  }
}

TEST_CASE("the pool's tasks run on several threads and Run waits for all of them") {
  ThreadPool pool(3);
  std::atomic<int> finished{0};
  // Each task waits until the others have started, so three must run at once.
  std::atomic<int> started{0};
  pool.Run(3, [&](int) {
    started.fetch_add(1);
    while (started.load() < 3) std::this_thread::yield();
    finished.fetch_add(1);
  });
  CHECK(finished.load() == 3);
}

TEST_CASE("a pool whose workers sleep wakes for a batch and is destroyed cleanly") {
  for (const int threads : kThreadCounts) {
    CAPTURE(threads);
    {
      ThreadPool idle(threads);  // destroyed before any batch
    }
    ThreadPool pool(threads);
    std::atomic<int> sum{0};
    pool.Run(10, [&](int i) { sum.fetch_add(i); });
    // Long enough for the workers to stop spinning and sleep.
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    pool.Run(10, [&](int i) { sum.fetch_add(i); });
    CHECK(sum.load() == 90);
  }
}

// The elements of a tile.
int64_t TileSize(const OutputTile& tile) {
  return int64_t{tile.m_end - tile.m_begin} * (tile.n_end - tile.n_begin);
}

// Marks every element of each tile, checking the tile's bounds and alignment, and
// that no tile but the last (which may end in a partial unit) is smaller than the
// one before.
void CheckCoverage(int m, int n, int64_t depth, int channel_block, int threads, int row_unit) {
  CAPTURE(m);
  CAPTURE(n);
  CAPTURE(depth);
  CAPTURE(channel_block);
  CAPTURE(threads);
  CAPTURE(row_unit);
  const TileGrid grid = kernels::SplitOutput(m, n, depth, channel_block, threads, row_unit);
  REQUIRE(grid.count() >= 1);
  CHECK(grid.count() <= std::max(threads, 1) * kernels::kTilesPerThread);
  std::vector<uint8_t> covered(static_cast<size_t>(m) * static_cast<size_t>(n));
  for (int t = 0; t < grid.count(); ++t) {
    const OutputTile tile = grid.Tile(t);
    if (t > 0 && t + 1 < grid.count()) CHECK(TileSize(tile) >= TileSize(grid.Tile(t - 1)));
    REQUIRE(0 <= tile.m_begin);
    REQUIRE(tile.m_begin < tile.m_end);
    REQUIRE(tile.m_end <= m);
    REQUIRE(0 <= tile.n_begin);
    REQUIRE(tile.n_begin < tile.n_end);
    REQUIRE(tile.n_end <= n);
    CHECK(tile.m_begin % row_unit == 0);
    CHECK(tile.n_begin % channel_block == 0);
    CHECK((tile.n_end % channel_block == 0 || tile.n_end == n));
    for (int r = tile.m_begin; r < tile.m_end; ++r) {
      for (int c = tile.n_begin; c < tile.n_end; ++c) ++covered[static_cast<size_t>(r * n + c)];
    }
  }
  CHECK(std::all_of(covered.begin(), covered.end(), [](uint8_t c) { return c == 1; }));
}

TEST_CASE("tiles cover the output exactly once on channel-block boundaries") {
  for (const int threads : {1, 2, 3, 4, 7, 16, 64}) {
    for (const int channel_block : {1, 4, 8, 16, 64}) {
      for (const int m : {1, 2, 3, 5, 8, 31, 128, 1000}) {
        for (const int n : {1, 7, 16, 33, 100, 256, 1000}) {
          for (const int64_t depth : {int64_t{1}, int64_t{64}, int64_t{4096}}) {
            for (const int row_unit : {kernels::kTileRowAlign, 1, 7, 64}) {
              CheckCoverage(m, n, depth, channel_block, threads, row_unit);
            }
          }
        }
      }
    }
  }
}

TEST_CASE("the split follows the documented policy") {
  // Small outputs stay whole; one thread never splits.
  CHECK(kernels::SplitOutput(4, 16, 64, 16, 8).count() == 1);
  CHECK(kernels::SplitOutput(4096, 4096, 4096, 16, 1).count() == 1);
  // A fully connected layer with few rows is cut along N in channel blocks, into
  // kTilesPerThread equal tiles per thread.
  const TileGrid fc = kernels::SplitOutput(128, 3072, 768, 16, 2);
  REQUIRE(fc.count() == 2 * kernels::kTilesPerThread);
  for (int t = 0; t < fc.count(); ++t) {
    CHECK(fc.Tile(t).m_end == 128);
    CHECK(fc.Tile(t).n_end - fc.Tile(t).n_begin == 3072 / fc.count());
  }
  // A convolution with many pixels is cut along M at multiples of kTileRowAlign.
  const TileGrid conv = kernels::SplitOutput(56 * 56, 64, 576, 16, 3);
  REQUIRE(conv.count() % 3 == 0);
  for (int t = 0; t < conv.count(); ++t) {
    CHECK(conv.Tile(t).n_end == 64);
    CHECK(conv.Tile(t).m_begin % kernels::kTileRowAlign == 0);
  }
  // 1M multiply-accumulates on 1024 rows are one tile of kMinTileMacs; on one row they
  // stream as many weights, which count kWeightCostMacs each: 5 tiles' worth, rounded
  // down to 2 threads.
  static_assert(kernels::kMinTileMacs == int64_t{1} << 20 && kernels::kWeightCostMacs == 4);
  CHECK(kernels::SplitOutput(1024, 16, 64, 16, 2).count() == 1);
  CHECK(kernels::SplitOutput(1, 1024, 1024, 16, 2).count() == 4);
  // A depthwise multiply-accumulate counts kDepthwiseCostMacs: 14x14x576 3x3 (under
  // 2^20 MACs) is cut along N in two; as dense work it would stay whole. A depthwise
  // convolution with many pixels is cut along M at pairs of output rows, the smaller
  // tiles first (28 pairs of 56-pixel rows in 8 tiles: 4 of 3 pairs, 4 of 4).
  static_assert(kernels::kDepthwiseCostMacs == 4);
  kernels::Conv2DParams dw{};
  dw.batch = 1;
  dw.in_h = dw.out_h = dw.in_w = dw.out_w = 14;
  dw.in_c = dw.out_c = dw.groups = 576;
  dw.kernel_h = dw.kernel_w = 3;
  const TileGrid dw14 = kernels::SplitOutput(dw, 64, 2);
  REQUIRE(dw14.count() == 2);
  CHECK((dw14.Tile(1).m_begin == 0 && dw14.Tile(1).n_begin == 256));
  CHECK(kernels::SplitOutput(14 * 14, 576, 9, 64, 2).count() == 1);
  dw.in_h = dw.out_h = dw.in_w = dw.out_w = 56;
  dw.in_c = dw.out_c = dw.groups = 144;
  const TileGrid dw56 = kernels::SplitOutput(dw, 64, 2);
  REQUIRE(dw56.count() == 8);
  for (int t = 0; t < 8; ++t) {
    CHECK(dw56.Tile(t).m_begin == 2 * 56 * (3 * t + std::max(t - 4, 0)));
  }
  // Work for more tiles than threads allow is capped at kTilesPerThread per thread.
  CHECK(kernels::SplitOutput(1, 8000, 1000, 16, 4).count() == 4 * kernels::kTilesPerThread);
  // Bad arguments give the whole output.
  CHECK(kernels::SplitOutput(100, 100, 100, 0, 4).count() == 1);
  CHECK(kernels::SplitOutput(100, 100, -1, 16, 4).count() == 1);
  const OutputTile whole = kernels::SplitOutput(100, 50, 0, 16, 4).Tile(0);
  CHECK((whole.m_begin == 0 && whole.m_end == 100 && whole.n_begin == 0 && whole.n_end == 50));
}

kernels::Dyadic Requant(double m) {
  kernels::Dyadic d{};
  REQUIRE(kernels::QuantizeMultiplier(m, &d) == kernels::QuantizeMultiplierError::kOk);
  return d;
}

std::vector<kernels::Dyadic> Requants(Rng& rng, size_t n, double base) {
  std::vector<kernels::Dyadic> requant;
  for (size_t i = 0; i < n; ++i) {
    requant.push_back(Requant(base * (0.5 + static_cast<double>(rng.Int8s(1, 0, 100)[0]) / 100)));
  }
  return requant;
}

// GEMM-shaped operators large enough that every one of them is split: a 3x3
// convolution, a depthwise 3x3 convolution (cut at pairs of output rows) and a
// grouped 1x1 int4 convolution (cut along M), fully connected
// layers with 3 rows, int8 and int4 (cut along N), and a softmax over the grouped
// convolution's output (cut into runs of rows). Inputs "image" int8
// [1, 32, 32, 16] and "rows" int8 [3, 512].
ModelBuilder SplitModel() {
  Rng rng(7);
  ModelBuilder b;
  const int32_t image = b.AddActivation("image", {1, 32, 32, 16}, 0.02f, 3);
  const int32_t w1 = b.AddInt8Weights("conv.w", {64, 3, 3, 16}, rng.Int8s(64 * 144, -127, 127),
                                      std::vector<float>(64, 0.01f));
  const int32_t c1 = b.AddActivation("conv", {1, 32, 32, 64}, 0.05f, -7);
  b.Conv2D(image, w1, b.AddBias("conv.b", rng.Int32s(64, -3000, 3000)), c1,
           {.pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1},
           Requants(rng, 64, 0.0005), {-7, 127});
  const int32_t dw_w = b.AddInt8Weights("dw.w", {64, 3, 3, 1}, rng.Int8s(64 * 9, -127, 127),
                                        std::vector<float>(64, 0.02f));
  const int32_t dw = b.AddActivation("dw", {1, 32, 32, 64}, 0.04f, 9);
  b.Conv2D(c1, dw_w, b.AddBias("dw.b", rng.Int32s(64, -2000, 2000)), dw,
           {.pad_top = 1, .pad_left = 1, .pad_bottom = 1, .pad_right = 1, .groups = 64},
           Requants(rng, 64, 0.02));
  const int32_t w2 = b.AddInt4Weights("group.w", {96, 1, 1, 32}, rng.Int8s(96 * 32, -8, 7),
                                      std::vector<float>(96, 0.1f));
  const int32_t c2 = b.AddActivation("group", {1, 32, 32, 96}, 0.05f, 2);
  b.Conv2D(c1, w2, b.AddBias("group.b", rng.Int32s(96, -500, 500)), c2, {.groups = 2},
           Requants(rng, 96, 0.02));

  const int32_t rows = b.AddActivation("rows", {3, 512}, 0.03f, -1);
  const int32_t w3 = b.AddInt8Weights("fc8.w", {1000, 512}, rng.Int8s(1000 * 512, -127, 127),
                                      std::vector<float>(1000, 0.01f));
  const int32_t f1 = b.AddActivation("fc8", {3, 1000}, 0.1f, 0);
  b.FullyConnected(rows, w3, b.AddBias("fc8.b", rng.Int32s(1000, -5000, 5000)), f1,
                   Requants(rng, 1000, 0.0003));
  const int32_t w4 = b.AddInt4Weights("fc4.w", {300, 1000}, rng.Int8s(300 * 1000, -8, 7),
                                      std::vector<float>(300, 0.05f));
  const int32_t f2 = b.AddActivation("fc4", {3, 300}, 0.1f, 5);
  b.FullyConnected(f1, w4, b.AddBias("fc4.b", rng.Int32s(300, -500, 500)), f2,
                   Requants(rng, 300, 0.004));
  // A softmax over 1024 rows of 96 (98,304 elements) is cut into runs of rows.
  const int32_t sm = b.AddActivation("softmax", {1, 32, 32, 96}, 1.0f / 256, -128);
  b.Softmax(c2, sm, SoftmaxExpTable(0.05), {Requant(256.0 / double(1 << 30))});
  b.SetInputs({image, rows});
  b.SetOutputs({dw, c2, f1, f2, sm});
  return b;
}

// Row-split operators large enough that each is cut into runs of rows at every
// thread count > 1 (the test below checks their estimated work): a layer
// normalization of 64 rows of 120, attention's two batch matmuls over 8 heads of 64
// x 64 (cut along the heads) with a softmax between them, a batch matmul of one
// 256 x 64 matrix (cut along its rows), an ADD whose second operand broadcasts along
// the cut axis, a MUL whose first one does (a squeeze-excitation gate) and a LOOKUP
// of its 196,608 elements (cut into runs of elements), and a CONCAT of two of those
// along channels (cut along its 2048 pixels). Inputs
// "tokens" [64, 120], "q", "k", "v" [1, 8, 64, 64], "x" [256, 64], "w" [64, 96],
// "image" [1, 64, 32, 96], "bias" [1, 1, 32, 96] and "gate" [1, 1, 1, 96].
ModelBuilder RowSplitModel() {
  Rng rng(9);
  ModelBuilder b;
  const int32_t tokens = b.AddActivation("tokens", {64, 120}, 0.05f, 4);
  const int32_t gamma =
      b.AddInt8Weights("gamma", {120}, rng.Int8s(120, -127, 127), std::vector<float>(120, 0.01f));
  const int32_t norm = b.AddActivation("norm", {64, 120}, 0.03f, -2);
  b.LayerNorm(tokens, gamma, b.AddBias("beta", rng.Int32s(120, -100000, 100000)), norm, 576,
              Requants(rng, 120, 1.0 / (1 << 23)));

  const int32_t q = b.AddActivation("q", {1, 8, 64, 64}, 0.02f, 1);
  const int32_t k = b.AddActivation("k", {1, 8, 64, 64}, 0.02f, -3);
  const int32_t v = b.AddActivation("v", {1, 8, 64, 64}, 0.02f, 0);
  const int32_t scores = b.AddActivation("scores", {1, 8, 64, 64}, 0.1f, 5);
  b.BatchMatMul(q, k, scores, true, {Requant(0.001)});
  const int32_t probs = b.AddActivation("probs", {1, 8, 64, 64}, 1.0f / 256, -128);
  b.Softmax(scores, probs, SoftmaxExpTable(0.05), {Requant(256.0 / double(1 << 30))});
  const int32_t context = b.AddActivation("context", {1, 8, 64, 64}, 0.05f, -1);
  b.BatchMatMul(probs, v, context, false, {Requant(0.002)});

  const int32_t x = b.AddActivation("x", {256, 64}, 0.02f, 2);
  const int32_t w = b.AddActivation("w", {64, 96}, 0.02f, -5);
  const int32_t projected = b.AddActivation("projected", {256, 96}, 0.1f, 0);
  b.BatchMatMul(x, w, projected, false, {Requant(0.001)});

  const int32_t image = b.AddActivation("image", {1, 64, 32, 96}, 0.02f, 3);
  const int32_t bias = b.AddActivation("bias", {1, 1, 32, 96}, 0.02f, -4);
  const int32_t sum = b.AddActivation("sum", {1, 64, 32, 96}, 0.03f, 1);
  b.Add(image, bias, sum, {Requant(0.5), Requant(0.4), Requant(1.0 / (1 << 20))});
  const int32_t gate = b.AddActivation("gate", {1, 1, 1, 96}, 0.01f, -128);
  const int32_t gated = b.AddActivation("gated", {1, 64, 32, 96}, 0.02f, 0);
  b.Mul(gate, sum, gated, {Requant(1.0 / 128)});
  // HardSwish (table built at load) with Sx = Sy = 0.02 and 8 fraction bits.
  const int32_t swished = b.AddActivation("swished", {1, 64, 32, 96}, 0.02f, -10);
  const kernels::Dyadic m = Requant(0.02 / (6.0 * 256));
  b.HardActivationLookup(
      gated, swished,
      schema::HardActivation(150 << 8, 300 << 8, m.multiplier, static_cast<int8_t>(m.shift), 8,
                             schema::HardFunction::HARD_SWISH, schema::Clamp(-128, 127)));
  // A channel concatenation of the image and the gated sum, each requantized.
  const int32_t joined = b.AddActivation("joined", {1, 64, 32, 192}, 0.025f, -3);
  b.Concat({image, gated}, joined, 3, {Requant(0.8), Requant(0.8)});
  b.SetInputs({tokens, q, k, v, x, w, image, bias, gate});
  b.SetOutputs({norm, probs, context, projected, sum, gated, swished, joined});
  return b;
}

// The model boundary, large enough that both operators are cut into runs of
// elements: float "x" [1, 320, 320, 3] quantized to "q", which is dequantized to
// float "y".
ModelBuilder BoundaryModel() {
  ModelBuilder b;
  const int32_t x = b.AddFloatTensor("x", {1, 320, 320, 3});
  const int32_t q = b.AddActivation("q", {1, 320, 320, 3}, 0.01f, 5);
  b.Quantize(x, q);
  const int32_t y = b.AddFloatTensor("y", {1, 320, 320, 3});
  b.Dequantize(q, y);
  b.SetInputs({x});
  b.SetOutputs({q, y});
  return b;
}

TEST_CASE("row runs follow the documented policy") {
  using internal::RowRunCount;
  // One thread, one row or too little work: one run.
  CHECK(RowRunCount(1000, internal::kMinRunPs, 1) == 1);
  CHECK(RowRunCount(1, internal::kMinRunPs * 100, 4) == 1);
  CHECK(RowRunCount(1000, 0, 4) == 1);
  CHECK(RowRunCount(3, internal::kMinRunPs / 2, 2) == 1);
  // Work for 3 runs on 2 threads: rounded down to 2; on 4 threads: 3.
  CHECK(RowRunCount(3, internal::kMinRunPs, 2) == 2);
  CHECK(RowRunCount(3, internal::kMinRunPs, 4) == 3);
  // No more runs than rows, nor than kTilesPerThread per thread; huge work saturates.
  CHECK(RowRunCount(5, internal::kMinRunPs * 10, 2) == 4);
  CHECK(RowRunCount(1000, internal::kMinRunPs, 3) == 3 * kernels::kTilesPerThread);
  CHECK(RowRunCount(int64_t{1} << 40, int64_t{1} << 40, 7) == 7 * kernels::kTilesPerThread);
  // Runs cover the rows in order, none empty, none smaller than the one before.
  for (const int64_t rows : {2, 7, 64, 1000}) {
    for (const int runs : {2, 3, 8}) {
      if (runs > rows) continue;
      CHECK(kernels::PartBegin(rows, 0, runs) == 0);
      CHECK(kernels::PartBegin(rows, runs, runs) == rows);
      for (int r = 0; r < runs; ++r) {
        const int64_t size =
            kernels::PartBegin(rows, r + 1, runs) - kernels::PartBegin(rows, r, runs);
        CHECK(size > 0);
        if (r > 0) {
          CHECK(size >= kernels::PartBegin(rows, r, runs) - kernels::PartBegin(rows, r - 1, runs));
        }
      }
    }
  }
  // Every operator of RowSplitModel is cut at 2 threads (so at every count > 1).
  CHECK(RowRunCount(64, 120 * internal::kLayerNormElementPs, 2) > 1);
  CHECK(RowRunCount(8, 64 * 64 * 64 * internal::kBatchMatMulMacPs, 2) > 1);
  CHECK(RowRunCount(8 * 64, 64 * internal::kSoftmaxElementPs, 2) > 1);
  CHECK(RowRunCount(256, 96 * 64 * internal::kBatchMatMulMacPs, 2) > 1);
  CHECK(RowRunCount(64, 32 * 96 * internal::kElementwiseElementPs, 2) > 1);
  CHECK(RowRunCount(64 * 32 * 96, internal::kLookupElementPs, 2) > 1);
  CHECK(RowRunCount(64 * 32, 192 * internal::kConcatElementPs, 2) > 1);
  // And both of BoundaryModel.
  CHECK(RowRunCount(320 * 320 * 3, internal::kBoundaryElementPs, 2) > 1);
}

std::vector<kernels::Isa> SupportedIsas() {
  const kernels::CpuFeatures cpu = kernels::DetectCpuFeatures();
  std::vector<kernels::Isa> isas;
  for (const kernels::Isa isa :
       {kernels::Isa::kReference, kernels::Isa::kAvx2, kernels::Isa::kAvx512Vnni,
        kernels::Isa::kNeon, kernels::Isa::kNeonDot}) {
    if (kernels::CpuSupports(cpu, isa)) isas.push_back(isa);
  }
  return isas;
}

// All outputs of one run, concatenated as bytes. Float inputs take int8 values
// over 100, which BoundaryModel quantizes (scale 0.01) to nearly all of int8.
std::vector<int8_t> RunOnce(Session& session) {
  Rng rng(11);
  for (const TensorInfo& input : session.model().inputs()) {
    const std::vector<int8_t> values = rng.Int8s(input.element_count);
    if (input.type == ElementType::kFloat32) {
      std::vector<float> real(values.size());
      for (size_t i = 0; i < real.size(); ++i) real[i] = static_cast<float>(values[i]) / 100;
      REQUIRE(session.SetInput(input.name, real.data(), real.size()).ok());
    } else {
      REQUIRE(session.SetInput(input.name, values.data(), values.size()).ok());
    }
  }
  REQUIRE(session.Run().ok());
  std::vector<int8_t> all;
  for (const TensorInfo& output : session.model().outputs()) {
    if (output.type == ElementType::kFloat32) {
      std::vector<float> values(output.element_count);
      REQUIRE(session.GetOutput(output.name, values.data(), values.size()).ok());
      const auto* bytes = reinterpret_cast<const int8_t*>(values.data());
      all.insert(all.end(), bytes, bytes + values.size() * sizeof(float));
    } else {
      std::vector<int8_t> values(output.element_count);
      REQUIRE(session.GetOutput(output.name, values.data(), values.size()).ok());
      all.insert(all.end(), values.begin(), values.end());
    }
  }
  return all;
}

void CheckSameBytesForEveryThreadCount(const ModelBuilder& builder) {
  const AlignedBytes bytes(builder.Finish());
  std::vector<int8_t> expected;
  for (const kernels::Isa isa : SupportedIsas()) {
    CAPTURE(kernels::IsaName(isa));
    std::shared_ptr<const Model> model;
    LoadOptions options;
    options.max_isa = kernels::IsaName(isa);
    const Status loaded = Model::LoadBuffer(bytes.data(), bytes.size(), &model, options);
    REQUIRE_MESSAGE(loaded.ok(), loaded.ToString());
    for (const int threads : kThreadCounts) {
      CAPTURE(threads);
      std::unique_ptr<Session> session;
      REQUIRE(Session::Create(model, &session, {.num_threads = threads}).ok());
      const std::vector<int8_t> outputs = RunOnce(*session);
      if (expected.empty()) expected = outputs;
      CHECK(outputs == expected);
    }
  }
  REQUIRE(!expected.empty());
  // The outputs are not degenerate (a clamp stuck at one value would hide a split bug).
  CHECK(std::count(expected.begin(), expected.end(), expected[0]) <
        static_cast<std::ptrdiff_t>(expected.size() / 4));
}

TEST_CASE("outputs are byte-identical for every thread count and instruction set") {
  SUBCASE("GEMM-shaped operators cut into tiles") {
    CheckSameBytesForEveryThreadCount(SplitModel());
  }
  SUBCASE("row-wise, elementwise and batch matmul operators cut into runs of rows") {
    CheckSameBytesForEveryThreadCount(RowSplitModel());
  }
  SUBCASE("quantize and dequantize cut into runs of elements") {
    CheckSameBytesForEveryThreadCount(BoundaryModel());
  }
}

TEST_CASE("a threaded Run() performs no heap allocation") {
  const AlignedBytes bytes(SplitModel().Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  for (const int threads : {2, 4}) {
    CAPTURE(threads);
    std::unique_ptr<Session> session;
    REQUIRE(Session::Create(model, &session, {.num_threads = threads}).ok());
    RunOnce(*session);
    const int64_t before = allocations.load();
    for (int i = 0; i < 3; ++i) REQUIRE(session->Run().ok());
    CHECK(allocations.load() == before);
  }
}

TEST_CASE("thread counts outside 1 to kMaxSessionThreads are rejected") {
  const AlignedBytes bytes(EveryOperatorModel().Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  for (const int threads : {0, -1, kMaxSessionThreads + 1, 1 << 30}) {
    CAPTURE(threads);
    std::unique_ptr<Session> session;
    const Status status = Session::Create(model, &session, {.num_threads = threads});
    CHECK(status.code() == StatusCode::kInvalidArgument);
    CHECK(status.message().find("num_threads is " + std::to_string(threads)) != std::string::npos);
    CHECK(session == nullptr);
  }
  std::unique_ptr<Session> session;
  CHECK(Session::Create(model, &session, {.num_threads = kMaxSessionThreads}).ok());
}

TEST_CASE("the C API takes a thread count and rejects a bad one") {
  const AlignedBytes bytes(SplitModel().Finish());
  qrt_model* model = nullptr;
  REQUIRE(qrt_model_load_buffer(bytes.data(), bytes.size(), nullptr, &model) == QRT_OK);
  qrt_session* session = nullptr;
  qrt_session_options options{0};
  CHECK(qrt_session_create_with_options(model, &options, &session) == QRT_INVALID_ARGUMENT);
  CHECK(std::string(qrt_last_error()).find("num_threads is 0") != std::string::npos);
  options.num_threads = QRT_MAX_SESSION_THREADS + 1;
  CHECK(qrt_session_create_with_options(model, &options, &session) == QRT_INVALID_ARGUMENT);
  CHECK(session == nullptr);
  options.num_threads = 3;
  REQUIRE(qrt_session_create_with_options(model, &options, &session) == QRT_OK);
  CHECK(qrt_session_run(session) == QRT_OK);
  qrt_session_free(session);
  REQUIRE(qrt_session_create_with_options(model, nullptr, &session) == QRT_OK);
  qrt_session_free(session);
  qrt_model_free(model);
}

}  // namespace
}  // namespace qrt::test
