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
#include "hmoe/Codegen/ValueBounds.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"
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

/// A root whose aliases are known: a fresh allocation, a global, or a
/// function's argument (neither of which can alias a fresh allocation).
/// Anything else (a transpose, a select, a cast, a loop's or branch's
/// result) may be another name for an allocation, so an access through it
/// may touch an accumulator.
bool isKnownRoot(Value root) {
  if (isDistinctAllocation(root) ||
      isa_and_nonnull<memref::GetGlobalOp>(root.getDefiningOp()))
    return true;
  auto arg = dyn_cast<BlockArgument>(root);
  return arg && arg.getOwner()->isEntryBlock() &&
         isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
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
  auto knownRoot = [](auto access) {
    return isKnownRoot(rootOf(access.getMemRef()));
  };
  if (unknown || !llvm::all_of(loads, knownRoot) ||
      !llvm::all_of(stores, knownRoot))
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

/// Whether distinct indices at any one position of a `type` view are
/// distinct elements, whatever the other indices: static positive strides,
/// each at least the extent of the dimensions with smaller strides.
bool isNonOverlapping(MemRefType type) {
  SmallVector<int64_t> strides;
  int64_t offset;
  if (failed(type.getStridesAndOffset(strides, offset)))
    return false;
  ArrayRef<int64_t> shape = type.getShape();
  SmallVector<unsigned> dims;
  for (auto [d, size] : llvm::enumerate(shape)) {
    if (size == 1)
      continue;
    if (ShapedType::isDynamic(strides[d]) || strides[d] <= 0)
      return false;
    dims.push_back(d);
  }
  llvm::sort(dims,
             [&](unsigned a, unsigned b) { return strides[a] < strides[b]; });
  for (size_t i = 0; i + 1 < dims.size(); ++i)
    if (ShapedType::isDynamic(shape[dims[i]]) ||
        strides[dims[i + 1]] < strides[dims[i]] * shape[dims[i]])
      return false;
  return true;
}

/// Whether the iterations of `outer` may run interleaved (unroll and jam),
/// its nested `scf.for`s jammed too: every op in it is a loop (bounds
/// defined outside `outer`), a load, a pure op without regions, or a store
/// to a distinct allocation through one view defined outside `outer`, at
/// indices holding `outer`'s induction variable at a position that every
/// access to that allocation in `outer` shares. Each iteration then writes
/// and reads back only elements no other iteration touches (the view does
/// not overlap itself), and everything else it loads nothing in `outer`
/// writes. With a GEMM's thread loops: the column loop around the promoted
/// K loop, and the row loop around that (its accumulators indexed by row).
bool jammable(scf::ForOp outer) {
  if (outer.getNumResults() != 0)
    return false;
  Value iv = outer.getInductionVar();
  SmallVector<memref::LoadOp> loads;
  SmallVector<memref::StoreOp> stores;
  WalkResult walk = outer.getBody()->walk([&](Operation *op) {
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      bool invariant = llvm::all_of(
          ValueRange{loop.getLowerBound(), loop.getUpperBound(),
                     loop.getStep()},
          [&](Value v) { return outer.isDefinedOutsideOfLoop(v); });
      return invariant ? WalkResult::advance() : WalkResult::interrupt();
    }
    if (auto load = dyn_cast<memref::LoadOp>(op))
      loads.push_back(load);
    else if (auto store = dyn_cast<memref::StoreOp>(op))
      stores.push_back(store);
    else if (!isa<scf::YieldOp>(op) &&
             (op->getNumRegions() != 0 || !isMemoryEffectFree(op)))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  auto knownRoot = [](auto access) {
    return isKnownRoot(rootOf(access.getMemRef()));
  };
  if (walk.wasInterrupted() || !llvm::all_of(loads, knownRoot))
    return false;
  // Per stored allocation: the one view its accesses go through and the
  // index positions holding `iv` in all of them.
  struct Owned {
    Value view;
    llvm::SmallBitVector positions;
  };
  llvm::MapVector<Value, Owned> owned;
  auto positionsOf = [&](ValueRange indices) {
    llvm::SmallBitVector positions(indices.size());
    for (auto [i, index] : llvm::enumerate(indices))
      if (index == iv)
        positions.set(i);
    return positions;
  };
  for (memref::StoreOp store : stores) {
    Value root = rootOf(store.getMemRef());
    if (!isDistinctAllocation(root) ||
        !outer.isDefinedOutsideOfLoop(store.getMemRef()))
      return false;
    auto [it, inserted] = owned.try_emplace(
        root, Owned{store.getMemRef(), positionsOf(store.getIndices())});
    if (!inserted) {
      if (it->second.view != store.getMemRef())
        return false;
      it->second.positions &= positionsOf(store.getIndices());
    }
  }
  for (memref::LoadOp load : loads) {
    auto it = owned.find(rootOf(load.getMemRef()));
    if (it == owned.end())
      continue;
    if (it->second.view != load.getMemRef())
      return false;
    it->second.positions &= positionsOf(load.getIndices());
  }
  return llvm::all_of(owned, [](auto &entry) {
    return entry.second.positions.any() &&
           isNonOverlapping(cast<MemRefType>(entry.second.view.getType()));
  });
}

/// How many loops deep `loop`'s nest is, if it is a chain: each body holds
/// at most one op with regions, an `scf.for`, and the innermost none (a
/// GEMM's thread loops as linalg-to-loops leaves them). Jamming such a
/// loop replaces only the loops of its chain.
std::optional<unsigned> chainDepth(scf::ForOp loop) {
  scf::ForOp inner;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (op.getNumRegions() == 0)
      continue;
    auto nested = dyn_cast<scf::ForOp>(op);
    if (!nested || inner)
      return std::nullopt;
    inner = nested;
  }
  if (!inner)
    return 0;
  std::optional<unsigned> depth = chainDepth(inner);
  return depth ? std::optional<unsigned>(*depth + 1) : std::nullopt;
}

/// The largest power of two up to `factor` dividing `trips` (1: none).
int64_t jamFactorFor(int64_t trips, int64_t factor) {
  int64_t by = llvm::bit_floor<uint64_t>(std::max<int64_t>(factor, 1));
  while (by > 1 && (trips % by != 0 || by > trips))
    by /= 2;
  return by;
}

/// Unrolls and jams `outer` by the largest power of two up to `factor`
/// that divides its constant trip count.
void jam(scf::ForOp outer, int64_t factor) {
  std::optional<APInt> count = outer.getStaticTripCount();
  if (!count || count->getActiveBits() > 62)
    return;
  int64_t by = jamFactorFor(count->getSExtValue(), factor);
  if (by > 1)
    (void)loopUnrollJamByFactor(outer, by);
}

/// Unrolls and jams `rows` (a thread's rows of a GEMM: around its column
/// loop, or around the K loop where the columns were jammed whole) by up
/// to `factor`. A trip count known only at run time (a thread's share of
/// a tile's rows, fewer in the last tile) with a constant upper bound U,
/// a power of two up to `factor`, is versioned: when it is U a copy with
/// constant bounds runs, jammed; otherwise the loop as it was.
void jamRows(RewriterBase &rewriter, scf::ForOp rows, int64_t factor) {
  // The column loop's jam left its new step's constant inside `rows`.
  rows.walk([&](scf::ForOp loop) {
    for (Value bound :
         {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()})
      if (Operation *def = bound.getDefiningOp();
          def && def->hasTrait<OpTrait::ConstantLike>() &&
          rows->isProperAncestor(def))
        rewriter.moveOpBefore(def, rows);
  });
  if (!jammable(rows))
    return;
  if (rows.getStaticTripCount()) {
    jam(rows, factor);
    return;
  }
  std::optional<int64_t> lb = getConstantIntValue(rows.getLowerBound());
  std::optional<int64_t> step = getConstantIntValue(rows.getStep());
  if (!lb || step != 1)
    return;
  FailureOr<int64_t> ub = hmoe::constantUpperBound(rows.getUpperBound());
  if (failed(ub))
    return;
  int64_t trips = *ub - *lb;
  if (trips < 2 || jamFactorFor(trips, factor) != trips)
    return;
  Location loc = rows.getLoc();
  rewriter.setInsertionPoint(rows);
  Value fullBound = arith::ConstantIndexOp::create(rewriter, loc, *ub);
  Value full = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                     rows.getUpperBound(), fullBound);
  auto branch = scf::IfOp::create(rewriter, loc, full, /*withElse=*/true);
  rewriter.setInsertionPointToStart(branch.thenBlock());
  auto fullRows = cast<scf::ForOp>(rewriter.clone(*rows));
  fullRows.getUpperBoundMutable().assign(fullBound);
  rewriter.moveOpBefore(rows, branch.elseBlock()->getTerminator());
  jam(fullRows, trips);
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
      if (promoted && (jamFactor > 1 || rowJamFactor > 1))
        promotedLoops.push_back(loop);
    }
    // After every promotion: the outer loops' bodies are final. The row
    // loops (two levels out) are taken first: jamming a column loop
    // replaces it and its K loop, never a loop around them.
    llvm::SetVector<Operation *> rowLoops;
    for (scf::ForOp inner : promotedLoops)
      if (Operation *columns = inner->getParentOp())
        if (isa<scf::ForOp>(columns) &&
            isa_and_nonnull<scf::ForOp>(columns->getParentOp()))
          rowLoops.insert(columns->getParentOp());
    if (jamFactor > 1)
      for (scf::ForOp inner : promotedLoops)
        if (auto outer = dyn_cast<scf::ForOp>(inner->getParentOp()))
          if (chainDepth(outer) == 1u && jammable(outer))
            jam(outer, jamFactor);
    // A row loop's chain (columns, K) is jammed whole: no other row loop
    // is inside it.
    if (rowJamFactor > 1)
      for (Operation *rows : rowLoops)
        if (std::optional<unsigned> depth = chainDepth(cast<scf::ForOp>(rows));
            depth && (*depth == 1 || *depth == 2))
          jamRows(rewriter, cast<scf::ForOp>(rows), rowJamFactor);
  }
};
} // namespace
