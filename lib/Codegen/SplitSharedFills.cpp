//===- SplitSharedFills.cpp - the hmoe-split-shared-fills pass ------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESPLITSHAREDFILLS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoESplitSharedFillsPass
    : public hmoe::impl::HMoESplitSharedFillsBase<HMoESplitSharedFillsPass> {
  void runOnOperation() override {
    SmallVector<linalg::FillOp> fills;
    getOperation()->walk([&](linalg::FillOp fill) {
      if (fill.hasPureTensorSemantics() &&
          fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>())
        fills.push_back(fill);
    });
    OpBuilder b(&getContext());
    for (linalg::FillOp fill : fills) {
      // Every destination operand after the first gets a fill of its own,
      // of a tensor.empty of its own, built where the shared one is.
      SmallVector<OpOperand *> destinations;
      for (OpOperand &use : fill.getResult(0).getUses()) {
        auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
        if (dps && dps.isDpsInit(&use))
          destinations.push_back(&use);
      }
      // In program order, so that the first writer keeps the original.
      llvm::stable_sort(destinations, [](OpOperand *x, OpOperand *y) {
        Operation *a = x->getOwner(), *b = y->getOwner();
        return a->getBlock() == b->getBlock() && a->isBeforeInBlock(b);
      });
      for (OpOperand *use : llvm::drop_begin(destinations)) {
        b.setInsertionPoint(fill);
        Operation *empty = b.clone(*fill.getDpsInits()[0].getDefiningOp());
        Operation *copy = b.clone(*fill);
        copy->setOperand(fill.getDpsInitsMutable()[0].getOperandNumber(),
                         empty->getResult(0));
        use->set(copy->getResult(0));
      }
    }
  }
};
} // namespace
