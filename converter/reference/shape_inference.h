// The converter's own shape inference (ONNX's cannot read opsets above 17).
#pragma once

#include <map>
#include <string>

#include "converter/ir/graph.h"
#include "qrt/status.h"

namespace qrt::converter {

// Dims to use for graph inputs, by name, e.g. from `--input-shape x=1x3x48x192`. They
// replace the model's dims; a model dim that is known must match the override.
using InputShapes = std::map<std::string, Shape>;

// Sets the dtype and shape of every tensor a node produces, in topological order
// (graph.nodes must already be sorted). Small integer tensors whose values follow from
// constants and known shapes (Shape -> Gather -> Concat -> Reshape chains) are evaluated
// with the reference kernels on the way, so the shapes after them are known too.
// Unknown dims stay -1. Errors name the node.
Status InferShapes(Graph* graph, const InputShapes& input_shapes = {});

}  // namespace qrt::converter
