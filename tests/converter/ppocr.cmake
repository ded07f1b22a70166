# PP-OCR text-orientation classifier on rendered text lines: import, float accuracy and
# agreement with an independent NumPy reference. Needs models/ (scripts/fetch-models.sh)
# and rendered data (scripts/render_text_lines.py), so it is "slow;model", not "fast".
# Included from tests/converter/CMakeLists.txt.
qrt_add_test(qrt_ppocr_float_tests "slow;converter;model"
  ${CMAKE_CURRENT_LIST_DIR}/ppocr_cls_float_test.cc)
target_link_libraries(qrt_ppocr_float_tests PRIVATE qrt_onnx_import qrt_float_reference qrt_npy)
target_compile_definitions(qrt_ppocr_float_tests PRIVATE QRT_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
