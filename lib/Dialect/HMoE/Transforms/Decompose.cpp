//===- Decompose.cpp - hmoe.moe into its stages ---------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/Passes.h"
#include "hmoe/Support/GreedyRewrite.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEDECOMPOSE
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// `tensor.generate` of `type` (dynamic dims from `dyn`) whose element at
/// `indices` is `body(indices)`.
Value generate(OpBuilder &b, Location loc, RankedTensorType type,
               ValueRange dyn,
               function_ref<Value(OpBuilder &, Location, ValueRange)> body) {
  return tensor::GenerateOp::create(
      b, loc, type, dyn, [&](OpBuilder &nb, Location nl, ValueRange ivs) {
        tensor::YieldOp::create(nb, nl, body(nb, nl, ivs));
      });
}

/// The shared experts a stage runs: their kind and weights, the layer's
/// (`of`) or an experts_on process's share of their hidden units.
struct SharedExperts {
  ExpertAttr kind;
  Value w1, wUp, b1, w2, b2;

  static SharedExperts of(MoEOp op) {
    return {op.getSharedExpertAttr(), op.getSharedW1(), op.getSharedWUp(),
            op.getSharedB1(),         op.getSharedW2(), op.getSharedB2()};
  }
};

/// The shared experts' gated outputs summed in f32 ([T, D_out]): one more
/// expert stage whose plan is dense, expert s holding every token (slots
/// s * T + t), combined with weight g(t) (1, or sigmoid(u . x_t) with the
/// shared gate u). With `first`, only the tokens [first, first + count)
/// (slots s * count + t - first; the other rows 0): an experts_on process's
/// share of the tokens.
Value sharedExpertsSum(PatternRewriter &rewriter, Location loc, MoEOp op,
                       const SharedExperts &experts, Value tokens,
                       Value first = {}, Value count = {}) {
  Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
  Value input = op.getInput();
  auto inType = op.getInput().getType();
  int64_t numTokens = inType.getDimSize(0);
  int64_t numShared =
      cast<RankedTensorType>(experts.w1.getType()).getDimSize(0);
  auto outType = op.getOutput().getType();
  int64_t dOut = outType.getDimSize(1);
  bool dynamic = ShapedType::isDynamic(numTokens);
  bool ranged = static_cast<bool>(first);
  Value t = dynamic ? tokens
                    : arith::ConstantIndexOp::create(rewriter, loc, numTokens);
  // Tokens per shared expert in the plan.
  Value n = ranged ? count : t;
  SmallVector<Value> dynT =
      dynamic ? SmallVector<Value>{tokens} : SmallVector<Value>{};
  auto toI32 = [&](OpBuilder &b, Location l, Value v) -> Value {
    return arith::IndexCastOp::create(b, l, i32, v);
  };
  int64_t slots =
      dynamic || ranged ? ShapedType::kDynamic : numShared * numTokens;
  SmallVector<Value> dynSlots;
  if (ShapedType::isDynamic(slots))
    dynSlots.push_back(arith::MulIOp::create(
        rewriter, loc, n,
        arith::ConstantIndexOp::create(rewriter, loc, numShared)));

  Value slotToken =
      generate(rewriter, loc, RankedTensorType::get({slots}, i32), dynSlots,
               [&](OpBuilder &b, Location l, ValueRange ivs) {
                 Value token = arith::RemUIOp::create(b, l, ivs[0], n);
                 if (ranged)
                   token = arith::AddIOp::create(b, l, token, first);
                 return toI32(b, l, token);
               });
  Value offsets =
      generate(rewriter, loc, RankedTensorType::get({numShared + 1}, i32), {},
               [&](OpBuilder &b, Location l, ValueRange ivs) {
                 return toI32(b, l, arith::MulIOp::create(b, l, ivs[0], n));
               });
  Value slotOf = generate(
      rewriter, loc, RankedTensorType::get({numTokens, numShared}, i32), dynT,
      [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
        Value row = arith::MulIOp::create(b, l, ivs[1], n);
        if (!ranged)
          return toI32(b, l, arith::AddIOp::create(b, l, row, ivs[0]));
        // Tokens outside [first, first + count) are another process's.
        Value local = arith::SubIOp::create(b, l, ivs[0], first);
        Value mine = arith::AndIOp::create(
            b, l,
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::uge, ivs[0],
                                  first),
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::ult, local, n));
        return arith::SelectOp::create(
            b, l, mine, toI32(b, l, arith::AddIOp::create(b, l, row, local)),
            arith::ConstantOp::create(b, l, b.getI32IntegerAttr(-1)));
      });
  Value gateOfToken;
  if (Value u = op.getSharedGate()) {
    // sigmoid(u . x) as a one-row activation gate: [T, 1] logits.
    auto uRow = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({1, inType.getDimSize(1)},
                              inType.getElementType()),
        u, ArrayRef<ReassociationIndices>{{0, 1}});
    gateOfToken = ScoreOp::create(
        rewriter, loc, RankedTensorType::get({numTokens, 1}, f32),
        ScoreKindAttr::get(op.getContext(), ScoreKind::Activation),
        ActivationAttr::get(op.getContext(), Activation::Sigmoid), input, uRow,
        Value());
  }
  Value weights = generate(
      rewriter, loc, RankedTensorType::get({numTokens, numShared}, f32), dynT,
      [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
        if (!gateOfToken)
          return arith::ConstantOp::create(b, l, b.getF32FloatAttr(1.0));
        Value zero = arith::ConstantIndexOp::create(b, l, 0);
        return tensor::ExtractOp::create(b, l, gateOfToken,
                                         ValueRange{ivs[0], zero});
      });
  auto shared = ExpertsOp::create(
      rewriter, loc, RankedTensorType::get({slots, dOut}, f32), input,
      slotToken, offsets, experts.kind, experts.w1, experts.wUp, experts.b1,
      experts.w2, experts.b2, /*in_range=*/true);
  // The dense plan is in range by construction: no run-time scan of it.
  return CombineOp::create(rewriter, loc, outType.clone(f32),
                           shared.getOutput(), slotOf, weights,
                           /*in_range=*/true);
}

/// `a + b` of two f32 [T, D_out] tensors, rounded to `type`'s element type.
Value addAndRound(PatternRewriter &rewriter, Location loc,
                  RankedTensorType type, Value a, Value b, Value tokens) {
  SmallVector<Value> dynT;
  if (type.isDynamicDim(0))
    dynT.push_back(tokens);
  Type elem = type.getElementType();
  return generate(rewriter, loc, type, dynT,
                  [&](OpBuilder &nb, Location l, ValueRange ivs) -> Value {
                    Value sum = arith::AddFOp::create(
                        nb, l, tensor::ExtractOp::create(nb, l, a, ivs),
                        tensor::ExtractOp::create(nb, l, b, ivs));
                    if (elem.isF32())
                      return sum;
                    return arith::TruncFOp::create(nb, l, elem, sum);
                  });
}

/// The routed sum `routed` (f32) plus the shared experts', rounded once to
/// the layer's type.
Value addSharedExperts(PatternRewriter &rewriter, Location loc, MoEOp op,
                       Value routed, Value tokens) {
  Value shared =
      sharedExpertsSum(rewriter, loc, op, SharedExperts::of(op), tokens);
  return addAndRound(rewriter, loc, op.getOutput().getType(), routed, shared,
                     tokens);
}

/// The routed experts on the whole plan, combined (with the shared experts
/// when the layer has them) into the layer's output.
Value combineExperts(PatternRewriter &rewriter, Location loc, MoEOp op,
                     DispatchOp dispatch, Value weights, Value tokens,
                     int64_t slots) {
  Type f32 = rewriter.getF32Type();
  auto outType = op.getOutput().getType();
  int64_t dOut = outType.getDimSize(1);
  auto experts = ExpertsOp::create(
      rewriter, loc, RankedTensorType::get({slots, dOut}, f32), op.getInput(),
      dispatch.getSlotToken(), dispatch.getOffsets(), op.getExpertAttr(),
      op.getW1(), op.getWUp(), op.getB1(), op.getW2(), op.getB2());
  // With no tokens (a static T = 0) the shared experts add nothing; their
  // dense plan would then fold to zero-sized slices that canonicalization
  // does not keep consistent (a lower-fuzzer finding).
  if (!op.getSharedExpertAttr() || op.getInput().getType().getDimSize(0) == 0)
    return CombineOp::create(rewriter, loc, outType, experts.getOutput(),
                             dispatch.getSlotOf(), weights);
  // Routed and shared sums in f32, added, rounded once.
  Value routed =
      CombineOp::create(rewriter, loc, outType.clone(f32), experts.getOutput(),
                        dispatch.getSlotOf(), weights);
  return addSharedExperts(rewriter, loc, op, routed, tokens);
}

/// Process `rank` of `processes`' share of the shared experts' hidden
/// units, [r H / R, (r + 1) H / R): those rows of W1 (and W_up) and entries
/// of b1, those columns of W2, and b2 on process 0 alone (zero elsewhere).
/// Each hidden unit's activation is its own, so the processes' outputs sum
/// to the whole experts' and each reads 1 / R of their weights. None for
/// linear experts (no hidden units) or when R does not divide H.
std::optional<SharedExperts> hiddenShare(PatternRewriter &rewriter,
                                         Location loc, MoEOp op, Value rank,
                                         int64_t processes) {
  SharedExperts whole = SharedExperts::of(op);
  int64_t hidden = whole.kind.getHidden();
  if (whole.kind.getKind() == ExpertKind::Linear || hidden % processes != 0)
    return std::nullopt;
  int64_t share = hidden / processes;
  OpFoldResult offset = arith::MulIOp::create(rewriter, loc, rank,
                                              arith::ConstantIndexOp::create(
                                                  rewriter, loc, share))
                            .getResult();
  // The slice of `weight` at `offset` along dimension `dim`, `share` wide.
  auto slice = [&](Value weight, unsigned dim) -> Value {
    if (!weight)
      return weight;
    auto type = cast<RankedTensorType>(weight.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), rewriter.getIndexAttr(0)),
        sizes, strides(type.getRank(), rewriter.getIndexAttr(1));
    for (int64_t size : type.getShape())
      sizes.push_back(rewriter.getIndexAttr(size));
    offsets[dim] = offset;
    sizes[dim] = rewriter.getIndexAttr(share);
    return tensor::ExtractSliceOp::create(rewriter, loc, weight, offsets, sizes,
                                          strides);
  };
  SharedExperts mine = {ExpertAttr::get(op.getContext(), whole.kind.getKind(),
                                        whole.kind.getActivation(), share),
                        slice(whole.w1, 1),
                        slice(whole.wUp, 1),
                        slice(whole.b1, 1),
                        slice(whole.w2, 2),
                        whole.b2};
  if (whole.b2) {
    auto type = cast<RankedTensorType>(whole.b2.getType());
    Value first =
        arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq, rank,
                              arith::ConstantIndexOp::create(rewriter, loc, 0));
    mine.b2 =
        generate(rewriter, loc, type, {},
                 [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
                   Value zero = arith::ConstantOp::create(
                       b, l, b.getFloatAttr(type.getElementType(), 0.0));
                   return arith::SelectOp::create(
                       b, l, first,
                       tensor::ExtractOp::create(b, l, whole.b2, ivs), zero);
                 });
  }
  return mine;
}

/// The routed experts of an `experts_on` layer as this process runs them:
/// its experts (r * E_p to (r + 1) * E_p - 1) on their segment of the
/// expert-contiguous plan, combined into a partial f32 output (the slots of
/// other processes' experts left out), summed over the grid's processes
/// and rounded once to the layer's type.
Value combineProcessExperts(PatternRewriter &rewriter, Location loc, MoEOp op,
                            DispatchOp dispatch, Value weights, Value tokens,
                            Value rank) {
  Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type();
  Type index = rewriter.getIndexType();
  auto outType = op.getOutput().getType();
  int64_t numTokens = outType.getDimSize(0), dOut = outType.getDimSize(1);
  int64_t perProcess = op.getW1().getType().getDimSize(0);
  FlatSymbolRefAttr grid = op.getExpertGridAttr();
  SmallVector<Value> dynT;
  if (ShapedType::isDynamic(numTokens))
    dynT.push_back(tokens);

  Value experts = arith::ConstantIndexOp::create(rewriter, loc, perProcess);
  Value first = arith::MulIOp::create(rewriter, loc, rank, experts);
  Value offsets = dispatch.getOffsets();
  // The process's slots: [offsets[first], offsets[first + E_p]).
  Value begin = tensor::ExtractOp::create(rewriter, loc, offsets, first);
  Value end = tensor::ExtractOp::create(
      rewriter, loc, offsets,
      ValueRange{arith::AddIOp::create(rewriter, loc, first, experts)});
  Value beginIndex = arith::IndexCastOp::create(rewriter, loc, index, begin);
  Value count = arith::IndexCastOp::create(
      rewriter, loc, index, arith::SubIOp::create(rewriter, loc, end, begin));
  Value slotToken = tensor::ExtractSliceOp::create(
      rewriter, loc, RankedTensorType::get({ShapedType::kDynamic}, i32),
      dispatch.getSlotToken(), ValueRange{beginIndex}, ValueRange{count},
      ValueRange{}, rewriter.getDenseI64ArrayAttr({ShapedType::kDynamic}),
      rewriter.getDenseI64ArrayAttr({ShapedType::kDynamic}),
      rewriter.getDenseI64ArrayAttr({1}));
  Value localOffsets =
      generate(rewriter, loc, RankedTensorType::get({perProcess + 1}, i32), {},
               [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
                 Value e = arith::AddIOp::create(b, l, first, ivs[0]);
                 Value offset = tensor::ExtractOp::create(b, l, offsets, e);
                 return arith::SubIOp::create(b, l, offset, begin);
               });
  // The plan is a slice of a dispatch's, rebased: in range by construction.
  auto outputs = ExpertsOp::create(
      rewriter, loc, RankedTensorType::get({ShapedType::kDynamic, dOut}, f32),
      op.getInput(), slotToken, localOffsets, op.getExpertAttr(), op.getW1(),
      op.getWUp(), op.getB1(), op.getW2(), op.getB2(), /*in_range=*/true);
  // A token's choices of this process's experts, as rows of its outputs;
  // -1 (left out) for the others' and for dropped choices.
  Value slotOf = generate(
      rewriter, loc, cast<RankedTensorType>(dispatch.getSlotOf().getType()),
      dynT, [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
        Value slot = tensor::ExtractOp::create(b, l, dispatch.getSlotOf(), ivs);
        Value mine = arith::AndIOp::create(
            b, l,
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::sge, slot, begin),
            arith::CmpIOp::create(b, l, arith::CmpIPredicate::slt, slot, end));
        return arith::SelectOp::create(
            b, l, mine, arith::SubIOp::create(b, l, slot, begin),
            arith::ConstantOp::create(b, l, b.getI32IntegerAttr(-1)));
      });
  Value partial =
      CombineOp::create(rewriter, loc, outType.clone(f32), outputs.getOutput(),
                        slotOf, weights, /*in_range=*/true);
  // Shared experts (their weights whole on every process): each process
  // runs its share of their hidden units on every token, or, where they
  // cannot be split so (linear experts, R not dividing H), the whole
  // experts on its share of the tokens, [r T / R, (r + 1) T / R); into its
  // partial. (None with a static T = 0: see combineExperts.)
  if (op.getSharedExpertAttr() && numTokens != 0) {
    int64_t numExperts =
        cast<RankedTensorType>(offsets.getType()).getDimSize(0) - 1;
    int64_t numProcesses = numExperts / perProcess;
    Value shared;
    if (std::optional<SharedExperts> share =
            hiddenShare(rewriter, loc, op, rank, numProcesses)) {
      shared = sharedExpertsSum(rewriter, loc, op, *share, tokens);
    } else {
      Value processes =
          arith::ConstantIndexOp::create(rewriter, loc, numProcesses);
      Value t = tokens
                    ? tokens
                    : arith::ConstantIndexOp::create(rewriter, loc, numTokens);
      auto bound = [&](Value process) -> Value {
        return arith::DivUIOp::create(
            rewriter, loc, arith::MulIOp::create(rewriter, loc, process, t),
            processes);
      };
      Value firstToken = bound(rank);
      Value endToken = bound(arith::AddIOp::create(
          rewriter, loc, rank,
          arith::ConstantIndexOp::create(rewriter, loc, 1)));
      shared = sharedExpertsSum(
          rewriter, loc, op, SharedExperts::of(op), tokens, firstToken,
          arith::SubIOp::create(rewriter, loc, endToken, firstToken));
    }
    partial =
        addAndRound(rewriter, loc, cast<RankedTensorType>(partial.getType()),
                    partial, shared, tokens);
  }
  Value sum = shard::AllReduceOp::create(rewriter, loc, partial.getType(),
                                         grid.getValue(), ArrayRef<int16_t>{0},
                                         partial, shard::ReductionKind::Sum);
  Type elem = outType.getElementType();
  if (elem.isF32())
    return sum;
  return generate(rewriter, loc, outType, dynT,
                  [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
                    return arith::TruncFOp::create(
                        b, l, elem, tensor::ExtractOp::create(b, l, sum, ivs));
                  });
}

/// splitmix64's finalizer (the per-tensor seed): a bijection of 64-bit
/// words.
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/// A fingerprint of `values` (float tensors of any rank): the sum, wrapping
/// in i64, of each element's bits times a weight that is a hash of its
/// tensor and its position in it, made odd (any one changed element
/// changes the sum: an odd weight is invertible modulo 2^64). The hash
/// takes the row-major linear index and a seed per tensor, so that no
/// regular pattern of positions shares a weight (an affine combination of the
/// indices did, (i, j) and (i + 5, j - 3): swapping those two elements went
/// unseen). A swap of a and b changes the sum by (a - b)(w_a - w_b), which
/// is 0 modulo 2^64 only by chance: about 2^-32 per pair for f32 values
/// that differ in the sign alone, far less for others. A check against
/// mistakes, not an adversary.
Value fingerprint(OpBuilder &b, Location loc, ValueRange values) {
  Type i64 = b.getI64Type();
  auto constant = [&](OpBuilder &nb, Location l, uint64_t v) -> Value {
    return arith::ConstantOp::create(
        nb, l, nb.getI64IntegerAttr(static_cast<int64_t>(v)));
  };
  const uint64_t golden = 0x9E3779B97F4A7C15ull;
  Value sum = constant(b, loc, 0);
  for (auto indexed : llvm::enumerate(values)) {
    uint64_t seed = mix64(indexed.index() + 1);
    Value value = indexed.value();
    auto type = cast<RankedTensorType>(value.getType());
    int64_t rank = type.getRank();
    unsigned width = type.getElementType().getIntOrFloatBitWidth();
    Value zero = arith::ConstantIndexOp::create(b, loc, 0);
    Value one = arith::ConstantIndexOp::create(b, loc, 1);
    SmallVector<Value> lower(rank, zero), steps(rank, one), upper;
    for (int64_t d = 0; d < rank; ++d)
      upper.push_back(tensor::DimOp::create(b, loc, value, d));
    // Loops carrying the sum in a register (a linalg reduction into a
    // rank-0 tensor kept it in memory: a store and load per element).
    scf::LoopNest nest = scf::buildLoopNest(
        b, loc, lower, upper, steps, ValueRange{sum},
        [&](OpBuilder &nb, Location l, ValueRange ivs,
            ValueRange acc) -> scf::ValueVector {
          Value element = tensor::ExtractOp::create(nb, l, value, ivs);
          Value bits = arith::BitcastOp::create(nb, l, nb.getIntegerType(width),
                                                element);
          if (width < 64)
            bits = arith::ExtUIOp::create(nb, l, i64, bits);
          // The weight: splitmix64's state for the linear index (seed +
          // index * golden) through one xor-shift-multiply round of its
          // finalizer (a bijection: distinct indices, distinct words), then
          // made odd (which pairs words that differ in bit 0 alone). Cheap:
          // the check runs on every call.
          Value linear =
              ivs.empty() ? arith::ConstantIndexOp::create(nb, l, 0) : ivs[0];
          for (int64_t d = 1; d < rank; ++d)
            linear = arith::AddIOp::create(
                nb, l, arith::MulIOp::create(nb, l, linear, upper[d]), ivs[d]);
          Value z = arith::AddIOp::create(
              nb, l, constant(nb, l, seed),
              arith::MulIOp::create(
                  nb, l, arith::IndexCastOp::create(nb, l, i64, linear),
                  constant(nb, l, golden)));
          z = arith::XOrIOp::create(
              nb, l, z, arith::ShRUIOp::create(nb, l, z, constant(nb, l, 31)));
          z = arith::MulIOp::create(nb, l, z,
                                    constant(nb, l, 0xBF58476D1CE4E5B9ull));
          Value weight = arith::OrIOp::create(nb, l, z, constant(nb, l, 1));
          Value term = arith::MulIOp::create(nb, l, bits, weight);
          return {arith::AddIOp::create(nb, l, acc[0], term)};
        });
    sum = nest.results.empty() ? sum : nest.results[0];
  }
  return sum;
}

/// The run-time check that an `experts_on` layer's processes were given the
/// same token count, tokens and routing parameters (the pass description
/// says why): fingerprints v and ~v all-reduced by max, then
/// max(v) == ~max(~v) asserted for each.
void checkProcessesAgree(PatternRewriter &rewriter, Location loc, MoEOp op,
                         Value tokens) {
  Type i64 = rewriter.getI64Type();
  int64_t numTokens = op.getInput().getType().getDimSize(0);
  Value count =
      tokens ? Value(arith::IndexCastOp::create(rewriter, loc, i64, tokens))
             : Value(arith::ConstantOp::create(
                   rewriter, loc, rewriter.getI64IntegerAttr(numTokens)));
  SmallVector<Value> routing;
  llvm::append_range(routing, op.getGateWeights());
  llvm::append_range(routing, op.getGateBiases());
  llvm::append_range(routing, op.getSelectionBiases());
  llvm::append_range(routing, op.getPenalties());
  if (Value scale = op.getRouterScale())
    routing.push_back(scale);
  // The shared experts' gate too (D values); not the shared experts'
  // weights, which a per-call check would read whole.
  if (Value gate = op.getSharedGate())
    routing.push_back(gate);
  SmallVector<Value> entries = {count,
                                fingerprint(rewriter, loc, op.getInput()),
                                fingerprint(rewriter, loc, routing)};
  Value ones =
      arith::ConstantOp::create(rewriter, loc, rewriter.getI64IntegerAttr(-1));
  size_t n = entries.size();
  for (size_t i = 0; i < n; ++i)
    entries.push_back(arith::XOrIOp::create(rewriter, loc, entries[i], ones));
  auto type = RankedTensorType::get({static_cast<int64_t>(2 * n)}, i64);
  Value mine = tensor::FromElementsOp::create(rewriter, loc, type, entries);
  FlatSymbolRefAttr grid = op.getExpertGridAttr();
  Value all = shard::AllReduceOp::create(rewriter, loc, type, grid.getValue(),
                                         ArrayRef<int16_t>{0}, mine,
                                         shard::ReductionKind::Max);
  StringRef what[] = {
      "the token count (each process runs the whole layer's tokens)",
      "the tokens (each process must be given the same x)",
      "the routing parameters (gate weights and biases, selection biases, "
      "penalties, router scale and the shared experts' gate are the same on "
      "every process; only the routed experts' weights are each process's "
      "own)"};
  for (size_t i = 0; i < n; ++i) {
    auto at = [&](size_t j) -> Value {
      return tensor::ExtractOp::create(
          rewriter, loc, all,
          ValueRange{arith::ConstantIndexOp::create(rewriter, loc, j)});
    };
    Value most = at(i);
    Value least = arith::XOrIOp::create(rewriter, loc, at(n + i), ones);
    cf::AssertOp::create(rewriter, loc,
                         arith::CmpIOp::create(rewriter, loc,
                                               arith::CmpIPredicate::eq, most,
                                               least),
                         ("the processes of shard.grid @" + grid.getValue() +
                          " disagree on " + what[i])
                             .str());
  }
}

struct DecomposeMoE : OpRewritePattern<MoEOp> {
  DecomposeMoE(MLIRContext *ctx, bool checkProcesses)
      : OpRewritePattern(ctx), checkProcesses(checkProcesses) {}

  LogicalResult matchAndRewrite(MoEOp op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = op.getContext();
    Type f32 = rewriter.getF32Type();
    Type i32 = rewriter.getI32Type();
    Value input = op.getInput();
    int64_t numTokens = op.getInput().getType().getDimSize(0);
    SmallVector<GateAttr> gates = op.getGateList();
    FailureOr<RoutingTree> tree = op.getRoutingTree();
    if (failed(tree))
      return rewriter.notifyMatchFailure(op, "the layer does not verify");
    int64_t numExperts = tree->numExperts;
    int64_t k = tree->numChosen;

    // One score op per level: logits [T, nodes...].
    SmallVector<Value> logits;
    for (auto [level, weight] : llvm::enumerate(op.getGateWeights())) {
      SmallVector<int64_t> shape = {numTokens};
      llvm::append_range(
          shape,
          cast<RankedTensorType>(weight.getType()).getShape().drop_back());
      GateAttr gate = gates[level];
      ActivationAttr activation;
      if (gate.getActivation())
        activation = ActivationAttr::get(ctx, *gate.getActivation());
      logits.push_back(
          ScoreOp::create(rewriter, loc, RankedTensorType::get(shape, f32),
                          ScoreKindAttr::get(ctx, gate.getScore()), activation,
                          input, weight, op.getGateBias(level)));
    }

    // Destinations of the routing ops: empty tensors, the token count (and
    // the T x K slots) from the input when dynamic.
    Value tokens = ShapedType::isDynamic(numTokens)
                       ? tensor::DimOp::create(rewriter, loc, input, 0)
                       : Value();
    auto empty = [&](ArrayRef<int64_t> shape, Type elem,
                     int64_t multiple = 1) -> Value {
      SmallVector<Value> dyn;
      if (!shape.empty() && ShapedType::isDynamic(shape[0])) {
        Value n = tokens;
        if (multiple != 1)
          n = arith::MulIOp::create(
              rewriter, loc, n,
              arith::ConstantIndexOp::create(rewriter, loc, multiple));
        dyn.push_back(n);
      }
      return tensor::EmptyOp::create(rewriter, loc, shape, elem, dyn);
    };
    // An experts_on layer's rank first: its one-time check that the world
    // has the grid's size comes before any other collective, so a wrong
    // world is reported as such.
    Value rank;
    if (FlatSymbolRefAttr grid = op.getExpertGridAttr()) {
      rank = shard::ProcessLinearIndexOp::create(rewriter, loc, grid);
      if (checkProcesses)
        checkProcessesAgree(rewriter, loc, op, tokens);
    }

    SmallVector<Value> routeOuts = {empty({numTokens, k}, f32),
                                    empty({numTokens, k}, i32),
                                    empty({numTokens, numExperts}, f32)};
    // Hi-MoE's load penalty (one level): the route chooses and weights on
    // logits - penalty; the statistics take the unpenalised probabilities
    // from a route of the logits themselves.
    SmallVector<Value> routeLogits(logits);
    if (Value penalty = op.getPenalty(0)) {
      auto type = cast<RankedTensorType>(logits[0].getType());
      SmallVector<Value> dyn;
      if (type.isDynamicDim(0))
        dyn.push_back(tokens);
      routeLogits[0] = generate(
          rewriter, loc, type, dyn,
          [&](OpBuilder &b, Location l, ValueRange ivs) -> Value {
            Value logit = tensor::ExtractOp::create(b, l, logits[0], ivs);
            Value shift =
                tensor::ExtractOp::create(b, l, penalty, ivs.drop_front());
            return arith::SubFOp::create(b, l, logit, shift);
          });
    }
    auto route =
        RouteOp::create(rewriter, loc, ValueRange(routeOuts).getTypes(),
                        routeLogits, op.getSelectionBiases(),
                        op.getRouterScale(), routeOuts, op.getStrategyAttr(),
                        op.getGatesAttr(), op.getSelectionBiasLevelsAttr());
    Value statsProbs = route.getProbs();

    int64_t slots =
        ShapedType::isDynamic(numTokens) ? ShapedType::kDynamic : numTokens * k;
    SmallVector<Value> dispatchOuts = {empty({slots}, i32, k),
                                       empty({numTokens, k}, i32),
                                       empty({numExperts + 1}, i32)};
    // fill_order score orders an expert's choices by their routing weight.
    Value fillWeights =
        op.getFillOrder() == FillOrder::Score ? route.getWeights() : Value();
    auto dispatch = DispatchOp::create(
        rewriter, loc, ValueRange(dispatchOuts).getTypes(), route.getExperts(),
        fillWeights, dispatchOuts, rewriter.getI64IntegerAttr(numExperts),
        op.getCapacityFactorAttr(), op.getFillOrderAttr(),
        op.getCapacityRoundingAttr());

    SmallVector<Value> results = {
        op.getExpertGridAttr()
            ? combineProcessExperts(rewriter, loc, op, dispatch,
                                    route.getWeights(), tokens, rank)
            : combineExperts(rewriter, loc, op, dispatch, route.getWeights(),
                             tokens, slots)};

    if (!op.getStats().empty()) {
      auto needs = [&](StatKind kind) {
        return llvm::any_of(op.getStats(), [&](Attribute attr) {
          return cast<StatKindAttr>(attr).getValue() == kind;
        });
      };
      // Auxiliary losses on logits use the top-level gate's.
      Value zLogits = needs(StatKind::ZLoss) ? logits.front() : Value();
      Value slotOf = needs(StatKind::Dropped) ? dispatch.getSlotOf() : Value();
      if (!op.getPenalties().empty()) {
        SmallVector<Value> unpenalisedOuts = {
            empty({numTokens, k}, f32), empty({numTokens, k}, i32),
            empty({numTokens, numExperts}, f32)};
        statsProbs =
            RouteOp::create(
                rewriter, loc, ValueRange(unpenalisedOuts).getTypes(), logits,
                ValueRange(), Value(), unpenalisedOuts, op.getStrategyAttr(),
                op.getGatesAttr(), rewriter.getDenseI64ArrayAttr({}))
                .getProbs();
      }
      SmallVector<Value> statsOuts;
      for (Type t : op.getStatistics().getTypes()) {
        auto type = cast<RankedTensorType>(t);
        statsOuts.push_back(empty(type.getShape(), type.getElementType()));
      }
      auto stats = StatsOp::create(
          rewriter, loc, op.getStatistics().getTypes(), statsProbs,
          route.getExperts(), zLogits, slotOf, statsOuts, op.getStatsAttr(),
          rewriter.getI64IntegerAttr(tree->numGroups), op.getLambdaIntraAttr(),
          op.getLambdaInterAttr());
      llvm::append_range(results, stats.getResults());
    }
    rewriter.replaceOp(op, results);
    return success();
  }

private:
  bool checkProcesses;
};

} // namespace

void mlir::hmoe::populateHMoEDecomposePatterns(RewritePatternSet &patterns,
                                               bool checkProcesses) {
  patterns.add<DecomposeMoE>(patterns.getContext(), checkProcesses);
}

namespace {
struct HMoEDecomposePass
    : public hmoe::impl::HMoEDecomposeBase<HMoEDecomposePass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateHMoEDecomposePatterns(patterns, processChecks);
    // Only the layer ops change; folding the rest is canonicalize's job.
    GreedyRewriteConfig config;
    config.enableFolding(false);
    if (failed(applyPatternsOrReport(getOperation(), std::move(patterns),
                                     config, getArgument())))
      signalPassFailure();
  }
};
} // namespace
