//===- LowerRoutingToLoops.cpp - the hmoe-lower-routing-to-loops pass -----===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOELOWERROUTINGTOLOOPS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Per-lane scratch beyond this stays scalar (the stack of an OpenMP
/// thread is a few MiB; a tile's scratch lives on it).
constexpr int64_t kMaxVectorScratchBytes = 64 << 10;

/// Routes groups of `lanes` tokens in vector code and the rest one by one.
void lowerRouteInLanes(RewriterBase &rewriter, RouteOp route, int64_t lanes) {
  ImplicitLocOpBuilder b(route.getLoc(), rewriter);
  Value tokens = memref::DimOp::create(b, route.getWeightsInit(), 0);
  Value zero = arith::ConstantIndexOp::create(b, 0);
  Value one = arith::ConstantIndexOp::create(b, 1);
  Value step = arith::ConstantIndexOp::create(b, lanes);
  Value full =
      arith::SubIOp::create(b, tokens, arith::RemUIOp::create(b, tokens, step));
  scf::ForOp::create(
      b, zero, full, step, ValueRange{},
      [&](OpBuilder &nested, Location loc, Value t0, ValueRange) {
        (void)emitRouteTokens(nested, loc, route, t0, lanes);
        scf::YieldOp::create(nested, loc);
      });
  scf::ForOp::create(b, full, tokens, one, ValueRange{},
                     [&](OpBuilder &nested, Location loc, Value t, ValueRange) {
                       (void)emitRouteToken(nested, loc, route, t);
                       scf::YieldOp::create(nested, loc);
                     });
}

struct HMoELowerRoutingToLoopsPass
    : public hmoe::impl::HMoELowerRoutingToLoopsBase<
          HMoELowerRoutingToLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (vectorWidth < 1 || vectorWidth > 64 ||
        !llvm::isPowerOf2_64(vectorWidth)) {
      getOperation()->emitError()
          << "hmoe-lower-routing-to-loops: vector-width ("
          << static_cast<int64_t>(vectorWidth)
          << ") must be a power of two from 1 to 64";
      return signalPassFailure();
    }
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
                if (vectorWidth > 1 &&
                    routeScratchElements(route) <=
                        kMaxVectorScratchBytes / 4 / vectorWidth) {
                  lowerRouteInLanes(rewriter, route, vectorWidth);
                  rewriter.eraseOp(route);
                  return success();
                }
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
