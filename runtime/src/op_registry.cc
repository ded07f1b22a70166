#include "op_registry.h"

#include <array>

#include "ops/ops.h"

namespace qrt::internal {
namespace {

using schema::OperatorOptions;
using schema::OperatorType;

constexpr std::array<OpSpec, 21> kOpSpecs = {{
    {OperatorType::CONV_2D, 1, 1, OperatorOptions::Conv2DOptions, 3, 3, 1, PrepareConv2D},
    {OperatorType::FULLY_CONNECTED, 1, 1, OperatorOptions::FullyConnectedOptions, 3, 3, 1,
     PrepareFullyConnected},
    {OperatorType::ADD, 1, 1, OperatorOptions::AddOptions, 2, 2, 1, PrepareAdd},
    {OperatorType::MUL, 1, 1, OperatorOptions::MulOptions, 2, 2, 1, PrepareMul},
    {OperatorType::MAX_POOL_2D, 1, 1, OperatorOptions::Pool2DOptions, 1, 1, 1, PrepareMaxPool2D},
    {OperatorType::AVERAGE_POOL_2D, 1, 1, OperatorOptions::Pool2DOptions, 1, 1, 1,
     PrepareAveragePool2D},
    {OperatorType::GLOBAL_AVERAGE_POOL, 1, 1, OperatorOptions::Pool2DOptions, 1, 1, 1,
     PrepareGlobalAveragePool},
    {OperatorType::CONCAT, 1, 1, OperatorOptions::ConcatOptions, 1, kVariadic, 1, PrepareConcat},
    {OperatorType::RESHAPE, 1, 1, OperatorOptions::ReshapeOptions, 1, 1, 1, PrepareReshape},
    {OperatorType::TRANSPOSE, 1, 1, OperatorOptions::TransposeOptions, 1, 1, 1, PrepareTranspose},
    {OperatorType::PAD, 1, 1, OperatorOptions::PadOptions, 1, 1, 1, PreparePad},
    {OperatorType::RESIZE_NEAREST, 1, 1, OperatorOptions::ResizeOptions, 1, 1, 1,
     PrepareResizeNearest},
    {OperatorType::LOOKUP, 1, 1, OperatorOptions::LookupOptions, 1, 1, 1, PrepareLookup},
    {OperatorType::SOFTMAX, 1, 1, OperatorOptions::SoftmaxOptions, 1, 1, 1, PrepareSoftmax},
    {OperatorType::QUANTIZE, 1, 1, OperatorOptions::QuantizeOptions, 1, 1, 1, PrepareQuantize},
    {OperatorType::DEQUANTIZE, 1, 1, OperatorOptions::DequantizeOptions, 1, 1, 1,
     PrepareDequantize},
    {OperatorType::CONV_TRANSPOSE_2D, 1, 1, OperatorOptions::ConvTranspose2DOptions, 3, 3, 1,
     PrepareConvTranspose2D},
    {OperatorType::RESIZE_BILINEAR, 1, 1, OperatorOptions::ResizeBilinearOptions, 1, 1, 1,
     PrepareResizeBilinear},
    {OperatorType::LAYER_NORM, 1, 1, OperatorOptions::LayerNormOptions, 3, 3, 1, PrepareLayerNorm},
    {OperatorType::BATCH_MATMUL, 1, 1, OperatorOptions::BatchMatMulOptions, 2, 2, 1,
     PrepareBatchMatMul},
    {OperatorType::SLICE, 1, 1, OperatorOptions::SliceOptions, 1, 1, 1, PrepareSlice},
}};

}  // namespace

const OpSpec* FindOpSpec(OperatorType type) {
  for (const OpSpec& spec : kOpSpecs) {
    if (spec.type == type) return &spec;
  }
  return nullptr;
}

std::string OperatorTypeName(OperatorType type) {
  if (FindOpSpec(type) != nullptr) return schema::EnumNameOperatorType(type);
  return "UNKNOWN(" + std::to_string(static_cast<int>(type)) + ")";
}

std::string OperatorWhere(const schema::Operator& op, uint32_t index) {
  std::string where = "operator " + std::to_string(index);
  if (op.name() != nullptr) where += " '" + op.name()->str() + "'";
  return where + " (" + OperatorTypeName(op.type()) + ")";
}

const schema::Requantization* OperatorRequantization(const schema::Operator& op) {
  switch (op.options_type()) {
    case OperatorOptions::Conv2DOptions:
      return op.options_as_Conv2DOptions()->requant();
    case OperatorOptions::FullyConnectedOptions:
      return op.options_as_FullyConnectedOptions()->requant();
    case OperatorOptions::AddOptions:
      return op.options_as_AddOptions()->requant();
    case OperatorOptions::MulOptions:
      return op.options_as_MulOptions()->requant();
    case OperatorOptions::Pool2DOptions:
      return op.options_as_Pool2DOptions()->requant();
    case OperatorOptions::ConcatOptions:
      return op.options_as_ConcatOptions()->requant();
    case OperatorOptions::SoftmaxOptions:
      return op.options_as_SoftmaxOptions()->requant();
    case OperatorOptions::ConvTranspose2DOptions:
      return op.options_as_ConvTranspose2DOptions()->requant();
    case OperatorOptions::ResizeBilinearOptions:
      return op.options_as_ResizeBilinearOptions()->requant();
    case OperatorOptions::LayerNormOptions:
      return op.options_as_LayerNormOptions()->requant();
    case OperatorOptions::BatchMatMulOptions:
      return op.options_as_BatchMatMulOptions()->requant();
    default:
      return nullptr;
  }
}

const schema::Clamp* OperatorClamp(const schema::Operator& op) {
  switch (op.options_type()) {
    case OperatorOptions::Conv2DOptions:
      return op.options_as_Conv2DOptions()->clamp();
    case OperatorOptions::FullyConnectedOptions:
      return op.options_as_FullyConnectedOptions()->clamp();
    case OperatorOptions::AddOptions:
      return op.options_as_AddOptions()->clamp();
    case OperatorOptions::MulOptions:
      return op.options_as_MulOptions()->clamp();
    case OperatorOptions::Pool2DOptions:
      return op.options_as_Pool2DOptions()->clamp();
    case OperatorOptions::SoftmaxOptions:
      return op.options_as_SoftmaxOptions()->clamp();
    case OperatorOptions::ConvTranspose2DOptions:
      return op.options_as_ConvTranspose2DOptions()->clamp();
    case OperatorOptions::ResizeBilinearOptions:
      return op.options_as_ResizeBilinearOptions()->clamp();
    case OperatorOptions::LayerNormOptions:
      return op.options_as_LayerNormOptions()->clamp();
    case OperatorOptions::BatchMatMulOptions:
      return op.options_as_BatchMatMulOptions()->clamp();
    default:
      return nullptr;
  }
}

}  // namespace qrt::internal
