//===- DistributeStats.cpp - the hmoe-distribute-stats pass ---------------===//
//
// hmoe.stats on the device: per-expert sums with a thread per expert,
// per-token terms with a thread per token, and one block that reduces
// those (a fixed order: the same result every run) and writes the
// statistics. The formulas are the scalar lowering's (RoutingLoops.h).
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
void distributeStats(ImplicitLocOpBuilder &b, StatsOp op,
                     int64_t blockThreads) {
  Emitter e{b};
  GPULoops gpu{b};
  int64_t numExperts = cast<MemRefType>(op.getProbs().getType()).getDimSize(1);
  Value numTokens = memref::DimOp::create(b, op.getProbs(), 0);
  auto alloc = [&](ArrayRef<int64_t> shape, Type elem, ValueRange dynamic) {
    // Freed by the buffer deallocation pipeline, which runs after this pass.
    return memref::AllocOp::create(b, MemRefType::get(shape, elem), dynamic);
  };

  // Per expert: its load and importance, one thread each.
  Value load = alloc({numExperts}, b.getI64Type(), {});
  Value importance = alloc({numExperts}, b.getF64Type(), {});
  gpu.overRange(e.idx(numExperts), std::min(numExperts, blockThreads),
                [&](Value ex) {
                  emitExpertLoadAndImportance(b, op, ex, load, importance);
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

  // One block: each thread sums a stride of the tokens, then one thread
  // the threads' sums, and writes every statistic.
  gpu.blocks(b.getIndexAttr(1), [&](Value) {
    if (!terms.empty())
      gpu.threads(blockThreads, [&](Value tid) {
        for (int64_t i = 0; i < numTerms; ++i) {
          Value sum =
              e.loop(tid, numTokens, e.idx(blockThreads), {e.f64(0.0)},
                     [&](Value t, ValueRange acc) -> SmallVector<Value> {
                       return {e.addf(acc[0], e.load(perToken, {e.idx(i), t}))};
                     })[0];
          e.store(sum, partial, {e.idx(i), tid});
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
    if (blockThreads < 1 || blockThreads > 1024) {
      func.emitError()
          << "hmoe-distribute-stats: expected 1 <= block-threads <= 1024";
      return signalPassFailure();
    }
    FailureOr<SmallVector<StatsOp>> ops = opsToDistribute<StatsOp>(func);
    if (failed(ops))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (StatsOp op : *ops) {
      ImplicitLocOpBuilder b(op.getLoc(), rewriter);
      b.setInsertionPoint(op);
      distributeStats(b, op, blockThreads);
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
