//===- Decompose.cpp - hmoe.moe into its stages ---------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/Passes.h"
#include "hmoe/Support/GreedyRewrite.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEDECOMPOSE
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
struct DecomposeMoE : OpRewritePattern<MoEOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MoEOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type();
    Type i32 = rewriter.getI32Type();
    Value input = op.getInput();
    int64_t numTokens = op.getInput().getType().getDimSize(0);
    SmallVector<GateAttr> gates = op.getGateList();
    FailureOr<RoutingTree> tree = op.getRoutingTree();
    if (failed(tree))
      return rewriter.notifyMatchFailure(op, "the layer does not verify");
    int64_t numExperts = tree->numExperts;
    int64_t k = tree->numChosen;

    // One score op per level: logits [T, nodes...].
    SmallVector<Value> logits;
    for (auto [level, weight] : llvm::enumerate(op.getGateWeights())) {
      SmallVector<int64_t> shape = {numTokens};
      llvm::append_range(
          shape,
          cast<RankedTensorType>(weight.getType()).getShape().drop_back());
      GateAttr gate = gates[level];
      ActivationAttr activation;
      if (gate.getActivation())
        activation = ActivationAttr::get(ctx, *gate.getActivation());
      logits.push_back(
          ScoreOp::create(rewriter, loc, RankedTensorType::get(shape, f32),
                          ScoreKindAttr::get(ctx, gate.getScore()), activation,
                          input, weight, op.getGateBias(level)));
    }

    // Destinations of the routing ops: empty tensors, the token count (and
    // the T x K slots) from the input when dynamic.
    Value tokens = ShapedType::isDynamic(numTokens)
                       ? tensor::DimOp::create(rewriter, loc, input, 0)
                       : Value();
    auto empty = [&](ArrayRef<int64_t> shape, Type elem,
                     int64_t multiple = 1) -> Value {
      SmallVector<Value> dyn;
      if (!shape.empty() && ShapedType::isDynamic(shape[0])) {
        Value n = tokens;
        if (multiple != 1)
          n = arith::MulIOp::create(
              rewriter, loc, n,
              arith::ConstantIndexOp::create(rewriter, loc, multiple));
        dyn.push_back(n);
      }
      return tensor::EmptyOp::create(rewriter, loc, shape, elem, dyn);
    };
    SmallVector<Value> routeOuts = {empty({numTokens, k}, f32),
                                    empty({numTokens, k}, i32),
                                    empty({numTokens, numExperts}, f32)};
    auto route =
        RouteOp::create(rewriter, loc, ValueRange(routeOuts).getTypes(), logits,
                        op.getSelectionBiases(), op.getRouterScale(), routeOuts,
                        op.getStrategyAttr(), op.getGatesAttr(),
                        op.getSelectionBiasLevelsAttr());

    int64_t slots =
        ShapedType::isDynamic(numTokens) ? ShapedType::kDynamic : numTokens * k;
    SmallVector<Value> dispatchOuts = {empty({slots}, i32, k),
                                       empty({numTokens, k}, i32),
                                       empty({numExperts + 1}, i32)};
    // fill_order score orders an expert's choices by their routing weight.
    Value fillWeights =
        op.getFillOrder() == FillOrder::Score ? route.getWeights() : Value();
    auto dispatch = DispatchOp::create(
        rewriter, loc, ValueRange(dispatchOuts).getTypes(), route.getExperts(),
        fillWeights, dispatchOuts, rewriter.getI64IntegerAttr(numExperts),
        op.getCapacityFactorAttr(), op.getFillOrderAttr(),
        op.getCapacityRoundingAttr());

    int64_t dOut = op.getOutput().getType().getDimSize(1);
    auto experts = ExpertsOp::create(
        rewriter, loc, RankedTensorType::get({slots, dOut}, f32), input,
        dispatch.getSlotToken(), dispatch.getOffsets(), op.getExpertAttr(),
        op.getW1(), op.getWUp(), op.getB1(), op.getW2(), op.getB2());

    SmallVector<Value> results;
    results.push_back(CombineOp::create(
        rewriter, loc, op.getOutput().getType(), experts.getOutput(),
        dispatch.getSlotOf(), route.getWeights()));

    if (!op.getStats().empty()) {
      auto needs = [&](StatKind kind) {
        return llvm::any_of(op.getStats(), [&](Attribute attr) {
          return cast<StatKindAttr>(attr).getValue() == kind;
        });
      };
      // Auxiliary losses on logits use the top-level gate's.
      Value zLogits = needs(StatKind::ZLoss) ? logits.front() : Value();
      Value slotOf = needs(StatKind::Dropped) ? dispatch.getSlotOf() : Value();
      SmallVector<Value> statsOuts;
      for (Type t : op.getStatistics().getTypes()) {
        auto type = cast<RankedTensorType>(t);
        statsOuts.push_back(empty(type.getShape(), type.getElementType()));
      }
      auto stats = StatsOp::create(
          rewriter, loc, op.getStatistics().getTypes(), route.getProbs(),
          route.getExperts(), zLogits, slotOf, statsOuts, op.getStatsAttr(),
          rewriter.getI64IntegerAttr(tree->numGroups), op.getLambdaIntraAttr(),
          op.getLambdaInterAttr());
      llvm::append_range(results, stats.getResults());
    }
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::hmoe::populateHMoEDecomposePatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeMoE>(patterns.getContext());
}

namespace {
struct HMoEDecomposePass
    : public hmoe::impl::HMoEDecomposeBase<HMoEDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateHMoEDecomposePatterns(patterns);
    // Only the layer ops change; folding the rest is canonicalize's job.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsOrReport(getOperation(), std::move(patterns),
                                     config, getArgument())))
      signalPassFailure();
  }
};
} // namespace
