// Float reference execution of a converter graph, with ONNX semantics and NCHW layout.
// Used for calibration (observing every intermediate tensor) and as the accuracy
// baseline for the quantized model.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "converter/ir/graph.h"
#include "qrt/status.h"

namespace qrt::converter {

// Called once for every graph input and every node output (including the graph
// outputs), in execution order, while the value is alive. Calibration histograms
// activations from here.
using TensorObserver = std::function<void(const std::string& name, const TensorData& value)>;

class ReferenceExecutor {
 public:
  // The graph must outlive the executor and be topologically sorted.
  explicit ReferenceExecutor(const Graph& graph) : graph_(graph) {}

  // Runs the graph on `inputs` (one per graph input; dims the graph leaves unknown may
  // take any value) and returns the graph outputs. Intermediate values are released
  // after their last use.
  Status Run(const std::map<std::string, TensorData>& inputs,
             std::map<std::string, TensorData>* outputs,
             const TensorObserver& observer = nullptr) const;

 private:
  const Graph& graph_;
};

}  // namespace qrt::converter
