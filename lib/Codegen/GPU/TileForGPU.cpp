//===- TileForGPU.cpp - the hmoe-tile-for-gpu pass ------------------------===//
//
// The GPU schedule as tiling through TilingInterface: blocks over rows (or
// experts), threads inside. Nothing here knows which op built which stage:
// ops are distributed by their iterator types.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "hmoe/Support/GreedyRewrite.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOETILEFORGPU
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
struct GPUTileSizes {
  int64_t blockRows, blockThreads, threadsX;
  int64_t threadsY() const {
    return std::max<int64_t>(1, blockThreads / threadsX);
  }
};

SmallVector<unsigned> parallelLoops(TilingInterface op) {
  SmallVector<unsigned> dims;
  for (auto [i, type] : llvm::enumerate(op.getLoopIteratorTypes()))
    if (type == utils::IteratorType::parallel)
      dims.push_back(i);
  return dims;
}

bool hasTensorDestinations(Operation *op) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(op);
  return dps && dps.hasPureTensorSemantics() && dps.getNumDpsInits() > 0;
}

/// Runs a destination-passing op in a single-iteration scf.forall with
/// `mapping`: one block, or one thread of a block.
FailureOr<scf::ForallOp> wrapInSingleIteration(RewriterBase &rewriter,
                                               Operation *op,
                                               Attribute mapping) {
  auto dps = dyn_cast<DestinationStyleOpInterface>(op);
  if (!dps || !hasTensorDestinations(op) ||
      op->getNumResults() != dps.getNumDpsInits())
    return op->emitOpError("cannot be distributed over the GPU: it has no "
                           "parallel loop and is not destination-passing on "
                           "tensors");
  Location loc = op->getLoc();
  rewriter.setInsertionPoint(op);
  SmallVector<Value> inits = llvm::to_vector(dps.getDpsInits());
  auto forall = scf::ForallOp::create(
      rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)}, inits,
      rewriter.getArrayAttr({mapping}));
  rewriter.setInsertionPointToStart(forall.getBody());
  IRMapping map;
  for (auto [init, arg] : llvm::zip(inits, forall.getRegionIterArgs()))
    map.map(init, arg);
  Operation *clone = rewriter.clone(*op, map);
  // Sizes are computed in the body (the terminator holds only inserts).
  SmallVector<SmallVector<OpFoldResult>> sizes;
  for (Value arg : forall.getRegionIterArgs())
    sizes.push_back(tensor::getMixedSizes(rewriter, loc, arg));
  rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
  for (auto [result, arg, size] :
       llvm::zip(clone->getResults(), forall.getRegionIterArgs(), sizes)) {
    auto type = cast<RankedTensorType>(arg.getType());
    SmallVector<OpFoldResult> zeros(type.getRank(), rewriter.getIndexAttr(0));
    SmallVector<OpFoldResult> ones(type.getRank(), rewriter.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(rewriter, loc, result, arg, zeros,
                                          size, ones);
  }
  rewriter.replaceOp(op, forall.getResults());
  return forall;
}

/// Runs `op` on one thread of one block.
LogicalResult runOnOneThread(RewriterBase &rewriter, Operation *op) {
  MLIRContext *ctx = op->getContext();
  FailureOr<scf::ForallOp> block = wrapInSingleIteration(
      rewriter, op, gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX));
  if (failed(block))
    return failure();
  return wrapInSingleIteration(
      rewriter, &block->getBody()->front(),
      gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX));
}

/// CSE merges equal `tensor.empty` destinations (two statistics of one
/// type, the expert scratch of one shape); one value bound to two outputs
/// of an op is bufferized into one buffer, so each gets its own again.
LogicalResult separateOutputs(RewriterBase &rewriter, Operation *op) {
  MutableOperandRange inits =
      isa<scf::ForallOp>(op) ? cast<scf::ForallOp>(op).getOutputsMutable()
      : isa<DestinationStyleOpInterface>(op)
          ? cast<DestinationStyleOpInterface>(op).getDpsInitsMutable()
          : MutableOperandRange(op, 0, 0);
  llvm::SmallPtrSet<Value, 4> seen;
  for (OpOperand &init : inits) {
    if (seen.insert(init.get()).second)
      continue;
    auto empty = init.get().getDefiningOp<tensor::EmptyOp>();
    if (!empty)
      return op->emitOpError("uses one tensor for two of its outputs");
    rewriter.setInsertionPoint(op);
    rewriter.modifyOpInPlace(
        op, [&] { init.set(rewriter.clone(*empty)->getResult(0)); });
  }
  return success();
}

/// Replaces `op` by its destinations if it iterates over nothing (a loop
/// with a static trip count of 0: it leaves them as they are); upstream
/// tiling by a number of threads crashes on such ops.
bool replaceIfEmpty(RewriterBase &rewriter, Operation *op) {
  auto tileable = dyn_cast<TilingInterface>(op);
  if (!tileable || !hasTensorDestinations(op))
    return false;
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Operation *before = op->getPrevNode();
  SmallVector<Range> domain = tileable.getIterationDomain(rewriter);
  bool empty = llvm::any_of(
      domain, [](const Range &r) { return isConstantIntValue(r.size, 0); });
  // The domain's computations (tensor.dim) are not needed afterwards.
  SmallVector<Operation *> created;
  for (Operation *it = before ? before->getNextNode()
                              : &op->getBlock()->front();
       it != op; it = it->getNextNode())
    created.push_back(it);
  for (Operation *c : llvm::reverse(created))
    if (c->use_empty())
      rewriter.eraseOp(c);
  if (empty)
    rewriter.replaceOp(op, cast<DestinationStyleOpInterface>(op).getDpsInits());
  return empty;
}

/// Distributes `op` over the threads of a block: its first two parallel
/// loops over threads-y x threads-x, or its only one over all threads
/// (linearly); with none, it runs on one thread.
LogicalResult tileToThreads(RewriterBase &rewriter, Operation *op,
                            const GPUTileSizes &sizes) {
  MLIRContext *ctx = op->getContext();
  auto tileable = dyn_cast<TilingInterface>(op);
  SmallVector<unsigned> dims;
  if (tileable)
    dims = parallelLoops(tileable);
  if (dims.empty())
    return wrapInSingleIteration(
        rewriter, op,
        gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX));
  SmallVector<OpFoldResult> numThreads(tileable.getLoopIteratorTypes().size(),
                                       rewriter.getIndexAttr(0));
  SmallVector<Attribute> mapping;
  if (dims.size() == 1) {
    numThreads[dims[0]] = rewriter.getIndexAttr(sizes.blockThreads);
    mapping.push_back(
        gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::LinearDim0));
  } else {
    numThreads[dims[0]] = rewriter.getIndexAttr(sizes.threadsY());
    numThreads[dims[1]] = rewriter.getIndexAttr(sizes.threadsX);
    mapping.push_back(
        gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimY));
    mapping.push_back(
        gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX));
  }
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setNumThreads(numThreads);
  options.setMapping(mapping);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, tileable, options);
  if (failed(tiled))
    return op->emitOpError("could not be distributed over GPU threads");
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

/// A top-level op: blocks over its first parallel loop, threads inside.
LogicalResult tileToBlocksAndThreads(RewriterBase &rewriter, TilingInterface op,
                                     const GPUTileSizes &sizes) {
  MLIRContext *ctx = op->getContext();
  Attribute blockX = gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX);
  SmallVector<unsigned> dims = parallelLoops(op);
  if (dims.empty())
    return runOnOneThread(rewriter, op);
  SmallVector<OpFoldResult> tileSizes(op.getLoopIteratorTypes().size(),
                                      rewriter.getIndexAttr(0));
  tileSizes[dims[0]] = rewriter.getIndexAttr(
      dims.size() == 1 ? sizes.blockThreads : sizes.blockRows);
  scf::SCFTilingOptions options;
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setTileSizes(tileSizes);
  options.setMapping({blockX});
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(tiled))
    return op->emitOpError("could not be tiled over GPU blocks");
  rewriter.replaceOp(op, tiled->replacements);
  return tileToThreads(rewriter, tiled->tiledOps.back(), sizes);
}

struct HMoETileForGPUPass
    : public hmoe::impl::HMoETileForGPUBase<HMoETileForGPUPass> {
  using Base::Base;
  void runOnOperation() override {
    FunctionOpInterface func = getOperation();
    if (func.isExternal())
      return;
    if (blockRows < 1 || blockThreads < 1 || threadsX < 1 ||
        blockThreads > 1024 || blockThreads % threadsX != 0) {
      func.emitError() << "hmoe-tile-for-gpu: expected block-rows >= 1, "
                          "1 <= block-threads <= 1024 and threads-x "
                          "dividing block-threads";
      return signalPassFailure();
    }
    GPUTileSizes sizes{blockRows, blockThreads, threadsX};
    MLIRContext *ctx = &getContext();
    // Ops that are not destination-passing (tensor.generate, arith on
    // tensors) become linalg first, so that every stage tiles. No folding:
    // it would also drop the expert loop's scratch outputs.
    {
      RewritePatternSet patterns(ctx);
      linalg::populateConvertToDestinationStylePatterns(patterns);
      linalg::populateElementwiseToLinalgConversionPatterns(patterns);
      GreedyRewriteConfig config;
      config.enableFolding(false);
      if (failed(applyPatternsOrReport(func, std::move(patterns), config,
                                       getArgument())))
        return signalPassFailure();
    }
    IRRewriter rewriter(ctx);
    // The stages are the function body's top-level ops (the conversion
    // emits no other nesting than the expert loop).
    SmallVector<Operation *> stages;
    for (Block &block : func.getFunctionBody())
      for (Operation &op : block)
        stages.push_back(&op);
    for (Operation *op : stages) {
      if (failed(separateOutputs(rewriter, op)))
        return signalPassFailure();
      if (auto forall = dyn_cast<scf::ForallOp>(op)) {
        if (forall.getMapping() && !forall.getMapping()->empty())
          continue;
        // A loop over experts (or over experts and tiles of their rows):
        // one block each, its ops over the threads. Experts go on y (at
        // most 65535 of them), tiles on x (up to 2^31 - 1).
        if (forall.getRank() > 2) {
          forall.emitOpError("expected a loop over experts, or experts and "
                             "row tiles, to map to GPU blocks; got ")
              << forall.getRank() << " dimensions";
          return signalPassFailure();
        }
        SmallVector<Attribute> blocks;
        if (forall.getRank() == 2)
          blocks = {gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimY),
                    gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX)};
        else
          blocks = {gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX)};
        forall.setMappingAttr(rewriter.getArrayAttr(blocks));
        SmallVector<Operation *> inner;
        for (Operation &nested : forall.getBody()->without_terminator())
          if (hasTensorDestinations(&nested) || isa<TilingInterface>(nested))
            inner.push_back(&nested);
        for (Operation *nested : inner)
          if (!replaceIfEmpty(rewriter, nested) &&
              failed(tileToThreads(rewriter, nested, sizes)))
            return signalPassFailure();
        continue;
      }
      // Distributed after bufferization (hmoe-distribute-dispatch,
      // hmoe-distribute-stats): a scatter into slots and sums in a fixed
      // order are not tilings of tensors.
      if (isa<DispatchOp, StatsOp>(op))
        continue;
      if (!hasTensorDestinations(op) || replaceIfEmpty(rewriter, op))
        continue;
      // Blocks and threads through the tiling interface; without one,
      // one thread of one block.
      auto tileable = dyn_cast<TilingInterface>(op);
      if (failed(tileable ? tileToBlocksAndThreads(rewriter, tileable, sizes)
                          : runOnOneThread(rewriter, op)))
        return signalPassFailure();
    }
  }
};
} // namespace
