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
// `hmoe-generate-size-checks` emits the same checks for the GPU: sizes on
// the host (hoisted ahead of every kernel), and index operands' values,
// which are device memory, as block loops whose threads assert each
// element (a failed assert traps the kernel: `__assertfail` on NVIDIA).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/RuntimeOpVerification.h"

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/RuntimeVerifiableOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/TypeSwitch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEGENERATESIZECHECKS
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
using ErrorMessage = function_ref<std::string(Operation *, StringRef)>;
using arith::CmpIPredicate;

constexpr StringLiteral kBadOffsets =
    "offsets are not non-decreasing from 0 to at most the slot count";
constexpr StringLiteral kBadSlotToken =
    "slot_token names a token outside [0, T) in a used slot";

/// Where the checks that read a tensor's elements run.
enum class ElementChecks {
  /// Loops on the host, in front of the op (the CPU).
  Host,
  /// GPU block loops, one thread an element, in front of the op.
  Device,
  /// Not at all (sizes only).
  None,
};

/// Builds the checks of one op.
class Checks {
public:
  Checks(Operation *op, OpBuilder &builder, Location loc, ErrorMessage message,
         ElementChecks elementChecks)
      : op(op), b(builder), loc(loc), message(message),
        elementChecks(elementChecks) {}

  /// `dim(a, 0) == dim(b, 0)` unless both are static (the verifier compared
  /// those). Null operands are skipped.
  void sameTokenCount(Value a, StringRef aName, Value b, StringRef bName) {
    if (!a || !b)
      return;
    auto aType = cast<RankedTensorType>(a.getType());
    auto bType = cast<RankedTensorType>(b.getType());
    if (!aType.isDynamicDim(0) && !bType.isDynamicDim(0))
      return;
    equal(dim(a, 0), dim(b, 0),
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
    if (elementChecks == ElementChecks::None)
      return;
    auto type = cast<RankedTensorType>(t.getType());
    if (elementChecks == ElementChecks::Device) {
      // Element i of the row-major [rows, cols] (or [rows]) tensor.
      Value cols = type.getRank() == 2 ? dim(t, 1) : index(1);
      deviceForAll(
          mul(dim(t, 0), cols),
          [&](OpBuilder &nb, Value i) {
            SmallVector<Value> ivs{i};
            if (type.getRank() == 2)
              ivs = {arith::DivUIOp::create(nb, loc, i, cols),
                     arith::RemUIOp::create(nb, loc, i, cols)};
            return inRange(nb, at(nb, t, ivs), lo, hi);
          },
          what);
      return;
    }
    SmallVector<Value> ubs;
    for (int64_t d = 0; d < type.getRank(); ++d)
      ubs.push_back(dim(t, d));
    Value ok = forAll(ubs, [&](OpBuilder &nb, ValueRange ivs) {
      return inRange(nb, at(nb, t, ivs), lo, hi);
    });
    check(ok, what);
  }

  /// `offsets` ([E + 1]) is non-decreasing from >= 0 to <= `slots`, and the
  /// slot_token entries it covers name tokens in [0, numTokens).
  void validPlan(Value slotToken, Value offsets, Value numTokens) {
    if (elementChecks == ElementChecks::None)
      return;
    int64_t e = cast<RankedTensorType>(offsets.getType()).getDimSize(0) - 1;
    if (elementChecks == ElementChecks::Device) {
      deviceValidPlan(slotToken, offsets, numTokens, e);
      return;
    }
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
    check(planOk, kBadOffsets);
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
            return inRange(nb, at(nb, slotToken, ivs), index(0), numTokens);
          },
          first);
      scf::YieldOp::create(b, loc, ok);
      b.setInsertionPointToStart(ifPlanOk.elseBlock());
      scf::YieldOp::create(b, loc, planOk);
    }
    check(ifPlanOk.getResult(0), kBadSlotToken);
  }

  /// Dim `d` of `t`, read off the tensor it was sized from where that is
  /// known (a destination-passing op's result has its init's sizes,
  /// tensor.empty has its operands): a size of the layer's arguments, so
  /// the check can run before the ops that compute `t`.
  Value dim(Value t, int64_t d) {
    while (auto result = dyn_cast<OpResult>(t)) {
      Operation *def = result.getOwner();
      if (auto empty = dyn_cast<tensor::EmptyOp>(def)) {
        if (empty.getType().isDynamicDim(d))
          return empty.getDynamicSize(d);
        break;
      }
      if (auto dps = dyn_cast<DestinationStyleOpInterface>(def);
          dps && dps.hasPureTensorSemantics()) {
        t = dps.getTiedOpOperand(result)->get();
        continue;
      }
      // hmoe.score's rows are its input's.
      if (isa<ReifyRankedShapedTypeOpInterface>(def)) {
        FailureOr<OpFoldResult> size =
            reifyDimOfResult(b, def, result.getResultNumber(), d);
        if (succeeded(size))
          return getValueOrCreateConstantIndexOp(b, loc, *size);
      }
      break;
    }
    return b.createOrFold<tensor::DimOp>(loc, t, d);
  }
  Value index(int64_t v) { return arith::ConstantIndexOp::create(b, loc, v); }
  Value mul(Value x, Value y) {
    return b.createOrFold<arith::MulIOp>(loc, x, y);
  }

private:
  Value cmp(CmpIPredicate p, Value x, Value y) {
    return b.createOrFold<arith::CmpIOp>(loc, p, x, y);
  }
  Value at(Value t, Value i) { return at(b, t, i); }
  void check(Value ok, StringRef what) {
    if (matchPattern(ok, m_One()))
      return;
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

  /// validPlan on the device: thread e compares offsets e and e + 1 (the
  /// first and last also their bounds), and thread i checks slot i where
  /// it is used. Every read is in bounds whatever the offsets hold, so the
  /// two kernels need not wait for each other's verdict.
  void deviceValidPlan(Value slotToken, Value offsets, Value numTokens,
                       int64_t e) {
    Value slots = dim(slotToken, 0);
    auto cmpAt = [&](OpBuilder &nb, CmpIPredicate p, Value x, Value y) {
      return arith::CmpIOp::create(nb, loc, p, x, y).getResult();
    };
    auto any = [&](OpBuilder &nb, Value x, Value y) {
      return arith::OrIOp::create(nb, loc, x, y).getResult();
    };
    // offsets[i] <= offsets[i + 1], and offsets[0] >= 0, offsets[E] <= slots.
    deviceForAll(
        index(e),
        [&](OpBuilder &nb, Value i) {
          Value next = arith::AddIOp::create(nb, loc, i, index(1));
          Value here = at(nb, offsets, i), there = at(nb, offsets, next);
          Value ok = arith::AndIOp::create(
              nb, loc, cmpAt(nb, CmpIPredicate::sle, here, there),
              any(nb, cmpAt(nb, CmpIPredicate::ne, i, index(0)),
                  cmpAt(nb, CmpIPredicate::sge, here, index(0))));
          return arith::AndIOp::create(
              nb, loc, ok,
              any(nb, cmpAt(nb, CmpIPredicate::ne, next, index(e)),
                  cmpAt(nb, CmpIPredicate::sle, there, slots)));
        },
        kBadOffsets);
    // Slot i outside [offsets[0], offsets[E]) or naming a token of input.
    deviceForAll(
        slots,
        [&](OpBuilder &nb, Value i) {
          Value unused = any(
              nb, cmpAt(nb, CmpIPredicate::slt, i, at(nb, offsets, index(0))),
              cmpAt(nb, CmpIPredicate::sge, i, at(nb, offsets, index(e))));
          return any(nb, unused,
                     inRange(nb, at(nb, slotToken, i), index(0), numTokens));
        },
        kBadSlotToken);
  }

  /// `pred(i)` asserted for every i in [0, n) on the device: a loop over
  /// blocks of kDeviceCheckThreads GPU threads, one element each.
  void deviceForAll(Value n, function_ref<Value(OpBuilder &, Value)> pred,
                    StringRef what) {
    MLIRContext *ctx = b.getContext();
    Value blocks =
        b.createOrFold<arith::CeilDivUIOp>(loc, n, index(kDeviceCheckThreads));
    auto blockLoop = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{blocks}, ValueRange{},
        b.getArrayAttr(
            {gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX)}));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(blockLoop.getBody());
    auto threadLoop = scf::ForallOp::create(
        b, loc, ArrayRef<OpFoldResult>{b.getIndexAttr(kDeviceCheckThreads)},
        ValueRange{},
        b.getArrayAttr(
            {gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX)}));
    b.setInsertionPointToStart(threadLoop.getBody());
    Value i = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc, blockLoop.getInductionVar(0),
                              index(kDeviceCheckThreads)),
        threadLoop.getInductionVar(0));
    auto inside = scf::IfOp::create(
        b, loc, arith::CmpIOp::create(b, loc, CmpIPredicate::ult, i, n),
        /*withElseRegion=*/false);
    b.setInsertionPointToStart(inside.thenBlock());
    cf::AssertOp::create(b, loc, pred(b, i), message(op, what));
  }
  static constexpr int64_t kDeviceCheckThreads = 256;

  /// Element `ivs` of the i32 tensor `t`, as an index.
  Value at(OpBuilder &nb, Value t, ValueRange ivs) {
    return arith::IndexCastOp::create(
        nb, loc, nb.getIndexType(), tensor::ExtractOp::create(nb, loc, t, ivs));
  }
  /// lo <= v < hi (signed).
  Value inRange(OpBuilder &nb, Value v, Value lo, Value hi) {
    return arith::AndIOp::create(
        nb, loc, arith::CmpIOp::create(nb, loc, CmpIPredicate::sge, v, lo),
        arith::CmpIOp::create(nb, loc, CmpIPredicate::slt, v, hi));
  }

  Operation *op;
  OpBuilder &b;
  Location loc;
  ErrorMessage message;
  ElementChecks elementChecks;
};

/// Whether `experts` was chosen by an hmoe.route over at most `numExperts`
/// experts (and so holds indices in [0, numExperts)).
bool routedExperts(Value experts, int64_t numExperts) {
  auto route = experts.getDefiningOp<RouteOp>();
  return route && experts == route.getExperts() &&
         cast<ShapedType>(route.getProbs().getType()).getDimSize(1) <=
             numExperts;
}

void checkRoute(RouteOp route, Checks &checks) {
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

void checkDispatch(DispatchOp dispatch, Checks &checks) {
  int64_t numExperts = dispatch.getNumExperts();
  // Destinations may be static where the experts are not.
  checks.sameTokenCount(dispatch.getExperts(), "experts",
                        dispatch.getSlotOfInit(), "slot_of");
  checks.sameTokenCount(dispatch.getExperts(), "experts", dispatch.getWeights(),
                        "weights");
  // T x K in index arithmetic cannot wrap: T x K i32 elements are in
  // memory.
  Value slots = checks.mul(checks.dim(dispatch.getExperts(), 0),
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

void checkExperts(ExpertsOp experts, Checks &checks) {
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
  if (experts.getInRange())
    return;
  checks.validPlan(experts.getSlotToken(), experts.getOffsets(),
                   checks.dim(experts.getInput(), 0));
}

void checkCombine(CombineOp combine, Checks &checks) {
  checks.sameTokenCount(combine.getSlotOf(), "slot_of", combine.getWeights(),
                        "weights");
  // slot_of from a dispatch whose plan produced expert_output is in range.
  auto dispatch = combine.getSlotOf().getDefiningOp<DispatchOp>();
  auto experts = combine.getExpertOutput().getDefiningOp<ExpertsOp>();
  if (combine.getInRange() ||
      (dispatch && experts &&
       experts.getSlotToken() == dispatch.getSlotToken() &&
       experts.getOffsets() == dispatch.getOffsets()))
    return;
  checks.allInRange(combine.getSlotOf(), checks.index(-1),
                    checks.dim(combine.getExpertOutput(), 0),
                    "slot_of holds a slot outside [-1, slots)");
}

void checkStats(StatsOp stats, Checks &checks) {
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

/// The checks of an hmoe op on tensors (on memrefs, from hmoe's own plan,
/// they are not: the routing ops are checked before bufferization).
void generateChecks(Operation *op, OpBuilder &b, Location loc,
                    ErrorMessage message, ElementChecks elementChecks) {
  if (!isa<RankedTensorType>(op->getOperand(0).getType()))
    return;
  Checks checks(op, b, loc, message, elementChecks);
  TypeSwitch<Operation *>(op)
      .Case([&](RouteOp route) { checkRoute(route, checks); })
      .Case([&](DispatchOp dispatch) { checkDispatch(dispatch, checks); })
      .Case([&](ExpertsOp experts) { checkExperts(experts, checks); })
      .Case([&](CombineOp combine) { checkCombine(combine, checks); })
      .Case([&](StatsOp stats) { checkStats(stats, checks); });
}

template <typename OpT>
struct ChecksModel
    : public RuntimeVerifiableOpInterface::ExternalModel<ChecksModel<OpT>,
                                                         OpT> {
  void generateRuntimeVerification(Operation *op, OpBuilder &b, Location loc,
                                   ErrorMessage message) const {
    generateChecks(op, b, loc, message, ElementChecks::Host);
  }
};

/// Upstream's message (generate-runtime-verification, verbose level 1):
/// the op, the failed check, the location.
std::string checkMessage(Operation *op, StringRef what) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << "ERROR: Runtime op verification failed\n";
  // (Verified: the checks already hoisted would fail it mid-pass.)
  op->print(os, OpPrintingFlags().skipRegions().assumeVerified());
  os << "\n^ " << what << "\nLocation: ";
  op->getLoc().print(os);
  return text;
}

struct GenerateSizeChecksPass
    : public hmoe::impl::HMoEGenerateSizeChecksBase<GenerateSizeChecksPass> {
  using Base::Base;
  void runOnOperation() override {
    lastHoisted.clear();
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa<RouteOp, DispatchOp, ExpertsOp, CombineOp, StatsOp>(op))
        ops.push_back(op);
    });
    IRRewriter b(&getContext());
    for (Operation *op : ops) {
      b.setInsertionPoint(op);
      Operation *before = op->getPrevNode();
      generateChecks(op, b, op->getLoc(), checkMessage,
                     deviceChecks ? ElementChecks::Device
                                  : ElementChecks::None);
      // The new checks, up to the top of the function where their sizes
      // allow: ahead of every kernel, a control-flow split between launches
      // would synchronise the host with the device there.
      Block::iterator first =
          before ? std::next(before->getIterator()) : op->getBlock()->begin();
      SmallVector<cf::AssertOp> asserts;
      for (Operation &check : llvm::make_range(first, op->getIterator()))
        if (auto assertOp = dyn_cast<cf::AssertOp>(check))
          asserts.push_back(assertOp);
      for (cf::AssertOp assertOp : asserts)
        hoistToEntry(b, assertOp);
    }
  }

  /// Moves `check` and the ops its condition needs to the top of the
  /// function's entry block, if it is in that block and those ops have no
  /// effects (sizes and arithmetic on them).
  void hoistToEntry(IRRewriter &b, cf::AssertOp check) {
    Block *entry = check->getBlock();
    if (!isa<FunctionOpInterface>(entry->getParentOp()) ||
        !entry->isEntryBlock())
      return;
    SetVector<Operation *> slice;
    SmallVector<Value> worklist{check.getArg()};
    while (!worklist.empty()) {
      Operation *def = worklist.pop_back_val().getDefiningOp();
      if (!def || !slice.insert(def))
        continue;
      if (def->getBlock() != entry || def->getNumRegions() != 0 ||
          !isMemoryEffectFree(def))
        return;
      llvm::append_range(worklist, def->getOperands());
    }
    // Before the first op the check does not need, after the checks
    // hoisted before it (in their order).
    Operation *&last = lastHoisted[entry];
    Block::iterator anchor = std::find_if(
        last ? std::next(last->getIterator()) : entry->begin(), entry->end(),
        [&](Operation &op) { return !slice.contains(&op); });
    last = check;
    if (&*anchor == check)
      return;
    for (Operation &op : llvm::make_early_inc_range(
             llvm::make_range(std::next(anchor), entry->end())))
      if (slice.contains(&op))
        b.moveOpBefore(&op, &*anchor);
    b.moveOpBefore(check, &*anchor);
  }

  /// Per entry block, the last check hoisted to its top.
  DenseMap<Block *, Operation *> lastHoisted;
};
} // namespace

void mlir::hmoe::registerRuntimeVerifiableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, HMoEDialect *) {
    RouteOp::attachInterface<ChecksModel<RouteOp>>(*ctx);
    DispatchOp::attachInterface<ChecksModel<DispatchOp>>(*ctx);
    ExpertsOp::attachInterface<ChecksModel<ExpertsOp>>(*ctx);
    CombineOp::attachInterface<ChecksModel<CombineOp>>(*ctx);
    StatsOp::attachInterface<ChecksModel<StatsOp>>(*ctx);
    ctx->loadDialect<arith::ArithDialect, cf::ControlFlowDialect,
                     scf::SCFDialect, tensor::TensorDialect>();
  });
}
