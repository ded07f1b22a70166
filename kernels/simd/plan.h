// Scalar set-up shared by the xsimd kernels (kernels/simd/*.h): what a kernel
// computes once per call, before its vector loop, from the parameters of
// params.h. It lives in plan.cc, compiled with the library's baseline flags, so
// the per-ISA translation units call it rather than each compiling their own
// copy (an inline function compiled with -mavx512f in one unit could stand in for
// the baseline copy of another: ODR).
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"
#include "qrt/kernels/requant.h"

namespace qrt::kernels::simd {

// requant.h's Rescale in 64-bit lanes without an arithmetic shift:
//   Rescale(x, d) + offset == ((x * multiplier + add) >>> shift) - sub
// with add = 2^(s-1) + 2^62 and sub = 2^(62-s) - offset, `>>>` a logical shift.
// x * multiplier lies in (-2^62, 2^62), so x * multiplier + add lies in
// (0, 2^63 + 2^61): no uint64 wraps, and as 2^62 is a multiple of 2^s the
// logical shift of the biased sum is floor((x * m + 2^(s-1)) / 2^s) + 2^(62-s)
// exactly. Every ISA has the unsigned 64-bit shift (AVX2 lacks the signed one).
struct RescalePlan {
  int32_t multiplier;
  int32_t shift;
  int64_t add;
  int64_t sub;
};

// The plan of Rescale(x, d) + offset; d must satisfy IsValidDyadic.
RescalePlan MakeRescalePlan(Dyadic d, int32_t offset);

// requant.h's Requantize(acc, d, zy, lo, hi) in int32 lanes:
//   x'  = min(max(acc, x_lo), x_hi)
//   y   = min(max(low 32 bits of (Rescale(x', d) + zy), lo), hi)
// x_lo is the largest int32 with Rescale(x_lo, d) + zy <= lo (INT32_MIN if none)
// and x_hi the smallest with Rescale(x_hi, d) + zy >= hi (INT32_MAX if none).
// Rescale is non-decreasing in x, so clamping x first changes no clamped result,
// and it bounds Rescale(x', d) + zy to within one step (at most 2^30) of [lo, hi],
// so it fits int32 and its low 32 bits are the value itself.
struct RequantPlan {
  RescalePlan rescale;  // with offset zy
  int32_t x_lo, x_hi;
  int32_t lo, hi;
};

// False when the vector kernels cannot reproduce Requantize bit for bit with a
// saturating narrowing to int8: lo or hi outside [-128, 127] (the reference
// narrows such clamps modulo 256). The kernels then call the reference.
bool MakeRequantPlan(Dyadic d, int32_t zy, int32_t lo, int32_t hi, RequantPlan* plan);

// Whether, for every acc in [acc_min, acc_max], Requantize(acc, d, zy, lo, hi)
// is the saturating int8 narrowing of Rescale(acc, d) + zy alone: lo and hi are
// int8's bounds and Rescale(acc, d) + zy fits int32 (Rescale is non-decreasing
// in acc, so the ends bound it). The kernels then skip RequantPlan's clamps.
bool RequantIsNarrowing(Dyadic d, int32_t zy, int32_t lo, int32_t hi, int64_t acc_min,
                        int64_t acc_max);

// The longest repeated pattern a broadcast row may carry (BroadcastPlan): the
// kernels expand it, plus a vector, into a stack buffer of int32 lanes.
constexpr int64_t kMaxPeriod = 1024;

// A numpy broadcast of two operands reduced to rows: dimensions of output size
// 1 dropped, adjacent dimensions where each operand is either full in both or
// broadcast in both merged. The innermost merged dimension is the row; when it
// is full in both operands and at most kMaxPeriod long, and the dimension above
// it is full in one operand only, that dimension joins the row as well (a
// per-channel operand over NHWC pixels: one long row instead of one row per
// pixel, however few the channels). Element i of a row reads operand k at
// i % k_period from the operand's row start: the period is row_length for an
// operand that advances along the row, 1 for one broadcast over it, and the
// inner dimension's size for one repeated along it. The other dimensions,
// outermost first, are walked with element strides (0 where an operand is
// broadcast).
struct BroadcastPlan {
  int64_t count;  // output elements; 0 means nothing to do
  int64_t row_length;
  int64_t a_period, b_period;
  int outer_rank;
  int64_t outer_size[kMaxRank];
  int64_t a_stride[kMaxRank];
  int64_t b_stride[kMaxRank];
};

BroadcastPlan MakeBroadcastPlan(const BroadcastShapes& s);

}  // namespace qrt::kernels::simd
