//===- CountExperts.cpp - a pass of the downstream project ----------------===//
//
// Uses hmoe's installed headers: the op classes, the routing tree accessor.
//
//===----------------------------------------------------------------------===//

#include "Downstream/Passes.h"

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "mlir/IR/Builders.h"

namespace downstream {
#define GEN_PASS_DEF_DOWNSTREAMCOUNTEXPERTS
#include "Downstream/Passes.h.inc"
} // namespace downstream

namespace {
struct CountExperts
    : downstream::impl::DownstreamCountExpertsBase<CountExperts> {
  void runOnOperation() override {
    mlir::Builder b(&getContext());
    getOperation()->walk([&](mlir::hmoe::MoEOp op) {
      mlir::FailureOr<mlir::hmoe::RoutingTree> tree = op.getRoutingTree();
      if (mlir::failed(tree))
        return;
      op->setAttr("downstream.experts", b.getI64IntegerAttr(tree->numExperts));
      op->setAttr("downstream.experts_per_token",
                  b.getI64IntegerAttr(tree->numChosen));
    });
  }
};
} // namespace
