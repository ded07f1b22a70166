# qrt-convert end to end: a small generated ONNX model is converted with random
# calibration and evaluation data, the .qrt runs with qrt-run, and the JSON report
# shows an output SQNR above 25 dB (the bound quantize_test.cc uses for int8 on
# well-conditioned graphs); and bad arguments each fail with a clear message and
# leave no output file. Included from tests/converter/CMakeLists.txt.
add_executable(make_small_onnx ${CMAKE_CURRENT_LIST_DIR}/make_small_onnx.cc)
# onnx_proto is imported in converter/ only; qrt_onnx_import carries it here.
target_link_libraries(make_small_onnx PRIVATE qrt_onnx_import qrt_npy qrt_warnings)

set(QRT_CONVERT_DIR ${CMAKE_CURRENT_BINARY_DIR}/convert_cli)
set(QRT_CONVERT_CHECK ${CMAKE_COMMAND} -DQRT_CONVERT=$<TARGET_FILE:qrt-convert>
                      -DDIR=${QRT_CONVERT_DIR})
set(QRT_CONVERT_CHECK_SCRIPT -P ${CMAKE_CURRENT_LIST_DIR}/convert_cli_check.cmake)

# samples/ holds one input, for qrt-run and as a calibration directory.
file(MAKE_DIRECTORY ${QRT_CONVERT_DIR}/samples)
add_test(NAME convert_cli.make_model
         COMMAND make_small_onnx ${QRT_CONVERT_DIR}/small.onnx ${QRT_CONVERT_DIR}/samples/x.npy)
set_tests_properties(convert_cli.make_model PROPERTIES FIXTURES_SETUP qrt_small_onnx)

# Converts with each CASE's flags, checks the report, then runs the .qrt. int4 asks
# the mixed precision for the 25 dB bound, so it must keep some layers int8; debug
# writes the model that also outputs every quantized activation; corrected runs both
# corrections (the small model has no softmax output: the dominant-class correction
# leaves it alone).
set(QRT_CONVERT_CASES int8 int4 debug corrected)
set(QRT_CONVERT_FLAGS_int8 --weights int8)
set(QRT_CONVERT_FLAGS_int4 --weights int4 --min-sqnr 25)
set(QRT_CONVERT_FLAGS_debug --emit-per-layer-outputs)
set(QRT_CONVERT_FLAGS_corrected --bias-correction on --dominant-class-correction on)
foreach(case ${QRT_CONVERT_CASES})
  add_test(NAME convert_cli.${case}
           COMMAND ${QRT_CONVERT_CHECK} -DMODE=convert -DCASE=${case}
                   "-DFLAGS=${QRT_CONVERT_FLAGS_${case}}" ${QRT_CONVERT_CHECK_SCRIPT})
  set_tests_properties(convert_cli.${case} PROPERTIES
                       FIXTURES_REQUIRED qrt_small_onnx FIXTURES_SETUP qrt_small_${case})
  add_test(NAME convert_cli.${case}.run
           COMMAND qrt-run ${QRT_CONVERT_DIR}/small_${case}.qrt
                   --input x=${QRT_CONVERT_DIR}/samples/x.npy --output-dir ${QRT_CONVERT_DIR}/out_${case})
  set_tests_properties(convert_cli.${case}.run PROPERTIES FIXTURES_REQUIRED qrt_small_${case})
  list(APPEND QRT_CONVERT_TESTS convert_cli.${case} convert_cli.${case}.run)
endforeach()

# NAME EXPECTED-STDERR-REGEX ARGS...: qrt-convert fails, says why, writes nothing.
function(qrt_convert_fails name expected)
  add_test(NAME convert_cli.fails.${name}
           COMMAND ${QRT_CONVERT_CHECK} -DMODE=fail "-DEXPECTED=${expected}" "-DARGS=${ARGN}"
                   ${QRT_CONVERT_CHECK_SCRIPT})
  set_tests_properties(convert_cli.fails.${name} PROPERTIES FIXTURES_REQUIRED qrt_small_onnx
                                                             LABELS "fast;converter")
endfunction()

qrt_convert_fails(missing_model "missing.onnx"
                  ${QRT_CONVERT_DIR}/missing.onnx --calib random:2)
qrt_convert_fails(not_onnx "x.npy"
                  ${QRT_CONVERT_DIR}/samples/x.npy --calib random:2)
qrt_convert_fails(bad_dominant_class "dominant-class-correction"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --dominant-class-correction yes)
qrt_convert_fails(bad_depthwise_equalization "depthwise-equalization"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --depthwise-equalization yes)
qrt_convert_fails(bad_method "bogus.*expected minmax"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --calib-method bogus)
qrt_convert_fails(bad_input_shape "1xAx16"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --input-shape x=1xAx16x16)
qrt_convert_fails(unknown_input "'y'.*not a graph input"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --input-shape y=1x3x16x16)
qrt_convert_fails(bad_weights "--weights.*int2"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 --weights int2)
qrt_convert_fails(bad_calib "nowhere"
                  ${QRT_CONVERT_DIR}/small.onnx --calib ${QRT_CONVERT_DIR}/nowhere)
qrt_convert_fails(eval_is_calib "held-out"
                  ${QRT_CONVERT_DIR}/small.onnx --calib ${QRT_CONVERT_DIR}/samples
                  --eval ${QRT_CONVERT_DIR}/samples/../samples)
qrt_convert_fails(unreachable_sqnr "below the minimum"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:4 --max-error 200)
qrt_convert_fails(output_is_directory "is a directory"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 -o ${QRT_CONVERT_DIR}/samples)
qrt_convert_fails(unwritable_output "does not exist"
                  ${QRT_CONVERT_DIR}/small.onnx --calib random:2 -o ${QRT_CONVERT_DIR}/no/such/dir/out.qrt)

# The detector-like upsampler (ConvTranspose, bias Add, BN, ReLU, Sigmoid at opset 11)
# converts and runs, and both models' --emit-qdq output passes ONNX's C++ checker
# and strict shape inference (check_qdq_onnx) in QDQ form at opset 13 or later.
# ONNX's imported targets are local to converter/; the checker lives in target onnx.
find_package(Protobuf REQUIRED)
find_package(ONNX REQUIRED)
add_executable(check_qdq_onnx ${CMAKE_CURRENT_LIST_DIR}/check_qdq_onnx.cc)
target_link_libraries(check_qdq_onnx PRIVATE onnx onnx_proto qrt_warnings)
file(MAKE_DIRECTORY ${QRT_CONVERT_DIR}/upsampler_samples)
add_test(NAME convert_cli.make_upsampler
         COMMAND make_small_onnx ${QRT_CONVERT_DIR}/upsampler.onnx
                 ${QRT_CONVERT_DIR}/upsampler_samples/x.npy upsampler)
set_tests_properties(convert_cli.make_upsampler PROPERTIES FIXTURES_SETUP qrt_upsampler_onnx)
add_test(NAME convert_cli.upsampler
         COMMAND ${QRT_CONVERT_CHECK} -DMODE=convert -DCASE=int8 -DMODEL=upsampler -DMIN_LAYERS=4
                 "-DFLAGS=--emit-qdq;${QRT_CONVERT_DIR}/upsampler.qdq.onnx"
                 ${QRT_CONVERT_CHECK_SCRIPT})
set_tests_properties(convert_cli.upsampler PROPERTIES FIXTURES_REQUIRED qrt_upsampler_onnx
                                                      FIXTURES_SETUP qrt_upsampler_int8)
add_test(NAME convert_cli.upsampler.run
         COMMAND qrt-run ${QRT_CONVERT_DIR}/upsampler_int8.qrt
                 --input x=${QRT_CONVERT_DIR}/upsampler_samples/x.npy
                 --output-dir ${QRT_CONVERT_DIR}/out_upsampler)
add_test(NAME convert_cli.upsampler.qdq
         COMMAND check_qdq_onnx ${QRT_CONVERT_DIR}/upsampler.qdq.onnx)
set_tests_properties(convert_cli.upsampler.run convert_cli.upsampler.qdq
                     PROPERTIES FIXTURES_REQUIRED qrt_upsampler_int8)
add_test(NAME convert_cli.qdq
         COMMAND ${QRT_CONVERT_CHECK} -DMODE=convert -DCASE=qdq
                 "-DFLAGS=--emit-qdq;${QRT_CONVERT_DIR}/small.qdq.onnx" ${QRT_CONVERT_CHECK_SCRIPT})
set_tests_properties(convert_cli.qdq PROPERTIES FIXTURES_REQUIRED qrt_small_onnx
                                                FIXTURES_SETUP qrt_small_qdq)
add_test(NAME convert_cli.qdq.check COMMAND check_qdq_onnx ${QRT_CONVERT_DIR}/small.qdq.onnx)
set_tests_properties(convert_cli.qdq.check PROPERTIES FIXTURES_REQUIRED qrt_small_qdq)
list(APPEND QRT_CONVERT_TESTS convert_cli.make_upsampler convert_cli.upsampler
     convert_cli.upsampler.run convert_cli.upsampler.qdq convert_cli.qdq convert_cli.qdq.check)

set_tests_properties(convert_cli.make_model ${QRT_CONVERT_TESTS} PROPERTIES LABELS "fast;converter")
