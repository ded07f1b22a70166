#include "mixed_precision.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace qrt::converter {
namespace {

QuantizeOptions Int4Except(std::set<std::string> keep_int8) {
  return QuantizeOptions{WeightBits::kInt4, std::move(keep_int8)};
}

// The nodes with weights, as the all-int8 emission reports them.
Status WeightLayers(const Emission& emission, std::vector<std::string>* layers) {
  ModelBuilder builder;
  EmitReport report;
  QRT_RETURN_IF_ERROR(emission.Emit(QuantizeOptions(), &builder, &report));
  for (const NodeReport& node : report.nodes) {
    if (node.weight_bits != 0) layers->push_back(node.node);
  }
  return Status::Ok();
}

// The worst output SQNR of the model emitted under `options`.
Status MeasureCandidate(const Emission& emission, const QuantizeOptions& options,
                        const std::vector<EvalSample>& samples, double* sqnr_db) {
  ModelBuilder builder;
  EmitReport report;
  QRT_RETURN_IF_ERROR(emission.Emit(options, &builder, &report));
  emission.Compact(&builder);
  InMemoryModel model;
  QRT_RETURN_IF_ERROR(model.Load(builder.Finish()));
  std::map<std::string, double> outputs;
  QRT_RETURN_IF_ERROR(MeasureOutputSqnr(model.model(), samples, &outputs));
  *sqnr_db = WorstSqnr(outputs);
  return Status::Ok();
}

Status CandidateSize(const Emission& emission, const QuantizeOptions& options, int64_t* bytes) {
  ModelBuilder builder;
  EmitReport report;
  QRT_RETURN_IF_ERROR(emission.Emit(options, &builder, &report));
  emission.Compact(&builder);
  *bytes = static_cast<int64_t>(builder.Finish().size());
  return Status::Ok();
}

Status MeetSqnr(const Emission& emission, const std::vector<EvalSample>& samples,
                double min_sqnr_db, PrecisionPlan* plan) {
  double sqnr_db = 0;
  QRT_RETURN_IF_ERROR(MeasureCandidate(emission, Int4Except({}), samples, &sqnr_db));
  for (LayerSensitivity& layer : plan->layers) {
    if (sqnr_db >= min_sqnr_db) return Status::Ok();
    plan->keep_int8.insert(layer.node);
    layer.kept_int8 = true;
    QRT_RETURN_IF_ERROR(MeasureCandidate(emission, Int4Except(plan->keep_int8), samples, &sqnr_db));
  }
  if (sqnr_db >= min_sqnr_db) return Status::Ok();
  return Status(StatusCode::kFailedPrecondition,
                "cannot reach the minimum output SQNR of " + FormatDb(min_sqnr_db) +
                    ": even with all weights int8 the model gives " + FormatDb(sqnr_db) +
                    " (try another --calib-method or more representative calibration data)");
}

Status MeetBudget(const Emission& emission, int64_t budget, PrecisionPlan* plan) {
  int64_t bytes = 0;
  QRT_RETURN_IF_ERROR(CandidateSize(emission, Int4Except({}), &bytes));
  if (bytes > budget) {
    return Status(StatusCode::kFailedPrecondition,
                  "--size-budget " + std::to_string(budget) + " bytes is smaller than the model " +
                      "with all weights int4 (" + std::to_string(bytes) + " bytes)");
  }
  // Greedy by noise removed per byte: a layer's share of the int4 model's output
  // noise is about 10^(-SQNR/10) of its single-layer measurement.
  int64_t all_int4 = bytes;
  for (LayerSensitivity& layer : plan->layers) {
    int64_t with_layer = 0;
    QRT_RETURN_IF_ERROR(CandidateSize(emission, Int4Except({layer.node}), &with_layer));
    layer.int8_extra_bytes = with_layer - all_int4;
  }
  std::vector<LayerSensitivity*> order;
  for (LayerSensitivity& layer : plan->layers) order.push_back(&layer);
  const auto value = [](const LayerSensitivity* l) {
    return std::pow(10.0, -l->sqnr_db / 10) / static_cast<double>(std::max<int64_t>(l->int8_extra_bytes, 1));
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](const LayerSensitivity* a, const LayerSensitivity* b) { return value(a) > value(b); });
  for (LayerSensitivity* layer_ptr : order) {
    LayerSensitivity& layer = *layer_ptr;
    std::set<std::string> keep_int8 = plan->keep_int8;
    keep_int8.insert(layer.node);
    QRT_RETURN_IF_ERROR(CandidateSize(emission, Int4Except(keep_int8), &bytes));
    if (bytes > budget) continue;
    plan->keep_int8 = std::move(keep_int8);
    layer.kept_int8 = true;
  }
  return Status::Ok();
}

}  // namespace

Status Emission::Emit(const QuantizeOptions& options, ModelBuilder* builder,
                      EmitReport* report) const {
  QRT_RETURN_IF_ERROR(EmitQuantizedModel(graph, quant, options, builder, report));
  builder->metadata() = metadata;
  return Status::Ok();
}

Status PlanInt4Precision(const Emission& emission, const std::vector<EvalSample>& samples,
                         const PrecisionTarget& target, PrecisionPlan* plan) {
  *plan = PrecisionPlan();
  if (!target.min_sqnr_db && !target.size_budget) return Status::Ok();
  if (target.size_budget) {
    // An impossible budget fails before the (slow) sensitivity measurements.
    int64_t all_int4 = 0;
    QRT_RETURN_IF_ERROR(CandidateSize(emission, Int4Except({}), &all_int4));
    if (all_int4 > *target.size_budget) {
      return Status(StatusCode::kFailedPrecondition,
                    "--size-budget " + std::to_string(*target.size_budget) +
                        " bytes is smaller than the model with all weights int4 (" +
                        std::to_string(all_int4) + " bytes)");
    }
  }
  std::vector<std::string> layers;
  QRT_RETURN_IF_ERROR(WeightLayers(emission, &layers));
  for (const std::string& node : layers) {
    std::set<std::string> others(layers.begin(), layers.end());
    others.erase(node);
    double sqnr_db = 0;
    QRT_RETURN_IF_ERROR(
        MeasureCandidate(emission, Int4Except(std::move(others)), samples, &sqnr_db));
    plan->layers.push_back({node, sqnr_db, false});
  }
  std::stable_sort(
      plan->layers.begin(), plan->layers.end(),
      [](const LayerSensitivity& a, const LayerSensitivity& b) { return a.sqnr_db < b.sqnr_db; });
  if (target.min_sqnr_db) return MeetSqnr(emission, samples, *target.min_sqnr_db, plan);
  return MeetBudget(emission, *target.size_budget, plan);
}

double WorstSqnr(const std::map<std::string, double>& sqnr_db) {
  double worst = std::numeric_limits<double>::infinity();
  for (const auto& [name, db] : sqnr_db) worst = std::min(worst, db);
  return worst;
}

}  // namespace qrt::converter
