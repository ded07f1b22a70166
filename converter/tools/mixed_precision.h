// qrt-convert's mixed precision for --weights int4: which weight layers stay int8.
//
// A layer's sensitivity is the model's output SQNR on the evaluation inputs when
// only that layer's weights are int4 and all others int8: the lower, the more that
// layer's int4 noise costs. Layers are then kept int8 greedily, most sensitive
// first, until the whole model meets the target:
//   min_sqnr_db   keep adding until the (worst) output SQNR reaches the bound;
//   size_budget   add layers while they fit in the budget, the ones that buy the
//                 most output noise reduction per extra byte first (a layer's int4
//                 noise is taken as 10^(-SQNR/10) of its single-layer measurement).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "converter/ir/graph.h"
#include "evaluate.h"
#include "compact.h"
#include "quantize.h"

namespace qrt::converter {

// What every emission of one conversion shares, so that the candidates measured
// here and the model finally written differ only in their weight precision, and
// their sizes compare exactly.
struct Emission {
  const Graph& graph;
  const ActivationQuantMap& quant;
  schema::MetadataT metadata;
  // What the written file keeps (CompactModel), so candidate sizes are file sizes.
  CompactOptions compact;

  // Emits the model under `options` into `builder`, which must be empty. The model
  // keeps every name (the debug model needs them); Compact makes it the file's.
  Status Emit(const QuantizeOptions& options, ModelBuilder* builder, EmitReport* report) const;
  void Compact(ModelBuilder* builder) const { CompactModel(compact, builder); }
};

struct PrecisionTarget {
  std::optional<double> min_sqnr_db;   // the worst graph output's SQNR, dB
  std::optional<int64_t> size_budget;  // bytes of the .qrt file
};

struct LayerSensitivity {
  std::string node;
  double sqnr_db = 0;  // output SQNR with only this layer int4
  int64_t int8_extra_bytes = 0;  // file bytes that keeping it int8 costs
  bool kept_int8 = false;
};

struct PrecisionPlan {
  std::set<std::string> keep_int8;       // QuantizeOptions::keep_int8
  std::vector<LayerSensitivity> layers;  // every weight layer, most sensitive first
};

// The layers to keep int8 so that the int4 model meets `target`; with no target, none
// (and no sensitivities are measured). kFailedPrecondition when the target cannot be
// met: a bound above what even the all-int8 model reaches, or a budget smaller than
// the all-int4 model.
Status PlanInt4Precision(const Emission& emission, const std::vector<EvalSample>& samples,
                         const PrecisionTarget& target, PrecisionPlan* plan);

// The worst (lowest) of several outputs' SQNR.
double WorstSqnr(const std::map<std::string, double>& sqnr_db);

}  // namespace qrt::converter
