// The IR's graph helpers: producers, consumers, topological sort, attributes.
#include <doctest/doctest.h>

#include "converter/ir/graph.h"

namespace qrt::converter {
namespace {

Node MakeNode(const std::string& name, std::vector<std::string> in, std::vector<std::string> out) {
  Node n;
  n.name = name;
  n.op_type = "Relu";
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x -> a -> b; x,b -> c (listed out of order).
Graph Diamond() {
  Graph g;
  g.inputs = {"x"};
  g.GetOrAddTensor("x").shape = {1, 4};
  g.nodes = {MakeNode("c", {"x", "b"}, {"tc"}), MakeNode("b", {"ta"}, {"b"}),
             MakeNode("a", {"x"}, {"ta"})};
  g.outputs = {"tc"};
  return g;
}

TEST_CASE("topological sort orders producers first and finds producers and consumers") {
  Graph g = Diamond();
  REQUIRE(g.TopologicalSort().ok());
  REQUIRE(g.nodes.size() == 3);
  CHECK(g.nodes[0].name == "a");
  CHECK(g.nodes[1].name == "b");
  CHECK(g.nodes[2].name == "c");
  CHECK(g.Producer("b") == 1u);
  CHECK(!g.Producer("x").has_value());
  CHECK(g.Consumers("x") == std::vector<size_t>{0, 2});
}

TEST_CASE("topological sort rejects cycles, double producers and undefined inputs") {
  Graph cycle = Diamond();
  cycle.nodes[2].inputs = {"b"};  // a reads b, b reads ta
  CHECK(cycle.TopologicalSort().code() == StatusCode::kBadGraph);

  Graph twice = Diamond();
  twice.nodes.push_back(MakeNode("d", {"x"}, {"ta"}));
  CHECK(twice.TopologicalSort().code() == StatusCode::kBadGraph);

  Graph undefined = Diamond();
  undefined.nodes[0].inputs = {"nothing"};
  Status s = undefined.TopologicalSort();
  CHECK(s.code() == StatusCode::kBadGraph);
  CHECK(s.message().find("nothing") != std::string::npos);
}

TEST_CASE("attributes read with defaults and omitted inputs are empty names") {
  Node n = MakeNode("n", {"x", "", "z"}, {"y"});
  n.attributes["alpha"] = 0.5f;
  n.attributes["axes"] = std::vector<int64_t>{1, 2};
  n.attributes["mode"] = std::string("linear");
  CHECK(n.GetFloat("alpha", 0) == 0.5f);
  CHECK(n.GetInt("alpha", 7) == 7);  // wrong kind falls back to the default
  CHECK(n.GetInts("axes") == std::vector<int64_t>{1, 2});
  CHECK(n.GetString("mode", "") == "linear");
  CHECK(n.HasInput(0));
  CHECK(!n.HasInput(1));
  CHECK(n.HasInput(2));
  CHECK(!n.HasInput(3));
}

TEST_CASE("TensorData converts and reshapes") {
  TensorData t = TensorData::FromVector<int64_t>({2, 2}, {1, -2, 3, 4});
  CHECK(t.ToFloats() == std::vector<float>{1, -2, 3, 4});
  CHECK(t.Reshaped({4}).shape() == Shape{4});
  CHECK(NumElements({2, -1}) == -1);
  CHECK(NumElements({}) == 1);
  CHECK(ShapeToString({1, -1, 3}) == "1x?x3");
}

}  // namespace
}  // namespace qrt::converter
