#include "compact.h"

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "qrt/schema/packed_shift.h"

namespace qrt::converter {
namespace {

// The requantization in an operator's options, null for options without one.
schema::RequantizationT* OptionsRequantization(schema::OperatorOptionsUnion& options) {
  if (auto* o = options.AsConv2DOptions()) return o->requant.get();
  if (auto* o = options.AsFullyConnectedOptions()) return o->requant.get();
  if (auto* o = options.AsAddOptions()) return o->requant.get();
  if (auto* o = options.AsMulOptions()) return o->requant.get();
  if (auto* o = options.AsPool2DOptions()) return o->requant.get();
  if (auto* o = options.AsConcatOptions()) return o->requant.get();
  if (auto* o = options.AsSoftmaxOptions()) return o->requant.get();
  if (auto* o = options.AsConvTranspose2DOptions()) return o->requant.get();
  if (auto* o = options.AsResizeBilinearOptions()) return o->requant.get();
  if (auto* o = options.AsLayerNormOptions()) return o->requant.get();
  if (auto* o = options.AsBatchMatMulOptions()) return o->requant.get();
  return nullptr;
}

}  // namespace

void CompactModel(const CompactOptions& options, ModelBuilder* builder) {
  schema::ModelT& model = builder->model();
  std::set<int32_t> graph_io(model.inputs.begin(), model.inputs.end());
  graph_io.insert(model.outputs.begin(), model.outputs.end());

  for (size_t i = 0; i < model.tensors.size(); ++i) {
    schema::TensorT& tensor = *model.tensors[i];
    const bool weights = tensor.buffer != 0 && (tensor.type == schema::ElementType::INT8 ||
                                                tensor.type == schema::ElementType::INT4);
    if (weights && !options.keep_weight_scales) tensor.quantization.reset();
    if (!options.keep_names && !graph_io.count(static_cast<int32_t>(i))) tensor.name.clear();
  }
  if (!options.keep_names) {
    for (auto& op : model.operators) op->name.clear();
  }
  for (auto& op : model.operators) {
    schema::RequantizationT* requant = OptionsRequantization(op->options);
    if (requant == nullptr || requant->shift.empty()) continue;
    std::vector<uint8_t> packed = schema::PackShifts(requant->shift);
    if (packed.size() < requant->shift.size()) {
      requant->packed_shift = std::move(packed);
      requant->shift.clear();
    }
  }

  // Buffers: one per distinct (bytes, type), in first-use order; buffer 0 stays the
  // empty sentinel. The type is part of the key so that a buffer keeps a single
  // alignment (ModelBuilder::Finish aligns by the tensors reading it).
  std::map<std::pair<schema::ElementType, std::vector<uint8_t>>, uint32_t> seen;
  std::vector<std::unique_ptr<schema::BufferT>> buffers;
  buffers.push_back(std::move(model.buffers[0]));
  std::map<uint32_t, uint32_t> renumbered;
  for (auto& tensor : model.tensors) {
    if (tensor->buffer == 0) continue;
    auto done = renumbered.find(tensor->buffer);
    if (done != renumbered.end()) {
      tensor->buffer = done->second;
      continue;
    }
    std::unique_ptr<schema::BufferT>& buffer = model.buffers[tensor->buffer];
    auto [it, added] =
        seen.try_emplace({tensor->type, buffer->data}, static_cast<uint32_t>(buffers.size()));
    if (added) buffers.push_back(std::move(buffer));
    renumbered[tensor->buffer] = it->second;
    tensor->buffer = it->second;
  }
  model.buffers = std::move(buffers);
}

}  // namespace qrt::converter
