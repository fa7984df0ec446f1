//===- CarryLoopAnnotations.cpp - the hmoe-carry-loop-annotations pass ----===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECARRYLOOPANNOTATIONS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// What scf-to-cf copies from an scf.for onto its latch branch.
constexpr StringLiteral kDiscardableName = "llvm.loop_annotation";

template <typename BranchOp> void carry(BranchOp branch) {
  auto annotation = branch->template getAttrOfType<LLVM::LoopAnnotationAttr>(
      kDiscardableName);
  if (!annotation)
    return;
  branch.setLoopAnnotationAttr(annotation);
  branch->removeAttr(kDiscardableName);
}

struct HMoECarryLoopAnnotationsPass
    : public hmoe::impl::HMoECarryLoopAnnotationsBase<
          HMoECarryLoopAnnotationsPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (auto br = dyn_cast<LLVM::BrOp>(op))
        carry(br);
      else if (auto condBr = dyn_cast<LLVM::CondBrOp>(op))
        carry(condBr);
    });
  }
};
} // namespace
