//===- ConvertHMoEToLinalg.cpp - hmoe to linalg on tensors ----------------===//
//
// A dialect conversion: the layer op and the compute stages are illegal and
// become linalg on tensors; the routing ops are legal and stay as
// destination-passing hmoe ops until code generation. Nothing here makes a
// buffer, so the output is pure tensor IR.
//
//===----------------------------------------------------------------------===//

#include "Lowerings.h"

#include "hmoe/Conversion/HMoEToLinalg/HMoEToLinalg.h"
#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_CONVERTHMOETOLINALG
#define GEN_PASS_DEF_HMOEFUSEDISTANCE
#include "hmoe/Conversion/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
bool isDistanceScore(ScoreOp op) {
  return op.getKind() == ScoreKind::Laplace ||
         op.getKind() == ScoreKind::Gaussian;
}

struct ConvertScore : OpConversionPattern<ScoreOp> {
  ConvertScore(MLIRContext *ctx, bool gemmFormDistances)
      : OpConversionPattern(ctx), gemmFormDistances(gemmFormDistances) {}
  LogicalResult
  matchAndRewrite(ScoreOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return lowering::lowerScore(rewriter, op,
                                gemmFormDistances && isDistanceScore(op));
  }
  bool gemmFormDistances;
};

/// Only distance scores, in GEMM form.
struct ConvertDistanceScoreToGemm : OpConversionPattern<ScoreOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(ScoreOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!isDistanceScore(op))
      return rewriter.notifyMatchFailure(op, "not a distance score");
    return lowering::lowerScore(rewriter, op, /*expandDistances=*/true);
  }
};

struct ConvertExperts : OpConversionPattern<ExpertsOp> {
  ConvertExperts(MLIRContext *ctx, const HMoEToLinalgOptions &options)
      : OpConversionPattern(ctx), options(options) {}
  LogicalResult
  matchAndRewrite(ExpertsOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type elem = getElementTypeOrSelf(op.getW1().getType());
    bool onTensorCores = isa<BFloat16Type, Float16Type>(elem) ||
                         (elem.isF32() && options.expertMMAF32);
    int64_t rowTile = onTensorCores && options.expertMMARowTile > 0
                          ? options.expertMMARowTile
                          : options.expertRowTile;
    return lowering::lowerExperts(rewriter, op, options.expertStageScratch,
                                  rowTile);
  }
  HMoEToLinalgOptions options;
};

/// Adapts one of the lowering functions to a conversion pattern.
template <typename OpTy, LogicalResult (*Lower)(RewriterBase &, OpTy)>
struct ConvertWith : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return Lower(rewriter, op);
  }
};

void addLegalOutputDialects(ConversionTarget &target) {
  // (shard: an experts_on layer's collectives, for
  // hmoe-convert-shard-to-mpi.)
  target.addLegalDialect<affine::AffineDialect, arith::ArithDialect,
                         linalg::LinalgDialect, math::MathDialect,
                         scf::SCFDialect, shard::ShardDialect,
                         tensor::TensorDialect, vector::VectorDialect>();
}

struct ConvertHMoEToLinalgPass
    : public hmoe::impl::ConvertHMoEToLinalgBase<ConvertHMoEToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    ConversionTarget target(getContext());
    configureHMoEToLinalgTarget(target);
    RewritePatternSet patterns(&getContext());
    HMoEToLinalgOptions options;
    options.gemmFormDistances = fuseDistance;
    options.expertStageScratch = expertStageScratch;
    options.expertRowTile = expertRowTile;
    options.expertMMARowTile = expertMMARowTile;
    options.expertMMAF32 = expertMMAF32;
    populateHMoEToLinalgPatterns(patterns, options);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};

struct HMoEFuseDistancePass
    : public hmoe::impl::HMoEFuseDistanceBase<HMoEFuseDistancePass> {
  void runOnOperation() override {
    ConversionTarget target(getContext());
    addLegalOutputDialects(target);
    target.addLegalDialect<HMoEDialect>();
    target.addIllegalOp<MoEOp>();
    target.addDynamicallyLegalOp<ScoreOp>(
        [](ScoreOp op) { return !isDistanceScore(op); });
    RewritePatternSet patterns(&getContext());
    populateHMoEDistanceToGemmPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace

void hmoe::populateHMoEToLinalgPatterns(RewritePatternSet &patterns,
                                        const HMoEToLinalgOptions &options) {
  MLIRContext *ctx = patterns.getContext();
  populateHMoEDecomposePatterns(patterns);
  patterns.add<ConvertScore>(ctx, options.gemmFormDistances);
  patterns.add<ConvertExperts>(ctx, options);
  patterns.add<ConvertWith<CombineOp, lowering::lowerCombine>>(ctx);
}

void hmoe::populateHMoEDistanceToGemmPatterns(RewritePatternSet &patterns) {
  populateHMoEDecomposePatterns(patterns);
  patterns.add<ConvertDistanceScoreToGemm>(patterns.getContext());
}

void hmoe::configureHMoEToLinalgTarget(ConversionTarget &target) {
  addLegalOutputDialects(target);
  target.addIllegalOp<MoEOp, ScoreOp, ExpertsOp, CombineOp>();
  target.addLegalOp<RouteOp, DispatchOp, StatsOp>();
}
