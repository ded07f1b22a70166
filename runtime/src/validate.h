// Semantic validation of a model that passed the FlatBuffers verifier: every
// invariant of docs/format.md that does not depend on an operator's shapes
// (those are checked by each operator's Prepare). Runs before anything else
// reads the model; each failure names the tensor or operator at fault.
#pragma once

#include <vector>

#include "graph.h"

namespace qrt::internal {

// On success fills `tensors` with the resolved description of every tensor and
// `requants` with every operator's decoded requantization.
Status ValidateModel(const schema::Model& model, std::vector<TensorDesc>* tensors,
                     std::vector<RequantValues>* requants);

}  // namespace qrt::internal
