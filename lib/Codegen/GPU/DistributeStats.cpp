//===- DistributeStats.cpp - the hmoe-distribute-stats pass ---------------===//
//
// hmoe.stats on the device: per-expert sums over chunks of tokens (a
// block a chunk, a thread an expert), per-token terms with a thread per
// token, and one block that reduces those (a fixed order: the same result
// every run) and writes the statistics. The formulas are the scalar
// lowering's (RoutingLoops.h).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "GPULoops.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEDISTRIBUTESTATS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
void distributeStats(ImplicitLocOpBuilder &b, StatsOp op, int64_t chunkTokens,
                     int64_t blockThreads) {
  Emitter e{b};
  GPULoops gpu{b};
  int64_t numExperts = cast<MemRefType>(op.getProbs().getType()).getDimSize(1);
  Value numTokens = memref::DimOp::create(b, op.getProbs(), 0);
  auto alloc = [&](ArrayRef<int64_t> shape, Type elem, ValueRange dynamic) {
    // Freed by the buffer deallocation pipeline, which runs after this pass.
    return memref::AllocOp::create(b, MemRefType::get(shape, elem), dynamic);
  };

  // Per (chunk of tokens, expert): its load and importance, a block a
  // chunk, its threads sharing the experts.
  Value chunk = e.idx(chunkTokens);
  Value numChunks = arith::CeilDivUIOp::create(b, numTokens, chunk);
  Value chunkLoad =
      alloc({ShapedType::kDynamic, numExperts}, b.getI64Type(), {numChunks});
  Value chunkImportance =
      alloc({ShapedType::kDynamic, numExperts}, b.getF64Type(), {numChunks});
  gpu.blocks(OpFoldResult(numChunks), [&](Value c) {
    gpu.strided(numExperts, blockThreads, [&](Value ex) {
      Value first = e.muli(c, chunk);
      Value end = arith::MinUIOp::create(b, e.addi(first, chunk), numTokens);
      auto [n, p] = emitExpertLoadAndImportance(b, op, ex, first, end);
      e.store(n, chunkLoad, {c, ex});
      e.store(p, chunkImportance, {c, ex});
    });
  });

  // Per token: the terms of the per-token statistics, one thread each.
  SmallVector<StatKind> terms;
  for (Attribute attr : op.getStats()) {
    StatKind kind = cast<StatKindAttr>(attr).getValue();
    if (isPerTokenStat(kind) && !llvm::is_contained(terms, kind))
      terms.push_back(kind);
  }
  int64_t numTerms = static_cast<int64_t>(terms.size());
  Value perToken, partial;
  if (!terms.empty()) {
    perToken =
        alloc({numTerms, ShapedType::kDynamic}, b.getF64Type(), {numTokens});
    partial = alloc({numTerms, blockThreads}, b.getF64Type(), {});
    gpu.overRange(numTokens, blockThreads, [&](Value t) {
      for (auto [i, kind] : llvm::enumerate(terms))
        e.store(emitStatTokenTerm(b, op, kind, t), perToken,
                {e.idx(static_cast<int64_t>(i)), t});
    });
  }

  // One block: each thread sums an expert's chunks (in chunk order) and a
  // stride of the tokens' terms, then one thread the threads' sums, and
  // writes every statistic.
  Value load = alloc({numExperts}, b.getI64Type(), {});
  Value importance = alloc({numExperts}, b.getF64Type(), {});
  gpu.blocks(b.getIndexAttr(1), [&](Value) {
    gpu.threads(blockThreads, [&](Value tid) {
      gpu.stridedFrom(tid, e.idx(numExperts), blockThreads, [&](Value ex) {
        ValueRange sums =
            e.loop(e.idx(0), numChunks, {e.i64(0), e.f64(0.0)},
                   [&](Value c, ValueRange acc) -> SmallVector<Value> {
                     return {e.addi(acc[0], e.load(chunkLoad, {c, ex})),
                             e.addf(acc[1], e.load(chunkImportance, {c, ex}))};
                   });
        e.store(sums[0], load, ex);
        e.store(sums[1], importance, ex);
      });
      if (!terms.empty()) {
        for (int64_t i = 0; i < numTerms; ++i) {
          Value sum =
              e.loop(tid, numTokens, e.idx(blockThreads), {e.f64(0.0)},
                     [&](Value t, ValueRange acc) -> SmallVector<Value> {
                       return {e.addf(acc[0], e.load(perToken, {e.idx(i), t}))};
                     })[0];
          e.store(sum, partial, {e.idx(i), tid});
        }
      }
    });
    gpu.threads(1, [&](Value) {
      emitStatsFromSums(b, op, load, importance, [&](StatKind kind) {
        Value i = e.idx(llvm::find(terms, kind) - terms.begin());
        return e.loop(e.idx(0), e.idx(blockThreads), {e.f64(0.0)},
                      [&](Value tid, ValueRange acc) -> SmallVector<Value> {
                        return {e.addf(acc[0], e.load(partial, {i, tid}))};
                      })[0];
      });
    });
  });
}

struct HMoEDistributeStatsPass
    : public hmoe::impl::HMoEDistributeStatsBase<HMoEDistributeStatsPass> {
  using Base::Base;
  void runOnOperation() override {
    FunctionOpInterface func = getOperation();
    if (chunkTokens < 1 || blockThreads < 1 || blockThreads > 1024) {
      func.emitError() << "hmoe-distribute-stats: expected chunk-tokens >= 1 "
                          "and 1 <= block-threads <= 1024";
      return signalPassFailure();
    }
    FailureOr<SmallVector<StatsOp>> ops = opsToDistribute<StatsOp>(func);
    if (failed(ops))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (StatsOp op : *ops) {
      ImplicitLocOpBuilder b(op.getLoc(), rewriter);
      b.setInsertionPoint(op);
      distributeStats(b, op, chunkTokens, blockThreads);
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
