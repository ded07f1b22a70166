// qrt-convert's dominant-class correction (--dominant-class-correction on): the
// decision-level counterpart of bias correction for a model whose output is a
// softmax over classes read by argmax, such as a CTC recognizer (class 0, the blank,
// wins most time steps).
//
// Quantization noise makes the int8 features less distinct, and in ambiguous
// positions the class that dominates the training data wins more often than in
// float: on PP-OCRv4's recognizer the int8 model's mean blank probability on steps
// where float reads a character is 0.16 against float's 0.015, and most misread
// lines lose characters rather than gain wrong ones. Bias correction cannot see
// this (the blank logit's mean error over all steps is small); what is wrong is the
// decision. So the logit bias of the class float picks most often on the
// calibration inputs is shifted by the delta that makes the int8 model's argmax
// agree with float's on the most positions.
#pragma once

#include <string>

#include "converter/ir/graph.h"
#include "data_source.h"
#include "quantize.h"

namespace qrt::converter {

struct DominantClassReport {
  bool applied = false;  // false when the model has no softmax output over a Gemm
  std::string node;      // the Gemm whose bias moved
  int64_t dominant_class = 0;
  double shift = 0;  // added to that class's logit bias
  // Share of positions (0..1) whose int8 argmax equals float's, before and after.
  double agreement_before = 0;
  double agreement_after = 0;
};

// For the graph's first output, when a Softmax over its last axis makes it from a
// Gemm (through reshapes only) with a constant bias or none: finds the class that
// `float_graph` (the model before any correction: the reference) picks at the most
// positions of the `source` samples, and adds to its bias in `graph` the shift in
// [-4, 4] (steps of 0.1, the smallest on ties) that maximises the positions where
// the int8 model emitted from `graph` with `quant` and `options` has the same argmax
// as `float_graph` (shifting class k's logit by d is multiplying its int8
// probability by e^d). Leaves the graph alone otherwise.
Status CorrectDominantClass(const Graph& float_graph, const ActivationQuantMap& quant,
                            const QuantizeOptions& options, calib::CalibrationSource* source,
                            Graph* graph, DominantClassReport* report);

}  // namespace qrt::converter
