//===- VectorizeColumnLoops.cpp - hmoe-vectorize-column-loops -------------===//
//
// A GPU thread's share of the combine takes groups of V adjacent output
// columns (hmoe-tile-for-gpu's cyclic-group-bytes); as loops, a group is an
// scf.for of V steps, each summing its token's choices of gathered expert
// rows at its own column and storing the sum. On NVPTX that is one 4-byte
// load per element, and the token's slot indices and weights loaded again
// for every column. Here the group's loop runs its body once on vectors of
// V: the V loads of a row one aligned vector load, the sums vectors, the
// slot indices and weights loaded once. Outer-loop vectorization of a
// short loop: each value that depends on the column becomes a vector of
// its V values; the rest is computed once, as a scalar.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"

#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZECOLUMNLOOPS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// A loop over a group's columns and what its body computes per column.
struct ColumnLoop {
  scf::ForOp loop;
  int64_t width = 0;
  // The column indices: the induction variable c and each c + x, with x
  // (null for c itself) defined before the loop.
  DenseMap<Value, Value> columns;
  // Values that differ between steps, other than column indices: what
  // becomes a vector.
  DenseSet<Value> varying;
  // The loads and stores at a column index (as their last index).
  SmallVector<Operation *> accesses;
};

/// The buffer and indices of a memref.load or memref.store (a null buffer
/// for any other op: a vector access is not a column access).
std::pair<Value, ValueRange> accessOf(Operation *op) {
  if (auto access = bufferAccess(op, /*vectors=*/false))
    return *access;
  return {Value(), ValueRange()};
}

bool isColumnAccess(const ColumnLoop &cl, Operation *op) {
  auto [memref, indices] = accessOf(op);
  return memref && !indices.empty() && cl.columns.contains(indices.back());
}

/// The bytes of an element a vector may hold as its memref does: 1, 2,
/// 4, 8 or 16 (0 otherwise).
int64_t packedElementBytes(MemRefType type) {
  Type element = type.getElementType();
  if (!element.isIntOrFloat())
    return 0;
  unsigned bits = element.getIntOrFloatBitWidth();
  if (bits % 8 != 0 || !llvm::isPowerOf2_32(bits / 8) || bits > 128)
    return 0;
  return bits / 8;
}

/// Marks what depends on the column, to a fixed point: results of ops with
/// a varying operand, a column load's result, the carried values of an
/// scf.for whose initial or yielded value varies (and its results), an
/// scf.if's results where a branch yields a varying value.
void propagateVarying(ColumnLoop &cl) {
  auto varies = [&](Value v) { return cl.varying.contains(v); };
  bool changed = true;
  auto mark = [&](Value v) { changed |= cl.varying.insert(v).second; };
  while (changed) {
    changed = false;
    cl.loop.getBody()->walk([&](Operation *op) {
      if (auto forOp = dyn_cast<scf::ForOp>(op)) {
        auto yield = cast<scf::YieldOp>(forOp.getBody()->getTerminator());
        for (auto [i, init] : llvm::enumerate(forOp.getInitArgs()))
          if (varies(init) || varies(yield.getOperand(i))) {
            mark(forOp.getRegionIterArgs()[i]);
            mark(forOp.getResult(i));
          }
        return;
      }
      if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
        for (Region &region : ifOp->getRegions())
          for (Block &block : region)
            for (auto [i, v] :
                 llvm::enumerate(block.getTerminator()->getOperands()))
              if (varies(v))
                mark(ifOp.getResult(i));
        return;
      }
      if (isa<memref::LoadOp>(op) && isColumnAccess(cl, op)) {
        mark(op->getResult(0));
        return;
      }
      if (op->getNumRegions() == 0 && llvm::any_of(op->getOperands(), varies))
        for (Value result : op->getResults())
          mark(result);
    });
  }
}

/// Whether `op`, in the loop's body, is one the vector version can take
/// (see the pass description).
bool isVectorizable(const ColumnLoop &cl, Operation *op, int64_t bytes) {
  auto varies = [&](Value v) { return cl.varying.contains(v); };
  auto isColumn = [&](Value v) { return cl.columns.contains(v); };
  if (isColumnAccess(cl, op)) {
    auto [memref, indices] = accessOf(op);
    auto type = cast<MemRefType>(memref.getType());
    int64_t elementBytes = packedElementBytes(type);
    // Not a thread's own array: registers (hmoe-thread-arrays-to-
    // registers), which vector accesses and alignment tests keep in memory.
    return elementBytes > 0 && elementBytes * cl.width <= bytes &&
           !isThreadArray(memref) && type.isLastDimUnitStride() &&
           scf::ForOp(cl.loop).isDefinedOutsideOfLoop(memref) &&
           llvm::none_of(indices.drop_back(),
                         [&](Value v) { return varies(v) || isColumn(v); });
  }
  // A column index only as such an access's last index, or in c + x.
  if (auto add = dyn_cast<arith::AddIOp>(op); add && isColumn(add.getResult()))
    return true;
  if (llvm::any_of(op->getOperands(), isColumn))
    return false;
  if (isa<memref::StoreOp>(op))
    return false;
  bool anyVarying = llvm::any_of(op->getOperands(), varies);
  if (auto forOp = dyn_cast<scf::ForOp>(op))
    return !forOp.getUnsignedCmp() && !varies(forOp.getLowerBound()) &&
           !varies(forOp.getUpperBound()) && !varies(forOp.getStep());
  if (auto ifOp = dyn_cast<scf::IfOp>(op))
    return !varies(ifOp.getCondition());
  if (isa<scf::YieldOp>(op))
    return true;
  if (op->getNumRegions() != 0) {
    // Anything else with regions: only where nothing in it varies.
    WalkResult walk = op->walk([&](Operation *nested) {
      if (llvm::any_of(nested->getOperands(),
                       [&](Value v) { return varies(v) || isColumn(v); }) ||
          isa<memref::StoreOp>(nested))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    return !walk.wasInterrupted() && isMemoryEffectFree(op);
  }
  if (!anyVarying)
    return isa<memref::LoadOp>(op) || isMemoryEffectFree(op);
  // Element-wise on scalars: the same op on vectors of them.
  auto scalar = [](Type t) { return t.isIntOrFloat(); };
  return isa<arith::ArithDialect>(op->getDialect()) && isMemoryEffectFree(op) &&
         llvm::all_of(op->getOperandTypes(), scalar) &&
         llvm::all_of(op->getResultTypes(), scalar);
}

/// A loop of the shape the pass takes: 2 to 64 steps of 1, a power of two
/// of them (V elements are then a vector access's alignment), a signed
/// index induction variable, no results.
bool hasColumnLoopShape(scf::ForOp loop) {
  std::optional<APInt> trips = loop.getStaticTripCount();
  return trips && trips->getSExtValue() >= 2 && trips->getSExtValue() <= 64 &&
         llvm::isPowerOf2_64(trips->getZExtValue()) &&
         getConstantIntValue(loop.getStep()) == 1 &&
         loop.getNumResults() == 0 &&
         loop.getInductionVar().getType().isIndex() && !loop.getUnsignedCmp();
}

/// `loop` as a ColumnLoop, if the pass takes it.
std::optional<ColumnLoop> analyse(scf::ForOp loop, int64_t bytes) {
  if (!hasColumnLoopShape(loop))
    return std::nullopt;
  ColumnLoop cl;
  cl.loop = loop;
  cl.width = loop.getStaticTripCount()->getSExtValue();
  Value iv = loop.getInductionVar();
  cl.columns[iv] = Value();
  for (Operation *user : iv.getUsers())
    if (auto add = dyn_cast<arith::AddIOp>(user)) {
      Value x = add.getLhs() == iv ? add.getRhs() : add.getLhs();
      if (x != iv && loop.isDefinedOutsideOfLoop(x))
        cl.columns[add.getResult()] = x;
    }
  propagateVarying(cl);
  // Stores: at a column, to buffers no load of the body may read.
  SmallVector<Value> stored, loaded;
  WalkResult walk = loop.getBody()->walk([&](Operation *op) {
    if (!isVectorizable(cl, op, bytes))
      return WalkResult::interrupt();
    // Stores in the loop's own body: each step's once, at its column (in a
    // nested loop, their order across steps could matter).
    if (auto store = dyn_cast<memref::StoreOp>(op)) {
      if (op->getBlock() != loop.getBody())
        return WalkResult::interrupt();
      stored.push_back(store.getMemRef());
    }
    if (auto load = dyn_cast<memref::LoadOp>(op))
      loaded.push_back(load.getMemRef());
    if (isColumnAccess(cl, op))
      cl.accesses.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted() || stored.empty())
    return std::nullopt;
  for (auto [i, s] : llvm::enumerate(stored)) {
    for (Value l : loaded)
      if (!disjointBuffers(s, l))
        return std::nullopt;
    // Two stores of a step may write one buffer: their order across steps
    // would change.
    for (Value other : ArrayRef(stored).drop_front(i + 1))
      if (!disjointBuffers(s, other))
        return std::nullopt;
  }
  return cl;
}

/// Builds the vector version of a ColumnLoop's body: each varying value a
/// vector of its V values, the rest as before with c = its first value.
struct Widener {
  const ColumnLoop &cl;
  OpBuilder &b;
  IRMapping map;

  VectorType vectorOf(Type t) const { return VectorType::get({cl.width}, t); }

  /// `v` mapped, as a vector where `type` is one (broadcast from a value
  /// that is the same in every step).
  Value mapped(Value v, Type type) {
    Value m = map.lookupOrDefault(v);
    if (m.getType() == type)
      return m;
    return vector::BroadcastOp::create(b, v.getLoc(), type, m);
  }
  Type widenedType(Value v) const {
    return cl.varying.contains(v) ? Type(vectorOf(v.getType())) : v.getType();
  }

  void widenBlock(Block &block) {
    for (Operation &op : block.without_terminator())
      widen(op);
  }
  SmallVector<Value> yielded(Block &block, TypeRange types) {
    return llvm::map_to_vector(
        llvm::zip(block.getTerminator()->getOperands(), types), [&](auto pair) {
          return mapped(std::get<0>(pair), std::get<1>(pair));
        });
  }

  void widen(Operation &op) {
    Location loc = op.getLoc();
    if (isColumnAccess(cl, &op)) {
      auto alignment = [&](Value memref) {
        return llvm::MaybeAlign(
            cl.width * packedElementBytes(cast<MemRefType>(memref.getType())));
      };
      if (auto load = dyn_cast<memref::LoadOp>(op)) {
        SmallVector<Value> indices = llvm::map_to_vector(
            load.getIndices(), [&](Value v) { return map.lookupOrDefault(v); });
        Value vector = vector::LoadOp::create(
            b, loc, vectorOf(load.getType()),
            map.lookupOrDefault(load.getMemRef()), indices,
            load.getNontemporal(), alignment(load.getMemRef()));
        map.map(load.getResult(), vector);
        return;
      }
      auto store = cast<memref::StoreOp>(op);
      SmallVector<Value> indices = llvm::map_to_vector(
          store.getIndices(), [&](Value v) { return map.lookupOrDefault(v); });
      vector::StoreOp::create(
          b, loc,
          mapped(store.getValueToStore(),
                 vectorOf(store.getValueToStore().getType())),
          map.lookupOrDefault(store.getMemRef()), indices,
          store.getNontemporal(), alignment(store.getMemRef()));
      return;
    }
    if (auto forOp = dyn_cast<scf::ForOp>(op)) {
      SmallVector<Type> types = llvm::map_to_vector(
          forOp.getRegionIterArgs(), [&](Value v) { return widenedType(v); });
      SmallVector<Value> inits = llvm::map_to_vector(
          llvm::zip(forOp.getInitArgs(), types), [&](auto pair) {
            return mapped(std::get<0>(pair), std::get<1>(pair));
          });
      auto widened = scf::ForOp::create(
          b, loc, map.lookupOrDefault(forOp.getLowerBound()),
          map.lookupOrDefault(forOp.getUpperBound()),
          map.lookupOrDefault(forOp.getStep()), inits,
          [&](OpBuilder &nested, Location, Value iv, ValueRange iters) {
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPoint(nested.getInsertionBlock(),
                                nested.getInsertionPoint());
            map.map(forOp.getInductionVar(), iv);
            map.map(forOp.getRegionIterArgs(), iters);
            widenBlock(*forOp.getBody());
            scf::YieldOp::create(b, loc, yielded(*forOp.getBody(), types));
          });
      widened->setDiscardableAttrs(forOp->getDiscardableAttrDictionary());
      map.map(forOp.getResults(), widened.getResults());
      return;
    }
    if (auto ifOp = dyn_cast<scf::IfOp>(op)) {
      SmallVector<Type> types = llvm::map_to_vector(
          ifOp.getResults(), [&](Value v) { return widenedType(v); });
      bool withElse = !ifOp.getElseRegion().empty();
      auto widened = scf::IfOp::create(
          b, loc, types, map.lookupOrDefault(ifOp.getCondition()), withElse);
      auto fill = [&](Block *from, Block *to) {
        OpBuilder::InsertionGuard guard(b);
        // An scf.if built without results has its yields already.
        if (!to->empty())
          to->getTerminator()->erase();
        b.setInsertionPointToEnd(to);
        widenBlock(*from);
        scf::YieldOp::create(b, loc, yielded(*from, types));
      };
      widened->setDiscardableAttrs(ifOp->getDiscardableAttrDictionary());
      fill(ifOp.thenBlock(), widened.thenBlock());
      if (withElse)
        fill(ifOp.elseBlock(), widened.elseBlock());
      map.map(ifOp.getResults(), widened.getResults());
      return;
    }
    bool anyVarying = llvm::any_of(
        op.getOperands(), [&](Value v) { return cl.varying.contains(v); });
    if (!anyVarying) {
      b.clone(op, map);
      return;
    }
    // An element-wise arith op: the same op on vectors.
    OperationState state(loc, op.getName());
    state.addAttributes(op.getAttrs());
    for (Value operand : op.getOperands())
      state.addOperands(mapped(operand, vectorOf(operand.getType())));
    for (Type type : op.getResultTypes())
      state.addTypes(vectorOf(type));
    Operation *widened = b.create(state);
    map.map(op.getResults(), widened->getResults());
  }
};

/// Where every column access's buffer and x are aligned to V elements,
/// `cl`'s body once on vectors; else the loop as it was.
void vectorize(const ColumnLoop &cl) {
  scf::ForOp loop = cl.loop;
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  Emitter e{b};
  Value misaligned = e.idx(0);
  llvm::SmallDenseMap<Value, std::optional<ElementAddresses>> addresses;
  for (Operation *access : cl.accesses) {
    auto [memref, indices] = accessOf(access);
    Value column = indices.back();
    std::optional<ElementAddresses> &at = addresses[memref];
    int64_t elementBytes =
        packedElementBytes(cast<MemRefType>(memref.getType()));
    Value mask = e.idx(cl.width * elementBytes - 1);
    auto check = [&](Value bytes) {
      misaligned = e.ori(misaligned, e.andi(bytes, mask));
    };
    if (!at) {
      at.emplace(e, memref);
      check(e.addi(at->base, e.muli(at->offset, e.idx(elementBytes))));
      for (Value stride : at->strides.drop_back())
        check(e.muli(stride, e.idx(elementBytes)));
    }
    Value first = loop.getLowerBound();
    if (Value x = cl.columns.lookup(column))
      first = e.addi(first, x);
    check(e.muli(first, e.idx(elementBytes)));
  }
  auto aligned = scf::IfOp::create(
      b, e.cmpi(arith::CmpIPredicate::eq, misaligned, e.idx(0)),
      /*withElseRegion=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(aligned.thenBlock());
    Widener widener{cl, b, {}};
    widener.map.map(loop.getInductionVar(), loop.getLowerBound());
    widener.widenBlock(*loop.getBody());
  }
  loop->moveBefore(aligned.elseBlock()->getTerminator());
}

struct HMoEVectorizeColumnLoopsPass
    : public hmoe::impl::HMoEVectorizeColumnLoopsBase<
          HMoEVectorizeColumnLoopsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(checkVectorBytes(getOperation(), "hmoe-vectorize-column-loops",
                                bytes)))
      return signalPassFailure();
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      // Candidates: a short static loop storing along its induction
      // variable (the group's loop; its offsets then hoisted before it).
      if (hasColumnLoopShape(loop))
        loops.push_back(loop);
    });
    for (scf::ForOp loop : loops) {
      bool storesAlongIV = false;
      loop.getBody()->walk([&](memref::StoreOp store) {
        storesAlongIV |=
            !store.getIndices().empty() &&
            !loop.isDefinedOutsideOfLoop(store.getIndices().back());
      });
      if (!storesAlongIV)
        continue;
      moveLoopInvariantCode(cast<LoopLikeOpInterface>(loop.getOperation()));
      if (std::optional<ColumnLoop> cl = analyse(loop, bytes))
        vectorize(*cl);
    }
  }
};
} // namespace
