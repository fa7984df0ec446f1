//===- RoutingLoops.cpp - route, dispatch and stats as scf loops ----------===//
//
// Every function here works on buffers (the memref form of the ops, after
// bufferization) and writes the op's destinations in place.
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

/// Row-major indices of flat position `flat` in `dims`.
SmallVector<Value> delinearize(Emitter &e, Value flat, ArrayRef<int64_t> dims) {
  SmallVector<Value> indices;
  int64_t stride = 1;
  for (int64_t d : dims)
    stride *= d;
  for (auto [i, d] : llvm::enumerate(dims)) {
    stride /= d;
    Value v = stride == 1 ? flat : e.divui(flat, e.idx(stride));
    indices.push_back(i == 0 ? v : e.remui(v, e.idx(d)));
  }
  return indices;
}

/// Loads `buffer[lead..., delinearize(flat)]`, where `lead` indexes the
/// leading dims (e.g. the token) and `flat` the rest.
Value loadFlat(Emitter &e, Value buffer, ValueRange lead, Value flat) {
  auto shape = cast<MemRefType>(buffer.getType()).getShape();
  SmallVector<Value> indices(lead);
  llvm::append_range(indices,
                     delinearize(e, flat, shape.drop_front(lead.size())));
  return e.load(buffer, indices);
}

/// Selects the `k` best of the `n` candidates `keys[base + c]` that are not
/// marked in `taken`, best first, in the order of #hmoe.gate's docs: numbers
/// before NaN, larger first, ties to the lower index. Marks each chosen one
/// and stores its position `base + c` at `chosen[outBase + j]`. There must
/// be at least `k` unmarked candidates.
void emitTopK(Emitter &e, Value keys, Value taken, Value base, int64_t n,
              int64_t k, Value chosen, Value outBase) {
  e.loop(0, k, [&](Value j) {
    // Candidates are scanned in index order, so a later one wins only if it
    // is strictly better; NaN never beats anything already found.
    ValueRange best = e.loop(
        e.idx(0), e.idx(n), {e.f32(0.0), base, e.i1(false)},
        [&](Value c, ValueRange acc) -> SmallVector<Value> {
          Value at = e.addi(base, c);
          Value key = e.load(keys, at);
          Value isFree = e.noti(e.load(taken, at));
          Value better = e.andi(
              e.noti(e.isNaN(key)),
              e.ori(e.isNaN(acc[0]), e.cmpf(CmpFPredicate::OGT, key, acc[0])));
          Value take = e.andi(isFree, e.ori(e.noti(acc[2]), better));
          return {e.select(take, key, acc[0]), e.select(take, at, acc[1]),
                  e.ori(acc[2], take)};
        });
    Value winner = best[1];
    e.store(e.i1(true), taken, winner);
    e.store(winner, chosen, e.addi(outBase, j));
  });
}

/// Normalises the `n` logits `logit(c)` of one node with `gate`'s softmax or
/// sigmoid and temperature, storing them at `probs[outBase + c]`.
void emitNormalize(Emitter &e, GateAttr gate, int64_t n,
                   function_ref<Value(Value)> logit, Value probs,
                   Value outBase) {
  Value tau = e.f32(gate.getTemperatureValue());
  if (gate.getNormalization() == Normalization::Sigmoid) {
    e.loop(0, n, [&](Value c) {
      Value s = e.divf(logit(c), tau);
      e.store(e.sigmoid(s), probs, e.addi(outBase, c));
    });
    return;
  }
  // Stable softmax: exp((s - max) / tau) / sum. maximumf propagates NaN, so
  // one NaN logit makes the node's probabilities NaN, as in the definition.
  Value max = e.loop(e.idx(0), e.idx(n), {e.f32(-INFINITY)},
                     [&](Value c, ValueRange acc) -> SmallVector<Value> {
                       return {e.maxf(acc[0], logit(c))};
                     })[0];
  Value sum = e.loop(e.idx(0), e.idx(n), {e.f32(0.0)},
                     [&](Value c, ValueRange acc) -> SmallVector<Value> {
                       Value v = e.exp(e.divf(e.subf(logit(c), max), tau));
                       e.store(v, probs, e.addi(outBase, c));
                       return {e.addf(acc[0], v)};
                     })[0];
  e.loop(0, n, [&](Value c) {
    Value at = e.addi(outBase, c);
    e.store(e.divf(e.load(probs, at), sum), probs, at);
  });
}

/// Final weights of `count` chosen children: `p` (divided by the chosen
/// sum when `gate` renormalises) times the gate's scale. `chosen[j]`
/// indexes `probs` and `logit`; the weights go to `out[j]`.
///
/// A renormalised sigmoid gate divides in the log domain: with
/// l = log sigmoid(s / tau), w_j = exp(l_j - max l) / sum exp(l_i - max l).
/// Far from its centre sigmoid underflows f32 (s / tau below ~-88 for
/// every chosen child gives p = 0 and 0 / 0), while the ratios of the p are
/// well defined; elsewhere both forms agree to rounding.
void emitChoiceWeights(Emitter &e, GateAttr gate, int64_t count, Value probs,
                       Value chosen, function_ref<Value(Value)> logit,
                       Value out) {
  bool renormalize = gate.getRenormalize();
  bool logDomain =
      renormalize && gate.getNormalization() == Normalization::Sigmoid;
  Value tau = e.f32(gate.getTemperatureValue());
  // log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), exact for any x.
  auto logProb = [&](Value j) {
    Value x = e.divf(logit(e.load(chosen, j)), tau);
    Value absX = math::AbsFOp::create(e.b, x);
    Value minX = arith::MinimumFOp::create(e.b, x, e.f32(0.0));
    return e.subf(minX, e.log(e.addf(e.f32(1.0), e.exp(e.negf(absX)))));
  };
  // Each log-probability, then each unnormalised weight, is computed once
  // and kept in `out`; the weights are summed on the way and scaled in place.
  Value maxLog;
  if (logDomain)
    maxLog = e.loop(e.idx(0), e.idx(count), {e.f32(-INFINITY)},
                    [&](Value j, ValueRange acc) -> SmallVector<Value> {
                      Value l = logProb(j);
                      e.store(l, out, j);
                      return {e.maxf(acc[0], l)};
                    })[0];
  Value sum = e.loop(e.idx(0), e.idx(count), {e.f32(0.0)},
                     [&](Value j, ValueRange acc) -> SmallVector<Value> {
                       Value w = logDomain
                                     ? e.exp(e.subf(e.load(out, j), maxLog))
                                     : e.load(probs, e.load(chosen, j));
                       e.store(w, out, j);
                       return {renormalize ? e.addf(acc[0], w) : acc[0]};
                     })[0];
  double scale = gate.getScaleValue();
  if (!renormalize && scale == 1.0)
    return;
  e.loop(0, count, [&](Value j) {
    Value w = e.load(out, j);
    if (renormalize)
      w = e.divf(w, sum);
    if (scale != 1.0)
      w = e.mulf(w, e.f32(scale));
    e.store(w, out, j);
  });
}

/// Per-token scratch of one selection step.
struct SelectScratch {
  Value probs, keys, taken, chosen, weights;
  SelectScratch(Emitter &e, int64_t n, int64_t k) {
    probs = e.allocaOf(n, e.b.getF32Type());
    keys = e.allocaOf(n, e.b.getF32Type());
    taken = e.allocaOf(n, e.b.getI1Type());
    chosen = e.allocaOf(k, e.b.getIndexType());
    weights = e.allocaOf(k, e.b.getF32Type());
  }
  /// keys[c] = probs[c] + selectionBias[c] (bias optional); nothing taken.
  void initKeys(Emitter &e, int64_t n, Value probs, Value probsBase,
                const std::function<Value(Value)> &selectionBias) {
    e.loop(0, n, [&](Value c) {
      Value key = e.load(probs, e.addi(probsBase, c));
      if (selectionBias)
        key = e.addf(key, selectionBias(c));
      e.store(key, keys, c);
      e.store(e.i1(false), taken, c);
    });
  }
};

/// Emits the routing of one token `t` for `op`.
class RouteEmitter {
public:
  RouteEmitter(Emitter &e, RouteOp op, ArrayRef<Value> logits,
               ArrayRef<Value> selectionBiases, Value routerScale,
               Value weightsOut, Value expertsOut, Value probsOut)
      : e(e), op(op), gates(op.getGateList()), logits(logits),
        selectionBiases(selectionBiases), routerScale(routerScale),
        weightsOut(weightsOut), expertsOut(expertsOut), probsOut(probsOut) {
    for (Value l : logits)
      fanout.push_back(cast<MemRefType>(l.getType()).getShape().back());
  }

  void emitToken(Value t) {
    this->t = t;
    if (op.getStrategy().getKind() == StrategyKind::Nested)
      emitNested();
    else
      emitSingleGate();
  }

private:
  /// Whether level `l`'s operand `buffer` (with `lead` leading dims) has one
  /// gate per node rather than one shared by the level.
  bool perNode(Value buffer, int64_t l, int64_t lead) const {
    return cast<MemRefType>(buffer.getType()).getRank() - lead == l + 1;
  }
  /// Flat position of child `c` of `node` in level `l`'s operand.
  Value flatChild(Value buffer, int64_t l, int64_t lead, Value node, Value c) {
    if (!perNode(buffer, l, lead))
      return c;
    return e.addi(e.muli(node, e.idx(fanout[l])), c);
  }
  Value logit(int64_t l, Value node, Value c) {
    return loadFlat(e, logits[l], t, flatChild(logits[l], l, 1, node, c));
  }
  std::function<Value(Value)> selectionBias(int64_t l, Value node) {
    Value bias = selectionBiases[l];
    if (!bias)
      return nullptr;
    return [this, bias, l, node](Value c) {
      return loadFlat(e, bias, {}, flatChild(bias, l, 0, node, c));
    };
  }
  Value scaledByRouter(Value w, Value expert) {
    if (!routerScale)
      return w;
    return e.mulf(w, e.load(routerScale, expert));
  }
  void storeChoice(Value slot, Value expert, Value weight) {
    e.store(e.toI32(expert), expertsOut, {t, slot});
    e.store(scaledByRouter(weight, expert), weightsOut, {t, slot});
  }

  /// Nested: every level's probabilities for every node (probs needs the
  /// unchosen ones too), then the selection, level by level.
  void emitNested() {
    int64_t numLevels = fanout.size();
    SmallVector<Value> levelProbs;
    int64_t nodes = 1;
    for (int64_t l = 0; l < numLevels; ++l) {
      int64_t n = fanout[l];
      if (!perNode(logits[l], l, 1)) {
        Value p = e.allocaOf(n, e.b.getF32Type());
        emitNormalize(
            e, gates[l], n, [&](Value c) { return logit(l, e.idx(0), c); }, p,
            e.idx(0));
        levelProbs.push_back(p);
      } else {
        Value p = e.allocaOf(nodes * n, e.b.getF32Type());
        e.loop(0, nodes, [&](Value node) {
          emitNormalize(
              e, gates[l], n, [&](Value c) { return logit(l, node, c); }, p,
              e.muli(node, e.idx(n)));
        });
        levelProbs.push_back(p);
      }
      nodes *= n;
    }
    // probs[t, e] = product over levels of the probability of e's ancestor.
    int64_t numExperts = nodes;
    e.loop(0, numExperts, [&](Value ex) {
      Value prod;
      int64_t below = numExperts;
      for (int64_t l = 0; l < numLevels; ++l) {
        below /= fanout[l];
        Value node = below == 1 ? ex : e.divui(ex, e.idx(below));
        if (!perNode(logits[l], l, 1))
          node = e.remui(node, e.idx(fanout[l]));
        Value p = e.load(levelProbs[l], node);
        prod = prod ? e.mulf(prod, p) : p;
      }
      e.store(prod, probsOut, {t, ex});
    });

    SmallVector<SelectScratch> scratch;
    for (int64_t l = 0; l < numLevels; ++l)
      scratch.emplace_back(e, fanout[l], gates[l].getK());
    emitNestedLevel(0, levelProbs, scratch, e.idx(0), e.idx(0), Value());
  }

  /// Chooses among the children of `node` at level `l`; `slot` and `weight`
  /// are the slot prefix and weight product of the choices above.
  void emitNestedLevel(int64_t l, ArrayRef<Value> levelProbs,
                       MutableArrayRef<SelectScratch> scratch, Value node,
                       Value slot, Value weight) {
    int64_t n = fanout[l];
    int64_t k = gates[l].getK();
    SelectScratch &s = scratch[l];
    Value probsBase =
        perNode(logits[l], l, 1) ? e.muli(node, e.idx(n)) : e.idx(0);
    // A copy of this node's probabilities, so that `chosen` indexes them.
    // (Scratch lives at token scope: an alloca here would grow the stack on
    // every iteration of the enclosing level's loop.)
    e.loop(0, n, [&](Value c) {
      e.store(e.load(levelProbs[l], e.addi(probsBase, c)), s.probs, c);
    });
    s.initKeys(e, n, s.probs, e.idx(0), selectionBias(l, node));
    emitTopK(e, s.keys, s.taken, e.idx(0), n, k, s.chosen, e.idx(0));
    Value logitNode = perNode(logits[l], l, 1) ? node : e.idx(0);
    emitChoiceWeights(
        e, gates[l], k, s.probs, s.chosen,
        [&](Value c) { return logit(l, logitNode, c); }, s.weights);
    e.loop(0, k, [&](Value j) {
      Value child = e.addi(e.muli(node, e.idx(n)), e.load(s.chosen, j));
      Value childSlot = e.addi(e.muli(slot, e.idx(k)), j);
      Value w = e.load(s.weights, j);
      Value childWeight = weight ? e.mulf(weight, w) : w;
      if (l + 1 == static_cast<int64_t>(fanout.size()))
        storeChoice(childSlot, child, childWeight);
      else
        emitNestedLevel(l + 1, levelProbs, scratch, child, childSlot,
                        childWeight);
    });
  }

  /// group_limited and per_group: one gate over all experts.
  void emitSingleGate() {
    StrategyAttr strategy = op.getStrategy();
    GateAttr gate = gates[0];
    int64_t numExperts = fanout[0];
    int64_t groups = strategy.getGroups();
    int64_t groupSize = numExperts / groups;
    Value probs = e.allocaOf(numExperts, e.b.getF32Type());
    emitNormalize(
        e, gate, numExperts, [&](Value c) { return logit(0, e.idx(0), c); },
        probs, e.idx(0));
    e.loop(0, numExperts,
           [&](Value ex) { e.store(e.load(probs, ex), probsOut, {t, ex}); });

    bool perGroup = strategy.getKind() == StrategyKind::PerGroup;
    int64_t k = perGroup ? groups * gate.getK() : gate.getK();
    SelectScratch s(e, numExperts, k);
    s.initKeys(e, numExperts, probs, e.idx(0), selectionBias(0, e.idx(0)));

    if (perGroup) {
      // The top k inside every group, group by group.
      e.loop(0, groups, [&](Value g) {
        emitTopK(e, s.keys, s.taken, e.muli(g, e.idx(groupSize)), groupSize,
                 gate.getK(), s.chosen, e.muli(g, e.idx(gate.getK())));
      });
    } else {
      emitKeptGroupsMask(s, groups, groupSize);
      emitTopK(e, s.keys, s.taken, e.idx(0), numExperts, k, s.chosen, e.idx(0));
    }
    emitChoiceWeights(
        e, gate, k, probs, s.chosen,
        [&](Value c) { return logit(0, e.idx(0), c); }, s.weights);
    e.loop(0, k, [&](Value j) {
      storeChoice(j, e.load(s.chosen, j), e.load(s.weights, j));
    });
  }

  /// group_limited: scores the groups from the selection keys, keeps the
  /// best k_groups, and marks every expert outside them taken.
  void emitKeptGroupsMask(SelectScratch &s, int64_t groups, int64_t groupSize) {
    StrategyAttr strategy = op.getStrategy();
    int64_t m =
        strategy.getGroupScore() == GroupScore::Max ? 1 : strategy.getTopM();
    Value groupKeys = e.allocaOf(groups, e.b.getF32Type());
    Value groupTaken = e.allocaOf(groups, e.b.getI1Type());
    Value best = e.allocaOf(m, e.b.getIndexType());
    e.loop(0, groups, [&](Value g) {
      // The group's score: the sum of its m best keys (m = 1 for max), in
      // the same order as expert selection.
      emitTopK(e, s.keys, s.taken, e.muli(g, e.idx(groupSize)), groupSize, m,
               best, e.idx(0));
      Value score =
          e.loop(e.idx(0), e.idx(m), {e.f32(0.0)},
                 [&](Value j, ValueRange acc) -> SmallVector<Value> {
                   return {e.addf(acc[0], e.load(s.keys, e.load(best, j)))};
                 })[0];
      e.store(score, groupKeys, g);
      e.store(e.i1(false), groupTaken, g);
    });
    Value keptGroups = e.allocaOf(strategy.getKGroups(), e.b.getIndexType());
    emitTopK(e, groupKeys, groupTaken, e.idx(0), groups, strategy.getKGroups(),
             keptGroups, e.idx(0));
    // groupTaken now marks the kept groups; their experts are the
    // candidates.
    e.loop(0, groups * groupSize, [&](Value ex) {
      Value kept = e.load(groupTaken, e.divui(ex, e.idx(groupSize)));
      e.store(e.noti(kept), s.taken, ex);
    });
  }

  Emitter &e;
  RouteOp op;
  SmallVector<GateAttr> gates;
  ArrayRef<Value> logits, selectionBiases;
  Value routerScale, weightsOut, expertsOut, probsOut;
  SmallVector<int64_t> fanout;
  Value t;
};
} // namespace

LogicalResult hmoe::emitRouteToken(OpBuilder &builder, Location loc, RouteOp op,
                                   Value token) {
  if (!allMemRefs(op))
    return failure();
  ImplicitLocOpBuilder b(loc, builder);
  Emitter e{b};
  SmallVector<Value> logits(op.getLogits()), selectionBiases;
  for (int64_t l = 0, n = logits.size(); l < n; ++l)
    selectionBiases.push_back(op.getSelectionBias(l));
  RouteEmitter emitter(e, op, logits, selectionBiases, op.getRouterScale(),
                       op.getWeightsInit(), op.getExpertsInit(),
                       op.getProbsInit());
  // The token's scratch is freed when it is done: the scope keeps a loop
  // over tokens from growing the stack.
  auto scope = memref::AllocaScopeOp::create(b, TypeRange{});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(b.createBlock(&scope.getBodyRegion()));
  emitter.emitToken(token);
  memref::AllocaScopeReturnOp::create(b, ValueRange{});
  return success();
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

  for (auto [attr, out] : llvm::zip(op.getStats(), op.getOuts())) {
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
