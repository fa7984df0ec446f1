//===- RouteLoops.cpp - hmoe.route as per-token scalar or vector code -----===//
//
// One algorithm, written once over "lanes": with one lane it routes one
// token with scalar code (the route's TilingInterface scalar
// implementation); with W lanes it routes W consecutive tokens at once, each
// value a vector<W> whose lane i belongs to token t0 + i. Every loop of the
// algorithm runs over candidates, levels, groups or choices, never over
// data-dependent bounds, so the lanes share the control flow; what differs
// per lane is data, including indices (the chosen child of a node), which
// are vector<W x i32> ("varying") where they depend on the token and plain
// `index` values ("uniform") where they do not.
//
// Per-lane scratch is an array of n elements per lane, stored lane-minor
// ([n][W]), so a uniform index reads one contiguous vector and a varying
// one a gather. Booleans are bytes in vector scratch (a vector<W x i1> in
// memory is bit-packed, a memref of i1 is not).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::hmoe;

namespace {
using arith::CmpFPredicate;

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

/// Values of W lanes (W = 1: plain scalars) and the memory they live in.
class Lanes {
public:
  Lanes(Emitter &e, int64_t width, Value firstToken)
      : e(e), width(width), firstToken(firstToken) {}

  Emitter &e;

  bool vectors() const { return width > 1; }

  Value f32(double v) { return splat(e.f32(v)); }
  Value i1(bool v) { return splat(e.i1(v)); }
  Value noti(Value x) { return arith::XOrIOp::create(e.b, x, i1(true)); }
  Value isNaN(Value x) { return e.isNaN(x); }
  Value sigmoid(Value x) {
    return e.divf(f32(1.0), e.addf(f32(1.0), e.exp(e.negf(x))));
  }

  /// A uniform index (the same for every lane).
  Value idx(int64_t v) { return e.idx(v); }
  bool isVarying(Value i) const { return isa<VectorType>(i.getType()); }
  /// `i` as a per-lane index (vector<W x i32>; W = 1: unchanged).
  Value varying(Value i) {
    if (!vectors() || isVarying(i))
      return i;
    return vector::BroadcastOp::create(e.b, indexVectorType(), e.toI32(i));
  }
  Value addIdx(Value a, Value b) { return indexOp<arith::AddIOp>(a, b); }
  Value mulIdx(Value a, int64_t c) { return indexOp<arith::MulIOp>(a, idx(c)); }
  Value divIdx(Value a, int64_t c) {
    return indexOp<arith::DivUIOp>(a, idx(c));
  }
  Value remIdx(Value a, int64_t c) {
    return indexOp<arith::RemUIOp>(a, idx(c));
  }
  Value selectIdx(Value cond, Value a, Value b) {
    return e.select(cond, varying(a), varying(b));
  }
  Value cmpIdx(arith::CmpIPredicate p, Value a, Value b) {
    if (!isVarying(a) && !isVarying(b))
      return e.cmpi(p, a, b);
    return e.cmpi(p, varying(a), varying(b));
  }

  /// Per-lane scratch of `n` elements of `elem` (f32, i1 or index).
  Value scratch(int64_t n, Type elem) {
    if (!vectors())
      return e.allocaOf(n, elem);
    return e.allocaOf(n * width, storageType(elem));
  }
  Value load(Value scratchBuffer, Value i) {
    if (!vectors())
      return e.load(scratchBuffer, i);
    Type stored = cast<MemRefType>(scratchBuffer.getType()).getElementType();
    auto type = VectorType::get({width}, stored);
    Value v;
    if (!isVarying(i)) {
      v = vector::LoadOp::create(e.b, type, scratchBuffer,
                                 ValueRange{e.muli(i, idx(width))});
    } else {
      Value zero = arith::ConstantOp::create(e.b, type, e.b.getZeroAttr(type));
      v = vector::GatherOp::create(e.b, type, scratchBuffer, ValueRange{idx(0)},
                                   laneOffsets(i), allLanes(), zero);
    }
    return stored.isInteger(8)
               ? arith::TruncIOp::create(e.b, withElement(e.b.getI1Type()), v)
               : v;
  }
  void store(Value v, Value scratchBuffer, Value i) {
    if (!vectors()) {
      e.store(v, scratchBuffer, i);
      return;
    }
    Type stored = cast<MemRefType>(scratchBuffer.getType()).getElementType();
    if (stored.isInteger(8))
      v = arith::ExtUIOp::create(e.b, withElement(stored), v);
    if (!isVarying(i)) {
      vector::StoreOp::create(e.b, v, scratchBuffer,
                              ValueRange{e.muli(i, idx(width))});
      return;
    }
    vector::ScatterOp::create(e.b, /*resultType=*/nullptr, scratchBuffer,
                              ValueRange{idx(0)}, laneOffsets(i), allLanes(),
                              v);
  }

  /// `buffer[token, delinearize(flat)]` for each lane's token.
  Value loadToken(Value buffer, Value flat) {
    if (!vectors())
      return loadFlat(e, buffer, firstToken, flat);
    return perLane(e.b.getF32Type(), [&](int64_t lane) {
      return loadFlat(e, buffer, token(lane), laneIndex(flat, lane));
    });
  }
  /// `buffer[delinearize(flat)]`, shared by all tokens.
  Value loadShared(Value buffer, Value flat) {
    if (!isVarying(flat))
      return splat(loadFlat(e, buffer, {}, flat));
    return perLane(e.b.getF32Type(), [&](int64_t lane) {
      return loadFlat(e, buffer, {}, laneIndex(flat, lane));
    });
  }
  /// `buffer[token, column] = v` for each lane's token; `column` is uniform.
  void storeToken(Value v, Value buffer, Value column) {
    if (!vectors()) {
      e.store(v, buffer, {firstToken, column});
      return;
    }
    for (int64_t lane = 0; lane < width; ++lane) {
      Value x = isa<VectorType>(v.getType())
                    ? vector::ExtractOp::create(e.b, v, lane).getResult()
                    : v;
      e.store(x, buffer, {token(lane), column});
    }
  }
  /// An expert index as stored in the experts output (i32 per lane).
  Value expertId(Value i) { return isVarying(i) ? i : e.toI32(i); }
  /// A scalar as every lane's value.
  Value splat(Value scalar) {
    if (!vectors())
      return scalar;
    return vector::BroadcastOp::create(
        e.b, VectorType::get({width}, scalar.getType()), scalar);
  }

private:
  VectorType indexVectorType() {
    return VectorType::get({width}, e.b.getI32Type());
  }
  VectorType withElement(Type elem) { return VectorType::get({width}, elem); }
  Type storageType(Type elem) {
    if (elem.isInteger(1))
      return e.b.getI8Type();
    if (elem.isIndex())
      return e.b.getI32Type();
    return elem;
  }
  template <typename OpTy> Value indexOp(Value a, Value b) {
    if (!isVarying(a) && !isVarying(b))
      return OpTy::create(e.b, a, b);
    return OpTy::create(e.b, varying(a), varying(b));
  }
  /// Element offsets of lane-minor scratch: i * W + lane.
  Value laneOffsets(Value i) {
    SmallVector<int32_t> lanes;
    for (int64_t lane = 0; lane < width; ++lane)
      lanes.push_back(lane);
    Value iota = arith::ConstantOp::create(
        e.b, DenseIntElementsAttr::get(indexVectorType(), lanes));
    Value w = varying(idx(width));
    return e.addi(e.muli(i, w), iota);
  }
  Value allLanes() {
    auto type = withElement(e.b.getI1Type());
    return arith::ConstantOp::create(e.b, type,
                                     DenseElementsAttr::get(type, true));
  }
  Value token(int64_t lane) { return e.addi(firstToken, idx(lane)); }
  /// Lane `lane` of index `i` as an `index` value.
  Value laneIndex(Value i, int64_t lane) {
    if (!isVarying(i))
      return i;
    return e.toIndex(vector::ExtractOp::create(e.b, i, lane));
  }
  /// A vector whose lane i is `f(i)`.
  Value perLane(Type elem, function_ref<Value(int64_t)> f) {
    auto type = withElement(elem);
    Value v = arith::ConstantOp::create(e.b, type, e.b.getZeroAttr(type));
    for (int64_t lane = 0; lane < width; ++lane)
      v = vector::InsertOp::create(e.b, f(lane), v, lane);
    return v;
  }

  int64_t width;
  Value firstToken;
};

/// Whether candidate (key, at) comes after (prevKey, prevAt) in the order of
/// #hmoe.gate's docs: numbers before NaN, larger first, ties (NaN among NaN
/// too) to the lower position.
Value comesAfter(Lanes &L, Value prevKey, Value prevAt, Value key, Value at) {
  Emitter &e = L.e;
  Value isNaN = L.isNaN(key);
  Value later = L.cmpIdx(arith::CmpIPredicate::sgt, at, prevAt);
  Value afterNumber = e.ori(
      isNaN, e.ori(e.cmpf(CmpFPredicate::OLT, key, prevKey),
                   e.andi(e.cmpf(CmpFPredicate::OEQ, key, prevKey), later)));
  return e.select(L.isNaN(prevKey), e.andi(isNaN, later), afterNumber);
}

/// The best candidate so far of a top-k scan that visits candidates in
/// position order: its key, position, whether there is one, and the values
/// (`payload`) that come with it. emitTopK carries it through its loop, the
/// warp route through straight-line code and its butterflies.
struct Best {
  Value key, at, found;
  SmallVector<Value> payload;

  /// None yet (an arbitrary key and position `at`); payloads of `payload`'s
  /// count start as zeros.
  static Best none(Lanes &L, Value at, int64_t numPayloads) {
    return {L.f32(0.0), at, L.i1(false),
            SmallVector<Value>(numPayloads, L.f32(0.0))};
  }
  static Best of(ValueRange values) {
    return {values[0], values[1], values[2],
            llvm::to_vector(values.drop_front(3))};
  }
  SmallVector<Value> values() const {
    SmallVector<Value> all = {key, at, found};
    llvm::append_range(all, payload);
    return all;
  }

  /// Becomes (key, at, payload) where `take`.
  void takeIf(Lanes &L, Value take, Value newKey, Value newAt,
              ValueRange newPayload) {
    Emitter &e = L.e;
    key = e.select(take, newKey, key);
    at = L.selectIdx(take, newAt, at);
    found = e.ori(found, take);
    for (auto [mine, theirs] : llvm::zip_equal(payload, newPayload))
      mine = e.select(take, theirs, mine);
  }

  /// The scan's step at candidate (key, at): taken if it comes after the
  /// last winner (prevKey, prevAt), `eligible` admits it (null: all) and it
  /// beats the best so far: a later candidate only if strictly better, and
  /// NaN never beats a number.
  void consider(Lanes &L, Value prevKey, Value prevAt, Value newKey,
                Value newAt, Value eligible, ValueRange newPayload) {
    Emitter &e = L.e;
    Value admitted = comesAfter(L, prevKey, prevAt, newKey, newAt);
    if (eligible)
      admitted = e.andi(admitted, eligible);
    Value better =
        e.andi(L.noti(L.isNaN(newKey)),
               e.ori(L.isNaN(key), e.cmpf(CmpFPredicate::OGT, newKey, key)));
    takeIf(L, e.andi(admitted, e.ori(L.noti(found), better)), newKey, newAt,
           newPayload);
  }
};

/// Selects, best first, the `k` best of the `n` candidates at positions
/// `base + c` (c < n) with keys `keyOf(position)`, among those `eligible`
/// admits (all when null; at least `k` must be), in the order of
/// comesAfter. For the j-th winner calls `onWinner(j, position, key,
/// payload)`, where `payload` holds the `numPayloads` f32 values of
/// `payloadOf(position)` at the winner.
///
/// The j-th winner is the best candidate that comes after the (j-1)-th:
/// earlier winners are excluded by that comparison, not by marks stored at
/// their (run-time) positions, and what the caller needs of a winner comes
/// with it rather than by indexing with its position. So a token's scratch
/// is only ever indexed by loop counters, and once the loops are unrolled
/// (the GPU's one token a thread) it can live in registers.
void emitTopK(Lanes &L, Value base, int64_t n, int64_t k,
              function_ref<Value(Value)> keyOf,
              function_ref<Value(Value)> eligible, int64_t numPayloads,
              function_ref<SmallVector<Value>(Value)> payloadOf,
              function_ref<void(Value, Value, Value, ValueRange)> onWinner) {
  Emitter &e = L.e;
  // Before the first winner: a key and position everything comes after.
  SmallVector<Value> first = {L.f32(INFINITY), L.varying(L.idx(-1))};
  e.loop(e.idx(0), e.idx(k), first,
         [&](Value j, ValueRange prev) -> SmallVector<Value> {
           ValueRange best = e.loop(
               e.idx(0), e.idx(n),
               Best::none(L, L.varying(base), numPayloads).values(),
               [&](Value c, ValueRange acc) -> SmallVector<Value> {
                 Value at = L.addIdx(base, c);
                 Value key = keyOf(at);
                 Value admits = eligible ? eligible(at) : Value();
                 SmallVector<Value> payload;
                 if (numPayloads)
                   payload = payloadOf(at);
                 Best next = Best::of(acc);
                 next.consider(L, prev[0], prev[1], key, at, admits, payload);
                 return next.values();
               });
           onWinner(j, best[1], best[0], best.drop_front(3));
           return {best[0], best[1]};
         });
}

/// Normalises the `n` logits `logit(c)` of one node with `gate`'s softmax or
/// sigmoid and temperature, storing them at `probs[outBase + c]`.
void emitNormalize(Lanes &L, GateAttr gate, int64_t n,
                   function_ref<Value(Value)> logit, Value probs,
                   Value outBase) {
  Emitter &e = L.e;
  Value tau = L.f32(gate.getTemperatureValue());
  if (gate.getNormalization() == Normalization::Sigmoid) {
    e.loop(0, n, [&](Value c) {
      Value s = e.divf(logit(c), tau);
      L.store(L.sigmoid(s), probs, L.addIdx(outBase, c));
    });
    return;
  }
  // Stable softmax: exp((s - max) / tau) / sum. maximumf propagates NaN, so
  // one NaN logit makes the node's probabilities NaN, as in the definition.
  Value max = e.loop(e.idx(0), e.idx(n), {L.f32(-INFINITY)},
                     [&](Value c, ValueRange acc) -> SmallVector<Value> {
                       return {e.maxf(acc[0], logit(c))};
                     })[0];
  Value sum = e.loop(e.idx(0), e.idx(n), {L.f32(0.0)},
                     [&](Value c, ValueRange acc) -> SmallVector<Value> {
                       Value v = e.exp(e.divf(e.subf(logit(c), max), tau));
                       L.store(v, probs, L.addIdx(outBase, c));
                       return {e.addf(acc[0], v)};
                     })[0];
  e.loop(0, n, [&](Value c) {
    Value at = L.addIdx(outBase, c);
    L.store(e.divf(L.load(probs, at), sum), probs, at);
  });
}

/// Final weights of `count` chosen children: `p` (divided by the chosen
/// sum when `gate` renormalises) times the gate's scale. The j-th child's
/// probability is `probs[j]`, its logit (read in the log domain only)
/// `logitOf(j)`; the weights go to `out[j]`.
///
/// A renormalised sigmoid gate divides in the log domain: with
/// l = log sigmoid(s / tau), w_j = exp(l_j - max l) / sum exp(l_i - max l).
/// Far from its centre sigmoid underflows f32 (s / tau below ~-88 for
/// every chosen child gives p = 0 and 0 / 0), while the ratios of the p are
/// well defined; elsewhere both forms agree to rounding.
void emitChoiceWeights(Lanes &L, GateAttr gate, int64_t count, Value probs,
                       function_ref<Value(Value)> logitOf, Value out) {
  Emitter &e = L.e;
  bool renormalize = gate.getRenormalize();
  bool logDomain =
      renormalize && gate.getNormalization() == Normalization::Sigmoid;
  Value tau = L.f32(gate.getTemperatureValue());
  // log sigmoid(x) = min(x, 0) - log(1 + exp(-|x|)), exact for any x.
  auto logProb = [&](Value j) {
    Value x = e.divf(logitOf(j), tau);
    Value absX = math::AbsFOp::create(e.b, x);
    Value minX = arith::MinimumFOp::create(e.b, x, L.f32(0.0));
    return e.subf(minX, e.log(e.addf(L.f32(1.0), e.exp(e.negf(absX)))));
  };
  // Each log-probability, then each unnormalised weight, is computed once
  // and kept in `out`; the weights are summed on the way and scaled in place.
  Value maxLog;
  if (logDomain)
    maxLog = e.loop(e.idx(0), e.idx(count), {L.f32(-INFINITY)},
                    [&](Value j, ValueRange acc) -> SmallVector<Value> {
                      Value l = logProb(j);
                      L.store(l, out, j);
                      return {e.maxf(acc[0], l)};
                    })[0];
  Value sum = e.loop(e.idx(0), e.idx(count), {L.f32(0.0)},
                     [&](Value j, ValueRange acc) -> SmallVector<Value> {
                       Value w = logDomain
                                     ? e.exp(e.subf(L.load(out, j), maxLog))
                                     : L.load(probs, j);
                       L.store(w, out, j);
                       return {renormalize ? e.addf(acc[0], w) : acc[0]};
                     })[0];
  double scale = gate.getScaleValue();
  if (!renormalize && scale == 1.0)
    return;
  e.loop(0, count, [&](Value j) {
    Value w = L.load(out, j);
    if (renormalize)
      w = e.divf(w, sum);
    if (scale != 1.0)
      w = e.mulf(w, L.f32(scale));
    L.store(w, out, j);
  });
}

/// Per-token scratch of one selection step: the candidates' keys (and
/// probabilities, where a chosen node's are read at a run-time position),
/// and for each of the k winners its position, probability and weight.
/// Indexed by loop counters only, but for `probs`' copy.
struct SelectScratch {
  /// `probs` (with `nodeProbs`): a copy of a node's probabilities, which a
  /// level with a gate per node and a selection bias reads its winners'
  /// from.
  Value keys, probs, chosen, chosenProbs, weights;
  SelectScratch(Lanes &L, int64_t n, int64_t k, bool nodeProbs = false) {
    Builder &b = L.e.b;
    keys = L.scratch(n, b.getF32Type());
    if (nodeProbs)
      probs = L.scratch(n, b.getF32Type());
    chosen = L.scratch(k, b.getIndexType());
    chosenProbs = L.scratch(k, b.getF32Type());
    weights = L.scratch(k, b.getF32Type());
  }
  /// keys[c] = probOf(c) + selectionBias[c] (bias optional).
  void initKeys(Lanes &L, int64_t n, function_ref<Value(Value)> probOf,
                const std::function<Value(Value)> &selectionBias) {
    L.e.loop(0, n, [&](Value c) {
      Value key = probOf(c);
      if (selectionBias)
        key = L.e.addf(key, selectionBias(c));
      L.store(key, keys, c);
    });
  }
  /// The `k` best of the `n` candidates at keys[base + c] (those `eligible`
  /// admits), stored from slot `outBase` on: the position and probability
  /// of each, the latter `probOf(position)`, or the key where null (no
  /// selection bias).
  void select(Lanes &L, Value base, int64_t n, int64_t k, Value outBase,
              const std::function<Value(Value)> &probOf,
              function_ref<Value(Value)> eligible = nullptr) {
    emitTopK(
        L, base, n, k, [&](Value at) { return L.load(keys, at); }, eligible,
        probOf ? 1 : 0,
        [&](Value at) -> SmallVector<Value> { return {probOf(at)}; },
        [&](Value j, Value at, Value key, ValueRange payload) {
          Value slot = L.addIdx(outBase, j);
          L.store(at, chosen, slot);
          L.store(probOf ? payload[0] : key, chosenProbs, slot);
        });
  }
  /// The weights of the `k` winners; `logitOf(position)` in the log domain.
  void weigh(Lanes &L, GateAttr gate, int64_t k,
             function_ref<Value(Value)> logitOf) {
    emitChoiceWeights(
        L, gate, k, chosenProbs,
        [&](Value j) { return logitOf(L.load(chosen, j)); }, weights);
  }
};

/// Most nodes of a level whose per-node probabilities are picked by selects
/// rather than read at the run-time node's position (RouteEmitter::
/// loadOfNode).
constexpr int64_t kMaxSelectedNodes = 16;

/// Emits the routing of the lanes' tokens for `op` (on buffers).
class RouteEmitter {
public:
  RouteEmitter(Lanes &L, RouteOp op)
      : L(L), e(L.e), op(op), gates(op.getGateList()), logits(op.getLogits()),
        routerScale(op.getRouterScale()), weightsOut(op.getWeightsInit()),
        expertsOut(op.getExpertsInit()), probsOut(op.getProbsInit()) {
    for (int64_t l = 0, n = logits.size(); l < n; ++l)
      selectionBiases.push_back(op.getSelectionBias(l));
    for (Value l : logits)
      fanout.push_back(cast<MemRefType>(l.getType()).getShape().back());
  }

  void emit() {
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
    return L.addIdx(L.mulIdx(node, fanout[l]), c);
  }
  Value logit(int64_t l, Value node, Value c) {
    return L.loadToken(logits[l], flatChild(logits[l], l, 1, node, c));
  }
  std::function<Value(Value)> selectionBias(int64_t l, Value node) {
    Value bias = selectionBiases[l];
    if (!bias)
      return nullptr;
    return [this, bias, l, node](Value c) {
      return L.loadShared(bias, flatChild(bias, l, 0, node, c));
    };
  }
  Value scaledByRouter(Value w, Value expert) {
    if (!routerScale)
      return w;
    return e.mulf(w, L.loadShared(routerScale, expert));
  }
  void storeChoice(Value slot, Value expert, Value weight) {
    L.storeToken(L.expertId(expert), expertsOut, slot);
    L.storeToken(scaledByRouter(weight, expert), weightsOut, slot);
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
        Value p = L.scratch(n, e.b.getF32Type());
        emitNormalize(
            L, gates[l], n, [&](Value c) { return logit(l, L.idx(0), c); }, p,
            L.idx(0));
        levelProbs.push_back(p);
      } else {
        Value p = L.scratch(nodes * n, e.b.getF32Type());
        e.loop(0, nodes, [&](Value node) {
          emitNormalize(
              L, gates[l], n, [&](Value c) { return logit(l, node, c); }, p,
              L.mulIdx(node, n));
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
        Value node = below == 1 ? ex : L.divIdx(ex, below);
        if (!perNode(logits[l], l, 1))
          node = L.remIdx(node, fanout[l]);
        Value p = L.load(levelProbs[l], node);
        prod = prod ? e.mulf(prod, p) : p;
      }
      L.storeToken(prod, probsOut, ex);
    });

    SmallVector<SelectScratch> scratch;
    for (int64_t l = 0; l < numLevels; ++l)
      scratch.emplace_back(L, fanout[l], gates[l].getK(),
                           selectionBiases[l] && perNode(logits[l], l, 1));
    emitNestedLevel(0, levelProbs, scratch, L.idx(0), L.idx(0), Value());
  }

  /// `probs[node * fanout[l] + c]` for the run-time `node` of level `l`:
  /// among at most kMaxSelectedNodes nodes, each node's value read at a
  /// constant position and the node's picked by selects, so that the
  /// scratch is never indexed at run time (registers on the GPU; contiguous
  /// loads instead of a gather on the CPU's lanes).
  Value loadOfNode(Value probs, int64_t l, Value node, Value c) {
    int64_t n = fanout[l];
    int64_t nodes = 1;
    for (int64_t i = 0; i < l; ++i)
      nodes *= fanout[i];
    if (nodes > kMaxSelectedNodes)
      return L.load(probs, L.addIdx(L.mulIdx(node, n), c));
    auto of = [&](int64_t m) {
      return L.load(probs, L.addIdx(L.idx(m * n), c));
    };
    Value v = of(nodes - 1);
    for (int64_t m = nodes - 2; m >= 0; --m)
      v = e.select(L.cmpIdx(arith::CmpIPredicate::eq, node, L.idx(m)), of(m),
                   v);
    return v;
  }

  /// Chooses among the children of `node` at level `l`; `slot` and `weight`
  /// are the slot prefix and weight product of the choices above.
  void emitNestedLevel(int64_t l, ArrayRef<Value> levelProbs,
                       MutableArrayRef<SelectScratch> scratch, Value node,
                       Value slot, Value weight) {
    int64_t n = fanout[l];
    int64_t k = gates[l].getK();
    SelectScratch &s = scratch[l];
    // (Scratch lives at token scope: an alloca here would grow the stack on
    // every iteration of the enclosing level's loop.)
    bool perNodeGate = perNode(logits[l], l, 1);
    auto nodeProb = [&](Value c) {
      return perNodeGate ? loadOfNode(levelProbs[l], l, node, c)
                         : L.load(levelProbs[l], c);
    };
    auto bias = selectionBias(l, node);
    s.initKeys(L, n, nodeProb, bias);
    // Without a bias the keys are the probabilities; with one, the winners'
    // probabilities are read in the scan: for a gate per node from a copy
    // of this node's (read once, not k times).
    std::function<Value(Value)> probOf;
    if (bias && perNodeGate) {
      assert(s.probs && "a node's probabilities' copy, allocated for it");
      e.loop(0, n, [&](Value c) { L.store(nodeProb(c), s.probs, c); });
      probOf = [&](Value c) { return L.load(s.probs, c); };
    } else if (bias) {
      probOf = [&](Value c) { return L.load(levelProbs[l], c); };
    }
    s.select(L, L.idx(0), n, k, L.idx(0), probOf);
    Value logitNode = perNodeGate ? node : L.idx(0);
    s.weigh(L, gates[l], k, [&](Value c) { return logit(l, logitNode, c); });
    e.loop(0, k, [&](Value j) {
      Value child = L.addIdx(L.mulIdx(node, n), L.load(s.chosen, j));
      Value childSlot = L.addIdx(L.mulIdx(slot, k), j);
      Value w = L.load(s.weights, j);
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
    Value probs = L.scratch(numExperts, e.b.getF32Type());
    emitNormalize(
        L, gate, numExperts, [&](Value c) { return logit(0, L.idx(0), c); },
        probs, L.idx(0));
    e.loop(0, numExperts,
           [&](Value ex) { L.storeToken(L.load(probs, ex), probsOut, ex); });

    bool perGroup = strategy.getKind() == StrategyKind::PerGroup;
    int64_t k = perGroup ? groups * gate.getK() : gate.getK();
    SelectScratch s(L, numExperts, k);
    auto bias = selectionBias(0, L.idx(0));
    s.initKeys(
        L, numExperts, [&](Value ex) { return L.load(probs, ex); }, bias);

    // Without a bias the keys are the probabilities.
    std::function<Value(Value)> probOf;
    if (bias)
      probOf = [&](Value ex) { return L.load(probs, ex); };
    if (perGroup) {
      // The top k inside every group, group by group.
      e.loop(0, groups, [&](Value g) {
        s.select(L, L.mulIdx(g, groupSize), groupSize, gate.getK(),
                 L.mulIdx(g, gate.getK()), probOf);
      });
    } else {
      Value kept = emitKeptGroups(s, groups, groupSize);
      s.select(L, L.idx(0), numExperts, k, L.idx(0), probOf,
               [&](Value ex) { return L.load(kept, L.divIdx(ex, groupSize)); });
    }
    s.weigh(L, gate, k, [&](Value ex) { return logit(0, L.idx(0), ex); });
    e.loop(0, k, [&](Value j) {
      storeChoice(j, L.load(s.chosen, j), L.load(s.weights, j));
    });
  }

  /// group_limited: scores the groups from the selection keys and returns
  /// scratch marking the best k_groups of them, whose experts are the
  /// candidates.
  Value emitKeptGroups(SelectScratch &s, int64_t groups, int64_t groupSize) {
    StrategyAttr strategy = op.getStrategy();
    int64_t m =
        strategy.getGroupScore() == GroupScore::Max ? 1 : strategy.getTopM();
    auto keyOf = [&](Value at) { return L.load(s.keys, at); };
    Value groupKeys = L.scratch(groups, e.b.getF32Type());
    e.loop(0, groups, [&](Value g) {
      // The group's score: the sum of its m best keys (m = 1 for max), in
      // the same order as expert selection.
      L.store(L.f32(0.0), groupKeys, g);
      emitTopK(L, L.mulIdx(g, groupSize), groupSize, m, keyOf, nullptr, 0,
               nullptr, [&](Value, Value, Value key, ValueRange) {
                 L.store(e.addf(L.load(groupKeys, g), key), groupKeys, g);
               });
    });
    int64_t kGroups = strategy.getKGroups();
    Value keptGroups = L.scratch(kGroups, e.b.getIndexType());
    emitTopK(
        L, L.idx(0), groups, kGroups,
        [&](Value g) { return L.load(groupKeys, g); }, nullptr, 0, nullptr,
        [&](Value j, Value g, Value, ValueRange) {
          L.store(g, keptGroups, j);
        });
    // kept[g] = g is one of keptGroups, compared rather than marked at the
    // kept groups' (run-time) positions.
    Value kept = L.scratch(groups, e.b.getI1Type());
    e.loop(0, groups, [&](Value g) {
      Value isKept = e.loop(e.idx(0), e.idx(kGroups), {L.i1(false)},
                            [&](Value j, ValueRange acc) -> SmallVector<Value> {
                              Value same = L.cmpIdx(arith::CmpIPredicate::eq,
                                                    L.load(keptGroups, j), g);
                              return {e.ori(acc[0], same)};
                            })[0];
      L.store(isKept, kept, g);
    });
    return kept;
  }

  Lanes &L;
  Emitter &e;
  RouteOp op;
  SmallVector<GateAttr> gates;
  SmallVector<Value> logits, selectionBiases;
  Value routerScale, weightsOut, expertsOut, probsOut;
  SmallVector<int64_t> fanout;
};

/// One token's route on the 32 lanes of a warp (emitRouteTokenOnWarp).
/// Lane l holds the logit, probability and key of experts l, l + 32, ...
/// ("registers" i = 0, 1, ...), indexed only by C++ loop counters, so they
/// stay in registers. `L` computes on the lanes' values, `U` on the
/// uniform ones (scalars; the winners' weights use RouteEmitter's code on
/// them).
class WarpRouteEmitter {
public:
  WarpRouteEmitter(Emitter &e, RouteOp op, Value token, WarpLanes &warp)
      : e(e), b(e.b), op(op), token(token), warp(warp),
        L(e, warp.vectors() ? WarpLanes::kSize : 1, token), U(e, 1, token),
        gate(op.getGateList()[0]), logits(op.getLogits()[0]),
        bias(op.getSelectionBias(0)) {
    int64_t numExperts = cast<MemRefType>(logits.getType()).getShape().back();
    Value lane = warp.laneId(b);
    for (int64_t i = 0; i < numExperts / WarpLanes::kSize; ++i)
      positions.push_back(L.addIdx(lane, L.idx(i * WarpLanes::kSize)));
  }

  void emit() {
    SmallVector<Value> probs = normalize();
    for (auto [i, p] : llvm::enumerate(probs))
      warp.storeRow(b, p, op.getProbsInit(), token, column(i));
    SmallVector<Value> keys(probs);
    if (bias)
      for (size_t i = 0; i < keys.size(); ++i)
        keys[i] = e.addf(keys[i], warp.loadRow(b, bias, {}, column(i)));
    // Without a bias the keys are the probabilities.
    ArrayRef<Value> payload = bias ? ArrayRef<Value>(probs) : ArrayRef<Value>();
    SmallVector<int64_t> all = llvm::to_vector(
        llvm::seq<int64_t>(0, static_cast<int64_t>(positions.size())));
    StrategyAttr strategy = op.getStrategy();
    int64_t groups = std::max<int64_t>(strategy.getGroups(), 1);
    int64_t groupSize = WarpLanes::kSize * positions.size() / groups;
    SmallVector<Winner> winners;
    auto keepWinner = [&](int64_t, Winner w) { winners.push_back(w); };
    switch (strategy.getKind()) {
    case StrategyKind::PerGroup:
      // The top k inside every group, group by group.
      for (int64_t g = 0; g < groups; ++g)
        selectTopK(
            gate.getK(), registersOf(g, groupSize), keys, payload,
            [&](int64_t i) { return inGroup(i, g, groupSize); }, keepWinner);
      break;
    case StrategyKind::GroupLimited: {
      SmallVector<Value> kept = keptGroups(keys, groups, groupSize);
      selectTopK(
          gate.getK(), all, keys, payload,
          [&](int64_t i) {
            Value eligible;
            for (int64_t g : groupsOf(i, groupSize)) {
              Value here = L.splat(kept[g]);
              if (Value within = inGroup(i, g, groupSize))
                here = e.andi(within, here);
              eligible = eligible ? e.ori(eligible, here) : here;
            }
            return eligible;
          },
          keepWinner);
      break;
    }
    case StrategyKind::Nested:
      selectTopK(gate.getK(), all, keys, payload, nullptr, keepWinner);
      break;
    }
    weighAndStore(winners);
  }

private:
  /// A winner of a selection, as every lane holds it: its position, key
  /// and probability.
  struct Winner {
    Value at, key, prob;
  };

  Value column(int64_t i) { return e.idx(i * WarpLanes::kSize); }

  /// `values` combined with each other lane's by `combine(mine, theirs)`,
  /// a butterfly over the lanes: every lane ends with the same values
  /// (`combine` is commutative).
  SmallVector<Value>
  allReduce(SmallVector<Value> values,
            function_ref<SmallVector<Value>(ValueRange, ValueRange)> combine) {
    for (int64_t mask = WarpLanes::kSize / 2; mask >= 1; mask /= 2) {
      SmallVector<Value> theirs = llvm::map_to_vector(
          values, [&](Value v) { return warp.shuffleXor(b, v, mask); });
      values = combine(values, theirs);
    }
    return values;
  }
  Value allReduce(Value v, function_ref<Value(Value, Value)> combine) {
    return allReduce(SmallVector<Value>{v},
                     [&](ValueRange mine, ValueRange theirs) {
                       return SmallVector<Value>{combine(mine[0], theirs[0])};
                     })[0];
  }

  /// The lanes' logits as the gate's softmax or sigmoid (emitNormalize's
  /// arithmetic; a softmax's maximum and sum are per lane, then over the
  /// lanes).
  SmallVector<Value> normalize() {
    Value tau = L.f32(gate.getTemperatureValue());
    SmallVector<Value> scores, probs;
    for (int64_t i = 0, n = positions.size(); i < n; ++i)
      scores.push_back(warp.loadRow(b, logits, token, column(i)));
    if (gate.getNormalization() == Normalization::Sigmoid) {
      for (Value s : scores)
        probs.push_back(L.sigmoid(e.divf(s, tau)));
      return probs;
    }
    auto maxf = [&](Value x, Value y) { return e.maxf(x, y); };
    auto addf = [&](Value x, Value y) { return e.addf(x, y); };
    Value max = scores[0];
    for (Value s : ArrayRef<Value>(scores).drop_front())
      max = e.maxf(max, s);
    max = allReduce(max, maxf);
    Value sum;
    for (Value s : scores) {
      probs.push_back(e.exp(e.divf(e.subf(s, max), tau)));
      sum = sum ? e.addf(sum, probs.back()) : probs.back();
    }
    sum = allReduce(sum, addf);
    for (Value &p : probs)
      p = e.divf(p, sum);
    return probs;
  }

  /// Registers holding experts of group `g` (groups of `size` experts).
  SmallVector<int64_t> registersOf(int64_t g, int64_t size) {
    return llvm::to_vector(
        llvm::seq<int64_t>(g * size / WarpLanes::kSize,
                           ((g + 1) * size - 1) / WarpLanes::kSize + 1));
  }
  /// Groups with experts in register `i`.
  SmallVector<int64_t> groupsOf(int64_t i, int64_t size) {
    return llvm::to_vector(
        llvm::seq<int64_t>(i * WarpLanes::kSize / size,
                           ((i + 1) * WarpLanes::kSize - 1) / size + 1));
  }
  /// Whether each lane's expert of register `i` is in group `g`; null
  /// where the whole register is.
  Value inGroup(int64_t i, int64_t g, int64_t size) {
    if (i * WarpLanes::kSize >= g * size &&
        (i + 1) * WarpLanes::kSize <= (g + 1) * size)
      return Value();
    return L.cmpIdx(arith::CmpIPredicate::eq, L.divIdx(positions[i], size),
                    L.idx(g));
  }

  /// emitTopK over the lanes: the `k` best candidates of registers `regs`
  /// (those `eligible(i)` admits: null, all), best first. Each lane scans
  /// its own candidates for the best that comes after the last winner,
  /// then a butterfly keeps the better of two lanes' (comesAfter's order,
  /// a total one: positions differ). `onWinner(j, winner)`; the winner's
  /// probability is `probs`' at its position (the key where empty).
  void selectTopK(int64_t k, ArrayRef<int64_t> regs, ArrayRef<Value> keys,
                  ArrayRef<Value> probs, function_ref<Value(int64_t)> eligible,
                  function_ref<void(int64_t, Winner)> onWinner) {
    Value prevKey = L.f32(INFINITY), prevAt = L.varying(L.idx(-1));
    for (int64_t j = 0; j < k; ++j) {
      Best best = Best::none(L, L.varying(L.idx(0)), probs.empty() ? 0 : 1);
      for (int64_t i : regs)
        best.consider(L, prevKey, prevAt, keys[i], positions[i],
                      eligible ? eligible(i) : Value(),
                      probs.empty() ? ValueRange() : ValueRange(probs[i]));
      // Theirs where it comes first (comesAfter's order is total).
      best = Best::of(
          allReduce(best.values(), [&](ValueRange mine, ValueRange theirs) {
            Best better = Best::of(mine), other = Best::of(theirs);
            Value takeTheirs =
                e.andi(other.found, e.ori(L.noti(better.found),
                                          comesAfter(L, other.key, other.at,
                                                     better.key, better.at)));
            better.takeIf(L, takeTheirs, other.key, other.at, other.payload);
            return better.values();
          }));
      Value uniformAt = warp.uniform(b, best.at);
      if (warp.vectors())
        uniformAt = e.toIndex(uniformAt);
      Value uniformKey = warp.uniform(b, best.key);
      onWinner(j,
               {uniformAt, uniformKey,
                probs.empty() ? uniformKey : warp.uniform(b, best.payload[0])});
      prevKey = best.key;
      prevAt = best.at;
    }
  }

  /// group_limited: each group's score from the keys (the sum of its m
  /// best, m = 1 for max; emitKeptGroups' order), then whether each group
  /// is among the best k_groups (uniform i1 per group).
  SmallVector<Value> keptGroups(ArrayRef<Value> keys, int64_t groups,
                                int64_t size) {
    StrategyAttr strategy = op.getStrategy();
    int64_t m =
        strategy.getGroupScore() == GroupScore::Max ? 1 : strategy.getTopM();
    SmallVector<Value> groupKeys;
    for (int64_t g = 0; g < groups; ++g) {
      Value sum = e.f32(0.0);
      selectTopK(
          m, registersOf(g, size), keys, {},
          [&](int64_t i) { return inGroup(i, g, size); },
          [&](int64_t, Winner w) { sum = e.addf(sum, w.key); });
      groupKeys.push_back(sum);
    }
    // The best k_groups of the (uniform) group keys, as emitTopK scans them.
    SmallVector<Value> kept(groups, e.i1(false));
    Value prevKey = e.f32(INFINITY), prevAt = e.idx(-1);
    for (int64_t j = 0; j < strategy.getKGroups(); ++j) {
      Best best = Best::none(U, e.idx(0), 0);
      for (auto [g, groupKey] : llvm::enumerate(groupKeys))
        best.consider(U, prevKey, prevAt, groupKey, e.idx(g), Value(), {});
      for (int64_t g = 0; g < groups; ++g)
        kept[g] =
            e.ori(kept[g], e.cmpi(arith::CmpIPredicate::eq, best.at, e.idx(g)));
      prevKey = best.key;
      prevAt = best.at;
    }
    return kept;
  }

  /// The winners' weights (emitChoiceWeights, on the uniform values) and
  /// the token's choices in slot order.
  void weighAndStore(ArrayRef<Winner> winners) {
    int64_t k = winners.size();
    Value chosen = U.scratch(k, b.getIndexType());
    Value chosenProbs = U.scratch(k, b.getF32Type());
    Value weights = U.scratch(k, b.getF32Type());
    for (auto [j, w] : llvm::enumerate(winners)) {
      U.store(w.at, chosen, e.idx(j));
      U.store(w.prob, chosenProbs, e.idx(j));
    }
    emitChoiceWeights(
        U, gate, k, chosenProbs,
        [&](Value j) { return U.loadToken(logits, U.load(chosen, j)); },
        weights);
    Value routerScale = op.getRouterScale();
    for (auto [j, w] : llvm::enumerate(winners)) {
      Value weight = U.load(weights, e.idx(j));
      if (routerScale)
        weight = e.mulf(weight, U.loadShared(routerScale, w.at));
      U.storeToken(e.toI32(w.at), op.getExpertsInit(), e.idx(j));
      U.storeToken(weight, op.getWeightsInit(), e.idx(j));
    }
  }

  Emitter &e;
  ImplicitLocOpBuilder &b;
  RouteOp op;
  Value token;
  WarpLanes &warp;
  Lanes L, U;
  GateAttr gate;
  Value logits, bias;
  /// Each register's expert position per lane (lane + 32 i).
  SmallVector<Value> positions;
};

bool allMemRefs(Operation *op) {
  return llvm::all_of(op->getOperandTypes(),
                      [](Type t) { return isa<MemRefType>(t); });
}

/// Emits `body` at `builder`'s insertion point inside a
/// memref.alloca_scope: the tokens' scratch is freed when they are done, so
/// a loop over tokens does not grow the stack.
void emitInAllocaScope(OpBuilder &builder, Location loc,
                       function_ref<void(Emitter &)> body) {
  ImplicitLocOpBuilder b(loc, builder);
  Emitter e{b};
  auto scope = memref::AllocaScopeOp::create(b, TypeRange{});
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(b.createBlock(&scope.getBodyRegion()));
  body(e);
  memref::AllocaScopeReturnOp::create(b, ValueRange{});
}
} // namespace

LogicalResult hmoe::emitRouteTokens(OpBuilder &builder, Location loc,
                                    RouteOp op, Value firstToken,
                                    int64_t lanes) {
  if (!allMemRefs(op) || lanes < 1)
    return failure();
  emitInAllocaScope(builder, loc, [&](Emitter &e) {
    Lanes L(e, lanes, firstToken);
    RouteEmitter(L, op).emit();
  });
  return success();
}

LogicalResult hmoe::emitRouteToken(OpBuilder &builder, Location loc, RouteOp op,
                                   Value token) {
  return emitRouteTokens(builder, loc, op, token, /*lanes=*/1);
}

int64_t hmoe::routeScratchElements(RouteOp op) {
  // The per-token scratch of RouteEmitter, rounded up: every level's
  // probabilities for every node, and per level its selection scratch (keys
  // and a copy of a node's probabilities; position, probability and weight
  // of each winner); group-limited's group keys, picks and kept flags.
  // per_group selects k in each group: groups * k winners.
  StrategyAttr strategy = op.getStrategy();
  int64_t winnersPerK = strategy.getKind() == StrategyKind::PerGroup
                            ? std::max<int64_t>(strategy.getGroups(), 1)
                            : 1;
  int64_t total = 0, nodes = 1;
  for (auto [logits, gate] : llvm::zip(op.getLogits(), op.getGateList())) {
    int64_t n = cast<ShapedType>(logits.getType()).getShape().back();
    if (nodes > (int64_t(1) << 31) / std::max<int64_t>(n, 1))
      return std::numeric_limits<int64_t>::max();
    nodes *= n;
    total += nodes + 2 * n + 3 * winnersPerK * gate.getK();
  }
  return total + 3 * strategy.getGroups();
}

bool hmoe::fitsWarpRoute(RouteOp op) {
  if (op.getLogits().size() != 1)
    return false;
  int64_t n = cast<ShapedType>(op.getLogits()[0].getType()).getShape().back();
  if (ShapedType::isDynamic(n) || n % WarpLanes::kSize != 0 ||
      n > kMaxWarpRouteExperts)
    return false;
  // The selections are straight-line code (each a butterfly), as is the
  // pick of the kept groups.
  StrategyAttr strategy = op.getStrategy();
  int64_t k = op.getGateList()[0].getK();
  int64_t groups = std::max<int64_t>(strategy.getGroups(), 1);
  int64_t selections = k;
  if (strategy.getKind() == StrategyKind::PerGroup)
    selections = groups * k;
  else if (strategy.getKind() == StrategyKind::GroupLimited)
    selections = groups * (strategy.getGroupScore() == GroupScore::Max
                               ? 1
                               : strategy.getTopM()) +
                 k;
  return groups <= kMaxWarpRouteGroups && selections <= kMaxWarpRouteSelections;
}

LogicalResult hmoe::emitRouteTokenOnWarp(OpBuilder &builder, Location loc,
                                         RouteOp op, Value token,
                                         WarpLanes &warp) {
  if (!allMemRefs(op) || !fitsWarpRoute(op))
    return failure();
  emitInAllocaScope(builder, loc, [&](Emitter &e) {
    WarpRouteEmitter(e, op, token, warp).emit();
  });
  return success();
}
