# Calibration tests (converter/calib). Included from tests/converter/CMakeLists.txt.
qrt_add_test(qrt_calibration_tests "fast;converter"
  ${CMAKE_CURRENT_LIST_DIR}/calib_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/calib_batches_test.cc
  ${CMAKE_CURRENT_LIST_DIR}/calib_images_test.cc)
# stb_image_write.h writes the PNG and JPEG fixtures.
target_include_directories(qrt_calibration_tests SYSTEM PRIVATE ${QRT_STB_INCLUDE_DIR})
target_link_libraries(qrt_calibration_tests PRIVATE qrt_calibration)
