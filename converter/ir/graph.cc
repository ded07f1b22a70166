#include "converter/ir/graph.h"

#include <queue>
#include <set>

namespace qrt::converter {
namespace {

template <typename T>
T GetOr(const std::map<std::string, AttributeValue>& attributes, const std::string& key,
        const T& default_value) {
  auto it = attributes.find(key);
  if (it == attributes.end()) return default_value;
  const T* value = std::get_if<T>(&it->second);
  return value != nullptr ? *value : default_value;
}

}  // namespace

int64_t Node::GetInt(const std::string& key, int64_t default_value) const {
  return GetOr(attributes, key, default_value);
}

float Node::GetFloat(const std::string& key, float default_value) const {
  return GetOr(attributes, key, default_value);
}

std::string Node::GetString(const std::string& key, const std::string& default_value) const {
  return GetOr(attributes, key, default_value);
}

std::vector<int64_t> Node::GetInts(const std::string& key,
                                   const std::vector<int64_t>& default_value) const {
  return GetOr(attributes, key, default_value);
}

std::vector<float> Node::GetFloats(const std::string& key,
                                   const std::vector<float>& default_value) const {
  return GetOr(attributes, key, default_value);
}

const TensorData* Node::GetTensor(const std::string& key) const {
  auto it = attributes.find(key);
  return it == attributes.end() ? nullptr : std::get_if<TensorData>(&it->second);
}

std::string Node::Describe() const { return "node '" + name + "' (" + op_type + ")"; }

Tensor* Graph::FindTensor(const std::string& name) {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

const Tensor* Graph::FindTensor(const std::string& name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

Tensor& Graph::GetOrAddTensor(const std::string& name) {
  Tensor& t = tensors[name];
  t.name = name;
  return t;
}

std::optional<size_t> Graph::Producer(const std::string& name) const {
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) {
      if (out == name) return i;
    }
  }
  return std::nullopt;
}

std::vector<size_t> Graph::Consumers(const std::string& name) const {
  std::vector<size_t> result;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& in : nodes[i].inputs) {
      if (in == name) {
        result.push_back(i);
        break;
      }
    }
  }
  return result;
}

Status Graph::TopologicalSort() {
  // Kahn's algorithm; the min-heap of node indices keeps the original order among
  // nodes that are ready together, so sorting an already sorted graph changes nothing.
  std::map<std::string, size_t> producer;
  for (size_t i = 0; i < nodes.size(); ++i) {
    for (const std::string& out : nodes[i].outputs) {
      if (out.empty()) continue;
      if (!producer.emplace(out, i).second) {
        return Status(StatusCode::kBadGraph, "tensor '" + out + "' is produced twice (by " +
                                                 nodes[producer[out]].Describe() + " and " +
                                                 nodes[i].Describe() + ")");
      }
      const Tensor* t = FindTensor(out);
      if (t != nullptr && t->is_constant()) {
        return Status(StatusCode::kBadGraph, "tensor '" + out + "' is both a constant and " +
                                                 "the output of " + nodes[i].Describe());
      }
    }
  }
  std::set<std::string> graph_inputs(inputs.begin(), inputs.end());
  std::vector<size_t> pending(nodes.size(), 0);
  std::vector<std::vector<size_t>> dependents(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::set<size_t> deps;
    for (const std::string& in : nodes[i].inputs) {
      if (in.empty()) continue;
      auto it = producer.find(in);
      if (it != producer.end()) {
        deps.insert(it->second);
        continue;
      }
      const Tensor* t = FindTensor(in);
      if (graph_inputs.count(in) == 0 && (t == nullptr || !t->is_constant())) {
        return Status(StatusCode::kBadGraph, nodes[i].Describe() + " reads tensor '" + in +
                                                 "', which no node, input or initializer defines");
      }
    }
    pending[i] = deps.size();
    for (size_t d : deps) dependents[d].push_back(i);
  }
  std::priority_queue<size_t, std::vector<size_t>, std::greater<size_t>> ready;
  for (size_t i = 0; i < nodes.size(); ++i) {
    if (pending[i] == 0) ready.push(i);
  }
  std::vector<size_t> order;
  while (!ready.empty()) {
    size_t i = ready.top();
    ready.pop();
    order.push_back(i);
    for (size_t d : dependents[i]) {
      if (--pending[d] == 0) ready.push(d);
    }
  }
  if (order.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i) {
      if (pending[i] != 0) {
        return Status(StatusCode::kBadGraph,
                      "the graph has a cycle through " + nodes[i].Describe());
      }
    }
  }
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  for (size_t i : order) sorted.push_back(std::move(nodes[i]));
  nodes = std::move(sorted);
  return Status::Ok();
}

}  // namespace qrt::converter
