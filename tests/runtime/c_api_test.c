/* The C API from C: load, inspect, run, read outputs, and the error paths. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qrt/qrt_c.h"

static int failures = 0;

#define EXPECT(cond)                                                     \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "%s:%d: failed: %s\n", __FILE__, __LINE__, #cond); \
      ++failures;                                                        \
    }                                                                    \
  } while (0)

int main(int argc, char** argv) {
  qrt_model* model = NULL;
  qrt_session* session = NULL;
  qrt_session_options options;
  float image[8 * 8 * 3];
  float probs[10];
  int8_t logits[10];
  int8_t logits_in_place[10];
  float* storage = NULL;
  int8_t* int8_storage = NULL;
  size_t count = 0;
  float sum = 0.0f;
  size_t i;

  if (argc != 2) return 2;
  EXPECT(qrt_model_load_file("/nonexistent.qrt", NULL, &model) == QRT_IO_ERROR);
  EXPECT(strstr(qrt_last_error(), "/nonexistent.qrt") != NULL);
  EXPECT(qrt_model_load_file(argv[1], "no-such-isa", &model) == QRT_INVALID_ARGUMENT);
  EXPECT(qrt_model_load_file(argv[1], NULL, &model) == QRT_OK);
  if (model == NULL) return 1;
  EXPECT(qrt_model_num_inputs(model) == 1);
  EXPECT(qrt_model_num_outputs(model) == 2);
  EXPECT(strcmp(qrt_model_input_name(model, 0), "image") == 0);
  EXPECT(qrt_model_input_element_count(model, 0) == 8 * 8 * 3);
  EXPECT(qrt_model_input_name(model, 1) == NULL);
  EXPECT(strcmp(qrt_model_output_name(model, 1), "probs") == 0);
  EXPECT(qrt_model_output_element_count(model, 1) == 10);
  EXPECT(strlen(qrt_model_isa(model)) > 0);

  options.num_threads = 0;
  EXPECT(qrt_session_create_with_options(model, &options, &session) == QRT_INVALID_ARGUMENT);
  EXPECT(strstr(qrt_last_error(), "num_threads") != NULL);
  options.num_threads = 2;
  EXPECT(qrt_session_create_with_options(model, &options, &session) == QRT_OK);
  qrt_model_free(model); /* the session keeps it alive */
  for (i = 0; i < 8 * 8 * 3; ++i) image[i] = (float)sin(0.2 * (double)i);
  EXPECT(qrt_session_get_output_f32(session, "probs", probs, 10) == QRT_FAILED_PRECONDITION);
  EXPECT(qrt_session_set_input_f32(session, "image", image, 7) == QRT_INVALID_ARGUMENT);
  EXPECT(qrt_session_set_input_f32(session, "image", image, 8 * 8 * 3) == QRT_OK);
  EXPECT(qrt_session_run(session) == QRT_OK);
  EXPECT(qrt_session_get_output_f32(session, "probs", probs, 10) == QRT_OK);
  EXPECT(qrt_session_get_output_i8(session, "logits", logits, 10) == QRT_OK);
  EXPECT(qrt_session_get_output_i8(session, "probs", logits, 10) == QRT_INVALID_ARGUMENT);
  EXPECT(qrt_session_run(NULL) == QRT_INVALID_ARGUMENT);
  /* The same input written in place gives the same logits. */
  EXPECT(qrt_session_input_f32(session, "image", &storage, &count) == QRT_OK);
  EXPECT(count == 8 * 8 * 3);
  memcpy(storage, image, sizeof image);
  EXPECT(qrt_session_run(session) == QRT_OK);
  EXPECT(qrt_session_get_output_i8(session, "logits", logits_in_place, 10) == QRT_OK);
  EXPECT(memcmp(logits, logits_in_place, sizeof logits) == 0);
  EXPECT(qrt_session_input_i8(session, "image", &int8_storage, &count) == QRT_INVALID_ARGUMENT);
  EXPECT(qrt_session_input_f32(session, "image", NULL, &count) == QRT_INVALID_ARGUMENT);
  for (i = 0; i < 10; ++i) sum += probs[i];
  EXPECT(fabsf(sum - 1.0f) < 0.05f);
  qrt_session_free(session);

  if (failures == 0) printf("c api: all checks passed\n");
  return failures == 0 ? 0 : 1;
}
