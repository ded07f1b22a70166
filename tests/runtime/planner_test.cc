// The arena plan: tensors alive at the same time never share bytes, and memory
// is reused along a chain.
#include <doctest/doctest.h>

#include "graph.h"
#include "qrt/qrt.h"
#include "runtime/test_models.h"

namespace qrt::test {
namespace {

// First and last operator touching each activation (graph inputs start at 0,
// outputs end after the last operator), computed here independently of the planner.
std::vector<std::pair<int, int>> Lifetimes(const schema::ModelT& m) {
  std::vector<std::pair<int, int>> life(m.tensors.size(), {-1, -1});
  auto touch = [&](int32_t t, int o) {
    auto& l = life[static_cast<size_t>(t)];
    l.first = l.first < 0 ? o : std::min(l.first, o);
    l.second = std::max(l.second, o);
  };
  for (const int32_t t : m.inputs) touch(t, 0);
  for (size_t o = 0; o < m.operators.size(); ++o) {
    for (const int32_t t : m.operators[o]->inputs) touch(t, static_cast<int>(o));
    for (const int32_t t : m.operators[o]->outputs) touch(t, static_cast<int>(o));
  }
  for (const int32_t t : m.outputs) touch(t, static_cast<int>(m.operators.size()));
  return life;
}

}  // namespace

TEST_CASE("tensors alive at the same time get disjoint arena bytes") {
  const ModelBuilder b = EveryOperatorModel();
  const AlignedBytes bytes(b.Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  const auto& tensors = model->impl().tensors;
  const auto life = Lifetimes(b.model());
  size_t total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (tensors[i].is_constant()) continue;
    total += tensors[i].byte_size;
    CHECK(tensors[i].arena_offset % 64 == 0);
    CHECK(tensors[i].arena_offset + tensors[i].byte_size <= model->arena_bytes());
    for (size_t j = i + 1; j < tensors.size(); ++j) {
      if (tensors[j].is_constant()) continue;
      const bool alive_together =
          life[i].first <= life[j].second && life[j].first <= life[i].second;
      const bool bytes_overlap =
          tensors[i].arena_offset < tensors[j].arena_offset + tensors[j].byte_size &&
          tensors[j].arena_offset < tensors[i].arena_offset + tensors[i].byte_size;
      CAPTURE(tensors[i].name);
      CAPTURE(tensors[j].name);
      CHECK(!(alive_together && bytes_overlap));
    }
  }
  CHECK(model->arena_bytes() < total);
}

TEST_CASE("a chain of equal tensors needs two of them") {
  ModelBuilder b;
  int32_t prev = b.AddActivation("t0", {1, 1000}, 0.1f, 0);
  b.SetInputs({prev});
  for (int i = 1; i <= 6; ++i) {
    const int32_t next = b.AddActivation("t" + std::to_string(i), {1, 1000}, 0.1f, 0);
    b.Reshape(prev, next);
    prev = next;
  }
  b.SetOutputs({prev});
  const AlignedBytes bytes(b.Finish());
  std::shared_ptr<const Model> model;
  REQUIRE(Model::LoadBuffer(bytes.data(), bytes.size(), &model).ok());
  CHECK(model->arena_bytes() == 2 * 1024);
}

}  // namespace qrt::test
