//===- DistributeDispatch.cpp - the hmoe-distribute-dispatch pass ---------===//
//
// hmoe.dispatch on the device, with no host synchronisation: its stable
// counting sort split into launches over chunks of assignments (as vLLM's
// moe_align_block_size splits it): per (chunk, expert) counts, a scan over
// the chunks per expert and the experts' offsets, then every assignment
// placed. Each of those launches is an scf.forall over GPU blocks whose
// threads take the experts; hmoe-map-forall-to-gpu maps them like every
// other stage. Capacity in choice_rank or score fill order first decides
// which are kept (a flag per assignment; score order with a launch of its
// own, a thread per assignment), then places the kept ones the same way.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "GPULoops.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEDISTRIBUTEDISPATCH
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
using arith::CmpIPredicate;

/// The order in which a ranking pass visits the assignments: token order
/// (t, j) or choice-rank order (j, t).
enum class VisitOrder { Token, ChoiceRank };

/// Emits the launches of one dispatch on buffers.
struct DispatchDistributor {
  Emitter &e;
  DispatchOp op;
  int64_t k, numExperts, chunkTokens, blockThreads;
  Value numTokens, numAssignments, chunk, numChunks;
  /// [chunks, E] i32: per-chunk counts, then their exclusive scan. (The
  /// scratch is freed by the buffer deallocation pipeline, which runs
  /// after this pass and refuses IR that frees buffers already.)
  Value counts;
  GPULoops gpu{e.b};

  /// The sizes, emitted at `e`'s insertion point.
  DispatchDistributor(Emitter &e, DispatchOp op, int64_t chunkTokens,
                      int64_t blockThreads)
      : e(e), op(op),
        k(cast<MemRefType>(op.getExperts().getType()).getDimSize(1)),
        numExperts(op.getNumExperts()), chunkTokens(chunkTokens),
        blockThreads(blockThreads) {
    ImplicitLocOpBuilder &b = e.b;
    numTokens = memref::DimOp::create(b, op.getExperts(), 0);
    numAssignments = e.muli(numTokens, e.idx(k));
    chunk = e.idx(chunkTokens * k);
    numChunks = arith::CeilDivUIOp::create(b, numAssignments, chunk);
    counts = memref::AllocOp::create(
        b, MemRefType::get({ShapedType::kDynamic, numExperts}, b.getI32Type()),
        ValueRange{numChunks});
  }

  /// An i32 count as i64 (the capacity's type).
  Value wide(Value count) {
    return arith::ExtSIOp::create(e.b, e.b.getI64Type(), count);
  }
  /// In a block: thread i takes experts i, i + threads, ...
  void forEachExpert(function_ref<void(Value)> body) {
    gpu.strided(numExperts, blockThreads, body);
  }

  /// (t, j) of the q-th assignment in `order`.
  std::pair<Value, Value> assignmentAt(VisitOrder order, Value q) {
    if (order == VisitOrder::Token)
      return {e.divui(q, e.idx(k)), e.remui(q, e.idx(k))};
    return {e.remui(q, numTokens), e.divui(q, numTokens)};
  }

  /// The assignments of chunk `c`: [c * chunk, min((c + 1) * chunk, T * K)).
  std::pair<Value, Value> chunkRange(Value c) {
    Value lo = e.muli(c, chunk);
    return {lo, arith::MinUIOp::create(e.b, e.addi(lo, chunk), numAssignments)};
  }

  /// Whether assignment (t, j) goes to expert `ex` (i32) and passes `keep`.
  Value matches(Value t, Value j, Value ex,
                function_ref<Value(Value, Value)> keep) {
    Value match =
        e.cmpi(CmpIPredicate::eq, e.load(op.getExperts(), {t, j}), ex);
    return keep ? e.andi(match, keep(t, j)) : match;
  }

  /// One stable ranking of the assignments in `order`: each (t, j) that
  /// passes `keep` gets its rank r among its expert's, visited in order;
  /// `offsets` ([E + 1] i32) gets the exclusive scan of min(count,
  /// capacity) over the experts; `place(t, j, expert, r)` runs for each
  /// ranked assignment. `perChunk(c)`, if given, runs in the counting
  /// launch too, in a thread loop of its own.
  void rank(VisitOrder order, Value capacity, Value offsets,
            function_ref<Value(Value, Value)> keep,
            function_ref<void(Value, Value, Value, Value)> place,
            function_ref<void(Value)> perChunk = nullptr) {
    Type i32 = e.b.getI32Type();
    auto countIn = [&](Value c, Value ex, Value init,
                       function_ref<void(Value, Value, Value)> onMatch) {
      Value lo, hi;
      std::tie(lo, hi) = chunkRange(c);
      Value exI32 = e.toI32(ex);
      return e.loop(
          lo, hi, {init}, [&](Value q, ValueRange acc) -> SmallVector<Value> {
            Value t, j;
            std::tie(t, j) = assignmentAt(order, q);
            Value match = matches(t, j, exI32, keep);
            if (onMatch)
              e.ifThen(match, [&] { onMatch(t, j, acc[0]); });
            return {e.addi(acc[0], arith::ExtUIOp::create(e.b, i32, match))};
          })[0];
    };
    // Per (chunk, expert) counts.
    gpu.blocks(numChunks, [&](Value c) {
      if (perChunk)
        perChunk(c);
      forEachExpert([&](Value ex) {
        e.store(countIn(c, ex, e.i32(0), nullptr), counts, {c, ex});
      });
    });
    // The scan over chunks, expert by expert; the experts' offsets.
    gpu.blocks(e.b.getIndexAttr(1), [&](Value) {
      forEachExpert([&](Value ex) {
        Value total =
            e.loop(e.idx(0), numChunks, {e.i32(0)},
                   [&](Value c, ValueRange acc) -> SmallVector<Value> {
                     Value n = e.load(counts, {c, ex});
                     e.store(acc[0], counts, {c, ex});
                     return {e.addi(acc[0], n)};
                   })[0];
        Value kept = arith::MinSIOp::create(e.b, wide(total), capacity);
        e.store(arith::TruncIOp::create(e.b, i32, kept), offsets,
                e.addi(ex, e.idx(1)));
      });
      gpu.threads(1, [&](Value) {
        e.store(e.i32(0), offsets, e.idx(0));
        e.loop(1, numExperts + 1, [&](Value i) {
          Value prev = e.load(offsets, e.subi(i, e.idx(1)));
          e.store(e.addi(prev, e.load(offsets, i)), offsets, i);
        });
      });
    });
    // Each assignment's rank: its chunk's start for its expert plus those
    // before it in the chunk.
    gpu.blocks(numChunks, [&](Value c) {
      forEachExpert([&](Value ex) {
        countIn(c, ex, e.load(counts, {c, ex}),
                [&](Value t, Value j, Value r) { place(t, j, ex, r); });
      });
    });
  }

  void emit() {
    ImplicitLocOpBuilder &b = e.b;
    Value slotToken = op.getSlotTokenInit();
    Value slotOf = op.getSlotOfInit();
    Value offsets = op.getOffsetsInit();
    Value capacity = emitDispatchCapacity(b, op, numAssignments);

    // Every assignment dropped (-1), every slot token 0, until placed: in
    // the first counting launch, each block its chunk's share (one launch
    // fewer; counting reads neither).
    auto initialise = [&](Value c) {
      gpu.threads(blockThreads, [&](Value i) {
        Value lo, hi;
        std::tie(lo, hi) = chunkRange(c);
        gpu.stridedFrom(e.addi(lo, i), hi, blockThreads, [&](Value p) {
          e.store(e.i32(0), slotToken, p);
          e.store(e.i32(-1), slotOf,
                  {e.divui(p, e.idx(k)), e.remui(p, e.idx(k))});
        });
      });
    };

    // The kept ones get their slots, in token order within an expert.
    auto placeInSlot = [&](Value cap) {
      return [&, cap](Value t, Value j, Value ex, Value r) {
        e.ifThen(e.cmpi(CmpIPredicate::slt, wide(r), cap), [&] {
          Value slot = e.addi(e.load(offsets, ex), r);
          e.store(slot, slotOf, {t, j});
          e.store(e.toI32(t), slotToken, e.toIndex(slot));
        });
      };
    };
    std::optional<FillOrder> fillOrder;
    if (op.getCapacityFactor())
      fillOrder = op.getFillOrder();
    if (!fillOrder || *fillOrder == FillOrder::TokenOrder) {
      rank(VisitOrder::Token, capacity, offsets, nullptr, placeInSlot(capacity),
           initialise);
      return;
    }
    // Which are kept is decided first, into a flag per assignment; the kept
    // ones are then placed in token order, as if dropless.
    Value keep = memref::AllocOp::create(
        b, MemRefType::get({ShapedType::kDynamic}, b.getI8Type()),
        ValueRange{numAssignments});
    if (*fillOrder == FillOrder::ChoiceRank) {
      rank(
          VisitOrder::ChoiceRank, capacity, offsets, nullptr,
          [&](Value t, Value j, Value, Value r) {
            Value kept = e.cmpi(CmpIPredicate::slt, wide(r), capacity);
            e.store(arith::ExtUIOp::create(b, b.getI8Type(), kept), keep,
                    flat(t, j));
          },
          initialise);
    } else {
      keepByScore(capacity, keep, initialise);
    }
    Value dropless = e.toI64(numAssignments);
    rank(
        VisitOrder::Token, dropless, offsets,
        [&](Value t, Value j) {
          return arith::TruncIOp::create(b, b.getI1Type(),
                                         e.load(keep, flat(t, j)));
        },
        placeInSlot(dropless));
  }

  /// Assignment (t, j)'s index in token order.
  Value flat(Value t, Value j) { return e.addi(e.muli(t, e.idx(k)), j); }

  /// The score fill order's flags: each expert keeps the `capacity` of its
  /// assignments with the largest weights (equal weights in token order).
  /// The assignments are sorted by expert (dropless, token order within an
  /// expert) with their keys; then each counts those of its expert that go
  /// before it (a larger key, or an equal one earlier) and is kept while
  /// that count is under the capacity. `T * K` threads, each reading its
  /// expert's keys in the same order as its neighbours (a warp's threads
  /// mostly share an expert); an expert within its capacity keeps them all
  /// without counting, and a count stops, a chunk at a time, once it
  /// reaches the capacity. (The CPU's loops do a radix select per expert
  /// instead: one thread's work there.)
  void keepByScore(Value capacity, Value keep,
                   function_ref<void(Value)> perChunk) {
    ImplicitLocOpBuilder &b = e.b;
    Type i32 = b.getI32Type();
    auto buffer = [&](Value n) -> Value {
      return memref::AllocOp::create(
          b, MemRefType::get({ShapedType::kDynamic}, i32), ValueRange{n});
    };
    Value start = memref::AllocOp::create(
        b, MemRefType::get({numExperts + 1}, i32), ValueRange{});
    Value members = buffer(numAssignments); // assignment at each position
    Value keys = buffer(numAssignments);    // its key
    rank(
        VisitOrder::Token, e.toI64(numAssignments), start, nullptr,
        [&](Value t, Value j, Value ex, Value r) {
          Value at = e.toIndex(e.addi(e.load(start, ex), r));
          e.store(e.toI32(flat(t, j)), members, at);
          e.store(emitFillScoreKey(b, e.load(op.getWeights(), {t, j})), keys,
                  at);
        },
        perChunk);

    constexpr int64_t kCountChunk = 64;
    gpu.overRange(numAssignments, blockThreads, [&](Value p) {
      Value placed = e.toIndex(e.load(start, e.idx(numExperts)));
      e.ifThen(e.cmpi(CmpIPredicate::ult, p, placed), [&] {
        Value q = e.toIndex(e.load(members, p));
        Value ex = e.toIndex(e.load(
            op.getExperts(), {e.divui(q, e.idx(k)), e.remui(q, e.idx(k))}));
        Value lo = e.load(start, ex);
        Value hi = e.load(start, e.addi(ex, e.idx(1)));
        Value fits = e.cmpi(CmpIPredicate::sle, wide(e.subi(hi, lo)), capacity);
        Value key = e.load(keys, p);
        Value first = e.toIndex(lo);
        Value last = e.toIndex(e.select(fits, lo, hi));
        auto under = [&](Value count) {
          return e.cmpi(CmpIPredicate::slt, wide(count), capacity);
        };
        Value before = e.loop(
            first, last, e.idx(kCountChunk), {e.i32(0)},
            [&](Value from, ValueRange acc) -> SmallVector<Value> {
              auto counting =
                  scf::IfOp::create(b, TypeRange{i32}, under(acc[0]), true);
              OpBuilder::InsertionGuard guard(b);
              b.setInsertionPointToStart(counting.elseBlock());
              scf::YieldOp::create(b, acc[0]);
              b.setInsertionPointToStart(counting.thenBlock());
              Value to = arith::MinUIOp::create(
                  b, e.addi(from, e.idx(kCountChunk)), last);
              Value count = e.loop(
                  from, to, {acc[0]},
                  [&](Value i, ValueRange n) -> SmallVector<Value> {
                    Value other = e.load(keys, i);
                    Value larger = arith::CmpIOp::create(b, CmpIPredicate::ugt,
                                                         other, key);
                    Value earlier =
                        e.andi(e.cmpi(CmpIPredicate::eq, other, key),
                               e.cmpi(CmpIPredicate::ult, i, p));
                    Value goes = e.ori(larger, earlier);
                    return {e.addi(n[0], arith::ExtUIOp::create(b, i32, goes))};
                  })[0];
              scf::YieldOp::create(b, count);
              return {counting.getResult(0)};
            })[0];
        Value kept = e.ori(fits, under(before));
        e.store(arith::ExtUIOp::create(b, b.getI8Type(), kept), keep, q);
      });
    });
  }
};

struct HMoEDistributeDispatchPass
    : public hmoe::impl::HMoEDistributeDispatchBase<
          HMoEDistributeDispatchPass> {
  using Base::Base;
  void runOnOperation() override {
    FunctionOpInterface func = getOperation();
    if (chunkTokens < 1 || blockThreads < 1 || blockThreads > 1024) {
      func.emitError() << "hmoe-distribute-dispatch: expected chunk-tokens "
                          ">= 1 and 1 <= block-threads <= 1024";
      return signalPassFailure();
    }
    FailureOr<SmallVector<DispatchOp>> dispatches =
        opsToDistribute<DispatchOp>(func);
    if (failed(dispatches))
      return signalPassFailure();
    IRRewriter rewriter(&getContext());
    for (DispatchOp op : *dispatches) {
      ImplicitLocOpBuilder b(op.getLoc(), rewriter);
      b.setInsertionPoint(op);
      Emitter e{b};
      DispatchDistributor distributor(e, op, chunkTokens, blockThreads);
      distributor.emit();
      rewriter.eraseOp(op);
    }
  }
};
} // namespace
