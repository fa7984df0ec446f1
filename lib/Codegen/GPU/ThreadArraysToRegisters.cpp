//===- ThreadArraysToRegisters.cpp - hmoe-thread-arrays-to-registers ------===//
//
// A thread's small arrays, made promotable to registers by LLVM's SROA: it
// considers the allocas of a function's entry block only, and an array
// indexed by a loop counter lives in local memory. So the arrays are hoisted
// there and the loops indexing them annotated to be unrolled fully.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOETHREADARRAYSTOREGISTERS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// Whether `buffer` is a thread's own array of static shape and at most
/// `maxElements` elements.
bool isSmallThreadArray(Value buffer, int64_t maxElements) {
  auto type = cast<MemRefType>(buffer.getType());
  return hmoe::isThreadArray(buffer) && type.hasStaticShape() &&
         type.getNumElements() <= maxElements;
}

/// Adds to `loops` every scf.for whose induction variable `index` is
/// computed from, through pure ops of the kernel.
void addLoopsIndexing(Value index, SetVector<scf::ForOp> &loops) {
  SmallVector<Value> work = {index};
  DenseSet<Value> seen;
  while (!work.empty()) {
    Value v = work.pop_back_val();
    if (!seen.insert(v).second)
      continue;
    if (auto loop = scf::getForInductionVarOwner(v)) {
      loops.insert(loop);
      continue;
    }
    Operation *def = v.getDefiningOp();
    if (!def || !isPure(def))
      continue;
    llvm::append_range(work, def->getOperands());
  }
}

/// Copies of loop bodies that one copy of `block` holds once the loops in
/// `unrolled` are unrolled fully: 1 for its own ops, plus those of the
/// loops it holds (trip count times their own for unrolled ones). The
/// count saturates: nests of huge loops only need to be over any limit.
std::optional<uint64_t> copiesIn(Block &block,
                                 const DenseSet<Operation *> &unrolled) {
  uint64_t copies = 1;
  bool known = true;
  block.walk<WalkOrder::PreOrder>([&](scf::ForOp inner) {
    std::optional<uint64_t> body = copiesIn(*inner.getBody(), unrolled);
    std::optional<APInt> trips = inner.getStaticTripCount();
    if (!body || (unrolled.contains(inner) && !trips)) {
      known = false;
      return WalkResult::interrupt();
    }
    uint64_t times =
        unrolled.contains(inner) ? trips->getLimitedValue() : uint64_t(1);
    copies = llvm::SaturatingMultiplyAdd(times, *body, copies);
    return WalkResult::skip();
  });
  if (!known)
    return std::nullopt;
  return copies;
}

/// Copies of loop bodies that unrolling `loop` fully makes (with the loops
/// in `unrolled` inside it); none if unknown.
std::optional<uint64_t> unrolledCopies(scf::ForOp loop,
                                       const DenseSet<Operation *> &unrolled) {
  std::optional<APInt> trips = loop.getStaticTripCount();
  if (!trips)
    return std::nullopt;
  std::optional<uint64_t> body = copiesIn(*loop.getBody(), unrolled);
  if (!body)
    return std::nullopt;
  return llvm::SaturatingMultiply(trips->getLimitedValue(), *body);
}

/// Whether every use of `alloca` reads or writes its elements (or takes its
/// address as an integer, for alignment tests): nothing keeps the array
/// past the access, so two of its allocations are never live at once.
bool onlyAccessed(memref::AllocaOp alloca) {
  return llvm::all_of(alloca->getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    if (isa<memref::ExtractAlignedPointerAsIndexOp>(user))
      return true;
    // The buffer accessed, not a value stored (into a memref of memrefs).
    auto access = hmoe::bufferAccess(user, /*vectors=*/true);
    return access && access->first == use.get();
  });
}

/// Moves the kernel's small arrays to its entry block: hmoe-lower-routing-
/// to-loops leaves a token's scratch in the routing thread's `scf.if` and
/// its loop over tokens, and SROA only sees the entry block's allocas. In a
/// loop, one allocated each iteration becomes one array for all: the same
/// thing where each iteration writes before it reads and no access keeps
/// the array (onlyAccessed).
void hoistArrays(gpu::GPUFuncOp func, int64_t maxElements) {
  Block &entry = func.getBody().front();
  SmallVector<memref::AllocaOp> arrays;
  func.walk([&](memref::AllocaOp alloca) {
    if (alloca->getBlock() != &entry &&
        isSmallThreadArray(alloca, maxElements) && onlyAccessed(alloca))
      arrays.push_back(alloca);
  });
  for (memref::AllocaOp alloca : arrays)
    alloca->moveBefore(&entry, entry.begin());
}

struct HMoEThreadArraysToRegistersPass
    : public hmoe::impl::HMoEThreadArraysToRegistersBase<
          HMoEThreadArraysToRegistersPass> {
  using Base::Base;
  void runOnOperation() override {
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>()) {
      hoistArrays(func, maxElements);
      // Loops indexing arrays that can be registers (small, only loaded
      // and stored), and loops indexing other thread arrays: those stay in
      // local memory, and unrolled loops over them (DeepSeek-V3's 256
      // experts) held hundreds of their loads in registers and spilled.
      SetVector<scf::ForOp> small, large;
      func.walk([&](Operation *op) {
        auto memrefAndIndices = hmoe::bufferAccess(op, /*vectors=*/true);
        if (!memrefAndIndices || !hmoe::isThreadArray(memrefAndIndices->first))
          return;
        // One whose memref is passed on cannot be promoted either way.
        auto alloca = memrefAndIndices->first.getDefiningOp<memref::AllocaOp>();
        bool isSmall =
            isSmallThreadArray(alloca, maxElements) && onlyAccessed(alloca);
        for (Value index : memrefAndIndices->second)
          addLoopsIndexing(index, isSmall ? small : large);
      });
      DenseSet<Operation *> unrolled;
      for (scf::ForOp loop : small)
        if (!large.contains(loop) &&
            !loop->hasAttr(hmoe::kLoopAnnotationAttrName) &&
            loop.getStaticTripCount())
          unrolled.insert(loop);
      // Inner loops first (post-order): a nest too large is dropped before
      // the loops around it count its copies.
      func.walk([&](scf::ForOp loop) {
        if (!unrolled.contains(loop))
          return;
        std::optional<uint64_t> copies = unrolledCopies(loop, unrolled);
        if (!copies || maxIterations < 0 ||
            *copies > static_cast<uint64_t>(maxIterations))
          unrolled.erase(loop);
      });
      func.walk([&](scf::ForOp loop) {
        if (unrolled.contains(loop))
          hmoe::unrollFully(loop);
      });
    }
  }
};
} // namespace
