#include "dominant_class_correction.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "evaluate.h"
#include "mixed_precision.h"

namespace qrt::converter {
namespace {

constexpr double kMaxShift = 4.0;
constexpr int kShiftSteps = 40;  // per side: steps of kMaxShift / kShiftSteps

bool IsReshape(const Node& node) {
  return node.op_type == "Reshape" || node.op_type == "Flatten" || node.op_type == "Squeeze" ||
         node.op_type == "Unsqueeze";
}

// The Gemm the first graph output's softmax reads (through reshapes), if any.
std::optional<size_t> ClassifierGemm(const Graph& graph) {
  if (graph.outputs.empty()) return std::nullopt;
  const std::optional<size_t> softmax = graph.Producer(graph.outputs[0]);
  if (!softmax || graph.nodes[*softmax].op_type != "Softmax") return std::nullopt;
  const Node& node = graph.nodes[*softmax];
  const Tensor* y = graph.FindTensor(node.outputs[0]);
  const int64_t rank = static_cast<int64_t>(y->shape.size());
  const int64_t axis = node.GetInt("axis", -1);
  if (rank == 0 || (axis != -1 && axis != rank - 1)) return std::nullopt;
  std::optional<size_t> producer = graph.Producer(node.inputs[0]);
  while (producer && IsReshape(graph.nodes[*producer])) {
    producer = graph.Producer(graph.nodes[*producer].inputs[0]);
  }
  if (!producer || graph.nodes[*producer].op_type != "Gemm") return std::nullopt;
  const Node& gemm = graph.nodes[*producer];
  if (gemm.GetFloat("beta", 1) != 1) return std::nullopt;
  if (gemm.HasInput(2)) {
    const Tensor* bias = graph.FindTensor(gemm.inputs[2]);
    if (bias == nullptr || !bias->is_constant() || bias->constant->dtype() != DType::kFloat32) {
      return std::nullopt;
    }
  }
  const Tensor* out = graph.FindTensor(gemm.outputs[0]);
  if (out->shape.size() != 2 || out->shape[1] != y->shape.back()) return std::nullopt;
  return producer;
}

// Positions (rows of `classes` values) whose argmax of `probs`, with class k's
// probability multiplied by `factor`, equals `reference`.
int64_t Agreement(const std::vector<float>& probs, size_t classes,
                  const std::vector<int64_t>& reference, int64_t k, double factor) {
  int64_t agree = 0;
  for (size_t row = 0; row < reference.size(); ++row) {
    const float* p = probs.data() + row * classes;
    size_t best = 0;
    double best_p = -1;
    for (size_t c = 0; c < classes; ++c) {
      const double v = static_cast<int64_t>(c) == k ? p[c] * factor : p[c];
      if (v > best_p) {
        best_p = v;
        best = c;
      }
    }
    agree += static_cast<int64_t>(best) == reference[row] ? 1 : 0;
  }
  return agree;
}

}  // namespace

Status CorrectDominantClass(const Graph& float_graph, const ActivationQuantMap& quant,
                            const QuantizeOptions& options, calib::CalibrationSource* source,
                            Graph* graph, DominantClassReport* report) {
  *report = DominantClassReport();
  const std::optional<size_t> gemm = ClassifierGemm(*graph);
  if (!gemm) return Status::Ok();
  std::vector<EvalSample> samples;
  QRT_RETURN_IF_ERROR(LoadEvalSamples(float_graph, source, &samples));
  const std::string& output = graph->outputs[0];
  const size_t classes = static_cast<size_t>(graph->FindTensor(output)->shape.back());

  const Emission emission{*graph, quant, {}, {}};
  ModelBuilder builder;
  EmitReport unused;
  QRT_RETURN_IF_ERROR(emission.Emit(options, &builder, &unused));
  InMemoryModel model;
  QRT_RETURN_IF_ERROR(model.Load(builder.Finish()));
  std::unique_ptr<Session> session;
  QRT_RETURN_IF_ERROR(Session::Create(model.model(), &session));

  std::vector<float> probs;     // int8 model, every position of every sample
  std::vector<int64_t> argmax;  // float model
  std::vector<int64_t> votes(classes, 0);
  for (const EvalSample& sample : samples) {
    for (const auto& [name, value] : sample.inputs) {
      const std::span<const float> x = value.values<float>();
      QRT_RETURN_IF_ERROR(session->SetInput(name, x.data(), x.size()));
    }
    QRT_RETURN_IF_ERROR(session->Run());
    const std::span<const float> reference = sample.outputs.at(output).values<float>();
    const size_t offset = probs.size();
    probs.resize(offset + reference.size());
    QRT_RETURN_IF_ERROR(session->GetOutput(output, probs.data() + offset, reference.size()));
    for (size_t row = 0; row < reference.size() / classes; ++row) {
      const auto first = reference.begin() + static_cast<std::ptrdiff_t>(row * classes);
      const int64_t best =
          std::max_element(first, first + static_cast<std::ptrdiff_t>(classes)) - first;
      argmax.push_back(best);
      ++votes[static_cast<size_t>(best)];
    }
  }
  if (argmax.empty()) return Status::Ok();
  const int64_t k = std::max_element(votes.begin(), votes.end()) - votes.begin();

  const int64_t before = Agreement(probs, classes, argmax, k, 1.0);
  int64_t best_agree = before;
  double best_shift = 0;
  // From the smallest shifts out, so that ties keep the smallest.
  for (int step = 1; step <= kShiftSteps; ++step) {
    for (const double sign : {-1.0, 1.0}) {
      const double shift = sign * kMaxShift * step / kShiftSteps;
      const int64_t agree = Agreement(probs, classes, argmax, k, std::exp(shift));
      if (agree > best_agree) {
        best_agree = agree;
        best_shift = shift;
      }
    }
  }

  Node& node = graph->nodes[*gemm];
  std::vector<float> bias(classes, 0.0f);
  if (node.HasInput(2)) {
    const std::vector<float> old = graph->FindTensor(node.inputs[2])->constant->ToFloats();
    for (size_t c = 0; c < classes; ++c) bias[c] = old.size() == 1 ? old[0] : old[c];
  }
  bias[static_cast<size_t>(k)] += static_cast<float>(best_shift);
  std::string name = node.name + "/dominant_class_bias";
  while (graph->FindTensor(name) != nullptr) name += "_";
  Tensor& tensor = graph->GetOrAddTensor(name);
  tensor.dtype = DType::kFloat32;
  tensor.shape = {static_cast<int64_t>(classes)};
  tensor.constant = TensorData::FromVector(tensor.shape, bias);
  node.inputs.resize(std::max<size_t>(node.inputs.size(), 3));
  node.inputs[2] = name;

  const double positions = static_cast<double>(argmax.size());
  *report = {true,
             node.name,
             k,
             best_shift,
             static_cast<double>(before) / positions,
             static_cast<double>(best_agree) / positions};
  return Status::Ok();
}

}  // namespace qrt::converter
