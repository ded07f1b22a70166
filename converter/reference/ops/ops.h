// The operator families; op_registry.cc gathers their tables.
#pragma once

#include <vector>

#include "converter/reference/op_registry.h"

namespace qrt::converter {

std::vector<OpKernel> ActivationKernels();      // activation.cc
std::vector<OpKernel> BinaryKernels();          // binary.cc
std::vector<OpKernel> ConvKernels();            // conv.cc
std::vector<OpKernel> MatMulKernels();          // matmul.cc
std::vector<OpKernel> PoolKernels();            // pool.cc
std::vector<OpKernel> NormalizationKernels();   // normalization.cc
std::vector<OpKernel> ShapeKernels();           // shape_ops.cc
std::vector<OpKernel> DataMovementKernels();    // data_movement.cc
std::vector<OpKernel> ResizeKernels();          // resize.cc
std::vector<OpKernel> PointwiseChainKernels();  // pointwise_chain.cc

}  // namespace qrt::converter
