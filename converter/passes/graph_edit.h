// Graph queries and edits shared by the passes (internal to converter/passes).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "converter/ir/fused_clamp.h"
#include "converter/ir/graph.h"

namespace qrt::converter {

bool IsGraphOutput(const Graph& graph, const std::string& name);

// Whether `node` is a default-domain `op_type` without a fused clamp altering its
// output: an operator a pattern can match.
bool IsPlainOp(const Node& node, const char* op_type);

// The index of the only node reading `name`, when exactly one node reads it and it is
// not a graph output: the condition for rewriting its producer and reader as one.
// nullopt for the empty name of an omitted operand.
std::optional<size_t> SoleReader(const Graph& graph, const std::string& name);

// Makes every node read `to` where it read `from`.
void ReplaceUses(Graph* graph, const std::string& from, const std::string& to);

// `base`, or `base` with a numeric suffix, such that no tensor has that name yet.
std::string UniqueTensorName(const Graph& graph, const std::string& base);

// Makes `name` a constant holding `value` (creating the tensor if needed).
void SetConstant(Graph* graph, const std::string& name, TensorData value);

// The value of a float constant with exactly one element (shape [], [1], [1,1]...).
std::optional<float> ScalarConstant(const Graph& graph, const std::string& name);

// The range a Relu or Clip node clamps to; nullopt for other nodes and for a Clip
// whose min or max is not a constant. An absent bound is infinite.
std::optional<FusedClamp> ClampActivationRange(const Graph& graph, const Node& node);

// Erases the given nodes (indices into graph->nodes, any order, no duplicates) and
// returns the smallest of them: the first position whose node changed.
size_t EraseNodes(Graph* graph, std::vector<size_t> indices);

// A rewrite tried at one node index: nullopt when it leaves the graph as it was,
// otherwise the index of the first node it changed or erased.
using NodeRewrite = std::function<std::optional<size_t>(Graph* graph, size_t index)>;

// Tries `rewrite` at every node in order, resuming at the first changed index after
// each rewrite, so rewrites that expose new matches are applied too. Returns whether
// any rewrite happened.
bool RewriteEachNode(Graph* graph, const NodeRewrite& rewrite);

}  // namespace qrt::converter
