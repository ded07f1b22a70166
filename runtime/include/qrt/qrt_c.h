/* libqrt's C API, for embedding qrt from C and from other languages' FFIs.
 *
 * Every fallible call returns a qrt_status (QRT_OK on success); on failure
 * qrt_last_error() gives the message for the calling thread. Objects are freed
 * with their _free function; a model may be freed while sessions on it live (they
 * keep it alive). A model may be shared by sessions on several threads; a session
 * is used by one thread at a time.
 *
 *   qrt_model* model;
 *   if (qrt_model_load_file("m.qrt", &model) != QRT_OK) puts(qrt_last_error());
 *   qrt_session* session;
 *   qrt_session_create(model, &session);
 *   qrt_session_set_input_f32(session, "image", pixels, n);
 *   qrt_session_run(session);
 *   qrt_session_get_output_f32(session, "logits", scores, m);
 */
#ifndef QRT_QRT_C_H_
#define QRT_QRT_C_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The same codes, in the same order, as qrt::StatusCode (qrt/status.h). */
typedef enum qrt_status {
  QRT_OK = 0,
  QRT_INVALID_ARGUMENT,
  QRT_IO_ERROR,
  QRT_NOT_A_MODEL,
  QRT_MALFORMED_MODEL,
  QRT_UNSUPPORTED_VERSION,
  QRT_INDEX_OUT_OF_RANGE,
  QRT_BAD_SHAPE,
  QRT_BAD_TYPE,
  QRT_BUFFER_SIZE_MISMATCH,
  QRT_MISALIGNED_BUFFER,
  QRT_BAD_QUANTIZATION,
  QRT_CHANNEL_COUNT_MISMATCH,
  QRT_BAD_REQUANTIZATION,
  QRT_BAD_CLAMP,
  QRT_BAD_OPTIONS,
  QRT_BAD_GRAPH,
  QRT_DUPLICATE_NAME,
  QRT_UNSUPPORTED_ISA,
  QRT_FAILED_PRECONDITION,
  QRT_UNSUPPORTED_OPERATOR
} qrt_status;

typedef struct qrt_model qrt_model;
typedef struct qrt_session qrt_session;

/* The message of the last failed call on this thread ("" if none). */
const char* qrt_last_error(void);

/* Loads a model; max_isa may be NULL (see qrt::LoadOptions::max_isa). */
qrt_status qrt_model_load_file(const char* path, const char* max_isa, qrt_model** model);
/* The bytes are used in place: keep them alive and unchanged until the model and
 * all its sessions are freed; they must start on a 64-byte boundary. */
qrt_status qrt_model_load_buffer(const void* data, size_t size, const char* max_isa,
                                 qrt_model** model);
void qrt_model_free(qrt_model* model);

size_t qrt_model_num_inputs(const qrt_model* model);
size_t qrt_model_num_outputs(const qrt_model* model);
/* Name and element count of input/output i (NULL and 0 when i is out of range). */
const char* qrt_model_input_name(const qrt_model* model, size_t i);
size_t qrt_model_input_element_count(const qrt_model* model, size_t i);
const char* qrt_model_output_name(const qrt_model* model, size_t i);
size_t qrt_model_output_element_count(const qrt_model* model, size_t i);
/* The instruction set chosen for the kernels, e.g. "reference". */
const char* qrt_model_isa(const qrt_model* model);

/* Options of a session (see qrt::SessionOptions). */
typedef struct qrt_session_options {
  /* Threads that run each operator, the caller of qrt_session_run included: 1 to
   * QRT_MAX_SESSION_THREADS, else QRT_INVALID_ARGUMENT. Outputs do not depend on it. */
  int num_threads;
} qrt_session_options;
#define QRT_MAX_SESSION_THREADS 256

/* A session with one thread. */
qrt_status qrt_session_create(const qrt_model* model, qrt_session** session);
/* options may be NULL (one thread). */
qrt_status qrt_session_create_with_options(const qrt_model* model,
                                           const qrt_session_options* options,
                                           qrt_session** session);
void qrt_session_free(qrt_session* session);
qrt_status qrt_session_set_input_i8(qrt_session* session, const char* name, const int8_t* data,
                                    size_t count);
qrt_status qrt_session_set_input_f32(qrt_session* session, const char* name, const float* data,
                                     size_t count);
/* The input's storage inside the session (Session::MutableInput): write the
 * input there instead of copying it in; valid while the session lives. */
qrt_status qrt_session_input_i8(qrt_session* session, const char* name, int8_t** data,
                                size_t* count);
qrt_status qrt_session_input_f32(qrt_session* session, const char* name, float** data,
                                 size_t* count);
qrt_status qrt_session_run(qrt_session* session);
qrt_status qrt_session_get_output_i8(const qrt_session* session, const char* name, int8_t* data,
                                     size_t count);
qrt_status qrt_session_get_output_f32(const qrt_session* session, const char* name, float* data,
                                      size_t count);

#ifdef __cplusplus
}
#endif

#endif /* QRT_QRT_C_H_ */
