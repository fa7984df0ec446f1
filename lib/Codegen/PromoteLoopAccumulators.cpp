//===- PromoteLoopAccumulators.cpp - reduction accumulators in registers --===//
//
// A linalg reduction lowered to loops reads and writes its output element
// in every iteration of the reduction loop (load C, fma, store C). LLVM
// cannot keep C in a register: it cannot prove the operands' pointers do
// not alias C's. Here, where the buffers are still known, an element of a
// buffer of its own (a distinct allocation) that the loop reads then
// writes at the same loop-invariant place becomes a loop-carried value:
// read once before the loop, written once after it. With `jam`, the
// loop over output columns around such a loop is unrolled and jammed: a
// few columns' accumulators share each K step, and the loads their
// products have in common (a GEMM's A element) are made once.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/bit.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEPROMOTELOOPACCUMULATORS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The buffer `view` is a view of: through subviews, casts and other view
/// ops, to the allocation or block argument it starts from.
Value rootOf(Value view) {
  while (Operation *def = view.getDefiningOp()) {
    if (auto viewLike = dyn_cast<ViewLikeOpInterface>(def)) {
      view = viewLike.getViewSource();
      continue;
    }
    break;
  }
  return view;
}

/// A buffer that nothing else can alias: a fresh allocation.
bool isDistinctAllocation(Value root) {
  Operation *def = root.getDefiningOp();
  return def && isa<memref::AllocOp, memref::AllocaOp, gpu::AllocOp>(def);
}

struct Accumulator {
  memref::LoadOp load;
  memref::StoreOp store;
};

/// The accumulator of `loop`, if it has exactly one: the body's only load
/// and only store of a distinct allocation's buffer, both directly in the
/// body, the load first, at the same loop-invariant indices, and no other
/// access in the loop to that allocation. Every op in the loop must be one
/// whose effects are known (loads, stores, pure ops, nested loops of them).
std::optional<Accumulator> findAccumulator(scf::ForOp loop) {
  SmallVector<memref::LoadOp> loads;
  SmallVector<memref::StoreOp> stores;
  bool unknown = false;
  loop.getBody()->walk([&](Operation *op) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      loads.push_back(load);
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      stores.push_back(store);
    else if (!isMemoryEffectFree(op) && !isa<scf::ForOp, scf::IfOp>(op) &&
             !op->hasTrait<OpTrait::IsTerminator>())
      unknown = true;
  });
  if (unknown)
    return std::nullopt;
  auto invariant = [&](ValueRange indices) {
    return llvm::all_of(
        indices, [&](Value v) { return loop.isDefinedOutsideOfLoop(v); });
  };
  for (memref::StoreOp store : stores) {
    if (store->getBlock() != loop.getBody() || !invariant(store.getIndices()))
      continue;
    Value root = rootOf(store.getMemRef());
    if (!isDistinctAllocation(root) ||
        !loop.isDefinedOutsideOfLoop(store.getMemRef()))
      continue;
    // Every other access in the loop is to another buffer, except one load
    // of this element before the store.
    memref::LoadOp match;
    bool clash = false;
    for (memref::StoreOp other : stores)
      if (other != store && rootOf(other.getMemRef()) == root)
        clash = true;
    for (memref::LoadOp load : loads) {
      if (rootOf(load.getMemRef()) != root)
        continue;
      bool same = load.getMemRef() == store.getMemRef() &&
                  load.getIndices() == store.getIndices() &&
                  load->getBlock() == loop.getBody() &&
                  load->isBeforeInBlock(store) && !match;
      if (!same)
        clash = true;
      else
        match = load;
    }
    if (!clash && match)
      return Accumulator{match, store};
  }
  return std::nullopt;
}

/// Whether `loop` runs at least once (constant bounds): the element read
/// before it is one the loop would have read.
bool runsAtLeastOnce(scf::ForOp loop) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getLowerBound());
  std::optional<int64_t> ub = getConstantIntValue(loop.getUpperBound());
  return lb && ub && *lb < *ub;
}

/// Returns the loop that replaces `loop` (one more iter_arg).
scf::ForOp promote(RewriterBase &rewriter, scf::ForOp loop, Accumulator acc) {
  rewriter.setInsertionPoint(loop);
  Value init = memref::LoadOp::create(
      rewriter, acc.load.getLoc(), acc.load.getMemRef(), acc.load.getIndices());
  FailureOr<LoopLikeOpInterface> grown =
      cast<LoopLikeOpInterface>(loop.getOperation())
          .replaceWithAdditionalYields(
              rewriter, ValueRange{init},
              /*replaceInitOperandUsesInLoop=*/false,
              [&](OpBuilder &, Location, ArrayRef<BlockArgument>) {
                return SmallVector<Value>{acc.store.getValueToStore()};
              });
  auto newLoop = cast<scf::ForOp>(grown->getOperation());
  Value carried = newLoop.getRegionIterArgs().back();
  rewriter.replaceOp(acc.load, carried);
  rewriter.setInsertionPointAfter(newLoop);
  memref::StoreOp::create(rewriter, acc.store.getLoc(),
                          newLoop.getResults().back(), acc.store.getMemRef(),
                          acc.store.getIndices());
  rewriter.eraseOp(acc.store);
  return newLoop;
}

/// Whether the iterations of `outer`, the loop around the promoted `inner`,
/// may run interleaved (unroll and jam): `inner`'s body is pure ops and
/// loads, and every op of `outer`'s body is `inner`, a pure op without
/// regions, or a load or store of
/// an element of a distinct allocation that `inner` does not touch, at
/// indices that include `outer`'s induction variable and are otherwise
/// invariant (each iteration its own elements: the accumulators).
bool jammable(scf::ForOp outer, scf::ForOp inner) {
  if (outer.getNumResults() != 0 || inner->getParentOp() != outer)
    return false;
  // Straight-line bodies only (a GEMM's, as linalg-to-loops leaves it):
  // upstream's jam duplicates nested loops' iter_args too, which is not
  // needed here and not exercised.
  llvm::SmallPtrSet<Value, 4> innerRoots;
  for (Operation &op : inner.getBody()->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op))
      innerRoots.insert(rootOf(load.getMemRef()));
    else if (op.getNumRegions() != 0 || !isMemoryEffectFree(&op))
      return false;
  }
  Value iv = outer.getInductionVar();
  auto ownElement = [&](Value memref, ValueRange indices) {
    Value root = rootOf(memref);
    return isDistinctAllocation(root) && !innerRoots.contains(root) &&
           outer.isDefinedOutsideOfLoop(memref) &&
           llvm::is_contained(indices, iv) &&
           llvm::all_of(indices, [&](Value v) {
             return v == iv || outer.isDefinedOutsideOfLoop(v);
           });
  };
  for (Operation &op : outer.getBody()->without_terminator()) {
    if (&op == inner.getOperation() ||
        (op.getNumRegions() == 0 && isMemoryEffectFree(&op)))
      continue;
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      if (!ownElement(load.getMemRef(), load.getIndices()))
        return false;
    } else if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (!ownElement(store.getMemRef(), store.getIndices()))
        return false;
    } else {
      return false;
    }
  }
  return true;
}

/// Unrolls and jams `outer` by the largest power of two up to `factor`
/// that divides its constant trip count.
void jam(scf::ForOp outer, int64_t factor) {
  std::optional<APInt> count = outer.getStaticTripCount();
  if (!count || count->getActiveBits() > 62)
    return;
  int64_t trips = count->getSExtValue();
  int64_t by = llvm::bit_floor<uint64_t>(std::max<int64_t>(factor, 1));
  while (by > 1 && (trips % by != 0 || by > trips))
    by /= 2;
  if (by > 1)
    (void)loopUnrollJamByFactor(outer, by);
}

struct HMoEPromoteLoopAccumulatorsPass
    : public hmoe::impl::HMoEPromoteLoopAccumulatorsBase<
          HMoEPromoteLoopAccumulatorsPass> {
  using Base::Base;
  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Innermost loops first; a promoted loop may expose its parent's.
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    // Promoted loops whose parent may be jammed. Only the inner loops are
    // kept: promoting a parent later replaces it (its accumulator the
    // same element in every iteration), never the loops inside it.
    SmallVector<scf::ForOp> promotedLoops;
    for (scf::ForOp loop : loops) {
      if (!runsAtLeastOnce(loop))
        continue;
      bool promoted = false;
      while (std::optional<Accumulator> acc = findAccumulator(loop)) {
        loop = promote(rewriter, loop, *acc);
        promoted = true;
      }
      if (promoted && jamFactor > 1)
        promotedLoops.push_back(loop);
    }
    // After every promotion: the outer loops' bodies are final.
    for (scf::ForOp inner : promotedLoops)
      if (auto outer = dyn_cast<scf::ForOp>(inner->getParentOp()))
        if (jammable(outer, inner))
          jam(outer, jamFactor);
  }
};
} // namespace
