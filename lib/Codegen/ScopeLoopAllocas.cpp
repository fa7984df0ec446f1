//===- ScopeLoopAllocas.cpp - the hmoe-scope-loop-allocas pass ------------===//

#include "hmoe/Codegen/Passes.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESCOPELOOPALLOCAS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoEScopeLoopAllocasPass
    : public hmoe::impl::HMoEScopeLoopAllocasBase<HMoEScopeLoopAllocasPass> {
  void runOnOperation() override {
    SmallVector<Block *> bodies;
    getOperation()->walk([&](Operation *op) {
      if (!isa<scf::ForOp, scf::ParallelOp, scf::WhileOp>(op))
        return;
      for (Region &region : op->getRegions())
        for (Block &block : region)
          if (!block.getOps<memref::AllocaOp>().empty())
            bodies.push_back(&block);
    });
    OpBuilder b(&getContext());
    auto ptrType = LLVM::LLVMPointerType::get(&getContext());
    for (Block *block : bodies) {
      Location loc = block->getParentOp()->getLoc();
      b.setInsertionPointToStart(block);
      Value saved = LLVM::StackSaveOp::create(b, loc, ptrType);
      b.setInsertionPoint(block->getTerminator());
      LLVM::StackRestoreOp::create(b, loc, saved);
    }
  }
};
} // namespace
