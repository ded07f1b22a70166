// Transposed convolutions whose kernel equals their stride (the upsampling
// ConvTranspose of segmentation heads, e.g. 2x2 stride 2) as fully connected
// GEMMs, so they run on whichever fully_connected kernel the dispatch table holds.
//
// With kernel == stride and no cropping, every output pixel receives exactly one
// tap of one input pixel: output row y * stride_h + ky holds, for x = 0 .. in_w - 1
// and kx = 0 .. kernel_w - 1, the pixels x * kernel_w + kx, contiguous in NHWC. So
// that row is the [in_w, kernel_w * out_c] product of input row y with the tap
// row ky weights (GEMM channel j = kx * out_c + c is w[c, ky, kx, :], K = in_c),
// requantized per GEMM channel with requant[c] and bias[c]: one fully connected
// call per (input row, ky), bit-identical to ref::ConvTranspose2D by the formulas
// of both.
#pragma once

#include <cstddef>
#include <cstdint>

#include "qrt/kernels/dispatch.h"
#include "qrt/kernels/params.h"

namespace qrt::kernels {

// True when p is a kernel == stride transposed convolution that crops nothing
// (no padding, out = in * stride) and whose tap row has fewer than 2^31 channels.
bool IsTapRowGemm(const ConvTranspose2DParams& p);

// kernel_w * out_c: the GEMM channels of one tap row.
int TapRowChannels(const ConvTranspose2DParams& p);

// The fully connected problem of one (input row, tap row); `tap_requant` has
// TapRowChannels(p) entries, entry kx * out_c + c equal to requant[c]
// (RepeatOverTaps).
FullyConnectedParams TapRowGemmParams(const ConvTranspose2DParams& p, ChannelRequant tap_requant);

// Fills TapRowChannels(p) entries of tap_bias, tap_multiplier and tap_shift with
// bias[c], requant[c] at j = kx * out_c + c.
void RepeatOverTaps(const ConvTranspose2DParams& p, const int32_t* bias, int32_t* tap_bias,
                    int32_t* tap_multiplier, int8_t* tap_shift);

// Bytes of one tap row's weights in the canonical fully connected layout
// [TapRowChannels(p), in_c] (int8, or int4 rows of in_c values).
size_t TapRowWeightBytes(const ConvTranspose2DParams& p);

// Writes tap row ky of the OHWI weights to dst (TapRowWeightBytes(p) bytes): row
// j = kx * out_c + c is w[c, ky, kx, :].
void GatherTapRowWeights(const ConvTranspose2DParams& p, const void* weights, int ky, void* dst);

// Computes the output rows of input rows [row_begin, row_end) of the
// batch * in_h input rows: for each and each ky one call of `gemm` with `params`
// (TapRowGemmParams), the weights tap_weights[ky] (canonical or packed, as gemm
// expects) and tap_bias. Disjoint row ranges write disjoint output rows.
void ConvTranspose2DByTapRows(const ConvTranspose2DParams& p, const FullyConnectedParams& params,
                              const FullyConnectedKernel& gemm, const void* const* tap_weights,
                              const int32_t* tap_bias, const int8_t* input, int8_t* output,
                              int row_begin, int row_end);

}  // namespace qrt::kernels
