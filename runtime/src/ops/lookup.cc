// LOOKUP: a pointwise non-linearity as a 256-entry table, stored in the file or
// (HardSigmoid, HardSwish; schema version 4) built here from integer parameters by
// the reference builder, so every path runs the same lookup kernels on it.
#include <array>

#include "ops/op_checks.h"
#include "ops/ops.h"
#include "ops/row_split.h"
#include "qrt/kernels/reference.h"

namespace qrt::internal {
namespace {

// Every element is independent: runs of elements on the session's threads.
std::unique_ptr<OpKernel> MakeLookupCall(const PrepareContext& ctx, const int8_t* table) {
  const kernels::LookupParams p{ctx.input(0).element_count, table};
  return MakeRowSplitCall(p, ctx.kernels.lookup, {ctx.input_index(0), ctx.output_index(0)},
                          RowLayout<2>{p.count, kLookupElementPs, {1, 1}},
                          NarrowCount<kernels::LookupParams>);
}

// A LOOKUP whose table was built at load: owns the table its kernel call reads.
class BuiltTableLookup final : public OpKernel {
 public:
  BuiltTableLookup(const kernels::HardActivationParams& hard, const PrepareContext& ctx) {
    kernels::ref::BuildHardActivationTable(hard, table_.data());
    call_ = MakeLookupCall(ctx, table_.data());
  }
  void Eval(const RunContext& ctx) const override { call_->Eval(ctx); }
  kernels::Isa isa() const override { return call_->isa(); }

 private:
  std::array<int8_t, 256> table_;
  std::unique_ptr<OpKernel> call_;
};

// The parameters of LookupOptions.hard, each checked against the range the
// formula needs (kernels/params.h: HardActivationParams).
Status ToHardActivationParams(const PrepareContext& ctx, const schema::HardActivation& hard,
                              kernels::HardActivationParams* p) {
  switch (hard.function()) {
    case schema::HardFunction::HARD_SIGMOID:
      p->function = kernels::HardFunction::kHardSigmoid;
      break;
    case schema::HardFunction::HARD_SWISH:
      p->function = kernels::HardFunction::kHardSwish;
      break;
    default:
      return ctx.Error(StatusCode::kBadOptions,
                       "hard activation has unknown function " +
                           std::to_string(static_cast<int>(hard.function())));
  }
  if (hard.fraction_bits() > kernels::kMaxHardFractionBits) {
    return ctx.Error(StatusCode::kBadOptions,
                     "hard activation has fraction_bits " + std::to_string(hard.fraction_bits()) +
                         " (at most " + std::to_string(kernels::kMaxHardFractionBits) + ")");
  }
  if (hard.width() < 1 || hard.width() > kernels::kMaxHardWidth) {
    return ctx.Error(StatusCode::kBadOptions, "hard activation has width " +
                                                  std::to_string(hard.width()) + " (in [1, " +
                                                  std::to_string(kernels::kMaxHardWidth) + "])");
  }
  const kernels::Dyadic m{hard.multiplier(), hard.shift()};
  if (!kernels::IsValidDyadic(m)) {
    return ctx.Error(StatusCode::kBadRequantization,
                     "hard activation has multiplier " + std::to_string(m.multiplier) +
                         " and shift " + std::to_string(m.shift) +
                         " (multiplier 0 or in [2^30, 2^31), shift in [1, 62])");
  }
  if (hard.clamp().lo() > hard.clamp().hi()) {
    return ctx.Error(StatusCode::kBadClamp, "hard activation clamps to [" +
                                                std::to_string(hard.clamp().lo()) + ", " +
                                                std::to_string(hard.clamp().hi()) + "]");
  }
  p->input_zero_point = ctx.input(0).zero_point;
  p->fraction_bits = hard.fraction_bits();
  p->offset = hard.offset();
  p->width = hard.width();
  p->multiplier = m;
  p->output_zero_point = ctx.output(0).zero_point;
  p->clamp = ToClamp(hard.clamp());
  return Status::Ok();
}

}  // namespace

Status PrepareLookup(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel) {
  const schema::LookupOptions& options = *ctx.op.options_as_LookupOptions();
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.input(0), "input"));
  QRT_RETURN_IF_ERROR(RequireActivation(ctx, ctx.output(0), "output"));
  QRT_RETURN_IF_ERROR(RequireShape(ctx, ctx.output(0), "output", ctx.input(0).shape));
  const auto* table = options.table();
  const schema::HardActivation* hard = options.hard();
  if ((table == nullptr) == (hard == nullptr)) {
    return ctx.Error(StatusCode::kBadOptions,
                     std::string(table == nullptr ? "has neither a table nor hard activation"
                                                  : "has both a table and hard activation") +
                         " parameters (exactly one is required)");
  }
  if (hard != nullptr) {
    kernels::HardActivationParams p{};
    QRT_RETURN_IF_ERROR(ToHardActivationParams(ctx, *hard, &p));
    *kernel = std::make_unique<BuiltTableLookup>(p, ctx);
    return Status::Ok();
  }
  if (table->size() != 256) {
    return ctx.Error(StatusCode::kBadOptions,
                     "table has " + std::to_string(table->size()) + " entries, expected 256");
  }
  *kernel = MakeLookupCall(ctx, table->data());
  return Status::Ok();
}

}  // namespace qrt::internal
