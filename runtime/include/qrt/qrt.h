// libqrt: load a verified .qrt model and run it, integer-only.
//
//   std::shared_ptr<const qrt::Model> model;
//   qrt::Status s = qrt::Model::LoadFile("model.qrt", &model);
//   std::unique_ptr<qrt::Session> session;
//   s = qrt::Session::Create(model, &session, {.num_threads = 2});
//   s = session->SetInput("image", pixels.data(), pixels.size());   // float or int8
//   s = session->Run();
//   s = session->GetOutput("logits", scores.data(), scores.size());
//
// A Model is immutable once loaded and may be shared by any number of Sessions on
// any threads. A Session holds the activation arena and its thread pool, and is used
// by one thread at a time. Run() performs no heap allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "qrt/status.h"

namespace qrt {

enum class ElementType { kInt8, kUInt8, kInt32, kInt4, kFloat32 };

// "int8", "uint8", "int32", "int4", "float32".
const char* ElementTypeName(ElementType type);

// A graph input or output as the application sees it.
struct TensorInfo {
  std::string name;
  std::vector<int32_t> shape;
  ElementType type = ElementType::kInt8;
  // Quantization of an int8 tensor (real = scale * (q - zero_point)); 1 and 0 for float32.
  float scale = 1.0f;
  int32_t zero_point = 0;
  size_t element_count = 0;
};

struct LoadOptions {
  // Most capable instruction set to use: "reference", "avx2", "avx512vnni", "neon",
  // "neondot". Empty: the QRT_ISA environment variable if set, else the best the CPU has.
  // Naming a set the CPU lacks fails with kUnsupportedIsa.
  std::string max_isa;
};

struct ModelMetadata {
  std::string producer;
  std::string source_model;
  std::string calibration_method;
  std::string description;
};

class Model {
 public:
  // Maps the file read-only; weights are used in place.
  static Status LoadFile(const std::string& path, std::shared_ptr<const Model>* model,
                         const LoadOptions& options = {});
  // Uses the caller's bytes in place: they must stay valid and unchanged while the
  // model (or any session on it) lives, and start on a 64-byte boundary so the
  // weights inside are aligned (kMisalignedBuffer otherwise).
  static Status LoadBuffer(const void* data, size_t size, std::shared_ptr<const Model>* model,
                           const LoadOptions& options = {});

  ~Model();
  Model(const Model&) = delete;
  Model& operator=(const Model&) = delete;

  const std::vector<TensorInfo>& inputs() const;
  const std::vector<TensorInfo>& outputs() const;
  const ModelMetadata& metadata() const;

  // The most capable instruction set among the kernels chosen for this model's
  // operators ("reference", "avx512vnni", ...); at most LoadOptions::max_isa.
  const char* isa() const;
  // Bytes of constant data (weights, biases) and of one session's activation arena.
  size_t weight_bytes() const;
  size_t arena_bytes() const;
  size_t num_operators() const;

  struct Impl;
  const Impl& impl() const { return *impl_; }

 private:
  explicit Model(std::unique_ptr<Impl> impl);
  // The bytes stay valid while `storage` (possibly empty) is alive.
  static Status LoadBytes(const void* data, size_t size, std::shared_ptr<const void> storage,
                          std::shared_ptr<const Model>* model, const LoadOptions& options);
  std::unique_ptr<Impl> impl_;
};

struct SessionOptions {
  // Record the time of every operator in each Run (see Session::profile()).
  bool profile = false;
  // Threads that run each operator, the caller of Run included (1: Run uses only
  // the calling thread and the session starts no threads). Between 1 and
  // kMaxSessionThreads, else Session::Create fails with kInvalidArgument. Outputs
  // are byte-identical for every thread count.
  int num_threads = 1;
};
inline constexpr int kMaxSessionThreads = 256;

// Time spent in one operator, summed over the profiled runs.
struct OperatorProfile {
  std::string name;
  std::string type;    // "CONV_2D", ...
  std::string kernel;  // the path that ran it, e.g. "reference"
  double total_ms = 0.0;
  int64_t runs = 0;
};

class Session {
 public:
  static Status Create(std::shared_ptr<const Model> model, std::unique_ptr<Session>* session,
                       const SessionOptions& options = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Copies an input in. int8 data needs an int8 input; float data is quantized
  // with the input's scale and zero point for an int8 input, or copied for a
  // float32 input. count must equal the input's element count.
  Status SetInput(std::string_view name, const int8_t* data, size_t count);
  Status SetInput(std::string_view name, const float* data, size_t count);

  // The input's storage inside the session, to write an input in place rather
  // than through SetInput's copy (which doubles a large float input's memory: a
  // 640x640 detector's is 4.9 MB). The span is int8 for an int8 input, float for
  // a float32 input; it stays valid for the session's lifetime, and Run() reads
  // what it holds.
  Status MutableInput(std::string_view name, std::span<int8_t>* data);
  Status MutableInput(std::string_view name, std::span<float>* data);

  // Runs the graph on the inputs set so far (unset inputs hold their last values,
  // zeros initially).
  Status Run();

  // Copies an output out after Run(). int8 needs an int8 output; float dequantizes
  // an int8 output or copies a float32 one.
  Status GetOutput(std::string_view name, int8_t* data, size_t count) const;
  Status GetOutput(std::string_view name, float* data, size_t count) const;

  const Model& model() const { return *model_; }
  // Per-operator times in graph order; empty unless SessionOptions::profile.
  const std::vector<OperatorProfile>& profile() const;

 private:
  struct State;
  Session(std::shared_ptr<const Model> model, std::unique_ptr<State> state);
  // The storage of input `name`, which must have element type `type`.
  Status InputStorage(std::string_view name, ElementType type, uint8_t** data, size_t* count);
  std::shared_ptr<const Model> model_;
  std::unique_ptr<State> state_;
};

}  // namespace qrt
