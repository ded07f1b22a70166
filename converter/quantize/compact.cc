#include "compact.h"

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <utility>
#include <vector>

#include "qrt/schema/packed_deltas.h"

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

// The int32 values of an INT32 or INT16 constant's bytes (little-endian).
std::vector<int32_t> Int32Values(schema::ElementType type, const std::vector<uint8_t>& bytes) {
  const size_t width = type == schema::ElementType::INT16 ? 2 : 4;
  std::vector<int32_t> values(bytes.size() / width);
  for (size_t i = 0; i < values.size(); ++i) {
    uint32_t raw = 0;
    for (size_t b = 0; b < width; ++b) raw |= uint32_t{bytes[i * width + b]} << (8 * b);
    const uint32_t sign = uint32_t{1} << (8 * width - 1);
    values[i] = static_cast<int32_t>(static_cast<int64_t>(raw ^ sign) - int64_t{sign});
  }
  return values;
}

// Stores each INT32 or INT16 constant (biases, LAYER_NORM's beta) as PACKED_INT32
// where that is smaller: a layer's biases span a few thousand steps of its
// accumulator scale, 9 to 12 bits in PP-OCR's classifier, where INT16 spends 16. A
// buffer is packed only when every tensor reading it has the same one of those types.
void PackInt32Constants(schema::ModelT* model) {
  std::map<uint32_t, std::set<schema::ElementType>> reader_types;
  for (const auto& tensor : model->tensors) {
    if (tensor->buffer != 0) reader_types[tensor->buffer].insert(tensor->type);
  }
  for (const auto& [buffer, types] : reader_types) {
    const schema::ElementType type = *types.begin();
    if (types.size() != 1 ||
        (type != schema::ElementType::INT32 && type != schema::ElementType::INT16)) {
      continue;
    }
    std::vector<uint8_t>& data = model->buffers[buffer]->data;
    const std::vector<int32_t> values = Int32Values(type, data);
    if (values.empty()) continue;
    std::vector<uint8_t> packed =
        schema::PackDeltas(schema::kInt32Packing, std::span<const int32_t>(values));
    if (packed.size() >= data.size()) continue;
    data = std::move(packed);
    for (auto& tensor : model->tensors) {
      if (tensor->buffer == buffer) tensor->type = schema::ElementType::PACKED_INT32;
    }
  }
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
    std::vector<uint8_t> packed =
        schema::PackDeltas(schema::kShiftPacking, std::span<const int8_t>(requant->shift));
    if (packed.size() < requant->shift.size()) {
      requant->packed_shift = std::move(packed);
      requant->shift.clear();
    }
  }

  PackInt32Constants(&model);

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
