// The Prepare function of every operator (one file per operator family in
// runtime/src/ops/). Prepare checks the operator's shapes, types and parameters
// against its inputs, resolves them into the kernel's parameter struct, and
// picks the kernel from the dispatch table.
#pragma once

#include <memory>

#include "graph.h"

namespace qrt::internal {

Status PrepareConv2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareFullyConnected(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareAdd(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareMul(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareMaxPool2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareAveragePool2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareGlobalAveragePool(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareConcat(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareReshape(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareTranspose(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PreparePad(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareResizeNearest(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareLookup(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareSoftmax(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareQuantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareDequantize(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareConvTranspose2D(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareResizeBilinear(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareLayerNorm(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareBatchMatMul(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);
Status PrepareSlice(const PrepareContext& ctx, std::unique_ptr<OpKernel>* kernel);

}  // namespace qrt::internal
