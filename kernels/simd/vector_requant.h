// requant.h's Rescale and Requantize on xsimd batches of int32 lanes, from the
// plans of plan.h, and the loop helpers the xsimd kernels share. Everything is
// a template on the xsimd architecture inside an anonymous namespace (see
// arch_ops.h on ODR).
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>
#include <xsimd/xsimd.hpp>

#include "simd/arch_ops.h"
#include "simd/plan.h"

namespace qrt::kernels::simd {
namespace {

template <class A>
using I32 = xsimd::batch<int32_t, A>;
template <class A>
using I8 = xsimd::batch<int8_t, A>;
template <class A>
using F32 = xsimd::batch<float, A>;

// The most bytes a step of any kernel covers (an AVX-512 int8 batch), the size
// of the stack copies that carry a partial last step.
constexpr int kMaxStepBytes = 64;

// Rescale(x, d) + offset, the low 32 bits of each lane (the value itself
// wherever it fits int32).
template <class A>
class VectorRescale {
 public:
  explicit VectorRescale(const RescalePlan& plan) : k_(Ops<A>::Prepare(plan)) {}
  I32<A> operator()(I32<A> x) const { return Ops<A>::Rescale(x, k_); }

 private:
  typename Ops<A>::RescaleConstants k_;
};

// Requantize(acc, d, zy, lo, hi) in every lane, exactly (plan.h's RequantPlan).
template <class A>
class VectorRequant {
 public:
  VectorRequant() : VectorRequant(RequantPlan{{0, 1, 0, 0}, 0, 0, 0, 0}) {}
  explicit VectorRequant(const RequantPlan& plan)
      : rescale_(plan.rescale), x_lo_(plan.x_lo), x_hi_(plan.x_hi), lo_(plan.lo), hi_(plan.hi) {}
  I32<A> operator()(I32<A> acc) const {
    const I32<A> x = xsimd::min(xsimd::max(acc, x_lo_), x_hi_);
    return xsimd::min(xsimd::max(rescale_(x), lo_), hi_);
  }

 private:
  VectorRescale<A> rescale_;
  I32<A> x_lo_, x_hi_, lo_, hi_;
};

// clamp(Rescale(acc, d) + zy, lo, hi) through plan.h's HighRescalePlan, for the
// accumulators the plan was made for; kClamp: [lo, hi] is narrower than int8
// (otherwise the store's saturating narrowing clamps).
template <class A, bool kClamp>
class VectorHighRequant {
 public:
  VectorHighRequant(const HighRescalePlan& plan, int32_t lo, int32_t hi)
      : multiplier_(plan.multiplier), add_(plan.add), shift_(plan.shift), lo_(lo), hi_(hi) {}
  I32<A> operator()(I32<A> acc) const {
    const I32<A> y = (Ops<A>::MulHigh31(acc, multiplier_) + add_) >> shift_;
    if constexpr (kClamp) return xsimd::min(xsimd::max(y, lo_), hi_);
    return y;
  }

 private:
  I32<A> multiplier_, add_;
  int32_t shift_;
  I32<A> lo_, hi_;
};

// Calls run(requant) with the VectorHighRequant of the plan and clamp.
template <class A, class Run>
void WithHighRequant(const HighRescalePlan& plan, int32_t lo, int32_t hi, const Run& run) {
  if (lo == INT8_MIN && hi == INT8_MAX) {
    run(VectorHighRequant<A, false>(plan, lo, hi));
  } else {
    run(VectorHighRequant<A, true>(plan, lo, hi));
  }
}

int32_t ClampScalar(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }

// The most bytes CopyBytes copies in fixed-size pieces; longer runs call memcpy.
constexpr size_t kShortCopyBytes = 64;

// memcpy(out, in, n) for the short runs of channel concats and pixel copies (a
// few channels per pixel, hundreds of thousands of runs): fixed-size pieces that
// compile to single moves, the last overlapping the one before, where a call to
// memcpy per run costs more than the lookup that made its bytes.
inline void CopyBytes(int8_t* out, const int8_t* in, size_t n) {
  const auto pieces = [&]<size_t kPiece>(std::integral_constant<size_t, kPiece>) {
    for (size_t i = 0; i + kPiece < n; i += kPiece) std::memcpy(out + i, in + i, kPiece);
    std::memcpy(out + n - kPiece, in + n - kPiece, kPiece);
  };
  if (n > kShortCopyBytes) {
    std::memcpy(out, in, n);
  } else if (n >= 16) {
    pieces(std::integral_constant<size_t, 16>{});
  } else if (n >= 4) {
    pieces(std::integral_constant<size_t, 4>{});
  } else {
    for (size_t i = 0; i < n; ++i) out[i] = in[i];
  }
}

// Calls step(in, out) for each run of `lanes` elements of a row of n; a partial
// last run goes through zero-filled stack copies of the input and of the output,
// so nothing outside the tensors is read or written.
template <class Step>
void ForEachRun(int64_t n, int lanes, const int8_t* in, int8_t* out, const Step& step) {
  int64_t i = 0;
  for (; i + lanes <= n; i += lanes) step(in + i, out + i);
  if (i == n) return;
  const auto rest = static_cast<size_t>(n - i);
  alignas(64) int8_t in_copy[kMaxStepBytes] = {};
  alignas(64) int8_t out_copy[kMaxStepBytes];
  std::memcpy(in_copy, in + i, rest);
  step(in_copy, out_copy);
  std::memcpy(out + i, out_copy, rest);
}

}  // namespace
}  // namespace qrt::kernels::simd
