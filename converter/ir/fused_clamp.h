// A clamp activation (Relu, Relu6, Clip) fused into the node that produces its
// input. The fusion pass moves the activation onto its producer as two float
// attributes; the float reference executor applies them to the producer's output,
// calibration snaps the output range to them, and the quantizer turns them into
// the operator's integer clamp bounds. Other activations (Sigmoid, HardSwish, ...)
// stay separate nodes and become lookup tables.
#pragma once

#include <limits>
#include <optional>

#include "converter/ir/graph.h"

namespace qrt::converter {

inline constexpr char kFusedClampMin[] = "qrt_fused_clamp_min";
inline constexpr char kFusedClampMax[] = "qrt_fused_clamp_max";

struct FusedClamp {
  float min = -std::numeric_limits<float>::infinity();
  float max = std::numeric_limits<float>::infinity();
};

inline void SetFusedClamp(Node& node, FusedClamp clamp) {
  node.attributes[kFusedClampMin] = clamp.min;
  node.attributes[kFusedClampMax] = clamp.max;
}

// The node's fused clamp, if the fusion pass gave it one.
inline std::optional<FusedClamp> GetFusedClamp(const Node& node) {
  if (!node.HasAttribute(kFusedClampMin)) return std::nullopt;
  return FusedClamp{node.GetFloat(kFusedClampMin, -std::numeric_limits<float>::infinity()),
                    node.GetFloat(kFusedClampMax, std::numeric_limits<float>::infinity())};
}

}  // namespace qrt::converter
