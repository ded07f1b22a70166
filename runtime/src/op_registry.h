// Every operator type the runtime reads: the versions it accepts, its options
// type, its operand counts and its Prepare function. Validation and preparation
// both read this one table.
#pragma once

#include <memory>

#include "graph.h"

namespace qrt::internal {

using PrepareFn = Status (*)(const PrepareContext&, std::unique_ptr<OpKernel>*);

struct OpSpec {
  schema::OperatorType type;
  uint16_t min_version;
  uint16_t max_version;
  schema::OperatorOptions options_type;
  int min_inputs;
  int max_inputs;  // kVariadic: any number >= min_inputs
  int num_outputs;
  PrepareFn prepare;
};

inline constexpr int kVariadic = -1;

// Null for an operator type this runtime does not know.
const OpSpec* FindOpSpec(schema::OperatorType type);

// "CONV_2D", or "UNKNOWN(99)" style names are produced by OperatorTypeName.
std::string OperatorTypeName(schema::OperatorType type);

// "operator 3 'conv1' (CONV_2D)": how every error names an operator.
std::string OperatorWhere(const schema::Operator& op, uint32_t index);

// The requantization and clamp of an operator's options, or null when its type has none.
const schema::Requantization* OperatorRequantization(const schema::Operator& op);
const schema::Clamp* OperatorClamp(const schema::Operator& op);

}  // namespace qrt::internal
