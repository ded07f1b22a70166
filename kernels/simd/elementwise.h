// The xsimd elementwise kernels: Add, Mul, Lookup, Concat, Quantize and
// Dequantize, each one template on the xsimd architecture, bit-identical to its
// reference kernel in kernels/ref/ (the formulas of params.h). Instantiated by
// the per-ISA translation units (kernels/x86/avx2/elementwise_avx2.cc,
// kernels/x86/avx512vnni/elementwise_avx512.cc, kernels/arm/neon/elementwise_neon.cc),
// each compiled with its ISA's flags; everything here is in an anonymous
// namespace (see arch_ops.h on ODR).
//
// Where a call's parameters leave the domain the vector code reproduces exactly
// (an output clamp outside int8, a quantization zero point beyond 2^24) or its
// shape would make the vector loop slower than the scalar one (broadcast rows
// shorter than a vector that no per-channel pattern joins, plan.h), the kernel
// calls the reference kernel instead.
#pragma once

#include <algorithm>
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

// Calls row(a_offset, b_offset, out_offset) for every row of a broadcast plan.
template <class Row>
void ForEachBroadcastRow(const BroadcastPlan& plan, const Row& row) {
  int64_t index[kMaxRank] = {};
  int64_t a_offset = 0;
  int64_t b_offset = 0;
  const int64_t rows = plan.count / plan.row_length;
  for (int64_t r = 0; r < rows; ++r) {
    row(a_offset, b_offset, r * plan.row_length);
    for (int d = plan.outer_rank - 1; d >= 0; --d) {
      a_offset += plan.a_stride[d];
      b_offset += plan.b_stride[d];
      if (++index[d] < plan.outer_size[d]) break;
      a_offset -= plan.a_stride[d] * plan.outer_size[d];
      b_offset -= plan.b_stride[d] * plan.outer_size[d];
      index[d] = 0;
    }
  }
}

// Whether the broadcast is worth the vector loop: rows of at least a vector, or
// a single row.
bool VectorRows(const BroadcastPlan& plan, int lanes) {
  return plan.row_length >= lanes || plan.row_length == plan.count;
}

// The operand values of a row that advances through its operand, one vector of
// int32 lanes per Next(); operand(x) maps the loaded int8 lanes to them.
template <class A, class Operand>
class StreamedOperand {
 public:
  StreamedOperand(const int8_t* row, const Operand& operand) : at_(row), operand_(operand) {}
  I32<A> Next() {
    const I32<A> v = operand_(Ops<A>::LoadI8(at_));
    at_ += I32<A>::size;
    return v;
  }
  // The last `rest` (fewer than a vector) elements, through a zero-filled copy
  // so that nothing past the operand is read.
  I32<A> Last(size_t rest) const {
    alignas(64) int8_t copy[kMaxStepBytes] = {};
    std::memcpy(copy, at_, rest);
    return operand_(Ops<A>::LoadI8(copy));
  }

 private:
  const int8_t* at_;
  const Operand& operand_;
};

// The operand values of a row that repeats its operand's first `period`
// elements (period 1: one element broadcast), computed once into a buffer that
// holds the pattern repeated over period + one vector elements; the vector at
// phase p (p < period) is then values_[p, p + lanes).
template <class A>
class RepeatedOperand {
 public:
  template <class Operand>
  RepeatedOperand(const int8_t* pattern, int64_t period, const Operand& operand)
      : period_(period), step_(kLanes % period) {
    const int64_t length = (period + 2 * kLanes - 2) / kLanes * kLanes;
    alignas(64) int8_t bytes[kCapacity];
    std::memcpy(bytes, pattern, static_cast<size_t>(period));
    // Doubling keeps every copied length a multiple of the period.
    for (int64_t filled = period; filled < length; filled *= 2) {
      const int64_t n = filled < length - filled ? filled : length - filled;
      std::memcpy(bytes + filled, bytes, static_cast<size_t>(n));
    }
    for (int64_t j = 0; j < length; j += kLanes) {
      operand(Ops<A>::LoadI8(bytes + j)).store_aligned(values_ + j);
    }
  }
  I32<A> Next() {
    const I32<A> v = I32<A>::load_unaligned(values_ + phase_);
    phase_ += step_;
    if (phase_ >= period_) phase_ -= period_;
    return v;
  }
  I32<A> Last(size_t) { return Next(); }

 private:
  static constexpr int64_t kLanes = static_cast<int64_t>(I32<A>::size);
  static constexpr int64_t kCapacity = kMaxPeriod + 2 * kLanes;
  int64_t period_;
  int64_t step_;  // lanes modulo the period
  int64_t phase_ = 0;
  alignas(64) int32_t values_[kCapacity];
};

// out[i] = combine(x, y) over a row of n elements, a vector at a time; a
// partial last vector is stored through a stack copy.
template <class A, class X, class Y, class Combine>
void CombineRow(int64_t n, X& x, Y& y, int8_t* out, const Combine& combine) {
  constexpr int64_t kLanes = static_cast<int64_t>(I32<A>::size);
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) Ops<A>::StoreI8(out + i, combine(x.Next(), y.Next()));
  if (i == n) return;
  const auto rest = static_cast<size_t>(n - i);
  alignas(64) int8_t out_copy[kMaxStepBytes];
  Ops<A>::StoreI8(out_copy, combine(x.Last(rest), y.Last(rest)));
  std::memcpy(out + i, out_copy, rest);
}

// Runs a binary elementwise operation over a broadcast, row by row: operand(x)
// maps the loaded int8 lanes of a (or b) to int32, combine(x, y) the two to the
// output lanes (int32, narrowed to int8 with saturation by the store). An
// operand that repeats along a row (broadcast, or a per-channel pattern) is
// mapped once per row.
template <class A, class OperandA, class OperandB, class Combine>
void BinaryRows(const BroadcastPlan& plan, const int8_t* a, const int8_t* b, int8_t* out,
                const OperandA& operand_a, const OperandB& operand_b, const Combine& combine) {
  ForEachBroadcastRow(plan, [&](int64_t a_offset, int64_t b_offset, int64_t out_offset) {
    const int8_t* a_row = a + a_offset;
    const int8_t* b_row = b + b_offset;
    int8_t* out_row = out + out_offset;
    // At most one operand repeats: a row dimension is full in one at least.
    if (plan.b_period < plan.row_length) {
      StreamedOperand<A, OperandA> x(a_row, operand_a);
      RepeatedOperand<A> y(b_row, plan.b_period, operand_b);
      CombineRow<A>(plan.row_length, x, y, out_row, combine);
    } else if (plan.a_period < plan.row_length) {
      RepeatedOperand<A> x(a_row, plan.a_period, operand_a);
      StreamedOperand<A, OperandB> y(b_row, operand_b);
      CombineRow<A>(plan.row_length, x, y, out_row, combine);
    } else {
      StreamedOperand<A, OperandA> x(a_row, operand_a);
      StreamedOperand<A, OperandB> y(b_row, operand_b);
      CombineRow<A>(plan.row_length, x, y, out_row, combine);
    }
  });
}

// Add through plan.h's AddPlan: per vector one multiply-add-shift per operand
// and the high product of the sum, half the general path's instructions.
template <class A>
void AddThroughPlan(const AddPlan& add, const BroadcastPlan& plan, const int8_t* a, const int8_t* b,
                    int8_t* output) {
  const auto operand = [](const OperandRescalePlan& o) {
    return [multiplier = I32<A>(o.multiplier), offset = I32<A>(o.add), shift = o.shift](I32<A> q) {
      return (q * multiplier + offset) >> shift;
    };
  };
  WithHighRequant<A>(add.out, add.lo, add.hi, [&](const auto& requant) {
    BinaryRows<A>(plan, a, b, output, operand(add.a), operand(add.b),
                  [requant](I32<A> x, I32<A> y) { return requant(x + y); });
  });
}

template <class A>
void Add(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  RequantPlan out_plan;
  const BroadcastPlan plan = MakeBroadcastPlan(p.shapes);
  if (!MakeRequantPlan(p.out_requant, p.output_zero_point, p.clamp.lo, p.clamp.hi, &out_plan) ||
      !VectorRows(plan, static_cast<int>(I32<A>::size))) {
    ref::Add(p, a, b, output);
    return;
  }
  if (plan.count == 0) return;
  AddPlan add;
  if (MakeAddPlan(p, &add)) {
    AddThroughPlan<A>(add, plan, a, b, output);
    return;
  }
  const VectorRescale<A> rescale_a(MakeRescalePlan(p.a_requant, 0));
  const VectorRescale<A> rescale_b(MakeRescalePlan(p.b_requant, 0));
  const VectorRequant<A> requant(out_plan);
  const I32<A> za(p.a_zero_point);
  const I32<A> zb(p.b_zero_point);
  const int32_t left_shift = p.left_shift;
  BinaryRows<A>(
      plan, a, b, output, [&](I32<A> x) { return rescale_a((x - za) << left_shift); },
      [&](I32<A> y) { return rescale_b((y - zb) << left_shift); },
      [requant](I32<A> x, I32<A> y) { return requant(x + y); });
}

template <class A>
void Mul(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output) {
  RequantPlan out_plan;
  const BroadcastPlan plan = MakeBroadcastPlan(p.shapes);
  if (!MakeRequantPlan(p.requant, p.output_zero_point, p.clamp.lo, p.clamp.hi, &out_plan) ||
      !VectorRows(plan, static_cast<int>(I32<A>::size))) {
    ref::Mul(p, a, b, output);
    return;
  }
  if (plan.count == 0) return;
  const I32<A> za(p.a_zero_point);
  const I32<A> zb(p.b_zero_point);
  const auto operand_a = [&](I32<A> x) { return x - za; };
  const auto operand_b = [&](I32<A> y) { return y - zb; };
  // The products of int8 differences lie between the corners' products; where
  // the requantization's shift allows, they go through the high product.
  const int64_t x_lo = INT8_MIN - int64_t{p.a_zero_point};
  const int64_t x_hi = INT8_MAX - int64_t{p.a_zero_point};
  const int64_t y_lo = INT8_MIN - int64_t{p.b_zero_point};
  const int64_t y_hi = INT8_MAX - int64_t{p.b_zero_point};
  const int64_t corners[] = {x_lo * y_lo, x_lo * y_hi, x_hi * y_lo, x_hi * y_hi};
  const int64_t acc_min = std::min({corners[0], corners[1], corners[2], corners[3]});
  const int64_t acc_max = std::max({corners[0], corners[1], corners[2], corners[3]});
  const auto run = [&](const auto& requant) {
    BinaryRows<A>(plan, a, b, output, operand_a, operand_b,
                  [requant](I32<A> x, I32<A> y) { return requant(x * y); });
  };
  HighRescalePlan high;
  if (MakeHighRescalePlan(p.requant, p.output_zero_point, acc_min, acc_max, &high)) {
    WithHighRequant<A>(high, p.clamp.lo, p.clamp.hi, run);
  } else {
    run(VectorRequant<A>(out_plan));
  }
}

template <class A>
void Lookup(const LookupParams& p, const int8_t* input, int8_t* output) {
  const typename Ops<A>::LookupTable table = Ops<A>::PrepareLookup(p.table);
  ForEachRun(p.count, static_cast<int>(I8<A>::size), input, output,
             [&table](const int8_t* x, int8_t* y) {
               Ops<A>::Lookup(I8<A>::load_unaligned(x), table).store_unaligned(y);
             });
}

// Concat's stack chunk for inputs with short rows.
constexpr int64_t kConcatChunkBytes = 4096;

template <class A>
void Concat(const ConcatParams& p, const int8_t* const* inputs, int8_t* output) {
  constexpr int kLanes = static_cast<int>(I8<A>::size);
  constexpr Dyadic kIdentity{int32_t{1} << 30, 30};  // Rescale(x, kIdentity) == x
  int64_t out_axis = 0;
  for (int i = 0; i < p.num_inputs; ++i) out_axis += p.axis_sizes[i];
  const int64_t out_row = out_axis * p.inner;
  int64_t row_begin = 0;
  for (int i = 0; i < p.num_inputs; ++i) {
    const int64_t in_row = int64_t{p.axis_sizes[i]} * p.inner;
    if (in_row == 0) continue;
    // Not ChannelRequant::At: an inline function of a shared header (ODR).
    const Dyadic d{p.requant.multiplier[i], p.requant.shift[i]};
    const int8_t* in = inputs[i];
    if (d.multiplier == kIdentity.multiplier && d.shift == kIdentity.shift &&
        p.zero_points[i] == p.output_zero_point) {
      // clamp(in - z + z, -128, 127) == in.
      for (int64_t o = 0; o < p.outer; ++o) {
        CopyBytes(output + o * out_row + row_begin, in + o * in_row, static_cast<size_t>(in_row));
      }
    } else {
      int8_t bytes[256];
      MakeRequantTable(d, p.zero_points[i], p.output_zero_point, bytes);
      const typename Ops<A>::LookupTable table = Ops<A>::PrepareLookup(bytes);
      const auto step = [&table](const int8_t* x, int8_t* y) {
        Ops<A>::Lookup(I8<A>::load_unaligned(x), table).store_unaligned(y);
      };
      if (in_row * 2 > kConcatChunkBytes) {
        for (int64_t o = 0; o < p.outer; ++o) {
          ForEachRun(in_row, kLanes, in + o * in_row, output + o * out_row + row_begin, step);
        }
      } else {
        // Short rows (a channel concat of a few channels per pixel): the input's rows
        // are contiguous, so runs of them are requantized in whole vectors into a
        // stack chunk and then copied to their places, rather than each row paying
        // for a partial vector.
        alignas(64) int8_t chunk[kConcatChunkBytes];
        const int64_t chunk_rows = kConcatChunkBytes / in_row;
        for (int64_t o = 0; o < p.outer; o += chunk_rows) {
          const int64_t rows = p.outer - o < chunk_rows ? p.outer - o : chunk_rows;
          ForEachRun(rows * in_row, kLanes, in + o * in_row, chunk, step);
          for (int64_t r = 0; r < rows; ++r) {
            CopyBytes(output + (o + r) * out_row + row_begin, chunk + r * in_row,
                      static_cast<size_t>(in_row));
          }
        }
      }
    }
    row_begin += in_row;
  }
}

// ResizeNearest's widest output row for the fast kernel (its source columns sit in
// a stack array); wider ones take the reference.
constexpr int kResizeNearestMaxColumns = 4096;

// The reference's copies, in whole pixels and rows: each output pixel is one input
// pixel's channels, found through source columns computed once per call (the
// reference computes them per pixel), and an output row that reads the same input
// row as the one before it is a copy of that row (upsampling by k repeats each row
// k times).
template <class A>
void ResizeNearest(const ResizeNearestParams& p, const int8_t* input, int8_t* output) {
  if (p.out_w > kResizeNearestMaxColumns) {
    ref::ResizeNearest(p, input, output);
    return;
  }
  int32_t columns[kResizeNearestMaxColumns];
  for (int x = 0; x < p.out_w; ++x) {
    columns[x] = ref::NearestSourceIndex(x, p.in_w, p.out_w, p.transform, p.rounding);
  }
  const auto pixel = static_cast<size_t>(p.channels);
  const int64_t in_row = int64_t{p.in_w} * p.channels;
  const int64_t out_row = int64_t{p.out_w} * p.channels;
  for (int n = 0; n < p.batch; ++n) {
    int previous = -1;
    for (int y = 0; y < p.out_h; ++y) {
      const int iy = ref::NearestSourceIndex(y, p.in_h, p.out_h, p.transform, p.rounding);
      int8_t* out = output + (int64_t{n} * p.out_h + y) * out_row;
      if (iy == previous) {
        std::memcpy(out, out - out_row, static_cast<size_t>(out_row));
        continue;
      }
      const int8_t* in = input + (int64_t{n} * p.in_h + iy) * in_row;
      for (int x = 0; x < p.out_w; ++x) {
        CopyBytes(out + int64_t{x} * p.channels, in + int64_t{columns[x]} * p.channels, pixel);
      }
      previous = iy;
    }
  }
}

// Beyond this |zero point| the int32 sum below could differ from the
// reference's double one; the reference handles such (invalid) parameters.
constexpr int32_t kQuantizeZeroPointLimit = int32_t{1} << 24;

template <class A>
void Quantize(const QuantizeParams& p, const float* input, int8_t* output) {
  if (p.zero_point < -kQuantizeZeroPointLimit || p.zero_point > kQuantizeZeroPointLimit) {
    ref::Quantize(p, input, output);
    return;
  }
  constexpr int kLanes = static_cast<int>(F32<A>::size);
  // Beyond +-2^25 every zero point above saturates the output alike.
  const F32<A> limit(33554432.0f);
  const F32<A> scale(p.scale);
  const F32<A> zero(0.0f);
  const I32<A> zero_point(p.zero_point);
  const I32<A> q_min(INT8_MIN);
  const I32<A> q_max(INT8_MAX);
  const auto step = [&](const float* x, int8_t* y) {
    const F32<A> scaled = Ops<A>::Divide(F32<A>::load_unaligned(x), scale);  // IEEE division
    // Round half to even; NaN becomes 0, so that it maps to clamp(zero_point)
    // (isnan, not scaled != scaled: xsimd's float != is an ordered compare).
    F32<A> rounded = xsimd::select(xsimd::isnan(scaled), zero, xsimd::nearbyint(scaled));
    rounded = xsimd::min(xsimd::max(rounded, -limit), limit);
    const I32<A> q = xsimd::batch_cast<int32_t>(rounded) + zero_point;  // exact: integral
    Ops<A>::StoreI8(y, xsimd::min(xsimd::max(q, q_min), q_max));
  };
  int64_t i = 0;
  for (; i + kLanes <= p.count; i += kLanes) step(input + i, output + i);
  if (i == p.count) return;
  const auto rest = static_cast<size_t>(p.count - i);
  alignas(64) float in_copy[kMaxStepBytes] = {};
  alignas(64) int8_t out_copy[kMaxStepBytes];
  std::memcpy(in_copy, input + i, rest * sizeof(float));
  step(in_copy, out_copy);
  std::memcpy(output + i, out_copy, rest);
}

template <class A>
void Dequantize(const DequantizeParams& p, const int8_t* input, float* output) {
  constexpr int kLanes = static_cast<int>(F32<A>::size);
  const F32<A> scale(p.scale);
  const I32<A> zero_point(p.zero_point);
  const auto step = [&](const int8_t* x, float* y) {
    // The int32 difference converts exactly (|q - z| < 2^24 for valid zero
    // points) or rounds as the reference's conversion does; one product.
    (scale * xsimd::batch_cast<float>(Ops<A>::LoadI8(x) - zero_point)).store_unaligned(y);
  };
  int64_t i = 0;
  for (; i + kLanes <= p.count; i += kLanes) step(input + i, output + i);
  if (i == p.count) return;
  const auto rest = static_cast<size_t>(p.count - i);
  alignas(64) int8_t in_copy[kMaxStepBytes] = {};
  alignas(64) float out_copy[kMaxStepBytes];
  std::memcpy(in_copy, input + i, rest);
  step(in_copy, out_copy);
  std::memcpy(output + i, out_copy, rest * sizeof(float));
}

}  // namespace
}  // namespace qrt::kernels::simd
