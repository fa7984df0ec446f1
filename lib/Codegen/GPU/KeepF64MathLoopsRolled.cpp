//===- KeepF64MathLoopsRolled.cpp - hmoe-keep-f64-math-loops-rolled -------===//
//
// Kernel loops that call f64 libdevice functions, annotated not to be
// unrolled: ptxas unrolls them and runs out of the registers it chose.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEKEEPF64MATHLOOPSROLLED
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// Whether `op` becomes a call of an f64 libdevice function (`__nv_exp`,
/// `__nv_log`, ...): a math op on f64 that NVPTX has no instruction for.
bool callsF64Libdevice(Operation *op) {
  if (!isa<math::MathDialect>(op->getDialect()) ||
      isa<math::AbsFOp, math::CeilOp, math::CopySignOp, math::FloorOp,
          math::FmaOp, math::RoundEvenOp, math::SqrtOp, math::TruncOp>(op))
    return false;
  return llvm::any_of(op->getOperandTypes(), [](Type type) {
    return getElementTypeOrSelf(type).isF64();
  });
}

struct HMoEKeepF64MathLoopsRolledPass
    : public hmoe::impl::HMoEKeepF64MathLoopsRolledBase<
          HMoEKeepF64MathLoopsRolledPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>())
      func.walk([](Operation *op) {
        if (!callsF64Libdevice(op))
          return;
        // The innermost loop only: an outer loop unrolled repeats a rolled
        // loop, not its body's registers.
        if (auto loop = op->getParentOfType<scf::ForOp>();
            loop && !loop->hasAttr(hmoe::kLoopAnnotationAttrName))
          hmoe::keepRolled(loop);
      });
  }
};
} // namespace
