#include "planner.h"

#include <algorithm>

namespace qrt::internal {
namespace {

struct Lifetime {
  int first = -1;  // -1: not alive at all
  int last = -1;
};

size_t AlignUp(size_t n) {
  return (n + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
}

std::vector<Lifetime> Lifetimes(const schema::Model& model,
                                const std::vector<TensorDesc>& tensors) {
  std::vector<Lifetime> life(tensors.size());
  const int num_ops = static_cast<int>(model.operators()->size());
  for (const int32_t t : *model.inputs()) life[static_cast<size_t>(t)] = {0, 0};
  for (int o = 0; o < num_ops; ++o) {
    const schema::Operator& op = *model.operators()->Get(static_cast<flatbuffers::uoffset_t>(o));
    for (const int32_t t : *op.outputs()) life[static_cast<size_t>(t)] = {o, o};
    for (const int32_t t : *op.inputs()) {
      Lifetime& l = life[static_cast<size_t>(t)];
      if (l.first >= 0) l.last = std::max(l.last, o);
    }
  }
  for (const int32_t t : *model.outputs()) life[static_cast<size_t>(t)].last = num_ops;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant()) life[i] = {};
  }
  return life;
}

}  // namespace

size_t PlanArena(const schema::Model& model, std::vector<TensorDesc>* tensors) {
  const std::vector<Lifetime> life = Lifetimes(model, *tensors);
  std::vector<size_t> order;
  for (size_t i = 0; i < tensors->size(); ++i) {
    if (life[i].first >= 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return (*tensors)[a].byte_size > (*tensors)[b].byte_size;
  });

  struct Placed {
    size_t offset, size;
    Lifetime life;
  };
  std::vector<Placed> placed;
  size_t arena_bytes = 0;
  for (const size_t t : order) {
    const size_t size = AlignUp((*tensors)[t].byte_size);
    std::vector<Placed> conflicts;
    for (const Placed& p : placed) {
      if (p.life.first <= life[t].last && life[t].first <= p.life.last) conflicts.push_back(p);
    }
    std::sort(conflicts.begin(), conflicts.end(),
              [](const Placed& a, const Placed& b) { return a.offset < b.offset; });
    size_t offset = 0;
    for (const Placed& c : conflicts) {
      if (offset + size <= c.offset) break;
      offset = std::max(offset, c.offset + c.size);
    }
    (*tensors)[t].arena_offset = offset;
    placed.push_back({offset, size, life[t]});
    arena_bytes = std::max(arena_bytes, offset + size);
  }
  return arena_bytes;
}

}  // namespace qrt::internal
