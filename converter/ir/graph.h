// The converter's float graph IR: ONNX semantics and layout (NCHW) throughout. Layout
// conversion to the runtime's NHWC happens only when the .qrt file is emitted.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "converter/ir/tensor.h"
#include "qrt/status.h"

namespace qrt::converter {

// A named value: its element type, its shape (dims may be -1 until shape inference or
// for dims that stay dynamic) and, for initializers and folded values, its contents.
struct Tensor {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  std::optional<TensorData> constant;

  bool is_constant() const { return constant.has_value(); }
};

// ONNX attribute values (graph-valued attributes are not supported).
using AttributeValue =
    std::variant<int64_t, float, std::string, std::vector<int64_t>, std::vector<float>, TensorData>;

struct Node {
  std::string name;
  std::string op_type;
  std::string domain;  // "" is the default ONNX domain
  // Tensor names; an empty name is an omitted optional input or output.
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
  std::map<std::string, AttributeValue> attributes;

  // Whether input i is present (not omitted and not past the end).
  bool HasInput(size_t i) const { return i < inputs.size() && !inputs[i].empty(); }
  bool HasAttribute(const std::string& key) const { return attributes.count(key) != 0; }

  // Typed attribute access: the default when the attribute is absent or of another kind.
  int64_t GetInt(const std::string& key, int64_t default_value) const;
  float GetFloat(const std::string& key, float default_value) const;
  std::string GetString(const std::string& key, const std::string& default_value) const;
  std::vector<int64_t> GetInts(const std::string& key,
                               const std::vector<int64_t>& default_value = {}) const;
  std::vector<float> GetFloats(const std::string& key,
                               const std::vector<float>& default_value = {}) const;
  // nullptr when absent.
  const TensorData* GetTensor(const std::string& key) const;

  // "node 'conv1' (Conv)", for error messages.
  std::string Describe() const;
};

struct Graph {
  // Version of the default ONNX domain the model imports; operator semantics follow it.
  int64_t opset_version = 0;
  std::vector<std::string> inputs;   // graph inputs, initializers excluded
  std::vector<std::string> outputs;  // graph outputs
  std::vector<Node> nodes;           // in topological order after TopologicalSort()
  std::map<std::string, Tensor> tensors;

  Tensor* FindTensor(const std::string& name);
  const Tensor* FindTensor(const std::string& name) const;
  // Returns the tensor called `name`, creating it (float32, unknown rank) if absent.
  Tensor& GetOrAddTensor(const std::string& name);

  // Index in `nodes` of the node that produces `name`; nullopt for graph inputs,
  // constants and unknown names.
  std::optional<size_t> Producer(const std::string& name) const;
  // Indices of the nodes reading `name`, in node order (a node reading it twice is
  // listed once).
  std::vector<size_t> Consumers(const std::string& name) const;

  // Orders `nodes` so every node comes after the producers of its inputs, keeping the
  // original order among independent nodes. BadGraph when a tensor is produced twice,
  // an input is never defined, or the graph has a cycle.
  Status TopologicalSort();
};

}  // namespace qrt::converter
