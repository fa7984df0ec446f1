//===- RuntimeOpVerification.cpp - run-time checks of the stage ops -------===//
//
// What the verifier cannot know until run time: that operands whose token
// counts are dynamic agree, and that index operands a user passed in (rather
// than ones an hmoe op computed) are in range. `generate-runtime-verification`
// asks each op for its checks; they become `cf.assert`s in front of the op.
//
// Index checks are skipped for the plan that hmoe.dispatch builds and
// hmoe.experts consumes (in range by construction), so a layer lowered from
// hmoe.moe only pays O(1) size checks.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/RuntimeOpVerification.h"

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/RuntimeVerifiableOpInterface.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
using ErrorMessage = function_ref<std::string(Operation *, StringRef)>;
using arith::CmpIPredicate;

/// Builds the checks of one op.
class Checks {
public:
  Checks(Operation *op, OpBuilder &builder, Location loc, ErrorMessage message)
      : op(op), b(builder), loc(loc), message(message) {}

  /// `dim(a, 0) == dim(b, 0)` unless both are static (the verifier compared
  /// those). Null operands are skipped.
  void sameTokenCount(Value a, StringRef aName, Value b, StringRef bName) {
    if (!a || !b)
      return;
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(b.getType());
    if (!aType.isDynamicDim(0) && !bType.isDynamicDim(0))
      return;
    check(cmp(CmpIPredicate::eq, dim(a, 0), dim(b, 0)),
          (aName + " and " + bName + " have different token counts").str());
  }

  /// `a == b` (index) unless both are constants (the verifier compared
  /// those).
  void equal(Value a, Value b, StringRef what) {
    if (!getConstantIntValue(a) || !getConstantIntValue(b))
      check(cmp(CmpIPredicate::eq, a, b), what);
  }

  /// `count` (index) is at most 2^31 - 1: the slots it counts have i32
  /// indices. Skipped where `count` is a constant (the verifier checked it).
  void fitsSlotIndices(Value count, StringRef what) {
    if (getConstantIntValue(count))
      return;
    check(cmp(CmpIPredicate::ule, count, index(kMaxSlots)), what);
  }

  /// Every element of the i32 tensor `t` (rank 1 or 2) is in [lo, hi).
  void allInRange(Value t, Value lo, Value hi, StringRef what) {
    auto type = cast<RankedTensorType>(t.getType());
    SmallVector<Value> ubs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      ubs.push_back(dim(t, d));
    Value ok = forAll(ubs, [&](OpBuilder &nb, ValueRange ivs) {
      Value v = arith::IndexCastOp::create(
          nb, loc, nb.getIndexType(),
          tensor::ExtractOp::create(nb, loc, t, ivs));
      return arith::AndIOp::create(
          nb, loc, arith::CmpIOp::create(nb, loc, CmpIPredicate::sge, v, lo),
          arith::CmpIOp::create(nb, loc, CmpIPredicate::slt, v, hi));
    });
    check(ok, what);
  }

  /// `offsets` ([E + 1]) is non-decreasing from >= 0 to <= `slots`, and the
  /// slot_token entries it covers name tokens in [0, numTokens).
  void validPlan(Value slotToken, Value offsets, Value numTokens) {
    int64_t e = cast<RankedTensorType>(offsets.getType()).getDimSize(0) - 1;
    Value first = at(offsets, index(0)), last = at(offsets, index(e));
    Value ordered = forAll({index(e)}, [&](OpBuilder &nb, ValueRange ivs) {
      Value next = arith::AddIOp::create(nb, loc, ivs[0], index(1));
      return arith::CmpIOp::create(nb, loc, CmpIPredicate::sle,
                                   at(offsets, ivs[0]), at(offsets, next));
    });
    Value bounded =
        arith::AndIOp::create(b, loc, cmp(CmpIPredicate::sge, first, index(0)),
                              cmp(CmpIPredicate::sle, last, dim(slotToken, 0)));
    Value planOk = arith::AndIOp::create(b, loc, ordered, bounded);
    check(planOk,
          "offsets are not non-decreasing from 0 to at most the slot count");
    // Read slot_token only where the offsets are proven in bounds (an
    // assert need not stop execution under every lowering).
    auto ifPlanOk = scf::IfOp::create(b, loc, b.getI1Type(), planOk,
                                      /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifPlanOk.thenBlock());
      Value ok = forAll(
          {last},
          [&](OpBuilder &nb, ValueRange ivs) {
            Value token = arith::IndexCastOp::create(
                nb, loc, nb.getIndexType(),
                tensor::ExtractOp::create(nb, loc, slotToken, ivs));
            return arith::AndIOp::create(
                nb, loc,
                arith::CmpIOp::create(nb, loc, CmpIPredicate::sge, token,
                                      index(0)),
                arith::CmpIOp::create(nb, loc, CmpIPredicate::slt, token,
                                      numTokens));
          },
          first);
      scf::YieldOp::create(b, loc, ok);
      b.setInsertionPointToStart(ifPlanOk.elseBlock());
      scf::YieldOp::create(b, loc, planOk);
    }
    check(ifPlanOk.getResult(0),
          "slot_token names a token outside [0, T) in a used slot");
  }

  Value dim(Value t, int64_t d) {
    return b.createOrFold<tensor::DimOp>(loc, t, d);
  }
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }

private:
  Value cmp(CmpIPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(loc, p, x, y);
  }
  Value at(Value t, Value i) {
    return arith::IndexCastOp::create(b, loc, b.getIndexType(),
                                      tensor::ExtractOp::create(b, loc, t, i));
  }
  void check(Value ok, StringRef what) {
    cf::AssertOp::create(b, loc, ok, message(op, what));
  }

  /// Whether `pred(ivs)` holds for every point of the loop nest with upper
  /// bounds `ubs` (the outermost starting at `lb`, the others at 0).
  Value forAll(ArrayRef<Value> ubs,
               function_ref<Value(OpBuilder &, ValueRange)> pred,
               Value lb = nullptr) {
    Value init = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
    SmallVector<Value> ivs;
    std::function<Value(OpBuilder &, size_t, Value)> nest =
        [&](OpBuilder &nb, size_t d, Value acc) -> Value {
      Value start = d == 0 && lb ? lb : index(0);
      auto loop = scf::ForOp::create(nb, loc, start, ubs[d], index(1), acc);
      OpBuilder::InsertionGuard guard(nb);
      nb.setInsertionPointToStart(loop.getBody());
      ivs.push_back(loop.getInductionVar());
      Value inner =
          d + 1 == ubs.size()
              ? arith::AndIOp::create(nb, loc, loop.getRegionIterArgs()[0],
                                      pred(nb, ivs))
              : nest(nb, d + 1, loop.getRegionIterArgs()[0]);
      scf::YieldOp::create(nb, loc, inner);
      ivs.pop_back();
      return loop.getResult(0);
    };
    return nest(b, 0, init);
  }

  Operation *op;
  OpBuilder &b;
  Location loc;
  ErrorMessage message;
};

/// Whether `experts` was chosen by an hmoe.route over at most `numExperts`
/// experts (and so holds indices in [0, numExperts)).
bool routedExperts(Value experts, int64_t numExperts) {
  auto route = experts.getDefiningOp<RouteOp>();
  return route && experts == route.getExperts() &&
         cast<ShapedType>(route.getProbs().getType()).getDimSize(1) <=
             numExperts;
}

struct RouteOpChecks
    : public RuntimeVerifiableOpInterface::ExternalModel<RouteOpChecks,
                                                         RouteOp> {
  void generateRuntimeVerification(Operation *op, OpBuilder &builder,
                                   Location loc, ErrorMessage message) const {
    // The checks read tensors: the routing ops are checked before
    // bufferization (on memrefs, from hmoe's own plan, they are not).
    if (!isa<RankedTensorType>(op->getOperand(0).getType()))
      return;
    auto route = cast<RouteOp>(op);
    Checks checks(op, builder, loc, message);
    ValueRange logits = route.getLogits();
    for (auto [l, level] : llvm::enumerate(logits.drop_front()))
      checks.sameTokenCount(logits[0], "level 1 logits", level,
                            "level " + std::to_string(l + 2) + " logits");
    // Destinations may be static where the logits are not.
    checks.sameTokenCount(logits[0], "level 1 logits", route.getWeightsInit(),
                          "weights");
    checks.sameTokenCount(logits[0], "level 1 logits", route.getExpertsInit(),
                          "experts");
    checks.sameTokenCount(logits[0], "level 1 logits", route.getProbsInit(),
                          "probs");
  }
};

struct DispatchOpChecks
    : public RuntimeVerifiableOpInterface::ExternalModel<DispatchOpChecks,
                                                         DispatchOp> {
  void generateRuntimeVerification(Operation *op, OpBuilder &builder,
                                   Location loc, ErrorMessage message) const {
    // The checks read tensors: the routing ops are checked before
    // bufferization (on memrefs, from hmoe's own plan, they are not).
    if (!isa<RankedTensorType>(op->getOperand(0).getType()))
      return;
    auto dispatch = cast<DispatchOp>(op);
    int64_t numExperts = dispatch.getNumExperts();
    Checks checks(op, builder, loc, message);
    // Destinations may be static where the experts are not.
    checks.sameTokenCount(dispatch.getExperts(), "experts",
                          dispatch.getSlotOfInit(), "slot_of");
    checks.sameTokenCount(dispatch.getExperts(), "experts",
                          dispatch.getWeights(), "weights");
    // T x K in index arithmetic cannot wrap: T x K i32 elements are in
    // memory.
    Value slots = builder.createOrFold<arith::MulIOp>(
        loc, checks.dim(dispatch.getExperts(), 0),
        checks.dim(dispatch.getExperts(), 1));
    checks.fitsSlotIndices(slots, "T x K (token, choice) slots are more than "
                                  "2^31 - 1 (slot indices are i32)");
    checks.equal(checks.dim(dispatch.getSlotTokenInit(), 0), slots,
                 "slot_token's size is not T x K (one slot per choice)");
    if (routedExperts(dispatch.getExperts(), numExperts))
      return;
    checks.allInRange(dispatch.getExperts(), checks.index(0),
                      checks.index(numExperts),
                      "experts holds an index outside [0, num_experts)");
  }
};

struct ExpertsOpChecks
    : public RuntimeVerifiableOpInterface::ExternalModel<ExpertsOpChecks,
                                                         ExpertsOp> {
  void generateRuntimeVerification(Operation *op, OpBuilder &builder,
                                   Location loc, ErrorMessage message) const {
    // The checks read tensors: the routing ops are checked before
    // bufferization (on memrefs, from hmoe's own plan, they are not).
    if (!isa<RankedTensorType>(op->getOperand(0).getType()))
      return;
    auto experts = cast<ExpertsOp>(op);
    Checks checks(op, builder, loc, message);
    // A plan from one hmoe.dispatch is valid for that dispatch's tokens.
    auto dispatch = experts.getSlotToken().getDefiningOp<DispatchOp>();
    if (dispatch && experts.getSlotToken() == dispatch.getSlotToken() &&
        experts.getOffsets() == dispatch.getOffsets()) {
      checks.sameTokenCount(experts.getInput(), "input", dispatch.getExperts(),
                            "the experts of the dispatch that made the plan");
      return;
    }
    // (A dispatch's plan is checked at the dispatch.) The shared experts'
    // plan has S x T slots, T dynamic.
    checks.fitsSlotIndices(checks.dim(experts.getSlotToken(), 0),
                           "slot_token has more than 2^31 - 1 slots (slot "
                           "indices are i32)");
    checks.validPlan(experts.getSlotToken(), experts.getOffsets(),
                     checks.dim(experts.getInput(), 0));
  }
};

struct CombineOpChecks
    : public RuntimeVerifiableOpInterface::ExternalModel<CombineOpChecks,
                                                         CombineOp> {
  void generateRuntimeVerification(Operation *op, OpBuilder &builder,
                                   Location loc, ErrorMessage message) const {
    // The checks read tensors: the routing ops are checked before
    // bufferization (on memrefs, from hmoe's own plan, they are not).
    if (!isa<RankedTensorType>(op->getOperand(0).getType()))
      return;
    auto combine = cast<CombineOp>(op);
    Checks checks(op, builder, loc, message);
    checks.sameTokenCount(combine.getSlotOf(), "slot_of", combine.getWeights(),
                          "weights");
    // slot_of from a dispatch whose plan produced expert_output is in range.
    auto dispatch = combine.getSlotOf().getDefiningOp<DispatchOp>();
    auto experts = combine.getExpertOutput().getDefiningOp<ExpertsOp>();
    if (dispatch && experts &&
        experts.getSlotToken() == dispatch.getSlotToken() &&
        experts.getOffsets() == dispatch.getOffsets())
      return;
    checks.allInRange(combine.getSlotOf(), checks.index(-1),
                      checks.dim(combine.getExpertOutput(), 0),
                      "slot_of holds a slot outside [-1, slots)");
  }
};

struct StatsOpChecks
    : public RuntimeVerifiableOpInterface::ExternalModel<StatsOpChecks,
                                                         StatsOp> {
  void generateRuntimeVerification(Operation *op, OpBuilder &builder,
                                   Location loc, ErrorMessage message) const {
    // The checks read tensors: the routing ops are checked before
    // bufferization (on memrefs, from hmoe's own plan, they are not).
    if (!isa<RankedTensorType>(op->getOperand(0).getType()))
      return;
    auto stats = cast<StatsOp>(op);
    Checks checks(op, builder, loc, message);
    Value probs = stats.getProbs();
    checks.sameTokenCount(probs, "probs", stats.getExperts(), "experts");
    checks.sameTokenCount(probs, "probs", stats.getLogits(), "logits");
    checks.sameTokenCount(probs, "probs", stats.getSlotOf(), "slot_of");
    int64_t numExperts =
        cast<ShapedType>(stats.getProbs().getType()).getDimSize(1);
    if (!routedExperts(stats.getExperts(), numExperts))
      checks.allInRange(stats.getExperts(), checks.index(0),
                        checks.index(numExperts),
                        "experts holds an index outside [0, E)");
  }
};
} // namespace

void mlir::hmoe::registerRuntimeVerifiableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, HMoEDialect *) {
    RouteOp::attachInterface<RouteOpChecks>(*ctx);
    DispatchOp::attachInterface<DispatchOpChecks>(*ctx);
    ExpertsOp::attachInterface<ExpertsOpChecks>(*ctx);
    CombineOp::attachInterface<CombineOpChecks>(*ctx);
    StatsOp::attachInterface<StatsOpChecks>(*ctx);
    ctx->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                     scf::SCFDialect, tensor::TensorDialect>();
  });
}
