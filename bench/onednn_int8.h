// oneDNN's int8 inference on a benchmark case, the way an application deploys
// it: u8 source (qrt's int8 input + 128, which with qrt's input zero point -128
// is the same real tensor), s8 weights in the blocked layout oneDNN picks
// (format_tag::any, reordered once at creation), s32 bias, per-output-channel
// output scales equal to qrt's dyadic multipliers, a fused ReLU and a u8
// destination. Fully connected runs the matmul primitive, convolutions
// convolution_forward on NHWC tensors. oneDNN has no int4 weights: int4 cases run
// with the same values stored as s8.
//
// Debian's libdnnl threads with OpenMP; each runner sets the OpenMP thread count
// before it creates its primitive (some implementations size their blocking for
// it) and before every run.
#pragma once

#include <dnnl.hpp>
#include <memory>
#include <string>
#include <unordered_map>

#include "kernel_cases.h"
#include "qrt/status.h"

namespace qrt::bench {

class OnednnInt8 {
 public:
  // ops must outlive the runner.
  static Status Create(const Operands& ops, int threads, std::unique_ptr<OnednnInt8>* runner);

  // Computes the whole output.
  void Run();

  // u8, the same [M, N] element order as qrt's output.
  const uint8_t* output() const;
  // The implementation oneDNN chose, e.g. "brg:avx512_core_vnni".
  const std::string& impl() const { return impl_; }

 private:
  OnednnInt8() = default;

  int threads_ = 1;
  dnnl::engine engine_;
  dnnl::stream stream_;
  dnnl::primitive primitive_;
  std::unordered_map<int, dnnl::memory> args_;
  std::string impl_;
};

// "2.6.3".
std::string OnednnVersion();

}  // namespace qrt::bench
