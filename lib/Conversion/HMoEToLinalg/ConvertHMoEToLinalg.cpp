//===- ConvertHMoEToLinalg.cpp - the convert-hmoe-to-linalg pass ----------===//

#include "Lowerings.h"

#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "hmoe/Support/GreedyRewrite.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_CONVERTHMOETOLINALG
#include "hmoe/Conversion/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Adapts one of the lowering functions to a rewrite pattern.
template <typename OpTy, LogicalResult (*Lower)(RewriterBase &, OpTy)>
struct LowerOp : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    return Lower(rewriter, op);
  }
};

/// Scores left by hmoe-fuse-distance (or all, without it) in direct form.
LogicalResult lowerScoreDirect(RewriterBase &rewriter, ScoreOp op) {
  return lowering::lowerScore(rewriter, op, /*expandDistances=*/false);
}

struct ConvertHMoEToLinalgPass
    : public hmoe::impl::ConvertHMoEToLinalgBase<ConvertHMoEToLinalgPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    // Layers into stages first, so that the stages can be checked whole.
    // Folding is left to canonicalize; here only hmoe ops are rewritten.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    RewritePatternSet decompose(ctx);
    populateHMoEDecomposePatterns(decompose);
    if (failed(applyPatternsOrReport(getOperation(), std::move(decompose),
                                     config, getArgument())))
      return signalPassFailure();
    RewritePatternSet patterns(ctx);
    patterns.add<LowerOp<ScoreOp, lowerScoreDirect>,
                 LowerOp<RouteOp, lowering::lowerRoute>,
                 LowerOp<DispatchOp, lowering::lowerDispatch>,
                 LowerOp<ExpertsOp, lowering::lowerExperts>,
                 LowerOp<CombineOp, lowering::lowerCombine>,
                 LowerOp<StatsOp, lowering::lowerStats>>(ctx);
    if (failed(applyPatternsOrReport(getOperation(), std::move(patterns),
                                     config, getArgument())))
      return signalPassFailure();
    // Whatever is left could not be lowered: say so at the op.
    WalkResult leftover = getOperation()->walk([](Operation *op) {
      if (!isa<HMoEDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitOpError("could not be lowered to linalg/scf; check that it "
                      "verifies and that its shapes are static except T");
      return WalkResult::interrupt();
    });
    if (leftover.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
