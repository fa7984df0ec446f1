//===- TileRoutes.cpp - the hmoe-tile-routes pass -------------------------===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOETILEROUTES
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
struct HMoETileRoutesPass
    : public hmoe::impl::HMoETileRoutesBase<HMoETileRoutesPass> {
  using Base::Base;
  void runOnOperation() override {
    if (tileSize < 1) {
      getOperation()->emitError()
          << "hmoe-tile-routes: tile-size must be at least 1, got "
          << static_cast<int64_t>(tileSize);
      return signalPassFailure();
    }
    SmallVector<RouteOp> routes;
    getOperation()->walk([&](RouteOp op) {
      if (op.hasPureTensorSemantics())
        routes.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    scf::SCFTilingOptions options;
    options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTileSizes({rewriter.getIndexAttr(tileSize)});
    for (RouteOp op : routes) {
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
          rewriter, cast<TilingInterface>(op.getOperation()), options);
      if (failed(tiled)) {
        op.emitOpError("could not be tiled over tokens");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};
} // namespace
