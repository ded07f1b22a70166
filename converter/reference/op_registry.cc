#include "converter/reference/op_registry.h"

#include <map>

#include "converter/reference/ops/ops.h"

namespace qrt::converter {

const OpKernel* FindOpKernel(std::string_view op_type) {
  static const std::map<std::string_view, OpKernel> table = [] {
    std::map<std::string_view, OpKernel> t;
    for (auto family : {ActivationKernels, BinaryKernels, ConvKernels, MatMulKernels, PoolKernels,
                        NormalizationKernels, ShapeKernels, DataMovementKernels, ResizeKernels,
                        PointwiseChainKernels}) {
      for (const OpKernel& k : family()) t.emplace(k.op_type, k);
    }
    return t;
  }();
  auto it = table.find(op_type);
  return it == table.end() ? nullptr : &it->second;
}

}  // namespace qrt::converter
