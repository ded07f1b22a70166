// The memory plan: every activation gets an offset in one arena, computed once
// per model from tensor lifetimes so that tensors never alive at the same time
// share memory.
#pragma once

#include <vector>

#include "graph.h"

namespace qrt::internal {

// Sets arena_offset on every activation of a validated model and returns the
// arena size. A tensor lives from the operator that produces it (the start, for
// graph inputs) to the last operator that reads it (the end, for graph outputs);
// an operator's inputs and outputs are alive together, so no kernel works in
// place. Placement is greedy by size, largest first, each at the lowest offset
// that no overlapping-in-time tensor occupies (TFLite's arena planner).
size_t PlanArena(const schema::Model& model, std::vector<TensorDesc>* tensors);

}  // namespace qrt::internal
