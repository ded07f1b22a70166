# Runs one qrt-convert CLI case for convert_cli.cmake (cmake -P, so the checks need
# nothing beyond CMake):
#   -DMODE=convert -DCASE=NAME -DFLAGS=... [-DMODEL=small] [-DMIN_LAYERS=10]:
#     converts DIR/MODEL.onnx with FLAGS and random calibration and evaluation data
#     into DIR/MODEL_NAME.qrt and .json, and checks that every output's SQNR in the
#     report exceeds 25 dB and that it lists at least MIN_LAYERS layers.
#   -DMODE=fail -DEXPECTED=REGEX -DARGS=...: qrt-convert ARGS (plus -o and --report
#     in DIR unless ARGS has -o) exits non-zero, stderr matches REGEX, and neither
#     output nor any staged file exists afterwards.
cmake_minimum_required(VERSION 3.25)

set(min_sqnr 25)
if(NOT MODEL)
  set(MODEL small)
endif()
if(NOT MIN_LAYERS)
  set(MIN_LAYERS 10)
endif()

function(check_no_outputs)
  file(GLOB leftovers ${DIR}/*.partial-* ${ARGN})
  if(leftovers)
    message(FATAL_ERROR "files left behind: ${leftovers}")
  endif()
endfunction()

if(MODE STREQUAL "convert")
  set(report ${DIR}/${MODEL}_${CASE}.json)
  set(args ${DIR}/${MODEL}.onnx -o ${DIR}/${MODEL}_${CASE}.qrt --calib random:16 --eval random:8
           --report ${report} ${FLAGS})
  execute_process(COMMAND ${QRT_CONVERT} ${args} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "qrt-convert ${args} failed: ${rc}")
  endif()
  file(READ ${report} json)
  string(JSON outputs LENGTH "${json}" outputs)
  if(outputs EQUAL 0)
    message(FATAL_ERROR "${report}: no outputs")
  endif()
  math(EXPR last "${outputs} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${json}" outputs ${i} name)
    string(JSON sqnr GET "${json}" outputs ${i} sqnr_db)
    # null: the output was exact.
    if(NOT sqnr STREQUAL "null" AND NOT sqnr GREATER min_sqnr)
      message(FATAL_ERROR "${report}: output '${name}' has SQNR ${sqnr} dB <= ${min_sqnr} dB")
    endif()
    message(STATUS "output '${name}': ${sqnr} dB")
  endforeach()
  string(JSON layers LENGTH "${json}" layers)
  string(JSON qrt_bytes GET "${json}" sizes qrt_bytes)
  if(layers LESS MIN_LAYERS OR NOT qrt_bytes GREATER 0)
    message(FATAL_ERROR "${report}: ${layers} layers and ${qrt_bytes} bytes")
  endif()
elseif(MODE STREQUAL "fail")
  string(MD5 case "${ARGS}")
  set(outputs ${DIR}/fail_${case}.qrt ${DIR}/fail_${case}.json)
  set(args ${ARGS})
  if(NOT "-o" IN_LIST args)
    list(APPEND args -o ${DIR}/fail_${case}.qrt --report ${DIR}/fail_${case}.json)
  endif()
  execute_process(COMMAND ${QRT_CONVERT} ${args} RESULT_VARIABLE rc ERROR_VARIABLE stderr)
  message(STATUS "stderr: ${stderr}")
  if(rc EQUAL 0)
    message(FATAL_ERROR "qrt-convert ${args} succeeded")
  endif()
  if(NOT stderr MATCHES "${EXPECTED}")
    message(FATAL_ERROR "stderr does not match '${EXPECTED}'")
  endif()
  check_no_outputs(${outputs})
else()
  message(FATAL_ERROR "unknown MODE '${MODE}'")
endif()
