// A per-output-channel affine map after a weighted node, folded into its weights and
// bias: what BatchNormalization folding and the constant Mul / Add fusion share
// (internal to converter/passes).
#pragma once

#include <string>
#include <vector>

#include "converter/ir/graph.h"

namespace qrt::converter {

// y = scale[c] * x + shift[c] for output channel c, in double so folding adds no
// more rounding than one float multiply-add.
struct ChannelAffine {
  std::vector<double> scale;
  std::vector<double> shift;
};

// The contents of a float32 constant; nullptr for anything else.
const TensorData* FloatConstant(const Graph& graph, const std::string& name);

// Folds `affine`, applied to the output of node `producer` (a Conv; a ConvTranspose
// of group 1; a Gemm or a MatMul on 2-D A: constant float weights, a constant bias if
// any, no fused clamp), into its weights and bias, which become new constants (the
// old ones may have other readers); the producer then writes `output`. A folded
// MatMul becomes a Gemm to carry the bias. Returns false, leaving the graph as it
// was, when the node is not such a node or its channel count is not the affine's.
bool FoldChannelAffine(Graph* graph, size_t producer, const ChannelAffine& affine,
                       const std::string& output);

}  // namespace qrt::converter
