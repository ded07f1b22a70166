// The shapes qrt-kernel-bench measures and the operands it feeds them: random
// activations and weights with a per-output-channel requantization that keeps the
// outputs spread over the int8 range (as a calibrated model's would), the same
// for qrt and oneDNN.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "qrt/kernels/params.h"

namespace qrt::bench {

// Fully connected (a GEMM [M, K] x [K, N]) or a convolution; every case runs with
// the ReLU clamp, input zero point -128 and output zero point -128, i.e. the
// unsigned activations of a ReLU network shifted into int8.
using CaseParams = std::variant<kernels::FullyConnectedParams, kernels::Conv2DParams>;

struct KernelCase {
  std::string name;   // e.g. "gemm 16x1024x1024", "conv 56x56x64->64 3x3"
  CaseParams params;  // ChannelRequant pointers unset until MakeOperands
};

// The shapes of the kernel benchmark (docs/benchmarks.md).
std::vector<KernelCase> DefaultCases();

// The [M, N] output and depth K of the GEMM a case computes (convolution: M =
// output pixels, K = kernel_h * kernel_w * in_c / groups).
struct GemmShape {
  int m = 0;
  int n = 0;
  int k = 0;
};
GemmShape ShapeOf(const CaseParams& params);

// 2 x the multiply-accumulates of one run: the usual "ops" of GOP/s.
double OpsPerRun(const CaseParams& params);

// Groups == in_c == out_c: the runtime runs these with the depthwise kernel entry.
bool IsDepthwise(const CaseParams& params);

int64_t InputElements(const CaseParams& params);
int64_t OutputElements(const CaseParams& params);

// Zeroed bytes aligned to 64, like the runtime's tensors and packed weights.
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
using AlignedBytes = std::unique_ptr<uint8_t[], FreeDeleter>;
AlignedBytes AllocateAlignedBytes(size_t bytes);

// A case's operands. Not copyable: params point into the vectors.
struct Operands {
  Operands() = default;
  Operands(const Operands&) = delete;
  Operands& operator=(const Operands&) = delete;

  CaseParams params;                  // the case's, with requant pointing at multiplier/shift
  AlignedBytes input;                 // InputElements int8 values
  std::vector<int8_t> weight_values;  // one per weight, canonical order ([N, K] / OHWI)
  std::vector<uint8_t> weights;       // qrt's canonical storage: weight_values, or int4 rows
  std::vector<int32_t> bias;          // N
  std::vector<int32_t> multiplier;    // N
  std::vector<int8_t> shift;          // N
  std::vector<float> scale;           // N: the real value of each channel's multiplier
};

// Deterministic pseudo-random operands for a case (the same on every platform).
std::unique_ptr<Operands> MakeOperands(const KernelCase& c, uint32_t seed);

}  // namespace qrt::bench
