//===- FuseDistance.cpp - the hmoe-fuse-distance pass ---------------------===//

#include "Lowerings.h"

#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "hmoe/Support/GreedyRewrite.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEFUSEDISTANCE
#include "hmoe/Conversion/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Laplace and Gaussian `hmoe.score` -> GEMM form on linalg.
struct ExpandDistanceScore : OpRewritePattern<ScoreOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ScoreOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != ScoreKind::Laplace &&
        op.getKind() != ScoreKind::Gaussian)
      return rewriter.notifyMatchFailure(op, "not a distance score");
    return lowering::lowerScore(rewriter, op, /*expandDistances=*/true);
  }
};

struct HMoEFuseDistancePass
    : public hmoe::impl::HMoEFuseDistanceBase<HMoEFuseDistancePass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    // Whole layers first, so that their distance scores are exposed.
    populateHMoEDecomposePatterns(patterns);
    patterns.add<ExpandDistanceScore>(ctx);
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsOrReport(getOperation(), std::move(patterns),
                                     config, getArgument())))
      signalPassFailure();
  }
};
} // namespace
