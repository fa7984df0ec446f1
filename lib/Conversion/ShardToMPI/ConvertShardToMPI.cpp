//===- ConvertShardToMPI.cpp - expert parallelism's collectives to MPI ----===//
//
// The shard ops hmoe-decompose writes for an `experts_on` layer, lowered on
// tensors to the mpi dialect over MPI_COMM_WORLD (the pass's description in
// Passes.td says why not upstream's convert-shard-to-mpi).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Conversion/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/TypeSwitch.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECONVERTSHARDTOMPI
#include "hmoe/Conversion/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The size of `op`'s grid `name`, when it is one-dimensional and static
/// (the only grids this lowering maps onto the MPI world); else an error at
/// `op`.
FailureOr<int64_t> worldGridSize(Operation *op, FlatSymbolRefAttr name,
                                 SymbolTableCollection &tables) {
  auto grid = tables.lookupNearestSymbolFrom<shard::GridOp>(op, name);
  if (!grid)
    return op->emitOpError() << "names no shard.grid " << name;
  ArrayRef<int64_t> shape = grid.getShape();
  if (shape.size() != 1 || ShapedType::isDynamic(shape[0]) || shape[0] < 1)
    return op->emitOpError()
           << "on " << name
           << ": hmoe-convert-shard-to-mpi lowers collectives over a "
              "one-dimensional grid of static size, at least 1 (the MPI "
              "world) only";
  return shape[0];
}

/// Asserts that an MPI call returned MPI_SUCCESS (0 in every MPI's ABI). By
/// default MPI ends the job on an error itself; a program that set
/// MPI_ERRORS_RETURN would otherwise read an unwritten buffer. MLIR 22's
/// MPIToLLVM does not lower `mpi.retval_check`, but lowers `!mpi.retval`
/// to the call's i32: compared here through a cast that convert-to-llvm's
/// cast reconciliation removes.
void checkReturnCode(OpBuilder &b, Location loc, Value retval, StringRef what) {
  Value code =
      UnrealizedConversionCastOp::create(b, loc, b.getI32Type(), retval)
          .getResult(0);
  Value success =
      arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(/*MPI_SUCCESS=*/0));
  cf::AssertOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, code, success),
      (what + " failed (an MPI error returned to the layer)").str());
}

/// The process's rank in the world. The first call of a process checks
/// that the world has the grid's `size` processes: an all-reduce of a 1
/// from each (MLIR 22's MPIToLLVM has no MPI_Comm_size), remembered in a
/// private global since the world never changes.
LogicalResult lowerProcessIndex(IRRewriter &rewriter,
                                shard::ProcessLinearIndexOp op, int64_t size,
                                SymbolTableCollection &tables) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  Type i32 = rewriter.getI32Type();
  auto flagType = MemRefType::get({}, i32);
  Type retvalType = mpi::RetvalType::get(ctx);
  auto module = op->getParentOfType<ModuleOp>();
  std::string name = ("hmoe_mpi_world_checked_" + op.getGrid()).str();
  Operation *existing = tables.getSymbolTable(module).lookup(name);
  auto global = dyn_cast_or_null<memref::GlobalOp>(existing);
  if (existing && (!global || global.getType() != flagType))
    return op.emitOpError() << "needs the symbol @" << name
                            << " for its world-size check; the module "
                               "defines it otherwise";
  if (!existing) {
    rewriter.setInsertionPointToStart(module.getBody());
    auto flag = memref::GlobalOp::create(
        rewriter, loc, name, rewriter.getStringAttr("private"), flagType,
        DenseElementsAttr::get(RankedTensorType::get({}, i32),
                               rewriter.getI32IntegerAttr(0)),
        /*constant=*/false, /*alignment=*/nullptr);
    tables.getSymbolTable(module).insert(flag);
  }

  rewriter.setInsertionPoint(op);
  Value world =
      mpi::CommWorldOp::create(rewriter, loc, mpi::CommType::get(ctx));
  Value flag = memref::GetGlobalOp::create(rewriter, loc, flagType, name);
  Value checked = memref::LoadOp::create(rewriter, loc, flag, ValueRange{});
  Value zero =
      arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(0));
  Value one =
      arith::ConstantOp::create(rewriter, loc, rewriter.getI32IntegerAttr(1));
  Value first = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                      checked, zero);
  scf::IfOp::create(rewriter, loc, first, [&](OpBuilder &b, Location l) {
    auto cell = MemRefType::get({1}, i32);
    Value c0 = arith::ConstantIndexOp::create(b, l, 0);
    Value mine = memref::AllocaOp::create(b, l, cell);
    Value all = memref::AllocaOp::create(b, l, cell);
    memref::StoreOp::create(b, l, one, mine, ValueRange{c0});
    auto count = mpi::AllReduceOp::create(
        b, l, retvalType, mine, all, mpi::MPI_ReductionOpEnum::MPI_SUM, world);
    checkReturnCode(b, l, count.getRetval(),
                    "MPI_Allreduce of the world-size check");
    Value worldSize = memref::LoadOp::create(b, l, all, ValueRange{c0});
    Value expected = arith::ConstantOp::create(
        b, l, b.getI32IntegerAttr(static_cast<int32_t>(size)));
    cf::AssertOp::create(
        b, l,
        arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, worldSize,
                              expected),
        (size == 1 ? "the MPI world must have the 1 process "
                     "of shard.grid @" +
                         op.getGrid() + " (it holds all the experts)"
                   : "the MPI world must have the " + Twine(size) +
                         " processes of shard.grid @" + op.getGrid() +
                         " (one per part of the experts)")
            .str());
    memref::StoreOp::create(b, l, one, flag, ValueRange{});
    scf::YieldOp::create(b, l);
  });
  auto commRank =
      mpi::CommRankOp::create(rewriter, loc, retvalType, i32, world);
  checkReturnCode(rewriter, loc, commRank.getRetval(), "MPI_Comm_rank");
  Value rank = commRank.getRank();
  rewriter.replaceOpWithNewOp<arith::IndexCastOp>(op, rewriter.getIndexType(),
                                                  rank);
  return success();
}

/// A sum (maximum, minimum) over the world of a tensor: its buffer
/// all-reduced into a new one.
LogicalResult lowerAllReduce(IRRewriter &rewriter, shard::AllReduceOp op) {
  auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
  if (!type || type != op.getResult().getType())
    return op.emitOpError() << "on " << op.getInput().getType()
                            << ": hmoe-convert-shard-to-mpi lowers "
                               "all-reduces of a ranked tensor into the same "
                               "type only";
  std::optional<mpi::MPI_ReductionOpEnum> reduction;
  switch (op.getReduction()) {
  case shard::ReductionKind::Sum:
    reduction = mpi::MPI_ReductionOpEnum::MPI_SUM;
    break;
  case shard::ReductionKind::Max:
    reduction = mpi::MPI_ReductionOpEnum::MPI_MAX;
    break;
  case shard::ReductionKind::Min:
    reduction = mpi::MPI_ReductionOpEnum::MPI_MIN;
    break;
  default:
    break;
  }
  if (!reduction || op.getGridAxes() != ArrayRef<int16_t>{0})
    return op.emitOpError() << "hmoe-convert-shard-to-mpi lowers sums, "
                               "maxima and minima over grid axis 0 only";
  Type elem = type.getElementType();
  if (!elem.isF32() && !elem.isF64() && !elem.isInteger(32) &&
      !elem.isInteger(64))
    return op.emitOpError() << "all-reduces " << elem
                            << "; expected f32, f64, i32 or i64 (what MPI "
                               "reduces natively)";
  Location loc = op.getLoc();
  rewriter.setInsertionPoint(op);
  auto bufferType = MemRefType::get(type.getShape(), elem);
  Value in = bufferization::ToBufferOp::create(
      rewriter, loc, bufferType, op.getInput(), /*read_only=*/true);
  SmallVector<Value> dynamicSizes;
  for (int64_t i = 0; i < type.getRank(); ++i)
    if (type.isDynamicDim(i))
      dynamicSizes.push_back(memref::DimOp::create(rewriter, loc, in, i));
  Value out = memref::AllocOp::create(rewriter, loc, bufferType, dynamicSizes);
  // mpi.allreduce counts the elements of one-dimensional buffers.
  auto flat = [&](Value buffer) -> Value {
    if (type.getRank() == 1)
      return buffer;
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    return memref::CollapseShapeOp::create(rewriter, loc, buffer,
                                           ArrayRef<ReassociationIndices>{all});
  };
  Value world = mpi::CommWorldOp::create(rewriter, loc,
                                         mpi::CommType::get(op.getContext()));
  auto call = mpi::AllReduceOp::create(rewriter, loc,
                                       mpi::RetvalType::get(op.getContext()),
                                       flat(in), flat(out), *reduction, world);
  checkReturnCode(rewriter, loc, call.getRetval(), "MPI_Allreduce");
  rewriter.replaceOpWithNewOp<bufferization::ToTensorOp>(
      op, type, out, /*restrict=*/true, /*writable=*/true);
  return success();
}

struct HMoEConvertShardToMPIPass
    : public hmoe::impl::HMoEConvertShardToMPIBase<HMoEConvertShardToMPIPass> {
  using Base::Base;
  void runOnOperation() override {
    SymbolTableCollection tables;
    IRRewriter rewriter(&getContext());
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (isa_and_nonnull<shard::ShardDialect>(op->getDialect()) &&
          !isa<shard::GridOp>(op))
        ops.push_back(op);
    });
    if (gpu) {
      for (Operation *op : ops)
        op->emitOpError() << "comes from an experts_on layer: expert "
                             "parallelism is lowered for the CPU only "
                             "(hmoe-lower-to-cpu without gpu-mapped)";
      if (!ops.empty())
        signalPassFailure();
      return;
    }
    bool failedAny = false;
    // Every grid is the one MPI world: the first grid's size, for the
    // others to match (a module on grids of 2 and 4 processes could never
    // run; its world-size checks failed only at run time).
    FlatSymbolRefAttr firstGrid;
    int64_t worldSize = 0;
    auto sizeOf = [&](Operation *op,
                      FlatSymbolRefAttr name) -> FailureOr<int64_t> {
      FailureOr<int64_t> size = worldGridSize(op, name, tables);
      if (failed(size))
        return failure();
      if (!firstGrid) {
        firstGrid = name;
        worldSize = *size;
      } else if (*size != worldSize) {
        return op->emitOpError()
               << "on " << name << " of " << *size << " processes, but "
               << firstGrid << " of this module has " << worldSize
               << "; expected grids of one size (each is the whole MPI "
                  "world)";
      }
      return size;
    };
    for (Operation *op : ops) {
      LogicalResult lowered =
          TypeSwitch<Operation *, LogicalResult>(op)
              .Case([&](shard::ProcessLinearIndexOp index) {
                FailureOr<int64_t> size = sizeOf(op, index.getGridAttr());
                return failed(size)
                           ? failure()
                           : lowerProcessIndex(rewriter, index, *size, tables);
              })
              .Case([&](shard::AllReduceOp reduce) {
                if (failed(sizeOf(op, reduce.getGridAttr())))
                  return failure();
                return lowerAllReduce(rewriter, reduce);
              })
              .Default([](Operation *other) {
                return other->emitOpError()
                       << "is not lowered by hmoe-convert-shard-to-mpi "
                          "(shard.process_linear_index and shard.all_reduce "
                          "are)";
              });
      failedAny |= failed(lowered);
    }
    if (failedAny) {
      signalPassFailure();
      return;
    }
    // Grids that name nothing (all of them now): nothing lowers them to
    // LLVM.
    ModuleOp module = getOperation();
    for (auto grid : llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      if (SymbolTable::symbolKnownUseEmpty(grid, module))
        grid.erase();
    if (!ops.empty())
      setMPIImplementation(module);
  }

  /// MLIR's MPIToLLVM asks the module's DLTI which MPI's ABI to call (and
  /// fails where there is no answer): MPICH's (Debian's libmpich, which
  /// hmoe runs with), unless the module's dlti.map names one.
  static void setMPIImplementation(ModuleOp module) {
    MLIRContext *ctx = module.getContext();
    auto key = StringAttr::get(ctx, "MPI:Implementation");
    SmallVector<DataLayoutEntryInterface> entries;
    if (auto map = module->getAttrOfType<MapAttr>(DLTIDialect::kMapAttrName)) {
      for (DataLayoutEntryInterface entry : map.getEntries()) {
        if (entry.getKey() == DataLayoutEntryKey(key))
          return;
        entries.push_back(entry);
      }
    }
    entries.push_back(
        DataLayoutEntryAttr::get(key, StringAttr::get(ctx, "MPICH")));
    module->setAttr(DLTIDialect::kMapAttrName, MapAttr::get(ctx, entries));
  }
};
} // namespace
