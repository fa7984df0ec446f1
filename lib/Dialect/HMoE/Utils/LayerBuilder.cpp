//===- LayerBuilder.cpp - build an HMoE layer function from a spec --------===//

#include "hmoe/Dialect/HMoE/Utils/LayerBuilder.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/IR/Verifier.h"

#include <array>

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// The layer's arguments and where each operand group of hmoe.moe is.
struct Signature {
  SmallVector<Type> types;
  int64_t input = -1;
  SmallVector<int64_t> gateWeights, gateBiases, selectionBiases, penalties;
  SmallVector<int64_t> gateBiasLevels, selectionBiasLevels, penaltyLevels;
  int64_t routerScale = -1, w1 = -1, wUp = -1, b1 = -1, w2 = -1, b2 = -1;
  int64_t sharedW1 = -1, sharedWUp = -1, sharedB1 = -1, sharedW2 = -1,
          sharedB2 = -1, sharedGate = -1;

  int64_t add(Type type) {
    types.push_back(type);
    return types.size() - 1;
  }
};
} // namespace

static LogicalResult checkSpec(Location loc, const LayerSpec &spec) {
  if (spec.name.empty())
    return emitError(loc) << "a layer needs a name (its function's); got an "
                             "empty one";
  if (!spec.strategy || !spec.expert)
    return emitError(loc) << "layer '" << spec.name
                          << "' needs a strategy and an expert kind";
  if (spec.levels.empty())
    return emitError(loc) << "layer '" << spec.name
                          << "' needs at least one routing level";
  for (auto [l, level] : llvm::enumerate(spec.levels)) {
    if (!level.gate)
      return emitError(loc) << "level " << l + 1 << " has no gate";
    if (level.fanout < 1)
      return emitError(loc) << "level " << l + 1
                            << " needs a fan-out >= 1; got " << level.fanout;
  }
  if (spec.dim < 1)
    return emitError(loc) << "layer '" << spec.name << "' needs D >= 1; got "
                          << spec.dim;
  if (spec.expertProcesses < 1)
    return emitError(loc) << "layer '" << spec.name
                          << "' needs expert_processes >= 1; got "
                          << spec.expertProcesses;
  // (It was read as 1.)
  if (spec.sharedExpert && spec.sharedCount < 1)
    return emitError(loc) << "layer '" << spec.name
                          << "' needs shared_count >= 1 with a shared "
                             "expert; got "
                          << spec.sharedCount;
  return success();
}

/// The grid `@experts_<R>` of R processes in the symbol table the builder
/// inserts into: the table's own when it has one of that shape, else a new
/// one at the insertion point (`made`); an error when the name is taken by
/// something else.
static LogicalResult expertGrid(OpBuilder &builder, Location loc,
                                int64_t processes, shard::GridOp &grid,
                                bool &made) {
  builder.getContext()->getOrLoadDialect<shard::ShardDialect>();
  std::string name = "experts_" + std::to_string(processes);
  Operation *table = builder.getInsertionBlock()->getParentOp();
  if (Operation *existing = SymbolTable::lookupSymbolIn(table, name)) {
    grid = dyn_cast<shard::GridOp>(existing);
    if (grid && grid.getShape() == ArrayRef<int64_t>{processes})
      return success();
    InFlightDiagnostic diag = emitError(loc)
                              << "the layer's experts go on the grid @" << name
                              << ", but the module has ";
    if (grid) {
      diag << "a grid of that name of shape ";
      llvm::interleave(
          grid.getShape(), diag,
          [&](int64_t size) {
            if (ShapedType::isDynamic(size))
              diag << "?";
            else
              diag << size;
          },
          "x");
    } else {
      diag << "another symbol of that name";
    }
    return diag << "; expected shard.grid @" << name << "(shape = " << processes
                << ")";
  }
  grid =
      shard::GridOp::create(builder, loc, name, ArrayRef<int64_t>{processes});
  made = true;
  return success();
}

FailureOr<func::FuncOp> hmoe::buildLayerFunction(OpBuilder &builder,
                                                 Location loc,
                                                 const LayerSpec &spec) {
  if (failed(checkSpec(loc, spec)))
    return failure();
  // The function's name must be free in the table it goes into (a second
  // layer of one name made a module that no longer verified).
  if (Operation *table = builder.getInsertionBlock()->getParentOp();
      table->hasTrait<OpTrait::SymbolTable>())
    if (Operation *existing = SymbolTable::lookupSymbolIn(table, spec.name))
      return emitError(loc)
             << "layer '" << spec.name << "': the module already has "
             << (isa<func::FuncOp>(existing) ? "a function" : "a symbol")
             << " of that name; expected a new name";
  // Nor the grid's that the builder adds for it.
  if (spec.expertProcesses > 1 &&
      spec.name == "experts_" + std::to_string(spec.expertProcesses))
    return emitError(loc) << "layer '" << spec.name
                          << "': the name of the grid its experts go on; "
                             "expected another name";
  MLIRContext *ctx = builder.getContext();
  Type elem = spec.elementType ? spec.elementType : builder.getF32Type();
  Type f32 = builder.getF32Type();
  int64_t d = spec.dim;
  bool nested = spec.strategy.isNested();

  // E, with the product checked by the verifier afterwards; a saturating
  // product here only sizes the expert weights' types.
  int64_t experts = 1;
  for (const LevelSpec &level : spec.levels)
    experts = experts > (int64_t(1) << 40) / level.fanout
                  ? (int64_t(1) << 40)
                  : experts * level.fanout;

  // Expert parallelism: the grid the experts are spread over (made here
  // unless the module has it; removed again if the layer fails), and the
  // process's share of the experts.
  int64_t processes = spec.expertProcesses;
  shard::GridOp grid;
  bool madeGrid = false;
  if (processes > 1) {
    if (experts % processes != 0)
      return emitError(loc) << "layer '" << spec.name << "' spreads " << experts
                            << " experts over " << processes
                            << " processes; expected a number of processes "
                               "that divides the experts";
    if (failed(expertGrid(builder, loc, processes, grid, madeGrid)))
      return failure();
  }
  int64_t processExperts = experts / processes;
  auto tensor = [](ArrayRef<int64_t> shape, Type type) -> Type {
    return RankedTensorType::get(shape, type);
  };
  Signature sig;
  sig.input = sig.add(tensor({spec.tokens, d}, elem));
  SmallVector<int64_t> nodes;
  for (auto [l, level] : llvm::enumerate(spec.levels)) {
    nodes.push_back(level.fanout);
    SmallVector<int64_t> gateShape = nested && l > 0 && !level.sharedGate
                                         ? nodes
                                         : SmallVector<int64_t>{level.fanout};
    SmallVector<int64_t> weightShape = gateShape;
    weightShape.push_back(d);
    sig.gateWeights.push_back(sig.add(tensor(weightShape, elem)));
    if (level.gateBias) {
      sig.gateBiases.push_back(sig.add(tensor(gateShape, elem)));
      sig.gateBiasLevels.push_back(l);
    }
    if (level.selectionBias) {
      sig.selectionBiases.push_back(sig.add(tensor(gateShape, f32)));
      sig.selectionBiasLevels.push_back(l);
    }
    if (level.penalty) {
      sig.penalties.push_back(sig.add(tensor(gateShape, f32)));
      sig.penaltyLevels.push_back(l);
    }
  }
  if (spec.routerScale)
    sig.routerScale = sig.add(tensor({experts}, f32));
  // The weights of `count` experts of `expert`'s kind, in argument order;
  // fills the indices of w1, w_up, b1, w2, b2.
  auto addExpertWeights = [&](ExpertAttr expert, int64_t count, bool b1,
                              bool b2, std::array<int64_t *, 5> at) {
    ExpertKind kind = expert.getKind();
    int64_t h = kind == ExpertKind::Linear ? d : expert.getHidden();
    *at[0] = sig.add(tensor({count, h, d}, elem));
    if (kind == ExpertKind::SwiGLU)
      *at[1] = sig.add(tensor({count, h, d}, elem));
    if (b1)
      *at[2] = sig.add(tensor({count, h}, elem));
    if (kind == ExpertKind::Linear)
      return;
    *at[3] = sig.add(tensor({count, d, h}, elem));
    if (b2)
      *at[4] = sig.add(tensor({count, d}, elem));
  };
  addExpertWeights(spec.expert, processExperts, spec.b1, spec.b2,
                   {&sig.w1, &sig.wUp, &sig.b1, &sig.w2, &sig.b2});
  if (ExpertAttr shared = spec.sharedExpert) {
    addExpertWeights(shared, spec.sharedCount, spec.sharedB1, spec.sharedB2,
                     {&sig.sharedW1, &sig.sharedWUp, &sig.sharedB1,
                      &sig.sharedW2, &sig.sharedB2});
    if (spec.sharedGate)
      sig.sharedGate = sig.add(tensor({d}, elem));
  }

  int64_t statGroups =
      nested ? spec.levels.front().fanout : spec.strategy.getGroups();
  SmallVector<Type> results{tensor({spec.tokens, d}, elem)};
  SmallVector<Attribute> statAttrs;
  for (StatKind stat : spec.stats) {
    statAttrs.push_back(StatKindAttr::get(ctx, stat));
    Type i64 = builder.getI64Type();
    switch (stat) {
    case StatKind::Load:
      results.push_back(tensor({experts}, i64));
      break;
    case StatKind::Importance:
      results.push_back(tensor({experts}, f32));
      break;
    case StatKind::GroupLoad:
      results.push_back(tensor({statGroups}, i64));
      break;
    case StatKind::GroupImportance:
      results.push_back(tensor({statGroups}, f32));
      break;
    case StatKind::Dropped:
      results.push_back(tensor({}, i64));
      break;
    default:
      results.push_back(tensor({}, f32));
      break;
    }
  }

  auto func = func::FuncOp::create(builder, loc, spec.name,
                                   builder.getFunctionType(sig.types, results));
  Block *body = func.addEntryBlock();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(body);
  auto arg = [&](int64_t index) -> Value {
    return index < 0 ? Value() : body->getArgument(index);
  };
  auto args = [&](ArrayRef<int64_t> indices) {
    SmallVector<Value> values;
    for (int64_t index : indices)
      values.push_back(body->getArgument(index));
    return values;
  };
  SmallVector<Attribute> gates;
  for (const LevelSpec &level : spec.levels)
    gates.push_back(level.gate);
  FloatAttr capacity = spec.capacityFactor
                           ? builder.getF64FloatAttr(*spec.capacityFactor)
                           : FloatAttr();
  auto moe = MoEOp::create(
      builder, loc, TypeRange(results), arg(sig.input), args(sig.gateWeights),
      args(sig.gateBiases), args(sig.selectionBiases), args(sig.penalties),
      arg(sig.routerScale), arg(sig.w1), arg(sig.wUp), arg(sig.b1), arg(sig.w2),
      arg(sig.b2), arg(sig.sharedW1), arg(sig.sharedWUp), arg(sig.sharedB1),
      arg(sig.sharedW2), arg(sig.sharedB2), arg(sig.sharedGate), spec.strategy,
      builder.getArrayAttr(gates), sig.gateBiasLevels, sig.selectionBiasLevels,
      sig.penaltyLevels, spec.expert, spec.sharedExpert, capacity,
      spec.fillOrder, spec.capacityRounding, builder.getArrayAttr(statAttrs),
      APFloat(spec.lambdaIntra), APFloat(spec.lambdaInter),
      /*expert_grid=*/
      grid ? FlatSymbolRefAttr::get(grid.getSymNameAttr())
           : FlatSymbolRefAttr());
  func::ReturnOp::create(builder, loc, moe->getResults());

  // The op's own checks, then those of the grid it names (a function is
  // not a symbol table: verify() alone would not run them).
  SymbolTableCollection tables;
  if (failed(verify(func)) ||
      (grid && failed(cast<SymbolUserOpInterface>(moe.getOperation())
                          .verifySymbolUses(tables)))) {
    func.erase();
    if (madeGrid)
      grid.erase();
    return failure();
  }
  return func;
}
