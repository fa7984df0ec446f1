//===- HMoECanonicalize.cpp - hmoe canonicalization patterns --------------===//
//
// Rewrites that remove routing work with no effect on the result. (Not a
// selection bias where a level chooses every child: the bias still orders
// the choices, which is the route's output order and, with capacity in
// choice_rank fill order, which choices an expert keeps.)
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Group-limited routing that keeps every group, and per-group routing with
/// a single group, choose exactly what a flat top-k does.
template <typename OpTy> struct TrivialGroupsToNested : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    StrategyAttr strategy = op.getStrategy();
    bool trivial = (strategy.getKind() == StrategyKind::GroupLimited &&
                    strategy.getKGroups() == strategy.getGroups()) ||
                   (strategy.getKind() == StrategyKind::PerGroup &&
                    strategy.getGroups() == 1);
    if (!trivial || !canChangeGroups(op))
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      op.setStrategyAttr(
          StrategyAttr::get(op.getContext(), StrategyKind::Nested));
    });
    return success();
  }

  // The groups of group statistics follow the strategy; keep it when any
  // are requested.
  static bool canChangeGroups(RouteOp) { return true; }
  static bool canChangeGroups(MoEOp op) {
    return llvm::none_of(op.getStats(), [](Attribute attr) {
      StatKind kind = cast<StatKindAttr>(attr).getValue();
      return kind == StatKind::GroupLoad || kind == StatKind::GroupImportance ||
             kind == StatKind::RInter;
    });
  }
};
} // namespace

void MoEOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                        MLIRContext *context) {
  results.add<TrivialGroupsToNested<MoEOp>>(context);
}

void RouteOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<TrivialGroupsToNested<RouteOp>>(context);
}
