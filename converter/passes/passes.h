// Graph clean-up and fusion passes over the converter's float IR. They run after
// ONNX import (on a topologically sorted graph with inferred shapes) and before
// calibration, and never change what the graph computes: the float reference
// executor gives the same outputs before and after, up to float rounding.
//
// Each pass sets *changed to whether it modified the graph and leaves the graph
// sorted. A pass that finds nothing it can rewrite leaves the graph untouched.
#pragma once

#include "converter/ir/graph.h"
#include "qrt/status.h"

namespace qrt::converter {

// Replaces every node whose inputs are all constants by constants holding its
// outputs, computed by the float reference executor, and every node whose outputs
// follow from shapes alone (Shape of a fully known shape) by those values. Works in
// node order, so whole Shape -> Gather -> Unsqueeze -> Concat -> Reshape-target chains
// fold in one call.
Status FoldConstants(Graph* graph, bool* changed);

// Removes Identity nodes and inference-mode Dropout nodes (whose mask output nobody
// reads): consumers read the input instead. Where the removed node's output is a
// graph output, the input's producer is renamed to produce it; a pass-through of a
// graph input, a constant or another graph output stays.
Status RemoveIdentities(Graph* graph, bool* changed);

// Folds a BatchNormalization into the Conv, ConvTranspose (group 1), Gemm, or MatMul
// (2-D, constant weights) that produces its input, when that output has no other
// reader: the weights scale by gamma / sqrt(var + eps) per output channel (axis 1 of a
// ConvTranspose's [C_in, C_out, k...] weights) and the bias becomes
// (bias - mean) * gamma / sqrt(var + eps) + beta. A folded MatMul becomes a Gemm to
// carry the bias. Folded tensors are new constants, so weights shared with other
// nodes stay intact. A BatchNormalization that cannot be folded stays.
Status FoldBatchNorms(Graph* graph, bool* changed);

// Folds Mul(Conv or ConvTranspose output, C) and Add(..., C) (either operand order)
// into the convolution's weights and bias when C is a float constant with one value,
// or one value per output channel broadcast along the channel dim alone ([C, 1, 1],
// [1, C, 1, 1]), and the convolution's output has no other reader (the folding rules
// of FoldBatchNorms). Exporters write a ConvTranspose's bias this way (PP-OCR's
// detection head), and PP-LCNetV3 scales and shifts every convolution's output by
// learned scalars; folded, they cost neither a LOOKUP each nor its rounding. A clamp
// fused into the Mul or Add moves onto the convolution, and a BatchNormalization
// after it can then fold into it.
Status FuseConvAffine(Graph* graph, bool* changed);

// Fuses MatMul(A, B) followed by Add(_, C) (either operand order) into one
// Gemm(A, B, C) with transB = 0, when A's shape is known (an A of rank above 2 is
// reshaped to [rows, K] and the Gemm's output back), B is a constant [K, N] float, C is a
// constant float bias of shape [N] or [1, N], and the MatMul's output has no other
// reader and is not a graph output. The quantizer then emits one FullyConnected with
// a bias instead of a FullyConnected and a separate Add, which has no constant
// non-scalar operand form. A clamp fused into the Add moves onto the Gemm.
Status FuseMatMulAdd(Graph* graph, bool* changed);

// Replaces the decompositions of HardSwish by one HardSwish node:
//   x * Clip(x + 3, 0, 6) / 6, with Div by 6 or Mul by 1/6, either association and
//   either operand order;
//   x * HardSigmoid(x, alpha = 1/6, beta = 0.5).
// Must run before FuseActivations, which would otherwise fuse the Clip into the Add.
Status FuseHardSwish(Graph* graph, bool* changed);

// Replaces layer normalization written out as ReduceMean / Sub / Pow (or Mul) /
// ReduceMean / Add epsilon / Sqrt / Div over the last axis, optionally followed by
// Mul with a per-channel constant gamma and Add of a per-channel constant beta, by one
// LayerNormalization node (axis -1; gamma of ones when absent). The quantizer emits it
// as one integer LAYER_NORM.
Status FuseLayerNorm(Graph* graph, bool* changed);

// Replaces x * Sigmoid(x) and x * Sigmoid(alpha * x) (alpha a scalar constant; either
// operand order) by one Swish node (attribute alpha when not 1), which the quantizer
// emits as one LOOKUP instead of LOOKUPs and a MUL of two activations.
Status FuseSwish(Graph* graph, bool* changed);

// Fuses Relu and Clip (attribute form before opset 11, constant min/max inputs from
// opset 11) into the Conv, ConvTranspose, Gemm, MatMul, Add, Mul, AveragePool or
// GlobalAveragePool producing their input, as a fused clamp (converter/ir/fused_clamp.h):
// the producer takes over the activation's output and the activation node goes. Only where the
// producer's output has no other reader and is not a graph output; clamps on a
// producer that already has one combine when their ranges overlap.
Status FuseActivations(Graph* graph, bool* changed);

// Merges chains of pointwise nodes into one PointwiseChain node
// (converter/reference/ops/pointwise_chain.cc) computing their composition: each link
// an activation the quantizer emits as a LOOKUP, or a binary op with one scalar constant
// operand, and every intermediate read by the next link alone and not a graph output.
// The quantizer then emits one LOOKUP and one rounding to int8 per chain instead of one
// per link (PP-LCNetV3 scales and shifts every HardSwish's output by learned scalars).
// A link's fused clamp becomes a Clip step, the last link's moves onto the chain.
Status FusePointwiseChains(Graph* graph, bool* changed);

// Removes nodes none of whose outputs reaches a graph output, then tensors that no
// node, graph input or graph output refers to (unused initializers included).
Status RemoveDeadCode(Graph* graph, bool* changed);

// Runs all of the above, in an order where each pass exposes work for the next,
// until none changes the graph any more.
Status RunCleanupPasses(Graph* graph);

}  // namespace qrt::converter
