#include <chrono>
#include <cstdlib>
#include <cstring>

#include "graph.h"
#include "qrt/kernels/reference.h"

namespace qrt {
namespace {

const TensorInfo* FindInfo(const std::vector<TensorInfo>& infos, std::string_view name,
                           size_t* index) {
  for (size_t i = 0; i < infos.size(); ++i) {
    if (infos[i].name == name) {
      *index = i;
      return &infos[i];
    }
  }
  return nullptr;
}

std::string Names(const std::vector<TensorInfo>& infos) {
  std::string names;
  for (const TensorInfo& info : infos) names += (names.empty() ? "'" : ", '") + info.name + "'";
  return names;
}

Status UnknownName(const std::vector<TensorInfo>& infos, std::string_view name, const char* what) {
  return Status(StatusCode::kInvalidArgument, "model has no " + std::string(what) + " '" +
                                                  std::string(name) + "' (it has " + Names(infos) +
                                                  ")");
}

Status CheckAccess(const std::vector<TensorInfo>& infos, std::string_view name, size_t count,
                   const char* what, size_t* index) {
  const TensorInfo* info = FindInfo(infos, name, index);
  if (info == nullptr) return UnknownName(infos, name, what);
  if (count != info->element_count) {
    return Status(StatusCode::kInvalidArgument, std::string(what) + " '" + info->name + "' has " +
                                                    std::to_string(info->element_count) +
                                                    " elements, not " + std::to_string(count));
  }
  return Status::Ok();
}

}  // namespace

struct Session::State {
  SessionOptions options;
  std::unique_ptr<internal::ThreadPool> thread_pool;
  internal::AlignedBuffer arena;
  std::vector<uint8_t*> tensor_data;
  std::vector<const int8_t*> input_pointers;
  std::vector<OperatorProfile> profile;
  bool has_run = false;
};

Session::Session(std::shared_ptr<const Model> model, std::unique_ptr<State> state)
    : model_(std::move(model)), state_(std::move(state)) {}
Session::~Session() = default;

Status Session::Create(std::shared_ptr<const Model> model, std::unique_ptr<Session>* session,
                       const SessionOptions& options) {
  if (model == nullptr) return Status(StatusCode::kInvalidArgument, "model is null");
  if (options.num_threads < 1 || options.num_threads > kMaxSessionThreads) {
    return Status(StatusCode::kInvalidArgument,
                  "num_threads is " + std::to_string(options.num_threads) + "; it must be 1 to " +
                      std::to_string(kMaxSessionThreads));
  }
  const Model::Impl& impl = model->impl();
  auto state = std::make_unique<State>();
  state->options = options;
  state->thread_pool = std::make_unique<internal::ThreadPool>(options.num_threads);
  if (state->thread_pool->num_threads() != options.num_threads) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot start " + std::to_string(options.num_threads) + " threads");
  }
  state->arena = internal::AllocateAligned(impl.arena_bytes);
  if (state->arena == nullptr) {
    return Status(StatusCode::kInvalidArgument,
                  "cannot allocate the " + std::to_string(impl.arena_bytes) + "-byte arena");
  }
  for (const internal::TensorDesc& t : impl.tensors) {
    state->tensor_data.push_back(t.is_constant() ? const_cast<uint8_t*>(t.data)
                                                 : state->arena.get() + t.arena_offset);
  }
  state->input_pointers.resize(impl.max_operator_inputs);
  if (options.profile) {
    for (const internal::PreparedOp& op : impl.ops) {
      state->profile.push_back({op.name, op.type_name, kernels::IsaName(op.kernel->isa()), 0.0, 0});
    }
  }
  session->reset(new Session(std::move(model), std::move(state)));
  return Status::Ok();
}

Status Session::SetInput(std::string_view name, const int8_t* data, size_t count) {
  size_t i = 0;
  QRT_RETURN_IF_ERROR(CheckAccess(model_->inputs(), name, count, "input", &i));
  if (model_->inputs()[i].type != ElementType::kInt8) {
    return Status(StatusCode::kInvalidArgument, "input '" + std::string(name) + "' is " +
                                                    ElementTypeName(model_->inputs()[i].type) +
                                                    "; pass float data");
  }
  const int t = model_->impl().input_tensors[i];
  std::memcpy(state_->tensor_data[static_cast<size_t>(t)], data, count);
  return Status::Ok();
}

Status Session::SetInput(std::string_view name, const float* data, size_t count) {
  size_t i = 0;
  QRT_RETURN_IF_ERROR(CheckAccess(model_->inputs(), name, count, "input", &i));
  const TensorInfo& info = model_->inputs()[i];
  uint8_t* dst = state_->tensor_data[static_cast<size_t>(model_->impl().input_tensors[i])];
  if (info.type == ElementType::kFloat32) {
    std::memcpy(dst, data, count * sizeof(float));
  } else {
    kernels::ref::Quantize({static_cast<int64_t>(count), info.scale, info.zero_point}, data,
                           reinterpret_cast<int8_t*>(dst));
  }
  return Status::Ok();
}

Status Session::InputStorage(std::string_view name, ElementType type, uint8_t** data,
                             size_t* count) {
  size_t i = 0;
  const TensorInfo* info = FindInfo(model_->inputs(), name, &i);
  if (info == nullptr) return UnknownName(model_->inputs(), name, "input");
  if (info->type != type) {
    return Status(StatusCode::kInvalidArgument, "input '" + info->name + "' is " +
                                                    ElementTypeName(info->type) + ", not " +
                                                    ElementTypeName(type));
  }
  *data = state_->tensor_data[static_cast<size_t>(model_->impl().input_tensors[i])];
  *count = info->element_count;
  return Status::Ok();
}

Status Session::MutableInput(std::string_view name, std::span<int8_t>* data) {
  uint8_t* bytes = nullptr;
  size_t count = 0;
  QRT_RETURN_IF_ERROR(InputStorage(name, ElementType::kInt8, &bytes, &count));
  *data = {reinterpret_cast<int8_t*>(bytes), count};
  return Status::Ok();
}

Status Session::MutableInput(std::string_view name, std::span<float>* data) {
  uint8_t* bytes = nullptr;
  size_t count = 0;
  QRT_RETURN_IF_ERROR(InputStorage(name, ElementType::kFloat32, &bytes, &count));
  *data = {reinterpret_cast<float*>(bytes), count};
  return Status::Ok();
}

Status Session::Run() {
  const Model::Impl& impl = model_->impl();
  const internal::RunContext ctx{state_->tensor_data.data(), state_->input_pointers.data(),
                                 state_->thread_pool.get()};
  if (!state_->options.profile) {
    for (const internal::PreparedOp& op : impl.ops) op.kernel->Eval(ctx);
  } else {
    for (size_t o = 0; o < impl.ops.size(); ++o) {
      const auto start = std::chrono::steady_clock::now();
      impl.ops[o].kernel->Eval(ctx);
      const std::chrono::duration<double, std::milli> elapsed =
          std::chrono::steady_clock::now() - start;
      state_->profile[o].total_ms += elapsed.count();
      ++state_->profile[o].runs;
    }
  }
  state_->has_run = true;
  return Status::Ok();
}

Status Session::GetOutput(std::string_view name, int8_t* data, size_t count) const {
  size_t i = 0;
  QRT_RETURN_IF_ERROR(CheckAccess(model_->outputs(), name, count, "output", &i));
  if (!state_->has_run) return Status(StatusCode::kFailedPrecondition, "Run() has not been called");
  if (model_->outputs()[i].type != ElementType::kInt8) {
    return Status(StatusCode::kInvalidArgument, "output '" + std::string(name) + "' is " +
                                                    ElementTypeName(model_->outputs()[i].type) +
                                                    "; read it as float");
  }
  const int t = model_->impl().output_tensors[i];
  std::memcpy(data, state_->tensor_data[static_cast<size_t>(t)], count);
  return Status::Ok();
}

Status Session::GetOutput(std::string_view name, float* data, size_t count) const {
  size_t i = 0;
  QRT_RETURN_IF_ERROR(CheckAccess(model_->outputs(), name, count, "output", &i));
  if (!state_->has_run) return Status(StatusCode::kFailedPrecondition, "Run() has not been called");
  const TensorInfo& info = model_->outputs()[i];
  const uint8_t* src = state_->tensor_data[static_cast<size_t>(model_->impl().output_tensors[i])];
  if (info.type == ElementType::kFloat32) {
    std::memcpy(data, src, count * sizeof(float));
  } else {
    kernels::ref::Dequantize({static_cast<int64_t>(count), info.scale, info.zero_point},
                             reinterpret_cast<const int8_t*>(src), data);
  }
  return Status::Ok();
}

const std::vector<OperatorProfile>& Session::profile() const { return state_->profile; }

}  // namespace qrt
