// The scalar reference kernels: plain loop nests over the canonical layouts that
// define the exact result of every operator (docs/quantization.md). Every fast
// path is tested for bit equality against these, never the reverse.
#pragma once

#include <cstdint>

#include "qrt/kernels/params.h"

namespace qrt::kernels::ref {

// weights: int8 OHWI, or packed int4 rows (see int4.h) when p.weight_type is kInt4.
void Conv2D(const Conv2DParams& p, const int8_t* input, const void* weights, const int32_t* bias,
            int8_t* output, const OutputTile& tile);

void FullyConnected(const FullyConnectedParams& p, const int8_t* input, const void* weights,
                    const int32_t* bias, int8_t* output, const OutputTile& tile);

void Add(const AddParams& p, const int8_t* a, const int8_t* b, int8_t* output);

void Mul(const MulParams& p, const int8_t* a, const int8_t* b, int8_t* output);

void MaxPool2D(const Pool2DParams& p, const int8_t* input, int8_t* output);

// Also GlobalAveragePool: kernel = the whole plane, stride 1, no padding.
void AveragePool2D(const Pool2DParams& p, const int8_t* input, int8_t* output);

// inputs: p.num_inputs pointers.
void Concat(const ConcatParams& p, const int8_t* const* inputs, int8_t* output);

void Transpose(const TransposeParams& p, const int8_t* input, int8_t* output);

void Pad(const PadParams& p, const int8_t* input, int8_t* output);

void ResizeNearest(const ResizeNearestParams& p, const int8_t* input, int8_t* output);

// The input index ResizeNearest reads for output index x along an axis of `in`
// input and `out` output elements (what the fast paths share with it).
int NearestSourceIndex(int x, int in, int out, CoordinateTransform transform,
                       NearestRounding rounding);

void Lookup(const LookupParams& p, const int8_t* input, int8_t* output);

// Fills table[0 .. 255] (the table of LookupParams) by the formula of
// HardActivationParams, for parameters within its stated ranges. The runtime
// builds a HardSigmoid or HardSwish LOOKUP's table with it at load; every path
// then runs the ordinary lookup kernels on that table.
void BuildHardActivationTable(const HardActivationParams& p, int8_t* table);

void Softmax(const SoftmaxParams& p, const int8_t* input, int8_t* output);

// weights: int8 OHWI, or packed int4 rows when p.weight_type is kInt4.
void ConvTranspose2D(const ConvTranspose2DParams& p, const int8_t* input, const void* weights,
                     const int32_t* bias, int8_t* output);

void ResizeBilinear(const ResizeBilinearParams& p, const int8_t* input, int8_t* output);

void LayerNorm(const LayerNormParams& p, const int8_t* input, int8_t* output);

void BatchMatMul(const BatchMatMulParams& p, const int8_t* a, const int8_t* b, int8_t* output);

void Slice(const SliceParams& p, const int8_t* input, int8_t* output);

void Quantize(const QuantizeParams& p, const float* input, int8_t* output);

void Dequantize(const DequantizeParams& p, const int8_t* input, float* output);

}  // namespace qrt::kernels::ref
