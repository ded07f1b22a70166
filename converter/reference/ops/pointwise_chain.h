// The attribute layout of PointwiseChain nodes, shared by the float kernel that runs
// them and by FusePointwiseChains, which writes them.
#pragma once

#include <cstdint>
#include <string>

namespace qrt::converter {

// The name of attribute `what` of step `step`: "step<step>:<what>". A chain holds
// "steps" (the count) and per step "op" (op type), "inputs" (operand count), "x" (the
// activation operand's index), "in<i>" (constant operand i) and "attr:<name>" (the
// step's own attributes).
inline std::string PointwiseChainStepKey(int64_t step, const std::string& what) {
  return "step" + std::to_string(step) + ":" + what;
}

}  // namespace qrt::converter
