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

/// `body(j, ex)` for each choice j of token `t` whose expert `ex` (index)
/// is in [0, numExperts) (out of range only with run-time checks off: such
/// a choice is skipped).
void forEachChoiceInRange(Emitter &e, Value experts, int64_t numExperts,
                          Value t, int64_t k,
                          function_ref<void(Value, Value)> body) {
  e.loop(0, k, [&](Value j) {
    Value ex = e.load(experts, {t, j});
    Value inRange = e.andi(e.cmpi(CmpIPredicate::sge, ex, e.i32(0)),
                           e.cmpi(CmpIPredicate::slt, ex, e.i32(numExperts)));
    e.ifThen(inRange, [&] { body(j, e.toIndex(ex)); });
  });
}

} // namespace

/// The counting sort of hmoe.dispatch in token order: expert e keeps its
/// first `capacity` (i64) choices; `offsets` gets the exclusive prefix sums
/// of the kept counts, `slot_of` each choice's slot (-1 if dropped or its
/// expert index is out of range, only possible with run-time checks off),
/// `slot_token` each slot's token (unused slots token 0). `place(t, j,
/// slot)`, if given, runs where choice (t, j) is placed (a dropped one's
/// slot is then the last, which the unused slots' fill overwrites).
/// `fits(ex, j, count)`, if given, decides instead of `count < capacity`
/// whether choice j of the current token is kept by expert `ex` (index),
/// which has kept `count` (i32) so far; it is called once per choice with
/// an expert in range, in token order.
static void emitTokenOrderDispatch(
    Emitter &e, Value experts, int64_t numExperts, int64_t k, Value numTokens,
    Value capacity, Value slotToken, Value slotOf, Value offsets,
    function_ref<void(Value, Value, Value)> place = nullptr,
    function_ref<Value(Value, Value, Value)> fits = nullptr) {
  ImplicitLocOpBuilder &b = e.b;
  Value numAssignments = e.muli(numTokens, e.idx(k));
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
        // Selects, not a branch: whether a choice fits is data (an expert
        // that fills up drops its later choices, interleaved with others').
        Value at = e.addi(e.toIndex(ex), e.idx(1));
        Value count = e.load(offsets, at);
        Value kept =
            fits ? fits(e.toIndex(ex), j, count)
                 : e.cmpi(CmpIPredicate::slt,
                          arith::ExtSIOp::create(b, b.getI64Type(), count),
                          capacity);
        e.store(e.select(kept, count, e.i32(-1)), slotOf, {t, j});
        e.store(e.addi(count, arith::ExtUIOp::create(b, b.getI32Type(), kept)),
                offsets, at);
      });
    });
  });
  // Exclusive prefix sum.
  e.loop(1, numExperts + 1, [&](Value ex) {
    Value prev = e.load(offsets, e.subi(ex, e.idx(1)));
    e.store(e.addi(prev, e.load(offsets, ex)), offsets, ex);
  });
  // Pass 2: place each kept assignment, again by selects: a dropped one
  // writes its token to the last slot, unused whenever a choice is
  // dropped, and the unused slots get token 0 after.
  Value lastSlot = e.subi(numAssignments, e.idx(1));
  e.loop(e.idx(0), numTokens, [&](Value t) {
    e.loop(0, k, [&](Value j) {
      Value rank = e.load(slotOf, {t, j});
      Value kept = e.cmpi(CmpIPredicate::sge, rank, e.i32(0));
      // (A dropped choice's expert may be out of range: checks off.)
      Value ex = e.toIndex(e.select(kept, e.load(experts, {t, j}), e.i32(0)));
      Value slot = e.addi(e.load(offsets, ex), rank);
      e.store(e.select(kept, slot, rank), slotOf, {t, j});
      Value at = e.select(kept, e.toIndex(slot), lastSlot);
      e.store(e.toI32(t), slotToken, at);
      if (place)
        place(t, j, at);
    });
  });
  e.loop(e.toIndex(e.load(offsets, e.idx(numExperts))), numAssignments,
         [&](Value s) { e.store(e.i32(0), slotToken, s); });
}

Value hmoe::emitFillScoreKey(ImplicitLocOpBuilder &b, Value weight) {
  Emitter e{b};
  Type i32 = b.getI32Type();
  Value w = e.addf(weight, e.f32(0.0)); // -0 -> +0
  Value bits = arith::BitcastOp::create(b, i32, w);
  Value negative = e.cmpi(CmpIPredicate::slt, bits, e.i32(0));
  Value key = e.select(negative, arith::XOrIOp::create(b, bits, e.i32(-1)),
                       e.ori(bits, e.i32(INT32_MIN)));
  return e.select(e.isNaN(w), e.i32(0), key);
}

/// Visiting the i32 `counts` of `numBins` bins in order (bin `binAt(i)` at
/// step i), the bin where `wanted` (i32) is reached (`none` if never) and
/// how many of that bin are still wanted there.
static std::pair<Value, Value>
emitBinReaching(Emitter &e, Value counts, int64_t numBins, Value wanted,
                int64_t none, function_ref<Value(Value)> binAt) {
  ValueRange found = e.loop(
      e.idx(0), e.idx(numBins), {e.i1(false), e.i32(none), wanted},
      [&](Value i, ValueRange acc) -> SmallVector<Value> {
        Value bin = binAt(i);
        Value count = e.load(counts, bin);
        Value here =
            e.andi(e.noti(acc[0]), e.cmpi(CmpIPredicate::sle, acc[2], count));
        Value before = e.andi(e.noti(acc[0]), e.noti(here));
        return {e.ori(acc[0], here), e.select(here, e.toI32(bin), acc[1]),
                e.select(before, e.subi(acc[2], count), acc[2])};
      });
  return {found[1], found[2]};
}

/// hmoe.dispatch in choice_rank order: each expert keeps every first
/// choice (in token order), then every second, ... until `capacity` are
/// kept: every choice below its rank r* and the first `wanted` of rank r*.
/// Both come from a count per (expert, choice) made first, so one counting
/// sort in token order then places the kept choices, as in token order.
static void lowerChoiceRankDispatch(Emitter &e, DispatchOp op, Value numTokens,
                                    int64_t k, Value capacity) {
  ImplicitLocOpBuilder &b = e.b;
  int64_t numExperts = op.getNumExperts();
  Value experts = op.getExperts();
  Type i32 = b.getI32Type();
  auto buffer = [&](int64_t n) -> Value {
    return memref::AllocOp::create(b, MemRefType::get({n}, i32));
  };
  // Choices per (expert, rank): histogram[ex * k + j].
  Value histogram = buffer(numExperts * k);
  e.loop(0, numExperts * k, [&](Value i) { e.store(e.i32(0), histogram, i); });
  e.loop(e.idx(0), numTokens, [&](Value t) {
    forEachChoiceInRange(e, experts, numExperts, t, k, [&](Value j, Value ex) {
      Value at = e.addi(e.muli(ex, e.idx(k)), j);
      e.store(e.addi(e.load(histogram, at), e.i32(1)), histogram, at);
    });
  });
  // Per expert: the rank where the capacity is reached (k if never: all
  // kept) and how many of that rank are still wanted there; `seen` counts
  // the rank-r* choices met so far in token order.
  Value lastRank = buffer(numExperts), wantedAtLast = buffer(numExperts),
        seen = buffer(numExperts);
  Value wantedAll =
      e.toI32(arith::IndexCastOp::create(b, b.getIndexType(), capacity));
  Value counts = e.allocaOf(k, i32); // one expert's row
  e.loop(0, numExperts, [&](Value ex) {
    Value row = e.muli(ex, e.idx(k));
    e.loop(0, k, [&](Value j) {
      e.store(e.load(histogram, e.addi(row, j)), counts, j);
    });
    auto [last, wanted] =
        emitBinReaching(e, counts, k, wantedAll, k, [](Value j) { return j; });
    e.store(last, lastRank, ex);
    e.store(wanted, wantedAtLast, ex);
    e.store(e.i32(0), seen, ex);
  });
  emitTokenOrderDispatch(
      e, experts, numExperts, k, numTokens, capacity, op.getSlotTokenInit(),
      op.getSlotOfInit(), op.getOffsetsInit(), /*place=*/nullptr,
      [&](Value ex, Value j, Value) {
        Value r = e.toI32(j), last = e.load(lastRank, ex);
        Value atLast = e.cmpi(CmpIPredicate::eq, r, last);
        Value count = e.load(seen, ex);
        e.store(e.addi(count, arith::ExtUIOp::create(b, i32, atLast)), seen,
                ex);
        return e.ori(e.cmpi(CmpIPredicate::slt, r, last),
                     e.andi(atLast, e.cmpi(CmpIPredicate::slt, count,
                                           e.load(wantedAtLast, ex))));
      });
  for (Value scratch : {histogram, lastRank, wantedAtLast, seen})
    memref::DeallocOp::create(b, scratch);
}

/// hmoe.dispatch in score order, for an expert with more choices than
/// `capacity`: the capacity-th largest of the positions' `keys`, byte by
/// byte from the top (a radix select on `histogram`: 256 bins, and one for
/// the keys off the prefix so far); then every key above it, and as many
/// equal to it as are still wanted, the lower token first.
static void keepByScore(Emitter &e, Value lo, Value hi, Value capacity,
                        Value keys, Value histogram, Value keep) {
  ImplicitLocOpBuilder &b = e.b;
  Value prefix = e.i32(0), mask = e.i32(0);
  Value wanted =
      e.toI32(arith::IndexCastOp::create(b, b.getIndexType(), capacity));
  for (int shift = 24; shift >= 0; shift -= 8) {
    e.loop(0, 256, [&](Value bin) { e.store(e.i32(0), histogram, bin); });
    e.loop(lo, hi, [&](Value p) {
      Value key = e.load(keys, p);
      Value match = e.cmpi(CmpIPredicate::eq, e.andi(key, mask), prefix);
      // Keys off the prefix count in bin 256, which no pass reads: no
      // branch to mispredict where about half the keys match.
      Value bin = e.select(
          match,
          e.andi(arith::ShRUIOp::create(b, key, e.i32(shift)), e.i32(255)),
          e.i32(256));
      Value at = e.toIndex(bin);
      e.store(e.addi(e.load(histogram, at), e.i32(1)), histogram, at);
    });
    // From the top bin down: the bin where the wanted count is reached.
    auto [bin, stillWanted] =
        emitBinReaching(e, histogram, 256, wanted, 0,
                        [&](Value i) { return e.subi(e.idx(255), i); });
    prefix = e.ori(prefix, arith::ShLIOp::create(b, bin, e.i32(shift)));
    mask = e.ori(mask, e.i32(int64_t(255) << shift));
    wanted = stillWanted;
  }
  e.loop(lo, hi, {wanted}, [&](Value p, ValueRange acc) -> SmallVector<Value> {
    Value key = e.load(keys, p);
    Value above = arith::CmpIOp::create(b, CmpIPredicate::ugt, key, prefix);
    Value tie = e.andi(e.cmpi(CmpIPredicate::eq, key, prefix),
                       e.cmpi(CmpIPredicate::sgt, acc[0], e.i32(0)));
    Value take = e.ori(above, tie);
    Value none = e.cmpi(CmpIPredicate::eq, capacity, e.i64(0));
    e.store(e.andi(take, e.noti(none)), keep, p);
    return {e.select(tie, e.subi(acc[0], e.i32(1)), acc[0])};
  });
}

/// Dispatch with a capacity in score order: a dropless counting sort by
/// expert (token order inside an expert), then, expert by expert, which of
/// its choices are kept (the C largest weights), then the kept ones
/// compacted into the slots, still in token order.
static void lowerScoreDispatch(Emitter &e, DispatchOp op, Value numTokens,
                               int64_t k, Value capacity) {
  ImplicitLocOpBuilder &b = e.b;
  int64_t numExperts = op.getNumExperts();
  Value experts = op.getExperts();
  Value slotToken = op.getSlotTokenInit();
  Value slotOf = op.getSlotOfInit();
  Value offsets = op.getOffsetsInit();
  Value numAssignments = e.muli(numTokens, e.idx(k));
  Type i32 = b.getI32Type();
  auto buffer = [&](Value n, Type elem) -> Value {
    return memref::AllocOp::create(
        b, MemRefType::get({ShapedType::kDynamic}, elem), ValueRange{n});
  };
  Value choiceAt = buffer(numAssignments, i32);       // j of each position
  Value keep = buffer(numAssignments, b.getI1Type()); // kept or dropped
  Value start = buffer(e.idx(numExperts + 1), i32);   // dropless offsets
  // Each position's weight as its key, gathered once so that the radix
  // passes read them in order.
  Value keys = buffer(numAssignments, i32);

  // The dropless counting sort (token order inside an expert) into `start`,
  // with the choice (and key) each position holds.
  Value weights = op.getWeights();
  emitTokenOrderDispatch(
      e, experts, numExperts, k, numTokens, e.toI64(numAssignments), slotToken,
      slotOf, start, [&](Value t, Value j, Value at) {
        e.store(e.toI32(j), choiceAt, at);
        e.store(emitFillScoreKey(b, e.load(weights, {t, j})), keys, at);
      });

  // Expert by expert: which choices are kept (a count per key byte: radix
  // select).
  Value histogram = e.allocaOf(257, i32);
  e.loop(0, numExperts, [&](Value ex) {
    Value lo = e.toIndex(e.load(start, ex));
    Value hi = e.toIndex(e.load(start, e.addi(ex, e.idx(1))));
    Value n =
        arith::ExtSIOp::create(b, b.getI64Type(), e.toI32(e.subi(hi, lo)));
    // An expert within capacity keeps every choice (most experts, where
    // capacity is there for the popular few): no counts to make.
    e.ifThenElse(
        e.cmpi(CmpIPredicate::sle, n, capacity),
        [&] { e.loop(lo, hi, [&](Value p) { e.store(e.i1(true), keep, p); }); },
        [&] { keepByScore(e, lo, hi, capacity, keys, histogram, keep); });
  });

  // Kept choices per expert -> offsets; compact them into the slots in
  // token order (a position only moves down, so in place is safe). A
  // dropped choice writes its token too, to the next kept one's slot, whose
  // token has been read (by selects: no branch on the keep flags).
  e.store(e.i32(0), offsets, e.idx(0));
  e.loop(0, numExperts, [&](Value ex) {
    Value lo = e.toIndex(e.load(start, ex));
    Value hi = e.toIndex(e.load(start, e.addi(ex, e.idx(1))));
    Value first = e.load(offsets, ex);
    Value next = e.loop(
        lo, hi, {first}, [&](Value p, ValueRange acc) -> SmallVector<Value> {
          Value t = e.load(slotToken, p);
          Value j = e.toIndex(e.load(choiceAt, p));
          Value kept = e.load(keep, p);
          Value slot = e.select(kept, acc[0], e.i32(-1));
          e.store(slot, slotOf, {e.toIndex(t), j});
          e.store(t, slotToken, e.toIndex(acc[0]));
          return {e.select(kept, e.addi(acc[0], e.i32(1)), acc[0])};
        })[0];
    e.store(next, offsets, e.addi(ex, e.idx(1)));
  });
  // Unused slots hold token 0.
  e.loop(e.toIndex(e.load(offsets, e.idx(numExperts))), numAssignments,
         [&](Value p) { e.store(e.i32(0), slotToken, p); });
  for (Value scratch : {choiceAt, keep, start, keys})
    memref::DeallocOp::create(b, scratch);
}

Value hmoe::emitDispatchCapacity(ImplicitLocOpBuilder &b, DispatchOp op,
                                 Value numAssignments) {
  Emitter e{b};
  int64_t numExperts = op.getNumExperts();
  // Capacity C = ceil(c * (T * K) / E) in f64, as the reference computes it
  // (hi_moe: floor, then up to even, at least 4); dropless is a capacity no
  // expert can reach.
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
    if (op.getCapacityRounding() == CapacityRounding::HiMoE) {
      Value floor = arith::FPToSIOp::create(b, b.getI64Type(),
                                            math::FloorOp::create(b, c));
      Value even = e.addi(floor, e.andi(floor, e.i64(1)));
      capacity = arith::MaxSIOp::create(b, even, e.i64(4));
    } else {
      capacity = arith::FPToSIOp::create(b, b.getI64Type(),
                                         math::CeilOp::create(b, c));
    }
  }
  return capacity;
}

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

  Value capacity = emitDispatchCapacity(b, op, numAssignments);
  if (op.getCapacityFactor() && op.getFillOrder() == FillOrder::ChoiceRank) {
    lowerChoiceRankDispatch(e, op, numTokens, k, capacity);
    rewriter.eraseOp(op);
    return success();
  }
  if (op.getCapacityFactor() && op.getFillOrder() == FillOrder::Score) {
    lowerScoreDispatch(e, op, numTokens, k, capacity);
    rewriter.eraseOp(op);
    return success();
  }

  emitTokenOrderDispatch(e, experts, numExperts, k, numTokens, capacity,
                         slotToken, slotOf, offsets);
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

namespace {
/// The shapes a stats op's lowering needs.
struct StatsShape {
  int64_t numExperts, k, groups, groupSize;
  explicit StatsShape(StatsOp op)
      : numExperts(cast<MemRefType>(op.getProbs().getType()).getDimSize(1)),
        k(cast<MemRefType>(op.getExperts().getType()).getDimSize(1)),
        groups(op.getGroups()), groupSize(numExperts / op.getGroups()) {}
};
} // namespace

bool hmoe::isPerTokenStat(StatKind kind) {
  switch (kind) {
  case StatKind::Dropped:
  case StatKind::ZLoss:
  case StatKind::RIntra:
  case StatKind::RInter:
    return true;
  default:
    return false;
  }
}

Value hmoe::emitStatTokenTerm(ImplicitLocOpBuilder &b, StatsOp op,
                              StatKind kind, Value t) {
  Emitter e{b};
  StatsShape shape(op);
  Value probs = op.getProbs();
  switch (kind) {
  case StatKind::Dropped:
    return sumOver(e, shape.k, [&](Value j) {
      Value dropped =
          e.cmpi(CmpIPredicate::slt, e.load(op.getSlotOf(), {t, j}), e.i32(0));
      return e.select(dropped, e.f64(1.0), e.f64(0.0));
    });
  case StatKind::ZLoss: {
    Value logits = op.getLogits();
    int64_t n = cast<MemRefType>(logits.getType()).getDimSize(1);
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
  }
  case StatKind::RIntra:
    return sumOver(e, shape.numExperts, [&](Value ex) {
      Value p = e.extToF64(e.load(probs, {t, ex}));
      return e.mulf(p, p);
    });
  case StatKind::RInter:
    return sumOver(e, shape.groups, [&](Value g) {
      Value base = e.muli(g, e.idx(shape.groupSize));
      Value mass = sumOver(e, shape.groupSize, [&](Value i) {
        return e.extToF64(e.load(probs, {t, e.addi(base, i)}));
      });
      return e.mulf(mass, mass);
    });
  default:
    return Value();
  }
}

std::pair<Value, Value>
hmoe::emitExpertLoadAndImportance(ImplicitLocOpBuilder &b, StatsOp op, Value ex,
                                  Value firstToken, Value endToken) {
  Emitter e{b};
  StatsShape shape(op);
  Value probs = op.getProbs();
  Value experts = op.getExperts();
  Value exI32 = e.toI32(ex);
  ValueRange sums =
      e.loop(firstToken, endToken, {e.i64(0), e.f64(0.0)},
             [&](Value t, ValueRange acc) -> SmallVector<Value> {
               Value n =
                   e.loop(e.idx(0), e.idx(shape.k), {acc[0]},
                          [&](Value j, ValueRange c) -> SmallVector<Value> {
                            Value mine = e.cmpi(CmpIPredicate::eq,
                                                e.load(experts, {t, j}), exI32);
                            return {e.addi(c[0], arith::ExtUIOp::create(
                                                     b, b.getI64Type(), mine))};
                          })[0];
               Value p = e.extToF64(e.load(probs, {t, ex}));
               return {n, e.addf(acc[1], p)};
             });
  return {sums[0], sums[1]};
}

void hmoe::emitStatsFromSums(ImplicitLocOpBuilder &b, StatsOp op, Value load,
                             Value importance,
                             function_ref<Value(StatKind)> tokenSum) {
  Emitter e{b};
  StatsShape shape(op);
  int64_t numExperts = shape.numExperts, k = shape.k, groups = shape.groups;
  Value numTokens = memref::DimOp::create(b, op.getProbs(), 0);
  Value tokensF64 = e.indexToF64(numTokens);
  Value noTokens = e.cmpi(CmpIPredicate::eq, numTokens, e.idx(0));
  /// mean over tokens of a sum, 0 when there are no tokens.
  auto meanOverTokens = [&](Value sum) {
    return e.select(noTokens, e.f64(0.0), e.divf(sum, tokensF64));
  };
  auto loadF64 = [&](Value ex) {
    return arith::SIToFPOp::create(b, b.getF64Type(), e.load(load, ex));
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
        Value base = e.muli(g, e.idx(shape.groupSize));
        Value sum = sumOver(e, shape.groupSize, [&](Value i) {
          Value ex = e.addi(base, i);
          return isLoad ? loadF64(ex) : e.load(importance, ex);
        });
        Value v = isLoad ? arith::FPToSIOp::create(b, b.getI64Type(), sum)
                         : e.truncTo(b.getF32Type(), sum);
        e.store(v, out, g);
      });
      break;
    }
    case StatKind::Dropped:
      e.store(arith::FPToSIOp::create(b, b.getI64Type(), tokenSum(kind)), out,
              ValueRange{});
      break;
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
    case StatKind::ZLoss:
      scalar = meanOverTokens(tokenSum(kind));
      break;
    case StatKind::RIntra:
      scalar = e.mulf(e.f64(-op.getLambdaIntra().convertToDouble()),
                      meanOverTokens(tokenSum(kind)));
      break;
    case StatKind::RInter:
      scalar = e.mulf(e.f64(op.getLambdaInter().convertToDouble()),
                      meanOverTokens(tokenSum(kind)));
      break;
    }
    if (scalar)
      e.store(e.truncTo(b.getF32Type(), scalar), out, ValueRange{});
  }
}

LogicalResult hmoe::lowerStatsToLoops(RewriterBase &rewriter, StatsOp op) {
  if (!allMemRefs(op))
    return failure();
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Emitter e{b};
  Value probs = op.getProbs();
  Value experts = op.getExperts();
  StatsShape shape(op);
  int64_t numExperts = shape.numExperts, k = shape.k;
  Value numTokens = memref::DimOp::create(b, probs, 0);

  // load (i64) and importance (f64) per expert, always: most stats use them.
  // One pass over the tokens (not one per expert, as a GPU thread does).
  Value load = e.allocaOf(numExperts, b.getI64Type());
  Value importance = e.allocaOf(numExperts, b.getF64Type());
  e.loop(0, numExperts, [&](Value ex) {
    e.store(e.i64(0), load, ex);
    e.store(e.f64(0.0), importance, ex);
  });
  e.loop(e.idx(0), numTokens, [&](Value t) {
    forEachChoiceInRange(e, experts, numExperts, t, k, [&](Value, Value ex) {
      e.store(e.addi(e.load(load, ex), e.i64(1)), load, ex);
    });
    e.loop(0, numExperts, [&](Value ex) {
      Value p = e.extToF64(e.load(probs, {t, ex}));
      e.store(e.addf(e.load(importance, ex), p), importance, ex);
    });
  });
  emitStatsFromSums(b, op, load, importance, [&](StatKind kind) {
    return sumOverTokens(e, numTokens, [&](Value t) {
      return emitStatTokenTerm(b, op, kind, t);
    });
  });
  rewriter.eraseOp(op);
  return success();
}
