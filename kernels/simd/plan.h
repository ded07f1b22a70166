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

// Rescale(x, d) + offset in int32 lanes through the high half of the product,
// for d.shift >= 32:
//   (((x * multiplier) >> 31) + add) >> shift,  add = 2^(s-32) + offset * 2^(s-31),
//   shift = s - 31
// with `>>` arithmetic and (x * multiplier) >> 31 the 64-bit product's bits 31..62
// (Ops<A>::MulHigh31; vqdmulh on NEON). As 2^(s-1) is a multiple of 2^31, the
// floor of the product's 2^31 part loses nothing: floor((x * m + 2^(s-1)) / 2^s)
// = floor((floor(x * m / 2^31) + 2^(s-32)) / 2^(s-31)). Two products and one
// shift fewer than RescalePlan's 64-bit lanes, and no clamp before it: the plan
// exists only where the sum stays inside int32 for every x in the given range.
struct HighRescalePlan {
  int32_t multiplier;
  int32_t add;
  int32_t shift;
};

// The plan of Rescale(x, d) + offset for x in [x_min, x_max]; false where d.shift
// < 32 or the sum before the shift leaves int32 somewhere in that range.
bool MakeHighRescalePlan(Dyadic d, int32_t offset, int64_t x_min, int64_t x_max,
                         HighRescalePlan* plan);

// An Add operand's Rescale((q - z) << left_shift, d) for every int8 q as one int32
// multiply-add and arithmetic shift: (q * multiplier + add) >> shift. With
// d.multiplier = m' * 2^t (m' odd) and e = s - left_shift - t, the product
// (q - z) * m * 2^left_shift is (q - z) * m' * 2^(s - e): for e <= 0 the rounding
// adds nothing to a multiple of 2^s (multiplier m' * 2^-e, shift 0), for e > 0
// dividing by 2^(s - e) first is exact (multiplier m', rounding 2^(e-1)). The
// converter's 16-bit mantissas (m' < 2^16) keep it inside int32.
struct OperandRescalePlan {
  int32_t multiplier;
  int32_t add;
  int32_t shift;
};

// Add's formula (params.h) in int32 lanes: a' and b' by OperandRescalePlan, their
// sum requantized by HighRescalePlan (offset zy) and clamped to [lo, hi].
struct AddPlan {
  OperandRescalePlan a, b;
  HighRescalePlan out;
  int32_t lo, hi;
};

// False where the plan would not reproduce the reference bit for bit: an
// operand's products or a' + b' leaving int32 (the reference's sum wraps), the
// output shift below 32, or a clamp outside int8.
bool MakeAddPlan(const AddParams& p, AddPlan* plan);

// Requantize(q - z, d, zy, -128, 127) for every int8 q, at table[q + 128]: an
// int8 input's requantization as a byte lookup (Ops<A>::Lookup), for Concat.
void MakeRequantTable(Dyadic d, int32_t z, int32_t zy, int8_t (&table)[256]);

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
