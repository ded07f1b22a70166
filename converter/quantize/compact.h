// Size reductions applied to an emitted model just before it is written
// (docs/format.md, schema version 2): nothing here changes what the runtime
// computes, only what the file carries beyond it.
#pragma once

#include "qrt/schema/model_builder.h"

namespace qrt::converter {

struct CompactOptions {
  // Keep the float per-channel scales of int8/int4 weights. The runtime never
  // reads them (the dyadic multipliers hold Sx * Sw[c] / Sy); tools that want to
  // dequantize weights do. 4 bytes per output channel.
  bool keep_weight_scales = false;
  // Keep the names of internal tensors and of operators. Graph inputs and outputs
  // always keep theirs (the API finds them by name); operator names only appear in
  // error messages and profiles.
  bool keep_names = false;
};

// Applies `options` to the model in `builder`, packs each requantization's shifts
// (Requantization.packed_shift) and each int32 or int16 constant (PACKED_INT32)
// where that is smaller (schema version 4, qrt/schema/packed_deltas.h) and merges
// constants with identical bytes and type into one buffer (for example the biases
// of two identical layers), dropping buffers no tensor reads any more.
void CompactModel(const CompactOptions& options, ModelBuilder* builder);

}  // namespace qrt::converter
