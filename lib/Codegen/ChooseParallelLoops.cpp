//===- ChooseParallelLoops.cpp - the hmoe-choose-parallel-loops pass ------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECHOOSEPARALLELLOOPS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The product of `loop`'s trip counts, if all are static.
std::optional<int64_t> staticTripCount(scf::ParallelOp loop) {
  int64_t trips = 1;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    trips *= *u > *l ? (*u - *l + *s - 1) / *s : 0;
  }
  return trips;
}

/// Replaces `loop` (no reductions) by a nest of scf.for with its body.
void serialize(RewriterBase &rewriter, scf::ParallelOp loop) {
  rewriter.setInsertionPoint(loop);
  Location loc = loop.getLoc();
  SmallVector<Value> ivs;
  Block *innermost = nullptr;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    auto forOp = scf::ForOp::create(rewriter, loc, lb, ub, step);
    ivs.push_back(forOp.getInductionVar());
    innermost = forOp.getBody();
    rewriter.setInsertionPointToStart(innermost);
  }
  // The body goes before the innermost scf.yield, without its scf.reduce.
  rewriter.eraseOp(loop.getBody()->getTerminator());
  rewriter.inlineBlockBefore(loop.getBody(), innermost->getTerminator(), ivs);
  rewriter.eraseOp(loop);
}

bool containsParallel(scf::ParallelOp loop) {
  return loop.getBody()
      ->walk([](scf::ParallelOp) { return WalkResult::interrupt(); })
      .wasInterrupted();
}

struct HMoEChooseParallelLoopsPass
    : public hmoe::impl::HMoEChooseParallelLoopsBase<
          HMoEChooseParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Outermost loops first: each either keeps the threads (and its nested
    // loops are serialised) or hands them to the loops inside.
    SmallVector<scf::ParallelOp> outermost;
    getOperation()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp loop) {
      outermost.push_back(loop);
      return WalkResult::skip();
    });
    while (!outermost.empty()) {
      scf::ParallelOp loop = outermost.pop_back_val();
      if (!loop.getInitVals().empty() || !containsParallel(loop))
        continue;
      std::optional<int64_t> trips = staticTripCount(loop);
      if (trips && *trips < minTripCount) {
        // Yield to the loops inside: they are the next outermost.
        SmallVector<scf::ParallelOp> inner;
        loop.getBody()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp l) {
          inner.push_back(l);
          return WalkResult::skip();
        });
        serialize(rewriter, loop);
        llvm::append_range(outermost, inner);
        continue;
      }
      SmallVector<scf::ParallelOp> nested;
      loop.getBody()->walk([&](scf::ParallelOp l) { nested.push_back(l); });
      // Innermost first (post-order), so each body is moved once.
      for (scf::ParallelOp l : nested)
        if (l.getInitVals().empty())
          serialize(rewriter, l);
    }
  }
};
} // namespace
