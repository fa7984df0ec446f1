//===- VectorizeLoopLoads.cpp - hmoe-vectorize-loop-loads -----------------===//
//
// A GPU thread's GEMM K loop (after hmoe-promote-loop-accumulators) loads
// one element of each of its rows of A and B per step: on NVPTX a 4-byte
// ld.global each, a warp's lanes at a stride of K (32 cache lines per
// load, 4 bytes used of each). Here a loop whose body only loads and
// computes, reading rows along its induction variable, steps by `bytes` of
// its widest such element: each row's elements of a step are one aligned
// vector load (one ld.global.v4.b32 where there were four loads), and the
// body runs once per element of the step, in order, so every value is
// computed as before. A test before the loop that each row starts aligned
// picks this loop or the old one; the steps short of a whole vector at
// the end run the old body.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZELOOPLOADS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// One row the loop reads along its induction variable: `memref[at..., iv]`
/// with `at` the same in every iteration, and the body's loads of it.
struct Row {
  Value memref;
  SmallVector<Value> at;
  SmallVector<memref::LoadOp> loads;

  int64_t elementBytes() const {
    return cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  }
};

/// What a candidate loop reads: its rows, and the ops of its body that
/// give the same values in every iteration (a jam's row offsets; loads at
/// such indices and the ops on them: a gathered row's token index and its
/// cast). The body writes nothing, so these can be computed once where the
/// loop runs at least once.
struct LoopReads {
  SmallVector<Row> rows;
  SmallVector<Operation *> invariantOps;
};

/// Whether `loop` could step by whole vectors: an index loop of step 1
/// whose body is straight-line loads and arith ops (no memory effects, so
/// reading a step's elements first changes nothing; and cheap: a body of
/// f64 math calls run V times made ptxas spill, and gains little from
/// fewer loads), some load indexed by the induction variable last.
bool isCandidate(scf::ForOp loop) {
  // A loop without results reads and drops (dead); an unsigned one would
  // need its trip count and guards unsigned.
  if (!loop.getInductionVar().getType().isIndex() ||
      getConstantIntValue(loop.getStep()) != 1 || loop.getNumResults() == 0 ||
      loop.getUnsignedCmp())
    return false;
  bool alongIV = false;
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      // A thread's own array is for registers (hmoe-thread-arrays-to-
      // registers), which vector loads and alignment tests keep in memory.
      if (isThreadArray(load.getMemRef()))
        return false;
      alongIV |= !load.getIndices().empty() &&
                 load.getIndices().back() == loop.getInductionVar();
    } else if (!isa<arith::ArithDialect>(op.getDialect()) ||
               !isMemoryEffectFree(&op))
      return false;
  }
  return alongIV;
}

/// The rows and invariant ops of a candidate `loop`. A row load reads
/// `memref[at..., iv]`: `at` invariant, the last dimension of unit stride,
/// elements of 1, 2, 4, 8 or 16 bytes.
LoopReads readsOf(scf::ForOp loop) {
  LoopReads reads;
  llvm::SmallPtrSet<Value, 16> invariantValues;
  auto invariant = [&](Value v) {
    return loop.isDefinedOutsideOfLoop(v) || invariantValues.contains(v);
  };
  for (Operation &op : loop.getBody()->without_terminator()) {
    if (llvm::all_of(op.getOperands(), invariant)) {
      reads.invariantOps.push_back(&op);
      invariantValues.insert(op.result_begin(), op.result_end());
      continue;
    }
    auto load = dyn_cast<memref::LoadOp>(op);
    if (!load)
      continue;
    MemRefType type = load.getMemRefType();
    Type element = type.getElementType();
    ValueRange indices = load.getIndices();
    // Elements of a power-of-two number of bytes: their vectors are packed
    // as their memrefs are (not so i24's), and the widths and alignment
    // masks below are powers of two.
    unsigned bits =
        element.isIntOrFloat() ? element.getIntOrFloatBitWidth() : 0;
    if (type.getRank() < 1 || bits % 8 != 0 || !llvm::isPowerOf2_32(bits / 8) ||
        !type.isLastDimUnitStride() ||
        indices.back() != loop.getInductionVar() ||
        !invariant(load.getMemRef()) ||
        !llvm::all_of(indices.drop_back(), invariant))
      continue;
    ValueRange at = indices.drop_back();
    auto same = llvm::find_if(reads.rows, [&](const Row &row) {
      return row.memref == load.getMemRef() && ValueRange(row.at) == at;
    });
    if (same != reads.rows.end())
      same->loads.push_back(load);
    else
      reads.rows.push_back(Row{load.getMemRef(), llvm::to_vector(at), {load}});
  }
  return reads;
}

/// Rewrites `loop` to step by `width` elements where it runs at least that
/// many steps and every row starts aligned to `width` of its elements (see
/// the file comment).
void vectorize(scf::ForOp loop, const LoopReads &reads, int64_t width) {
  ImplicitLocOpBuilder b(loop.getLoc(), loop);
  Emitter e{b};
  Value lb = loop.getLowerBound(), ub = loop.getUpperBound();
  Value trips = arith::MaxSIOp::create(b, e.subi(ub, lb), e.idx(0));
  Value vectorUb = e.addi(lb, e.andi(trips, e.idx(-width)));
  Value wholeVector = e.cmpi(arith::CmpIPredicate::slt, lb, vectorUb);
  // The invariant ops, once (the loop would run them: it runs).
  auto hoist = [&](IRMapping &map) {
    for (Operation *op : reads.invariantOps)
      b.clone(*op, map);
  };
  auto rowAt = [&](const Row &row, const IRMapping &map, Value k) {
    SmallVector<Value> indices = llvm::map_to_vector(
        row.at, [&](Value v) { return map.lookupOrDefault(v); });
    indices.push_back(k);
    return indices;
  };

  // Every row's first element (at the lower bound) aligned to its vector.
  auto test = scf::IfOp::create(b, b.getI1Type(), wholeVector,
                                /*withElseRegion=*/true);
  b.setInsertionPointToStart(test.thenBlock());
  {
    IRMapping map;
    hoist(map);
    Value misaligned = e.idx(0);
    llvm::SmallDenseMap<Value, ElementAddresses> addresses;
    for (const Row &row : reads.rows) {
      Value memref = map.lookupOrDefault(row.memref);
      auto it = addresses.find(memref);
      if (it == addresses.end())
        it = addresses.try_emplace(memref, e, memref).first;
      Value address = it->second.of(e, rowAt(row, map, lb));
      misaligned = e.ori(
          misaligned, e.andi(address, e.idx(width * row.elementBytes() - 1)));
    }
    scf::YieldOp::create(
        b, e.cmpi(arith::CmpIPredicate::eq, misaligned, e.idx(0)));
  }
  b.setInsertionPointToStart(test.elseBlock());
  scf::YieldOp::create(b, e.i1(false));
  b.setInsertionPointAfter(test);

  auto branch = scf::IfOp::create(b, loop.getResultTypes(), test.getResult(0),
                                  /*withElseRegion=*/true);
  loop->replaceAllUsesWith(branch.getResults());
  b.setInsertionPointToStart(branch.thenBlock());
  IRMapping hoisted;
  hoist(hoisted);
  llvm::SmallPtrSet<Operation *, 16> replaced(reads.invariantOps.begin(),
                                              reads.invariantOps.end());
  for (const Row &row : reads.rows)
    replaced.insert(row.loads.begin(), row.loads.end());
  auto vectorLoop = scf::ForOp::create(
      b, lb, vectorUb, e.idx(width), loop.getInitArgs(),
      [&](OpBuilder &nested, Location loc, Value k, ValueRange iters) {
        ImplicitLocOpBuilder nb(loc, nested);
        Emitter ne{nb};
        SmallVector<Value> vectors;
        for (const Row &row : reads.rows) {
          auto type = VectorType::get(
              {width}, cast<MemRefType>(row.memref.getType()).getElementType());
          vectors.push_back(vector::LoadOp::create(
              nb, type, hoisted.lookupOrDefault(row.memref),
              rowAt(row, hoisted, k),
              llvm::all_of(row.loads,
                           [](memref::LoadOp l) { return l.getNontemporal(); }),
              llvm::MaybeAlign(width * row.elementBytes())));
        }
        SmallVector<Value> carried(iters);
        for (int64_t j = 0; j < width; ++j) {
          // Starts from the invariant ops' results, computed once above.
          IRMapping map = hoisted;
          map.map(loop.getInductionVar(), j == 0 ? k : ne.addi(k, ne.idx(j)));
          map.map(loop.getRegionIterArgs(), carried);
          for (auto [row, vector] : llvm::zip(reads.rows, vectors))
            for (memref::LoadOp load : row.loads)
              map.map(load.getResult(),
                      vector::ExtractOp::create(nb, vector, j).getResult());
          for (Operation &op : loop.getBody()->without_terminator())
            if (!replaced.contains(&op))
              nb.clone(op, map);
          carried = llvm::map_to_vector(
              loop.getBody()->getTerminator()->getOperands(),
              [&](Value v) { return map.lookupOrDefault(v); });
        }
        scf::YieldOp::create(nb, carried);
      });
  // The last steps, short of a vector: the old body.
  auto rest = cast<scf::ForOp>(b.clone(*loop));
  rest.getLowerBoundMutable().assign(vectorUb);
  rest.getInitArgsMutable().assign(vectorLoop.getResults());
  scf::YieldOp::create(b, rest.getResults());

  b.setInsertionPointToStart(branch.elseBlock());
  loop->moveBefore(branch.elseBlock(), branch.elseBlock()->end());
  scf::YieldOp::create(b, loop.getResults());
}

struct HMoEVectorizeLoopLoadsPass
    : public hmoe::impl::HMoEVectorizeLoopLoadsBase<
          HMoEVectorizeLoopLoadsPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(checkVectorBytes(getOperation(), "hmoe-vectorize-loop-loads",
                                bytes)))
      return signalPassFailure();
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops) {
      if (!isCandidate(loop))
        continue;
      LoopReads reads = readsOf(loop);
      if (reads.rows.empty())
        continue;
      int64_t widest = 0;
      for (const Row &row : reads.rows)
        widest = std::max(widest, row.elementBytes());
      int64_t width = bytes / widest;
      std::optional<APInt> trips = loop.getStaticTripCount();
      if (width < 2 || (trips && trips->getSExtValue() < width))
        continue;
      vectorize(loop, reads, width);
    }
  }
};
} // namespace
