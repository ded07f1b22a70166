// The C API: thin handles over the C++ objects; exceptions never cross it (the
// C++ API reports errors as Status, and allocation failure is turned into one).
#include <new>
#include <string>

#include "qrt/qrt.h"
#include "qrt/qrt_c.h"

struct qrt_model {
  std::shared_ptr<const qrt::Model> model;
};

struct qrt_session {
  std::unique_ptr<qrt::Session> session;
};

namespace {

thread_local std::string last_error;

static_assert(static_cast<int>(qrt::StatusCode::kUnsupportedOperator) ==
                  static_cast<int>(QRT_UNSUPPORTED_OPERATOR),
              "qrt_status must mirror qrt::StatusCode");

qrt_status Report(const qrt::Status& status) {
  last_error = status.ok() ? "" : status.ToString();
  return static_cast<qrt_status>(status.code());
}

qrt_status NullArgument(const char* what) {
  return Report(qrt::Status(qrt::StatusCode::kInvalidArgument, std::string(what) + " is NULL"));
}

qrt_status ReportModel(qrt::Status status, std::shared_ptr<const qrt::Model> loaded,
                       qrt_model** model) {
  if (status.ok()) {
    *model = new (std::nothrow) qrt_model{std::move(loaded)};
    if (*model == nullptr) status = qrt::Status(qrt::StatusCode::kInvalidArgument, "out of memory");
  }
  return Report(status);
}

qrt::LoadOptions Options(const char* max_isa) {
  qrt::LoadOptions options;
  if (max_isa != nullptr) options.max_isa = max_isa;
  return options;
}

const qrt::TensorInfo* InfoAt(const std::vector<qrt::TensorInfo>& infos, size_t i) {
  return i < infos.size() ? &infos[i] : nullptr;
}

template <typename T>
qrt_status SessionInput(qrt_session* session, const char* name, T** data, size_t* count) {
  if (session == nullptr || name == nullptr || data == nullptr || count == nullptr) {
    return NullArgument("session, name, data or count");
  }
  std::span<T> storage;
  const qrt_status status = Report(session->session->MutableInput(name, &storage));
  if (status == QRT_OK) {
    *data = storage.data();
    *count = storage.size();
  }
  return status;
}

}  // namespace

extern "C" {

const char* qrt_last_error(void) { return last_error.c_str(); }

qrt_status qrt_model_load_file(const char* path, const char* max_isa, qrt_model** model) {
  if (path == nullptr || model == nullptr) return NullArgument("path or model");
  std::shared_ptr<const qrt::Model> loaded;
  const qrt::Status status = qrt::Model::LoadFile(path, &loaded, Options(max_isa));
  return ReportModel(status, std::move(loaded), model);
}

qrt_status qrt_model_load_buffer(const void* data, size_t size, const char* max_isa,
                                 qrt_model** model) {
  if (model == nullptr) return NullArgument("model");
  std::shared_ptr<const qrt::Model> loaded;
  const qrt::Status status = qrt::Model::LoadBuffer(data, size, &loaded, Options(max_isa));
  return ReportModel(status, std::move(loaded), model);
}

void qrt_model_free(qrt_model* model) { delete model; }

size_t qrt_model_num_inputs(const qrt_model* model) { return model->model->inputs().size(); }
size_t qrt_model_num_outputs(const qrt_model* model) { return model->model->outputs().size(); }

const char* qrt_model_input_name(const qrt_model* model, size_t i) {
  const qrt::TensorInfo* info = InfoAt(model->model->inputs(), i);
  return info ? info->name.c_str() : nullptr;
}

size_t qrt_model_input_element_count(const qrt_model* model, size_t i) {
  const qrt::TensorInfo* info = InfoAt(model->model->inputs(), i);
  return info ? info->element_count : 0;
}

const char* qrt_model_output_name(const qrt_model* model, size_t i) {
  const qrt::TensorInfo* info = InfoAt(model->model->outputs(), i);
  return info ? info->name.c_str() : nullptr;
}

size_t qrt_model_output_element_count(const qrt_model* model, size_t i) {
  const qrt::TensorInfo* info = InfoAt(model->model->outputs(), i);
  return info ? info->element_count : 0;
}

const char* qrt_model_isa(const qrt_model* model) { return model->model->isa(); }

static_assert(QRT_MAX_SESSION_THREADS == qrt::kMaxSessionThreads);

qrt_status qrt_session_create(const qrt_model* model, qrt_session** session) {
  return qrt_session_create_with_options(model, nullptr, session);
}

qrt_status qrt_session_create_with_options(const qrt_model* model,
                                           const qrt_session_options* options,
                                           qrt_session** session) {
  if (model == nullptr || session == nullptr) return NullArgument("model or session");
  qrt::SessionOptions session_options;
  if (options != nullptr) session_options.num_threads = options->num_threads;
  std::unique_ptr<qrt::Session> created;
  qrt::Status status = qrt::Session::Create(model->model, &created, session_options);
  if (status.ok()) {
    *session = new (std::nothrow) qrt_session{std::move(created)};
    if (*session == nullptr)
      status = qrt::Status(qrt::StatusCode::kInvalidArgument, "out of memory");
  }
  return Report(status);
}

void qrt_session_free(qrt_session* session) { delete session; }

qrt_status qrt_session_set_input_i8(qrt_session* session, const char* name, const int8_t* data,
                                    size_t count) {
  if (session == nullptr || name == nullptr || data == nullptr) {
    return NullArgument("session, name or data");
  }
  return Report(session->session->SetInput(name, data, count));
}

qrt_status qrt_session_set_input_f32(qrt_session* session, const char* name, const float* data,
                                     size_t count) {
  if (session == nullptr || name == nullptr || data == nullptr) {
    return NullArgument("session, name or data");
  }
  return Report(session->session->SetInput(name, data, count));
}

qrt_status qrt_session_input_i8(qrt_session* session, const char* name, int8_t** data,
                                size_t* count) {
  return SessionInput(session, name, data, count);
}

qrt_status qrt_session_input_f32(qrt_session* session, const char* name, float** data,
                                 size_t* count) {
  return SessionInput(session, name, data, count);
}

qrt_status qrt_session_run(qrt_session* session) {
  if (session == nullptr) return NullArgument("session");
  return Report(session->session->Run());
}

qrt_status qrt_session_get_output_i8(const qrt_session* session, const char* name, int8_t* data,
                                     size_t count) {
  if (session == nullptr || name == nullptr || data == nullptr) {
    return NullArgument("session, name or data");
  }
  return Report(session->session->GetOutput(name, data, count));
}

qrt_status qrt_session_get_output_f32(const qrt_session* session, const char* name, float* data,
                                      size_t count) {
  if (session == nullptr || name == nullptr || data == nullptr) {
    return NullArgument("session, name or data");
  }
  return Report(session->session->GetOutput(name, data, count));
}

}  // extern "C"
