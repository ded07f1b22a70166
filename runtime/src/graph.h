// The runtime's view of a loaded model: tensor descriptions resolved from the
// file, operators prepared into kernels, and the memory plan. Built once at load,
// immutable afterwards, shared by every session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "qrt/kernels/dispatch.h"
#include "qrt/qrt.h"
#include "qrt/schema/qrt_generated.h"
#include "thread_pool.h"

namespace qrt::internal {

// Arena offsets and the arena size are multiples of this, so every tensor starts
// on a cache line and SIMD kernels may use aligned loads.
inline constexpr size_t kTensorAlignment = 64;

struct AlignedFree {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, AlignedFree>;

// Zeroed memory of at least `bytes` (at least one alignment unit), aligned to
// kTensorAlignment; null when memory is exhausted.
inline AlignedBuffer AllocateAligned(size_t bytes) {
  // aligned_alloc needs a non-zero multiple of the alignment.
  const size_t size = (bytes / kTensorAlignment + 1) * kTensorAlignment;
  AlignedBuffer buffer(static_cast<uint8_t*>(std::aligned_alloc(kTensorAlignment, size)));
  if (buffer != nullptr) std::memset(buffer.get(), 0, size);
  return buffer;
}

struct TensorDesc {
  std::string name;
  std::vector<int32_t> shape;
  ElementType type = ElementType::kInt8;
  int64_t element_count = 1;
  size_t byte_size = 0;
  // Per-tensor quantization (the first entry of the file's arrays; 1 and 0 when absent).
  float scale = 1.0f;
  int32_t zero_point = 0;
  // Weight scales, one per output channel (constants only).
  const flatbuffers::Vector<float>* channel_scales = nullptr;
  // Constant data inside the model bytes, or in widened_data; null for
  // activations, which live in the session's arena at arena_offset.
  const uint8_t* data = nullptr;
  // Owns `data` of an INT16 or PACKED_INT32 constant, widened or unpacked to int32
  // at load (type is then kInt32): the kernels read int32 biases, the file stores
  // them in fewer bytes when they fit. Null for every other tensor.
  std::shared_ptr<const uint8_t> widened_data;
  size_t arena_offset = 0;

  bool is_constant() const { return data != nullptr; }
};

// Where every tensor lives during one Run: constants point into the model bytes,
// activations into the session's arena.
struct RunContext {
  uint8_t* const* tensor_data;
  // Room for one operator's input pointers (sized to the widest operator).
  const int8_t** input_pointers;
  // The session's threads, for operators that split their output.
  ThreadPool* thread_pool;
};

// A prepared operator: parameters resolved, shapes checked, kernel chosen. Eval
// only runs; it never allocates and never fails.
class OpKernel {
 public:
  virtual ~OpKernel() = default;
  virtual void Eval(const RunContext& ctx) const = 0;
  // The path of the kernel that Eval calls.
  virtual kernels::Isa isa() const = 0;
};

// An operator's requantization as the kernels read it, decoded and checked at
// load: int32 multipliers (the file's, or its 16-bit mantissas << 15) and shifts.
// Empty for operators without one.
struct RequantValues {
  std::vector<int32_t> multiplier;
  std::vector<int8_t> shift;

  size_t size() const { return multiplier.size(); }
};

// What an operator's Prepare sees.
struct PrepareContext {
  const schema::Operator& op;
  int op_index;
  const std::vector<TensorDesc>& tensors;
  const kernels::KernelTable& kernels;
  // Lives as long as the model (Model::Impl::requants), so kernels may keep pointers.
  const RequantValues& requant;

  int input_index(int i) const { return op.inputs()->Get(static_cast<flatbuffers::uoffset_t>(i)); }
  int output_index(int i) const {
    return op.outputs()->Get(static_cast<flatbuffers::uoffset_t>(i));
  }
  const TensorDesc& input(int i) const { return tensors[static_cast<size_t>(input_index(i))]; }
  const TensorDesc& output(int i) const { return tensors[static_cast<size_t>(output_index(i))]; }
  int num_inputs() const { return static_cast<int>(op.inputs()->size()); }
  // "operator 3 'conv1' (CONV_2D)".
  std::string Where() const;
  Status Error(StatusCode code, const std::string& message) const;
};

struct PreparedOp {
  std::string name;
  const char* type_name;
  std::unique_ptr<OpKernel> kernel;
};

}  // namespace qrt::internal

namespace qrt {

struct Model::Impl {
  // Keeps the model bytes alive: an owned mapping, or nothing for a caller's buffer.
  std::shared_ptr<const void> storage;
  const schema::Model* model = nullptr;
  std::vector<internal::TensorDesc> tensors;
  // One per operator, indexed like the file's operators.
  std::vector<internal::RequantValues> requants;
  std::vector<internal::PreparedOp> ops;
  std::vector<int> input_tensors;
  std::vector<int> output_tensors;
  std::vector<TensorInfo> inputs;
  std::vector<TensorInfo> outputs;
  ModelMetadata metadata;
  kernels::Isa isa = kernels::Isa::kReference;
  size_t weight_bytes = 0;
  size_t arena_bytes = 0;
  size_t max_operator_inputs = 0;
};

}  // namespace qrt
