//===- HMoECanonicalize.cpp - hmoe canonicalization patterns --------------===//
//
// Rewrites that remove routing work with no effect on the result.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::hmoe;

/// Children per node at `level`: the last node dim of the level operand.
static int64_t levelFanout(MoEOp op, int64_t level) {
  return cast<RankedTensorType>(op.getGateWeights()[level].getType())
      .getShape()
      .drop_back()
      .back();
}

static int64_t levelFanout(RouteOp op, int64_t level) {
  return cast<RankedTensorType>(op.getLogits()[level].getType())
      .getShape()
      .back();
}

/// True when the gate of `level` chooses every candidate it has, so no
/// selection happens there.
template <typename OpTy> static bool choosesAll(OpTy op, int64_t level) {
  StrategyAttr strategy = op.getStrategy();
  int64_t k = op.getGateList()[level].getK();
  int64_t fanout = levelFanout(op, level);
  switch (strategy.getKind()) {
  case StrategyKind::Nested:
  case StrategyKind::GroupLimited:
    return k == fanout;
  case StrategyKind::PerGroup:
    return k == fanout / strategy.getGroups();
  }
  llvm_unreachable("unknown strategy kind");
}

namespace {
/// A selection bias only changes which children are chosen; where a level
/// chooses all of them (k == N) it has no effect and is dropped.
template <typename OpTy>
struct DropUnusedSelectionBias : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    ArrayRef<int64_t> levels = op.getSelectionBiasLevels();
    SmallVector<int64_t> kept;
    SmallVector<unsigned> dropped;
    for (auto [i, level] : llvm::enumerate(levels)) {
      if (choosesAll(op, level))
        dropped.push_back(i);
      else
        kept.push_back(level);
    }
    if (dropped.empty())
      return failure();
    rewriter.modifyOpInPlace(op, [&] {
      MutableOperandRange biases = op.getSelectionBiasesMutable();
      for (unsigned i : llvm::reverse(dropped))
        biases.erase(i);
      op.setSelectionBiasLevels(kept);
    });
    return success();
  }
};

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
  results.add<DropUnusedSelectionBias<MoEOp>, TrivialGroupsToNested<MoEOp>>(
      context);
}

void RouteOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                          MLIRContext *context) {
  results.add<DropUnusedSelectionBias<RouteOp>, TrivialGroupsToNested<RouteOp>>(
      context);
}
