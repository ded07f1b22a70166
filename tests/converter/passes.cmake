# Graph clean-up and fusion pass tests (converter/passes). Included from
# tests/converter/CMakeLists.txt.
qrt_add_test(qrt_passes_tests "fast;converter" ${CMAKE_CURRENT_LIST_DIR}/passes_test.cc)
target_link_libraries(qrt_passes_tests PRIVATE qrt_converter_passes qrt_onnx_import
                      qrt_float_reference)
# The real-model test reads models/ (scripts/fetch-models.sh) and skips when absent.
target_compile_definitions(qrt_passes_tests PRIVATE
  QRT_MODELS_DIR="${PROJECT_SOURCE_DIR}/models")
