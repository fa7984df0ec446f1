//===- ChooseParallelLoops.cpp - the hmoe-choose-parallel-loops pass ------===//

#include "hmoe/Codegen/Passes.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

#include <limits>

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECHOOSEPARALLELLOOPS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The largest serial-work taken (the work estimate's products stay in
/// int64_t below it).
constexpr int64_t kMaxSerialWork = int64_t(1) << 31;

/// The product of the trip counts of a loop with these bounds, if all are
/// static (saturating at INT64_MAX).
std::optional<int64_t> staticTripCount(ValueRange lowerBounds,
                                       ValueRange upperBounds,
                                       ValueRange steps) {
  uint64_t trips = 1;
  for (auto [lb, ub, step] : llvm::zip(lowerBounds, upperBounds, steps)) {
    std::optional<int64_t> l = getConstantIntValue(lb),
                           u = getConstantIntValue(ub),
                           s = getConstantIntValue(step);
    if (!l || !u || !s || *s <= 0)
      return std::nullopt;
    if (*u <= *l)
      return 0;
    // (Unsigned: u - l and the rounding up cannot overflow.)
    uint64_t span = static_cast<uint64_t>(*u) - static_cast<uint64_t>(*l);
    uint64_t count = span / *s + (span % *s != 0);
    trips = llvm::SaturatingMultiply(trips, count);
  }
  return static_cast<int64_t>(
      std::min<uint64_t>(trips, std::numeric_limits<int64_t>::max()));
}

std::optional<int64_t> staticTripCount(scf::ParallelOp loop) {
  return staticTripCount(loop.getLowerBound(), loop.getUpperBound(),
                         loop.getStep());
}

/// How many operations `block` runs, each op counted once and a loop's
/// body times its static trip count, up to `cap` (at most kMaxSerialWork;
/// cap + 1 past it); none where a count is only known at run time (a loop
/// with dynamic bounds, a while, a call, a copy of dynamic size). A rough
/// measure (a vector op counts as one, a load as one), for telling a loop
/// worth a thread team from one that is not.
std::optional<int64_t> staticWork(Block &block, int64_t cap) {
  int64_t work = 0;
  for (Operation &op : block) {
    // The op's own work, and how many times its regions run.
    int64_t own = 1;
    std::optional<int64_t> trips = 1;
    if (auto copy = dyn_cast<memref::CopyOp>(op)) {
      // A memcpy of as many elements, not one op.
      auto type = cast<MemRefType>(copy.getSource().getType());
      if (!type.hasStaticShape())
        return std::nullopt;
      own = std::min(type.getNumElements(), cap + 1);
    } else if (auto loop = dyn_cast<scf::ForOp>(op))
      trips = staticTripCount(loop.getLowerBound(), loop.getUpperBound(),
                              loop.getStep());
    else if (auto loop = dyn_cast<scf::ParallelOp>(op))
      trips = staticTripCount(loop);
    else if (isa<CallOpInterface>(op) ||
             (op.getNumRegions() > 0 && !isa<scf::IfOp>(op)))
      return std::nullopt;
    if (!trips)
      return std::nullopt;
    int64_t body = 0;
    for (Region &region : op.getRegions())
      for (Block &inner : region) {
        std::optional<int64_t> innerWork = staticWork(inner, cap);
        if (!innerWork)
          return std::nullopt;
        body += *innerWork;
      }
    // Both factors are at most cap + 1 <= 2^31 + 1 here: no overflow.
    work += own + std::min(*trips, cap + 1) * std::min(body, cap + 1);
    if (work > cap)
      return cap + 1;
  }
  return work;
}

/// Whether `loop`'s whole work is known at compile time and at most
/// `maxWork` operations: less than a thread team's fork and join cost.
bool isSmallWork(scf::ParallelOp loop, int64_t maxWork) {
  assert(maxWork <= kMaxSerialWork && "checked with the option");
  if (maxWork <= 0)
    return false;
  std::optional<int64_t> trips = staticTripCount(loop);
  std::optional<int64_t> body = staticWork(*loop.getBody(), maxWork);
  return trips && body && *trips <= maxWork && *trips * *body <= maxWork;
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

/// Serialises every parallel loop nested in `loop` (which keeps the
/// threads).
void serializeNested(RewriterBase &rewriter, scf::ParallelOp loop) {
  SmallVector<scf::ParallelOp> nested;
  loop.getBody()->walk([&](scf::ParallelOp l) { nested.push_back(l); });
  // Innermost first (post-order), so each body is moved once.
  for (scf::ParallelOp l : nested)
    if (l.getInitVals().empty())
      serialize(rewriter, l);
}

/// The largest dynamic leading size of the buffers `loop` uses from
/// outside it (a layer's token or slot count), computed before the loop;
/// null if there is none.
Value workSize(RewriterBase &rewriter, scf::ParallelOp loop) {
  llvm::SetVector<Value> buffers;
  loop.getBody()->walk([&](Operation *op) {
    for (Value v : op->getOperands()) {
      auto type = dyn_cast<MemRefType>(v.getType());
      if (type && type.getRank() > 0 && type.isDynamicDim(0) &&
          !loop->isAncestor(v.getParentBlock()->getParentOp()))
        buffers.insert(v);
    }
  });
  rewriter.setInsertionPoint(loop);
  Value size;
  for (Value buffer : buffers) {
    Value dim = memref::DimOp::create(rewriter, loop.getLoc(), buffer, 0);
    size =
        size ? arith::MaxUIOp::create(rewriter, loop.getLoc(), size, dim) : dim;
  }
  return size;
}

/// Versions `loop` on `condition` (computed before it): `scf.if condition
/// {copy} else {loop}`. Returns the copy, for the caller to transform.
scf::ParallelOp versionLoop(RewriterBase &rewriter, scf::ParallelOp loop,
                            Value condition) {
  rewriter.setInsertionPoint(loop);
  auto choice = scf::IfOp::create(rewriter, loop.getLoc(), condition,
                                  /*withElseRegion=*/true);
  rewriter.setInsertionPointToStart(choice.thenBlock());
  auto copy = cast<scf::ParallelOp>(rewriter.clone(*loop));
  rewriter.moveOpBefore(loop, choice.elseBlock()->getTerminator());
  return copy;
}

/// Marks `loop`, a loop over experts keeping the threads, for a dynamic
/// schedule: experts differ in size. (Loops over tiles of tokens, with a
/// dynamic trip count, have equal tiles and may have many: a static
/// schedule.)
void markExpertTasks(RewriterBase &rewriter, scf::ParallelOp loop) {
  loop->setAttr(hmoe::HMoEDialect::DynamicTasksAttrHelper::getNameStr(),
                rewriter.getUnitAttr());
}

/// Serialises `loop`, leaving the threads to the loops inside, which join
/// `worklist` as the next outermost.
void yieldToInner(RewriterBase &rewriter, scf::ParallelOp loop,
                  SmallVectorImpl<scf::ParallelOp> &worklist) {
  SmallVector<scf::ParallelOp> inner;
  loop.getBody()->walk<WalkOrder::PreOrder>([&](scf::ParallelOp l) {
    inner.push_back(l);
    return WalkResult::skip();
  });
  serialize(rewriter, loop);
  llvm::append_range(worklist, inner);
}

/// Versions `loop`, whose trip count is dynamic, for a run with at most one
/// iteration: that copy runs serially, without a thread team's fork, join
/// and worksharing set-up (several microseconds a loop: at T = 1 most of a
/// small layer's call).
void serializeSingleIteration(RewriterBase &rewriter, scf::ParallelOp loop) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  Value single;
  for (auto [lb, ub, step] :
       llvm::zip(loop.getLowerBound(), loop.getUpperBound(), loop.getStep())) {
    Value next = arith::AddIOp::create(rewriter, loc, lb, step);
    Value one = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::sge,
                                      next, ub);
    single = single ? arith::AndIOp::create(rewriter, loc, single, one) : one;
  }
  serialize(rewriter, versionLoop(rewriter, loop, single));
}

struct HMoEChooseParallelLoopsPass
    : public hmoe::impl::HMoEChooseParallelLoopsBase<
          HMoEChooseParallelLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (serialWork < 0 || serialWork > kMaxSerialWork) {
      emitError(getOperation()->getLoc())
          << "hmoe-choose-parallel-loops: serial-work=" << serialWork.getValue()
          << ": expected 0 (never) to 2^31";
      return signalPassFailure();
    }
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
      if (!loop.getInitVals().empty())
        continue;
      // Too little work for the threads (a gate's few rows of weights, a
      // fill of a few hundred values): the nest runs on the calling
      // thread.
      if (isSmallWork(loop, serialWork)) {
        serializeNested(rewriter, loop);
        serialize(rewriter, loop);
        continue;
      }
      if (!containsParallel(loop))
        continue;
      std::optional<int64_t> trips = staticTripCount(loop);
      // Decided at run time: the outer loop keeps the threads when there
      // are fewer than adaptive-rows rows per iteration (an expert's few
      // rows cannot keep the threads busy), else the loops inside do.
      Value size;
      if (adaptiveRows > 0 && trips && *trips >= 2 &&
          (size = workSize(rewriter, loop))) {
        Location loc = loop.getLoc();
        Value bound = arith::ConstantIndexOp::create(rewriter, loc,
                                                     adaptiveRows * *trips);
        Value few = arith::CmpIOp::create(
            rewriter, loc, arith::CmpIPredicate::ult, size, bound);
        scf::ParallelOp outerKeeps = versionLoop(rewriter, loop, few);
        serializeNested(rewriter, outerKeeps);
        markExpertTasks(rewriter, outerKeeps);
        yieldToInner(rewriter, loop, outermost);
        continue;
      }
      if (trips && *trips < minTripCount) {
        yieldToInner(rewriter, loop, outermost);
        continue;
      }
      serializeNested(rewriter, loop);
      if (trips)
        markExpertTasks(rewriter, loop);
    }
    if (!serialSingle)
      return;
    SmallVector<scf::ParallelOp> kept;
    getOperation()->walk([&](scf::ParallelOp loop) {
      if (loop.getInitVals().empty() && !staticTripCount(loop))
        kept.push_back(loop);
    });
    for (scf::ParallelOp loop : kept)
      serializeSingleIteration(rewriter, loop);
  }
};
} // namespace
