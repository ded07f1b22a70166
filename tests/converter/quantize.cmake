# Quantized emission tests (converter/quantize): float graphs through calibration,
# emission and the runtime, compared with the float reference. Included from
# tests/converter/CMakeLists.txt.
qrt_add_test(qrt_quantize_tests "fast;converter" ${CMAKE_CURRENT_LIST_DIR}/quantize_test.cc
             ${CMAKE_CURRENT_LIST_DIR}/hard_activation_test.cc)
target_link_libraries(qrt_quantize_tests PRIVATE qrt_quantize qrt_float_reference qrt_onnx_import qrt_test_models
                      qrt_converter_passes qrt)
