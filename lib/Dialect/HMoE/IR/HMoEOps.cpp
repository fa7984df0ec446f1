//===- HMoEOps.cpp - hmoe operations: verifiers and interfaces ------------===//
//
// The verifiers say what was found and what was expected. The routing tree
// is RoutingTree.cpp's, the assembly's custom directives AsmDirectives.cpp's.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "AsmHelpers.h"
#include "VerifyHelpers.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallSet.h"

using namespace mlir;
using namespace mlir::hmoe;
using namespace mlir::hmoe::detail;

//===----------------------------------------------------------------------===//
// Shape helpers
//===----------------------------------------------------------------------===//

static ArrayRef<int64_t> shapeOf(Value value) {
  return cast<ShapedType>(value.getType()).getShape();
}

/// Checks `value`'s shape against `expected` exactly: a dim is dynamic only
/// where the expected one is (weights are static; a result's token count is
/// static exactly when its operands' is). `note` may explain the dims.
static LogicalResult expectShape(Operation *op, Value value,
                                 ArrayRef<int64_t> expected, const Twine &what,
                                 const Twine &note = "") {
  ArrayRef<int64_t> shape = shapeOf(value);
  if (shape == expected)
    return success();
  return op->emitOpError() << what << " has shape " << shapeStr(shape)
                           << "; expected " << shapeStr(expected) << note;
}

/// Checks a destination's shape against `expected` up to dynamic dims: a
/// dim may be static on one side and dynamic on the other (canonicalization
/// makes destinations static where their size folds), but two static dims
/// must be equal. Dynamic ones are checked at run time.
static LogicalResult expectCompatibleShape(Operation *op, Value value,
                                           ArrayRef<int64_t> expected,
                                           const Twine &what,
                                           const Twine &note = "") {
  ArrayRef<int64_t> shape = shapeOf(value);
  bool ok = shape.size() == expected.size();
  for (size_t i = 0; ok && i < shape.size(); ++i)
    ok = ShapedType::isDynamic(shape[i]) ||
         ShapedType::isDynamic(expected[i]) || shape[i] == expected[i];
  if (ok)
    return success();
  return op->emitOpError() << what << " has shape " << shapeStr(shape)
                           << "; expected " << shapeStr(expected) << note;
}

/// The token count T of `values` (their leading dims, which must agree):
/// static if any of them is static. Dynamic ones are checked against it at
/// run time (RuntimeVerifiableOpInterface).
static FailureOr<int64_t>
joinTokenCount(Operation *op, ArrayRef<std::pair<Value, StringRef>> values) {
  int64_t joined = ShapedType::kDynamic;
  StringRef from;
  for (auto [value, what] : values) {
    if (!value || shapeOf(value).empty())
      continue;
    int64_t t = shapeOf(value).front();
    if (ShapedType::isDynamic(t))
      continue;
    if (!ShapedType::isDynamic(joined) && t != joined)
      return op->emitOpError()
             << what << " has " << t << " tokens but " << from << " has "
             << joined << "; expected the same token count T";
    joined = t;
    from = what;
  }
  return joined;
}

static LogicalResult
expectElementType(Operation *op, Value value, Type expected, const Twine &what,
                  const Twine &why = ", the input's element type") {
  Type elem = cast<ShapedType>(value.getType()).getElementType();
  if (elem == expected)
    return success();
  return op->emitOpError() << what << " has element type " << elem
                           << "; expected " << expected << why;
}

/// The model width D of `[T, D]` tokens (static and >= 1: ODS).
static int64_t tokenWidth(Value input) {
  return cast<RankedTensorType>(input.getType()).getDimSize(1);
}

static LogicalResult verifyCapacityFactor(Operation *op, FloatAttr factor) {
  if (!factor)
    return success();
  double value = factor.getValueAsDouble();
  if (!(value > 0.0) || !std::isfinite(value))
    return op->emitOpError()
           << "capacity_factor must be positive and finite; got " << value;
  return success();
}

/// `fill_order` and `capacity_rounding` only mean something with a
/// capacity; asking for them without one is an error, not a silent no-op.
static LogicalResult verifyCapacityPolicy(Operation *op, FloatAttr factor,
                                          FillOrder order,
                                          CapacityRounding rounding) {
  // (A C++ builder can cast any integer to the enums: printed, such a
  // value was an empty keyword.)
  if (stringifyFillOrder(order).empty() ||
      stringifyCapacityRounding(rounding).empty())
    return op->emitOpError()
           << "has fill order " << static_cast<int32_t>(order)
           << " and capacity rounding " << static_cast<int32_t>(rounding)
           << "; expected a FillOrder (token_order, choice_rank, score) and "
              "a CapacityRounding (ceil, hi_moe)";
  if (factor)
    return success();
  if (order != FillOrder::TokenOrder)
    return op->emitOpError()
           << "fill_order " << stringifyFillOrder(order)
           << " needs a capacity_factor (without one every choice is kept)";
  if (rounding != CapacityRounding::Ceil)
    return op->emitOpError()
           << "capacity_rounding " << stringifyCapacityRounding(rounding)
           << " needs a capacity_factor";
  return success();
}

/// Checks that a static token count `t` times `k` choices fits the i32
/// slot indices of hmoe.dispatch.
static LogicalResult verifySlotCount(Operation *op, int64_t t, int64_t k) {
  if (ShapedType::isDynamic(t) || succeeded(checkedProduct(t, k, kMaxSlots)))
    return success();
  return op->emitOpError()
         << "has T x K = " << t << " x " << k
         << " (token, choice) slots; slot indices are i32, so T x K must be "
            "at most 2^31 - 1";
}

/// Checks a `*_levels` attribute: strictly increasing level numbers below
/// `numLevels`, one per operand of the group it indexes.
static LogicalResult verifyLevelList(Operation *op, ArrayRef<int64_t> levels,
                                     size_t numOperands, size_t numLevels,
                                     StringRef attrName, StringRef what) {
  if (levels.size() != numOperands)
    return op->emitOpError()
           << "'" << attrName << "' names " << levels.size()
           << " levels but there are " << numOperands << " " << what
           << " operands; expected one level per operand";
  for (auto [i, level] : llvm::enumerate(levels)) {
    if (level < 0 || level >= static_cast<int64_t>(numLevels))
      return op->emitOpError() << "'" << attrName << "' names level " << level
                               << "; expected 0 <= level < " << numLevels;
    if (i > 0 && level <= levels[i - 1])
      return op->emitOpError()
             << "'" << attrName << "' must be strictly increasing (one " << what
             << " per level)";
  }
  return success();
}

static SmallVector<GateAttr> gateList(ArrayAttr gates) {
  return llvm::to_vector(gates.getAsRange<GateAttr>());
}

/// Checks the selection biases (or gate biases) against the level operands:
/// each is shaped like its level's node dims.
static LogicalResult verifyLevelBiases(Operation *op, ValueRange biases,
                                       ArrayRef<int64_t> levels,
                                       ValueRange levelOperands,
                                       LevelOperand operand, StringRef what) {
  for (auto [bias, level] : llvm::zip_equal(biases, levels)) {
    ArrayRef<int64_t> shape = shapeOf(levelOperands[level]);
    ArrayRef<int64_t> nodes = operand == LevelOperand::GateWeight
                                  ? shape.drop_back()
                                  : shape.drop_front();
    if (failed(expectShape(op, bias, nodes,
                           "level " + Twine(level + 1) + " " + what,
                           operand == LevelOperand::GateWeight
                               ? " (the gate weights' shape without D)"
                               : " (the logits' shape without T)")))
      return failure();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Experts and statistics
//===----------------------------------------------------------------------===//

/// Checks expert weights for `expert` over `numExperts` experts of input
/// width `d` and returns the output width D_out.
static FailureOr<int64_t>
verifyExpertWeights(Operation *op, ExpertAttr expert, int64_t numExperts,
                    int64_t d, Type elemType, Value w1, Value wUp, Value b1,
                    Value w2, Value b2, StringRef role = "expert",
                    bool perProcess = false) {
  ExpertKind kind = expert.getKind();
  // The expected shapes as the user reads them: E experts, or with
  // experts_on the process's E / R.
  auto shapeText = [&](StringRef rest) -> std::string {
    return (Twine(" ([") + (perProcess ? "E / R" : "E") + ", " + rest + "]" +
            (perProcess ? ", the process's experts)" : ")"))
        .str();
  };
  // "ffn experts ..." or "shared ffn experts ...".
  std::string name =
      (role == "expert" ? "" : "shared ") + stringifyExpertKind(kind).str();
  auto forbid = [&](Value v, StringRef operand) -> LogicalResult {
    if (!v)
      return success();
    return op->emitOpError()
           << name << " experts take no '" << operand << "' weights";
  };
  auto require = [&](Value v, StringRef operand,
                     StringRef shape) -> LogicalResult {
    if (v)
      return success();
    return op->emitOpError()
           << name << " experts need '" << operand << "'" << shape;
  };
  Value operands[] = {w1, wUp, b1, w2, b2};
  for (auto [v, operand] : llvm::zip_equal(operands, kExpertOperandNames)) {
    if (!v)
      continue;
    auto type = cast<RankedTensorType>(v.getType());
    if (!type.hasStaticShape())
      return op->emitOpError() << role << " weight '" << operand
                               << "' must have a static shape; got " << type;
    if (failed(expectElementType(op, v, elemType,
                                 role + " weight '" + operand + "'")))
      return failure();
  }
  if (shapeOf(w1).size() != 3)
    return op->emitOpError()
           << role << " weight 'w1' must be rank 3"
           << shapeText(kind == ExpertKind::Linear ? "D_out, D" : "H, D")
           << "; got " << w1.getType();
  int64_t e = numExperts;
  int64_t h = expert.getHidden();
  if (kind == ExpertKind::Linear) {
    if (failed(forbid(wUp, "w_up")) || failed(forbid(w2, "w2")) ||
        failed(forbid(b2, "b2")))
      return failure();
    int64_t dOut = shapeOf(w1)[1];
    if (failed(expectShape(op, w1, {e, dOut, d}, Twine(role) + " weight 'w1'",
                           shapeText("D_out, D"))) ||
        (b1 && failed(expectShape(op, b1, {e, dOut}, Twine(role) + " bias 'b1'",
                                  shapeText("D_out")))))
      return failure();
    return dOut;
  }
  if (kind == ExpertKind::SwiGLU) {
    if (failed(require(wUp, "w_up", shapeText("H, D"))) ||
        failed(forbid(b1, "b1")) || failed(forbid(b2, "b2")))
      return failure();
  } else if (failed(forbid(wUp, "w_up"))) {
    return failure();
  }
  if (failed(require(w2, "w2", shapeText("D_out, H"))))
    return failure();
  if (failed(expectShape(op, w1, {e, h, d}, Twine(role) + " weight 'w1'",
                         shapeText("H, D"))) ||
      (wUp &&
       failed(expectShape(op, wUp, {e, h, d}, Twine(role) + " weight 'w_up'",
                          shapeText("H, D")))) ||
      (b1 && failed(expectShape(op, b1, {e, h}, Twine(role) + " bias 'b1'",
                                shapeText("H")))))
    return failure();
  if (shapeOf(w2).size() != 3)
    return op->emitOpError()
           << role << " weight 'w2' must be rank 3" << shapeText("D_out, H")
           << "; got " << w2.getType();
  int64_t dOut = shapeOf(w2)[1];
  if (failed(expectShape(op, w2, {e, dOut, h}, Twine(role) + " weight 'w2'",
                         shapeText("D_out, H"))) ||
      (b2 && failed(expectShape(op, b2, {e, dOut}, Twine(role) + " bias 'b2'",
                                shapeText("D_out")))))
    return failure();
  return dOut;
}

static Type expectedStatType(MLIRContext *ctx, StatKind kind,
                             int64_t numExperts, int64_t numGroups) {
  Type f32 = Float32Type::get(ctx);
  Type i64 = IntegerType::get(ctx, 64);
  switch (kind) {
  case StatKind::Load:
    return RankedTensorType::get({numExperts}, i64);
  case StatKind::Importance:
    return RankedTensorType::get({numExperts}, f32);
  case StatKind::GroupLoad:
    return RankedTensorType::get({numGroups}, i64);
  case StatKind::GroupImportance:
    return RankedTensorType::get({numGroups}, f32);
  case StatKind::Dropped:
    return RankedTensorType::get({}, i64);
  default:
    return RankedTensorType::get({}, f32);
  }
}

static LogicalResult verifyStatResults(Operation *op, ArrayAttr stats,
                                       int64_t numExperts, int64_t numGroups,
                                       TypeRange resultTypes,
                                       double lambdaIntra, double lambdaInter) {
  if (stats.size() != resultTypes.size())
    return op->emitOpError()
           << "requests " << stats.size() << " statistics but has "
           << resultTypes.size() << " statistic "
           << (isa<MoEOp>(op) ? "results" : "outs") << "; expected one each";
  llvm::SmallSet<StatKind, 8> seen;
  for (auto [attr, type] : llvm::zip_equal(stats, resultTypes)) {
    StatKind kind = cast<StatKindAttr>(attr).getValue();
    // (A builder can cast any integer to the enum: printed, it was an empty
    // keyword.)
    if (stringifyStatKind(kind).empty()) {
      InFlightDiagnostic diag = op->emitOpError()
                                << "requests an unknown statistic kind "
                                << static_cast<int32_t>(kind)
                                << "; expected one of ";
      llvm::interleaveComma(
          llvm::make_filter_range(llvm::map_range(llvm::seq<uint32_t>(0, 64),
                                                  [](uint32_t i) {
                                                    return stringifyStatKind(
                                                        StatKind(i));
                                                  }),
                                  [](StringRef name) { return !name.empty(); }),
          diag);
      return diag;
    }
    if (!seen.insert(kind).second)
      return op->emitOpError() << "statistic '" << stringifyStatKind(kind)
                               << "' is requested twice";
    // A tensor for hmoe.moe and before bufferization, a memref after: its
    // shape and element type are the statistic's.
    auto expected = cast<RankedTensorType>(
        expectedStatType(op->getContext(), kind, numExperts, numGroups));
    auto shaped = cast<ShapedType>(type);
    if (shaped.getShape() != expected.getShape() ||
        shaped.getElementType() != expected.getElementType())
      return op->emitOpError()
             << "statistic '" << stringifyStatKind(kind) << "' has type "
             << type << "; expected " << expected;
  }
  // The statistics compute in f32: a weight beyond its range was inf there.
  double largest = std::numeric_limits<float>::max();
  if (!(std::abs(lambdaIntra) <= largest) ||
      !(std::abs(lambdaInter) <= largest))
    return op->emitOpError()
           << "lambda_intra and lambda_inter must be finite in f32 (at most "
           << largest << " in magnitude); got " << lambdaIntra << " and "
           << lambdaInter;
  return success();
}

static bool requests(ArrayAttr stats, StatKind kind) {
  return llvm::any_of(stats, [&](Attribute attr) {
    return cast<StatKindAttr>(attr).getValue() == kind;
  });
}

//===----------------------------------------------------------------------===//
// Destination-passing routing ops
//===----------------------------------------------------------------------===//

/// Tensors in and results out, or memrefs in and no results: the results
/// are the `outs` tensors, written.
static LogicalResult verifyDestinations(Operation *op) {
  bool tensors = isa<RankedTensorType>(op->getOperand(0).getType());
  for (Value v : op->getOperands())
    if (isa<RankedTensorType>(v.getType()) != tensors)
      return op->emitOpError()
             << "mixes tensor and memref operands; expected all tensors "
                "(before bufferization) or all memrefs (after)";
  auto dps = cast<DestinationStyleOpInterface>(op);
  if (!tensors) {
    if (op->getNumResults() != 0)
      return op->emitOpError() << "on memrefs writes its outs and has no "
                                  "results; got "
                               << op->getNumResults();
    return success();
  }
  if (op->getResultTypes() != dps.getDpsInits().getTypes())
    return op->emitOpError() << "results must have the types of its outs";
  return success();
}

/// Reads of every operand but the outs and writes of the outs, on memrefs.
static void getRoutingEffects(
    Operation *op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &operand : op->getOpOperands()) {
    if (!isa<MemRefType>(operand.get().getType()))
      continue;
    if (dps.isDpsInit(&operand))
      effects.emplace_back(MemoryEffects::Write::get(), &operand,
                           SideEffects::DefaultResource::get());
    else
      effects.emplace_back(MemoryEffects::Read::get(), &operand,
                           SideEffects::DefaultResource::get());
  }
}

/// Each result is shaped like its out.
static LogicalResult
reifyFromOuts(Operation *op, OpBuilder &b,
              ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  auto dps = cast<DestinationStyleOpInterface>(op);
  for (OpOperand &init : dps.getDpsInitsMutable()) {
    auto type = cast<RankedTensorType>(init.get().getType());
    SmallVector<OpFoldResult> dims;
    for (int64_t d = 0; d < type.getRank(); ++d)
      dims.push_back(type.isDynamicDim(d)
                         ? OpFoldResult(tensor::DimOp::create(b, op->getLoc(),
                                                              init.get(), d)
                                            .getResult())
                         : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
    reifiedReturnShapes.push_back(dims);
  }
  return success();
}

/// `[T, rest...]` with T the dynamic or static leading dim of `tokens`.
static LogicalResult
reifyTokenRows(Operation *op, OpBuilder &b, Value tokens,
               ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  for (Type t : op->getResultTypes()) {
    auto type = cast<RankedTensorType>(t);
    SmallVector<OpFoldResult> dims;
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!type.isDynamicDim(d))
        dims.push_back(b.getIndexAttr(type.getDimSize(d)));
      else
        dims.push_back(
            tensor::DimOp::create(b, op->getLoc(), tokens, 0).getResult());
    }
    reifiedReturnShapes.push_back(dims);
  }
  return success();
}

#define HMOE_ROUTING_OP_INTERFACES(Op)                                         \
  void Op::getEffects(                                                         \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    getRoutingEffects(*this, effects);                                         \
  }                                                                            \
  LogicalResult Op::reifyResultShapes(                                         \
      OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {        \
    return reifyFromOuts(*this, b, reifiedReturnShapes);                       \
  }
HMOE_ROUTING_OP_INTERFACES(RouteOp)
HMOE_ROUTING_OP_INTERFACES(DispatchOp)
HMOE_ROUTING_OP_INTERFACES(StatsOp)
#undef HMOE_ROUTING_OP_INTERFACES

//===----------------------------------------------------------------------===//
// MoEOp
//===----------------------------------------------------------------------===//

Value MoEOp::getGateBias(int64_t level) {
  return levelOperand(getGateBiases(), getGateBiasLevels(), level);
}

Value MoEOp::getSelectionBias(int64_t level) {
  return levelOperand(getSelectionBiases(), getSelectionBiasLevels(), level);
}

Value MoEOp::getPenalty(int64_t level) {
  return levelOperand(getPenalties(), getPenaltyLevels(), level);
}

SmallVector<GateAttr> MoEOp::getGateList() { return gateList(getGates()); }

FailureOr<RoutingTree> MoEOp::getRoutingTree() {
  auto input = cast<RankedTensorType>(getInput().getType());
  if (input.getRank() != 2 || input.isDynamicDim(1))
    return failure();
  return verifyRoutingTree(nullptr, getStrategy(), getGateList(),
                           getGateWeights().getTypes(),
                           LevelOperand::GateWeight, input.getDimSize(1));
}

LogicalResult
MoEOp::reifyResultShapes(OpBuilder &b,
                         ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  return reifyTokenRows(*this, b, getInput(), reifiedReturnShapes);
}

/// The shared experts: weights for their kind over S experts, the same
/// output width as the routed ones, a gate `[D]` in the layer's type.
static LogicalResult verifySharedExperts(MoEOp op, int64_t d, int64_t dOut,
                                         Type elemType) {
  Value weights[] = {op.getSharedW1(), op.getSharedWUp(), op.getSharedB1(),
                     op.getSharedW2(), op.getSharedB2(),  op.getSharedGate()};
  ExpertAttr expert = op.getSharedExpertAttr();
  if (!expert) {
    if (llvm::any_of(weights, [](Value v) { return bool(v); }))
      return op.emitOpError() << "has shared expert weights but no "
                                 "shared_expert attribute";
    return success();
  }
  if (!op.getSharedW1())
    return op.emitOpError() << "shared experts need 'w1'";
  auto w1 = cast<RankedTensorType>(op.getSharedW1().getType());
  if (w1.getRank() != 3 || w1.isDynamicDim(0) || w1.getDimSize(0) < 1)
    return op.emitOpError() << "shared expert weight 'w1' must be [S, "
                               "H_s, D] with a static S >= 1; got "
                            << w1;
  // The shared experts run as an expert stage over S x T slots (i32).
  int64_t numShared = w1.getDimSize(0);
  int64_t numTokens = op.getInput().getType().getDimSize(0);
  if (numShared > kMaxExperts ||
      (!ShapedType::isDynamic(numTokens) &&
       failed(checkedProduct(numShared, numTokens, kMaxSlots))))
    return op.emitOpError()
           << "has " << numShared << " shared experts over "
           << (ShapedType::isDynamic(numTokens) ? std::string("?")
                                                : std::to_string(numTokens))
           << " tokens; expected S <= 2^31 - 1 and S x T <= 2^31 - 1 "
              "(their slots are i32)";
  FailureOr<int64_t> sharedOut =
      verifyExpertWeights(op, expert, w1.getDimSize(0), d, elemType,
                          op.getSharedW1(), op.getSharedWUp(), op.getSharedB1(),
                          op.getSharedW2(), op.getSharedB2(), "shared expert");
  if (failed(sharedOut))
    return failure();
  if (*sharedOut != dOut)
    return op.emitOpError() << "shared experts have output width " << *sharedOut
                            << "; the routed experts' is " << dOut;
  if (Value gate = op.getSharedGate())
    if (failed(expectShape(op, gate, {d}, "shared gate", " ([D])")) ||
        failed(expectElementType(op, gate, elemType, "shared gate")))
      return failure();
  return success();
}

LogicalResult MoEOp::verifySymbolUses(SymbolTableCollection &symbolTable) {
  FlatSymbolRefAttr name = getExpertGridAttr();
  if (!name)
    return success();
  auto grid = symbolTable.lookupNearestSymbolFrom<shard::GridOp>(*this, name);
  if (!grid)
    return emitOpError() << "experts_on " << name
                         << " names no shard.grid; expected the grid of "
                            "processes the experts are spread over";
  ArrayRef<int64_t> shape = grid.getShape();
  if (shape.size() != 1 || ShapedType::isDynamic(shape[0]))
    return emitOpError() << "experts_on " << name
                         << " is not a one-dimensional grid of static size; "
                            "expected shard.grid "
                         << name << "(shape = R)";
  if (shape[0] < 1)
    return emitOpError() << "experts_on " << name << " has " << shape[0]
                         << " processes; expected shard.grid " << name
                         << "(shape = R) with R >= 1";
  FailureOr<RoutingTree> tree = getRoutingTree();
  if (failed(tree))
    return failure();
  int64_t processes = shape[0], numExperts = tree->numExperts;
  int64_t local = getW1().getType().getDimSize(0);
  if (numExperts % processes != 0)
    return emitOpError() << "spreads " << numExperts << " experts over the "
                         << processes << " processes of " << name
                         << "; expected a number of processes that divides "
                            "the experts";
  if (local * processes != numExperts)
    return emitOpError() << "has " << local
                         << " experts per process (w1's first dimension); "
                            "expected "
                         << numExperts / processes << " (" << numExperts
                         << " experts over the " << processes
                         << " processes of " << name << ")";
  return success();
}

LogicalResult MoEOp::verify() {
  Operation *op = getOperation();
  int64_t d = tokenWidth(getInput());
  Type elemType = getInput().getType().getElementType();
  int64_t numLevels = getGates().size();
  if (failed(verifyLevelList(op, getGateBiasLevels(), getGateBiases().size(),
                             numLevels, "gate_bias_levels", "gate bias")) ||
      failed(verifyLevelList(op, getSelectionBiasLevels(),
                             getSelectionBiases().size(), numLevels,
                             "selection_bias_levels", "selection bias")) ||
      failed(verifyLevelList(op, getPenaltyLevels(), getPenalties().size(),
                             numLevels, "penalty_levels", "penalty")))
    return failure();
  // The statistics are taken before the penalty: for one level, the
  // unpenalised probabilities of that level's gate.
  if (!getPenalties().empty() && numLevels != 1)
    return emitOpError() << "has a penalty on a layer with " << numLevels
                         << " levels; a penalty needs a layer with one level "
                            "(group_limited, per_group or a flat nested "
                            "layer)";
  for (auto [l, w] : llvm::enumerate(getGateWeights()))
    if (failed(expectElementType(op, w, elemType,
                                 "level " + Twine(l + 1) + " gate weight")))
      return failure();
  for (auto [b, l] : llvm::zip_equal(getGateBiases(), getGateBiasLevels()))
    if (failed(expectElementType(op, b, elemType,
                                 "level " + Twine(l + 1) + " gate bias")))
      return failure();

  FailureOr<RoutingTree> tree = verifyRoutingTree(
      op, getStrategy(), getGateList(), getGateWeights().getTypes(),
      LevelOperand::GateWeight, d);
  if (failed(tree))
    return failure();
  if (failed(verifyLevelBiases(op, getGateBiases(), getGateBiasLevels(),
                               getGateWeights(), LevelOperand::GateWeight,
                               "gate bias")) ||
      failed(verifyLevelBiases(op, getSelectionBiases(),
                               getSelectionBiasLevels(), getGateWeights(),
                               LevelOperand::GateWeight, "selection bias")) ||
      failed(verifyLevelBiases(op, getPenalties(), getPenaltyLevels(),
                               getGateWeights(), LevelOperand::GateWeight,
                               "penalty")))
    return failure();
  if (getRouterScale() &&
      failed(expectShape(op, getRouterScale(), {tree->numExperts},
                         "router_scale", " ([E], one scale per expert)")))
    return failure();

  // With experts_on the weights are one process's experts: a divisor of
  // the layer's E (the grid's size is checked in verifySymbolUses).
  int64_t weightExperts = tree->numExperts;
  if (getExpertGrid()) {
    ArrayRef<int64_t> w1Shape = getW1().getType().getShape();
    int64_t local = w1Shape.empty() ? 0 : w1Shape[0];
    if (local < 1 || tree->numExperts % local != 0)
      return emitOpError()
             << "with experts_on has " << local
             << " experts per process (w1's first dimension); expected a "
                "divisor of the layer's "
             << tree->numExperts << " experts";
    weightExperts = local;
  }
  FailureOr<int64_t> dOut =
      verifyExpertWeights(op, getExpert(), weightExperts, d, elemType, getW1(),
                          getWUp(), getB1(), getW2(), getB2(), "expert",
                          /*perProcess=*/bool(getExpertGrid()));
  if (failed(dOut))
    return failure();
  if (failed(verifySharedExperts(*this, d, *dOut, elemType)))
    return failure();
  int64_t numTokens = getInput().getType().getDimSize(0);
  if (failed(verifySlotCount(op, numTokens, tree->numChosen)) ||
      failed(expectShape(op, getOutput(), {numTokens, *dOut}, "output",
                         " ([T, D_out])")) ||
      failed(expectElementType(op, getOutput(), elemType, "output")))
    return failure();
  if (failed(verifyCapacityFactor(op, getCapacityFactorAttr())) ||
      failed(verifyCapacityPolicy(op, getCapacityFactorAttr(), getFillOrder(),
                                  getCapacityRounding())))
    return failure();
  return verifyStatResults(op, getStats(), tree->numExperts, tree->numGroups,
                           getStatistics().getTypes(),
                           getLambdaIntra().convertToDouble(),
                           getLambdaInter().convertToDouble());
}

//===----------------------------------------------------------------------===//
// ScoreOp
//===----------------------------------------------------------------------===//

LogicalResult ScoreOp::verify() {
  Operation *op = getOperation();
  int64_t d = tokenWidth(getInput());
  bool isActivation = getKind() == ScoreKind::Activation;
  if (isActivation != static_cast<bool>(getActivation()))
    return emitOpError() << (isActivation
                                 ? "score 'activation' needs a function"
                                 : "only 'activation' scores take a function");
  RankedTensorType weightType = getWeight().getType();
  if (weightType.getShape().back() != d)
    return emitOpError() << "gate weight must be [..., N, D] with D = " << d
                         << " (the input's width); got " << weightType;
  Type elemType = getInput().getType().getElementType();
  if (failed(expectElementType(op, getWeight(), elemType, "gate weight")))
    return failure();
  ArrayRef<int64_t> nodes = weightType.getShape().drop_back();
  if (getBias() &&
      (failed(expectShape(op, getBias(), nodes, "bias",
                          " (the gate weights' shape without D)")) ||
       failed(expectElementType(op, getBias(), elemType, "bias"))))
    return failure();
  SmallVector<int64_t> expected = {getInput().getType().getDimSize(0)};
  llvm::append_range(expected, nodes);
  return expectShape(op, getLogits(), expected, "logits",
                     " ([T] followed by the gate weights' shape without D)");
}

LogicalResult
ScoreOp::reifyResultShapes(OpBuilder &b,
                           ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  return reifyTokenRows(*this, b, getInput(), reifiedReturnShapes);
}

//===----------------------------------------------------------------------===//
// RouteOp
//===----------------------------------------------------------------------===//

Value RouteOp::getSelectionBias(int64_t level) {
  return levelOperand(getSelectionBiases(), getSelectionBiasLevels(), level);
}

SmallVector<GateAttr> RouteOp::getGateList() { return gateList(getGates()); }

FailureOr<RoutingTree> RouteOp::getRoutingTree() {
  return verifyRoutingTree(nullptr, getStrategy(), getGateList(),
                           getLogits().getTypes(), LevelOperand::Logits,
                           ShapedType::kDynamic);
}

LogicalResult RouteOp::verify() {
  Operation *op = getOperation();
  if (getOuts().size() != 3)
    return emitOpError() << "has " << getOuts().size()
                         << " outs; expected 3 (weights, experts, probs)";
  if (failed(verifyDestinations(op)))
    return failure();
  if (failed(verifyLevelList(op, getSelectionBiasLevels(),
                             getSelectionBiases().size(), getGates().size(),
                             "selection_bias_levels", "selection bias")))
    return failure();
  // All levels and results agree on T.
  SmallVector<std::string> names;
  for (size_t l = 0; l < getLogits().size(); ++l)
    names.push_back("level " + std::to_string(l + 1) + " logits");
  SmallVector<std::pair<Value, StringRef>> levels;
  for (auto [v, name] : llvm::zip_equal(getLogits(), names))
    levels.push_back({v, name});
  // The destinations' T joins too: a destination may be static where the
  // logits are not (checked at run time).
  levels.append({{getWeightsInit(), "weights"},
                 {getExpertsInit(), "experts"},
                 {getProbsInit(), "probs"}});
  FailureOr<int64_t> numTokens = joinTokenCount(op, levels);
  if (failed(numTokens))
    return failure();
  FailureOr<RoutingTree> tree = verifyRoutingTree(
      op, getStrategy(), getGateList(), getLogits().getTypes(),
      LevelOperand::Logits, *numTokens);
  if (failed(tree))
    return failure();
  if (failed(verifyLevelBiases(op, getSelectionBiases(),
                               getSelectionBiasLevels(), getLogits(),
                               LevelOperand::Logits, "selection bias")))
    return failure();
  if (getRouterScale() &&
      failed(expectShape(op, getRouterScale(), {tree->numExperts},
                         "router_scale", " ([E], one scale per expert)")))
    return failure();
  std::string k =
      "K = " + std::to_string(tree->numChosen) + ", the experts a token uses";
  if (failed(expectCompatibleShape(op, getWeightsInit(),
                                   {*numTokens, tree->numChosen}, "weights",
                                   " ([T, K], " + k + ")")) ||
      failed(expectElementType(op, getWeightsInit(),
                               Float32Type::get(getContext()), "weights",
                               "")) ||
      failed(expectCompatibleShape(op, getExpertsInit(),
                                   {*numTokens, tree->numChosen}, "experts",
                                   " ([T, K], " + k + ")")) ||
      failed(expectElementType(op, getExpertsInit(),
                               IntegerType::get(getContext(), 32), "experts",
                               "")) ||
      failed(expectCompatibleShape(op, getProbsInit(),
                                   {*numTokens, tree->numExperts}, "probs",
                                   " ([T, E])")) ||
      failed(expectElementType(op, getProbsInit(),
                               Float32Type::get(getContext()), "probs", "")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// DispatchOp
//===----------------------------------------------------------------------===//

LogicalResult DispatchOp::verify() {
  Operation *op = getOperation();
  if (getOuts().size() != 3)
    return emitOpError() << "has " << getOuts().size()
                         << " outs; expected 3 (slot_token, slot_of, offsets)";
  if (failed(verifyDestinations(op)))
    return failure();
  ArrayRef<int64_t> shape = shapeOf(getExperts()); // [T, K], K >= 1 (ODS)
  // num_experts is in [1, 2^31 - 1] (ODS): expert indices are i32.
  int64_t numExperts = getNumExperts();
  if (failed(verifyCapacityFactor(op, getCapacityFactorAttr())) ||
      failed(verifyCapacityPolicy(op, getCapacityFactorAttr(), getFillOrder(),
                                  getCapacityRounding())) ||
      failed(verifySlotCount(op, shape[0], shape[1])))
    return failure();
  // The routing weights order the choices of fill_order score, and nothing
  // else reads them.
  bool byScore = getFillOrder() == FillOrder::Score;
  if (byScore && !getWeights())
    return emitOpError() << "fill_order score needs the routing weights "
                            "([T, K], f32)";
  if (!byScore && getWeights())
    return emitOpError() << "has routing weights, which only fill_order "
                            "score reads";
  if (getWeights() &&
      failed(expectCompatibleShape(op, getWeights(), shape, "weights",
                                   " (the shape of experts)")))
    return failure();
  int64_t slots = ShapedType::isDynamic(shape[0]) ? ShapedType::kDynamic
                                                  : shape[0] * shape[1];
  if (failed(expectCompatibleShape(op, getSlotTokenInit(), {slots},
                                   "slot_token", " ([T * K])")) ||
      failed(expectCompatibleShape(op, getSlotOfInit(), shape, "slot_of",
                                   " (the shape of experts)")) ||
      failed(expectShape(op, getOffsetsInit(), {numExperts + 1}, "offsets",
                         " ([num_experts + 1])")))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// ExpertsOp
//===----------------------------------------------------------------------===//

LogicalResult ExpertsOp::verify() {
  Operation *op = getOperation();
  int64_t d = tokenWidth(getInput());
  ArrayRef<int64_t> w1Shape = getW1().getType().getShape();
  if (w1Shape.empty() || ShapedType::isDynamic(w1Shape[0]))
    return emitOpError() << "expert weight 'w1' must be [E, ...] with a "
                            "static E; got "
                         << getW1().getType();
  int64_t numExperts = w1Shape[0];
  if (numExperts < 1 || numExperts > kMaxExperts)
    return emitOpError() << "has " << numExperts
                         << " experts; expected 1 to 2^31 - 1 (expert "
                            "indices are i32)";
  if (failed(expectShape(op, getOffsets(), {numExperts + 1}, "offsets",
                         " ([E + 1])")))
    return failure();
  FailureOr<int64_t> dOut = verifyExpertWeights(
      op, getExpert(), numExperts, d, getInput().getType().getElementType(),
      getW1(), getWUp(), getB1(), getW2(), getB2());
  if (failed(dOut))
    return failure();
  return expectShape(op, getOutput(), {shapeOf(getSlotToken())[0], *dOut},
                     "output", " ([slots, D_out])");
}

LogicalResult
ExpertsOp::reifyResultShapes(OpBuilder &b,
                             ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  return reifyTokenRows(*this, b, getSlotToken(), reifiedReturnShapes);
}

//===----------------------------------------------------------------------===//
// CombineOp
//===----------------------------------------------------------------------===//

LogicalResult CombineOp::verify() {
  Operation *op = getOperation();
  // Ranks and static widths: ODS.
  ArrayRef<int64_t> outShape = shapeOf(getExpertOutput());
  ArrayRef<int64_t> slotShape = shapeOf(getSlotOf());
  FailureOr<int64_t> numTokens =
      joinTokenCount(op, {{getSlotOf(), "slot_of"}, {getWeights(), "weights"}});
  if (failed(numTokens))
    return failure();
  ArrayRef<int64_t> weightShape = shapeOf(getWeights());
  if (weightShape[1] != slotShape[1])
    return emitOpError() << "weights has shape " << shapeStr(weightShape)
                         << "; expected [T, " << slotShape[1]
                         << "] (the shape of slot_of)";
  return expectShape(op, getOutput(), {*numTokens, outShape[1]}, "output",
                     " ([T, D_out])");
}

LogicalResult
CombineOp::reifyResultShapes(OpBuilder &b,
                             ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  return reifyTokenRows(*this, b, getSlotOf(), reifiedReturnShapes);
}

//===----------------------------------------------------------------------===//
// StatsOp
//===----------------------------------------------------------------------===//

LogicalResult StatsOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyDestinations(op)))
    return failure();
  // Ranks and static widths (E, K, N >= 1): ODS.
  ArrayRef<int64_t> probs = shapeOf(getProbs());
  ArrayRef<int64_t> experts = shapeOf(getExperts());
  if (probs[1] > kMaxExperts)
    return emitOpError() << "probs has " << probs[1]
                         << " experts; expected 1 to 2^31 - 1";
  if (failed(joinTokenCount(op, {{getProbs(), "probs"},
                                 {getExperts(), "experts"},
                                 {getLogits(), "logits"},
                                 {getSlotOf(), "slot_of"}})))
    return failure();
  if (getStats().empty())
    return emitOpError() << "requests no statistics; expected at least one";
  int64_t numExperts = probs[1];
  int64_t groups = getGroups(); // >= 1 (ODS)
  if (numExperts % groups != 0)
    return emitOpError() << "expected the " << numExperts
                         << " experts to divide into groups = " << groups
                         << " equal groups";
  if (requests(getStats(), StatKind::ZLoss) && !getLogits())
    return emitOpError() << "statistic 'z_loss' needs the logits operand";
  if (requests(getStats(), StatKind::Dropped)) {
    if (!getSlotOf())
      return emitOpError() << "statistic 'dropped' needs the slot_of operand";
    ArrayRef<int64_t> slotOf = shapeOf(getSlotOf());
    if (slotOf[1] != experts[1])
      return emitOpError() << "slot_of has shape " << shapeStr(slotOf)
                           << "; expected [T, " << experts[1]
                           << "] (the shape of experts)";
  }
  return verifyStatResults(
      op, getStats(), numExperts, groups, getOuts().getTypes(),
      getLambdaIntra().convertToDouble(), getLambdaInter().convertToDouble());
}

#define GET_OP_CLASSES
#include "hmoe/Dialect/HMoE/IR/HMoEOps.cpp.inc"
