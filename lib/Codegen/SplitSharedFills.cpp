//===- SplitSharedFills.cpp - the hmoe-split-shared-fills pass ------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/MapVector.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESPLITSHAREDFILLS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// Whether `fill` fills a tensor.empty, on tensors.
bool fillsEmptyTensor(linalg::FillOp fill) {
  return fill && fill.hasPureTensorSemantics() &&
         fill.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>();
}

struct HMoESplitSharedFillsPass
    : public hmoe::impl::HMoESplitSharedFillsBase<HMoESplitSharedFillsPass> {
  void runOnOperation() override {
    // The destination operands each such fill's result is bound to, in
    // program order (a pre-order walk).
    llvm::MapVector<linalg::FillOp, SmallVector<OpOperand *>> destinations;
    getOperation()->walk<WalkOrder::PreOrder>(
        [&](DestinationStyleOpInterface dps) {
          for (OpOperand &init : dps.getDpsInitsMutable()) {
            auto fill = init.get().getDefiningOp<linalg::FillOp>();
            if (fillsEmptyTensor(fill))
              destinations[fill].push_back(&init);
          }
        });
    OpBuilder b(&getContext());
    for (auto &entry : destinations) {
      linalg::FillOp fill = entry.first;
      ArrayRef<OpOperand *> uses = entry.second;
      // The first writer keeps the fill, unless something also reads it
      // (then that reader keeps it, and every writer gets its own).
      bool read = llvm::any_of(fill.getResult(0).getUses(), [&](OpOperand &u) {
        return !llvm::is_contained(uses, &u);
      });
      for (OpOperand *use : llvm::drop_begin(uses, read ? 0 : 1)) {
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
