// The clean-up pipeline run between import and calibration.
#include "converter/passes/passes.h"

namespace qrt::converter {

Status RunCleanupPasses(Graph* graph) {
  // Folding first gives the later passes constant operands (Clip bounds, the 3 and 6
  // of HardSwish, BatchNormalization parameters computed by subgraphs); HardSwish
  // matching must see its Clip before FuseActivations moves it onto the Add. MatMul+Add
  // fuses before FuseActivations so that a Relu after the Add lands on the Gemm; a
  // convolution's constant Mul / Add likewise, and before FoldBatchNorms, which needs
  // the convolution as the BatchNormalization's producer. Pointwise chains merge after
  // every pattern above has matched and every clamp that can go onto a producer has.
  using Pass = Status (*)(Graph*, bool*);
  constexpr Pass kPasses[] = {FoldConstants,   RemoveIdentities,    FuseConvAffine, FoldBatchNorms,
                              FuseMatMulAdd,   FuseHardSwish,       FuseLayerNorm,  FuseSwish,
                              FuseActivations, FusePointwiseChains, RemoveDeadCode};
  // Every change removes a node or a tensor, so the loop ends.
  for (bool any_change = true; any_change;) {
    any_change = false;
    for (Pass pass : kPasses) {
      bool changed = false;
      QRT_RETURN_IF_ERROR(pass(graph, &changed));
      any_change = any_change || changed;
    }
  }
  return Status::Ok();
}

}  // namespace qrt::converter
