//===- LowerRoutingToLoops.cpp - the hmoe-lower-routing-to-loops pass -----===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOELOWERROUTINGTOLOOPS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
struct HMoELowerRoutingToLoopsPass
    : public hmoe::impl::HMoELowerRoutingToLoopsBase<
          HMoELowerRoutingToLoopsPass> {
  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<RouteOp, DispatchOp, StatsOp>(op))
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (Operation *op : ops) {
      if (!cast<DestinationStyleOpInterface>(op).hasPureBufferSemantics()) {
        op->emitOpError("must be bufferized before it is lowered to loops "
                        "(it still has tensor operands)");
        return signalPassFailure();
      }
      rewriter.setInsertionPoint(op);
      LogicalResult lowered =
          TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](RouteOp route) -> LogicalResult {
                auto tiling = cast<TilingInterface>(op);
                if (failed(scf::lowerToLoopsUsingSCFForOp(rewriter, tiling)))
                  return failure();
                rewriter.eraseOp(route);
                return success();
              })
              .Case([&](DispatchOp dispatch) {
                return lowerDispatchToLoops(rewriter, dispatch);
              })
              .Case([&](StatsOp stats) {
                return lowerStatsToLoops(rewriter, stats);
              });
      if (failed(lowered)) {
        op->emitOpError("could not be lowered to loops");
        return signalPassFailure();
      }
    }
  }
};
} // namespace
