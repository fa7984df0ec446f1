//===- RoutingLoops.cpp - dispatch and stats as scf loops -----------------===//
//
// Every function here works on buffers (the memref form of the ops, after
// bufferization) and writes the op's destinations in place. The route's
// loops are in RouteLoops.cpp.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
using arith::CmpFPredicate;
using arith::CmpIPredicate;

bool allMemRefs(Operation *op) {
  return llvm::all_of(op->getOperandTypes(),
                      [](Type t) { return isa<MemRefType>(t); });
}

} // namespace

LogicalResult hmoe::lowerDispatchToLoops(RewriterBase &rewriter,
                                         DispatchOp op) {
  if (!allMemRefs(op))
    return failure();
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Emitter e{b};
  int64_t numExperts = op.getNumExperts();
  Value experts = op.getExperts();
  int64_t k = cast<MemRefType>(experts.getType()).getDimSize(1);
  Value numTokens = memref::DimOp::create(b, experts, 0);
  Value numAssignments = e.muli(numTokens, e.idx(k));
  Value slotToken = op.getSlotTokenInit();
  Value slotOf = op.getSlotOfInit();
  Value offsets = op.getOffsetsInit();

  // Capacity C = ceil(c * (T * K) / E) in f64, as the reference computes it;
  // dropless is a capacity no expert can reach.
  Value capacity = e.toI64(numAssignments);
  if (std::optional<APFloat> factor = op.getCapacityFactor()) {
    Value assignments =
        arith::SIToFPOp::create(b, b.getF64Type(), e.toI64(numAssignments));
    Value c = e.divf(e.mulf(e.f64(factor->convertToDouble()), assignments),
                     e.f64(static_cast<double>(numExperts)));
    // No expert can take more than T * K; capping there also keeps a huge
    // factor (1e300) inside the range of the conversion to i64, which would
    // otherwise be poison.
    c = arith::MinimumFOp::create(b, c, assignments);
    capacity =
        arith::FPToSIOp::create(b, b.getI64Type(), math::CeilOp::create(b, c));
  }

  // Pass 1: count per expert in token order (offsets[e + 1] holds the
  // count); slot_of holds the rank within the expert, -1 if dropped.
  e.loop(0, numExperts + 1, [&](Value ex) { e.store(e.i32(0), offsets, ex); });
  e.loop(e.idx(0), numTokens, [&](Value t) {
    e.loop(0, k, [&](Value j) {
      e.store(e.i32(-1), slotOf, {t, j});
      Value ex = e.load(experts, {t, j});
      Value inRange = e.andi(e.cmpi(CmpIPredicate::sge, ex, e.i32(0)),
                             e.cmpi(CmpIPredicate::slt, ex, e.i32(numExperts)));
      e.ifThen(inRange, [&] {
        Value at = e.addi(e.toIndex(ex), e.idx(1));
        Value count = e.load(offsets, at);
        Value fits =
            e.cmpi(CmpIPredicate::slt,
                   arith::ExtSIOp::create(b, b.getI64Type(), count), capacity);
        e.ifThen(fits, [&] {
          e.store(count, slotOf, {t, j});
          e.store(e.addi(count, e.i32(1)), offsets, at);
        });
      });
    });
  });
  // Exclusive prefix sum.
  e.loop(1, numExperts + 1, [&](Value ex) {
    Value prev = e.load(offsets, e.subi(ex, e.idx(1)));
    e.store(e.addi(prev, e.load(offsets, ex)), offsets, ex);
  });
  // Pass 2: place each kept assignment; unused slots hold token 0.
  e.loop(e.idx(0), numAssignments,
         [&](Value s) { e.store(e.i32(0), slotToken, s); });
  e.loop(e.idx(0), numTokens, [&](Value t) {
    e.loop(0, k, [&](Value j) {
      Value rank = e.load(slotOf, {t, j});
      e.ifThen(e.cmpi(CmpIPredicate::sge, rank, e.i32(0)), [&] {
        Value ex = e.toIndex(e.load(experts, {t, j}));
        Value slot = e.addi(e.load(offsets, ex), rank);
        e.store(slot, slotOf, {t, j});
        e.store(e.toI32(t), slotToken, e.toIndex(slot));
      });
    });
  });
  rewriter.eraseOp(op);
  return success();
}

namespace {
/// Sums `f(t)` (f64) over tokens.
Value sumOverTokens(Emitter &e, Value numTokens, function_ref<Value(Value)> f) {
  return e.loop(e.idx(0), numTokens, {e.f64(0.0)},
                [&](Value t, ValueRange acc) -> SmallVector<Value> {
                  return {e.addf(acc[0], f(t))};
                })[0];
}

/// Sums `f(i)` (f64) for i in [0, n).
Value sumOver(Emitter &e, int64_t n, function_ref<Value(Value)> f) {
  return sumOverTokens(e, e.idx(n), f);
}

/// `cv(x)^2` (population variance over squared mean; 0 when the mean is 0)
/// of the `n` f64 values `x(i)`.
Value cv2(Emitter &e, int64_t n, function_ref<Value(Value)> x) {
  Value count = e.f64(static_cast<double>(n));
  Value mean = e.divf(sumOver(e, n, x), count);
  Value var = e.divf(sumOver(e, n,
                             [&](Value i) {
                               Value d = e.subf(x(i), mean);
                               return e.mulf(d, d);
                             }),
                     count);
  Value zeroMean = e.cmpf(CmpFPredicate::OEQ, mean, e.f64(0.0));
  return e.select(zeroMean, e.f64(0.0), e.divf(var, e.mulf(mean, mean)));
}
} // namespace

LogicalResult hmoe::lowerStatsToLoops(RewriterBase &rewriter, StatsOp op) {
  if (!allMemRefs(op))
    return failure();
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Emitter e{b};
  Value probs = op.getProbs();
  Value experts = op.getExperts();
  Value logits = op.getLogits();
  Value slotOf = op.getSlotOf();
  auto probsType = cast<MemRefType>(probs.getType());
  int64_t numExperts = probsType.getDimSize(1);
  int64_t k = cast<MemRefType>(experts.getType()).getDimSize(1);
  int64_t groups = op.getGroups();
  int64_t groupSize = numExperts / groups;
  Value numTokens = memref::DimOp::create(b, probs, 0);
  Value tokensF64 = e.indexToF64(numTokens);
  Value noTokens = e.cmpi(CmpIPredicate::eq, numTokens, e.idx(0));
  /// mean over tokens of a sum, 0 when there are no tokens.
  auto meanOverTokens = [&](Value sum) {
    return e.select(noTokens, e.f64(0.0), e.divf(sum, tokensF64));
  };

  // load (i64) and importance (f64) per expert, always: most stats use them.
  Value load = e.allocaOf(numExperts, b.getI64Type());
  Value importance = e.allocaOf(numExperts, b.getF64Type());
  e.loop(0, numExperts, [&](Value ex) {
    e.store(e.i64(0), load, ex);
    e.store(e.f64(0.0), importance, ex);
  });
  e.loop(e.idx(0), numTokens, [&](Value t) {
    e.loop(0, k, [&](Value j) {
      Value ex = e.load(experts, {t, j});
      Value inRange = e.andi(e.cmpi(CmpIPredicate::sge, ex, e.i32(0)),
                             e.cmpi(CmpIPredicate::slt, ex, e.i32(numExperts)));
      e.ifThen(inRange, [&] {
        Value at = e.toIndex(ex);
        e.store(e.addi(e.load(load, at), e.i64(1)), load, at);
      });
    });
    e.loop(0, numExperts, [&](Value ex) {
      Value p = e.extToF64(e.load(probs, {t, ex}));
      e.store(e.addf(e.load(importance, ex), p), importance, ex);
    });
  });
  auto loadF64 = [&](Value ex) {
    return arith::SIToFPOp::create(b, b.getF64Type(), e.load(load, ex));
  };
  // Per-token probability mass of group g.
  auto groupMass = [&](Value t, Value g) {
    Value base = e.muli(g, e.idx(groupSize));
    return sumOver(e, groupSize, [&](Value i) {
      return e.extToF64(e.load(probs, {t, e.addi(base, i)}));
    });
  };

  for (auto [attr, outValue] : llvm::zip(op.getStats(), op.getOuts())) {
    Value out = outValue; // captured below (a structured binding cannot be)
    StatKind kind = cast<StatKindAttr>(attr).getValue();
    Value scalar;
    switch (kind) {
    case StatKind::Load:
      e.loop(0, numExperts,
             [&](Value ex) { e.store(e.load(load, ex), out, ex); });
      break;
    case StatKind::Importance:
      e.loop(0, numExperts, [&](Value ex) {
        e.store(e.truncTo(b.getF32Type(), e.load(importance, ex)), out, ex);
      });
      break;
    case StatKind::GroupLoad:
    case StatKind::GroupImportance: {
      bool isLoad = kind == StatKind::GroupLoad;
      e.loop(0, groups, [&](Value g) {
        Value base = e.muli(g, e.idx(groupSize));
        Value sum = sumOver(e, groupSize, [&](Value i) {
          Value ex = e.addi(base, i);
          return isLoad ? loadF64(ex) : e.load(importance, ex);
        });
        Value v = isLoad ? arith::FPToSIOp::create(b, b.getI64Type(), sum)
                         : e.truncTo(b.getF32Type(), sum);
        e.store(v, out, g);
      });
      break;
    }
    case StatKind::Dropped: {
      Value count = e.loop(
          e.idx(0), numTokens, {e.i64(0)},
          [&](Value t, ValueRange acc) -> SmallVector<Value> {
            return e.loop(
                e.idx(0), e.idx(k), {acc[0]},
                [&](Value j, ValueRange n) -> SmallVector<Value> {
                  Value dropped = e.cmpi(CmpIPredicate::slt,
                                         e.load(slotOf, {t, j}), e.i32(0));
                  return {e.addi(n[0], arith::ExtUIOp::create(b, b.getI64Type(),
                                                              dropped))};
                });
          })[0];
      e.store(count, out, ValueRange{});
      break;
    }
    case StatKind::BalanceLoss: {
      // E * sum_e (load_e / (T K)) * (importance_e / T).
      Value sum = sumOver(e, numExperts, [&](Value ex) {
        return e.mulf(loadF64(ex), e.load(importance, ex));
      });
      Value denom =
          e.mulf(e.mulf(tokensF64, tokensF64), e.f64(static_cast<double>(k)));
      scalar = e.select(noTokens, e.f64(0.0),
                        e.divf(e.mulf(e.f64(numExperts), sum), denom));
      break;
    }
    case StatKind::CV2Loss:
      scalar = e.addf(
          cv2(e, numExperts, [&](Value ex) { return e.load(importance, ex); }),
          cv2(e, numExperts, loadF64));
      break;
    case StatKind::ZLoss: {
      int64_t n = cast<MemRefType>(logits.getType()).getDimSize(1);
      Value sum = sumOverTokens(e, numTokens, [&](Value t) {
        Value max = e.loop(e.idx(0), e.idx(n), {e.f64(-INFINITY)},
                           [&](Value c, ValueRange acc) -> SmallVector<Value> {
                             Value s = e.extToF64(e.load(logits, {t, c}));
                             return {e.maxf(acc[0], s)};
                           })[0];
        Value sumExp = sumOver(e, n, [&](Value c) {
          return e.exp(e.subf(e.extToF64(e.load(logits, {t, c})), max));
        });
        Value lse = e.addf(max, e.log(sumExp));
        return e.mulf(lse, lse);
      });
      scalar = meanOverTokens(sum);
      break;
    }
    case StatKind::RIntra: {
      Value sum = sumOverTokens(e, numTokens, [&](Value t) {
        return sumOver(e, numExperts, [&](Value ex) {
          Value p = e.extToF64(e.load(probs, {t, ex}));
          return e.mulf(p, p);
        });
      });
      scalar = e.mulf(e.f64(-op.getLambdaIntra().convertToDouble()),
                      meanOverTokens(sum));
      break;
    }
    case StatKind::RInter: {
      Value sum = sumOverTokens(e, numTokens, [&](Value t) {
        return sumOver(e, groups, [&](Value g) {
          Value mass = groupMass(t, g);
          return e.mulf(mass, mass);
        });
      });
      scalar = e.mulf(e.f64(op.getLambdaInter().convertToDouble()),
                      meanOverTokens(sum));
      break;
    }
    }
    if (scalar)
      e.store(e.truncTo(b.getF32Type(), scalar), out, ValueRange{});
  }
  rewriter.eraseOp(op);
  return success();
}
