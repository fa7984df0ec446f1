//===- TileForGPU.cpp - the hmoe-tile-for-gpu pass ------------------------===//
//
// The GPU schedule as tiling through TilingInterface: blocks over rows (or
// experts), threads inside, the stages only one consumer reads fused into
// its blocks. Nothing here knows which op built which stage: ops are
// distributed by their iterator types; the one op named is hmoe.route,
// whose blocks take the GEMMs computing its scores (score -> normalise ->
// top-k in one kernel).
//
//===----------------------------------------------------------------------===//

#include "WarpMMA.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Codegen/RowGather.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"

#include "hmoe/Support/GreedyRewrite.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "llvm/ADT/bit.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOETILEFORGPU
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
struct GPUTileSizes {
  int64_t blockRows, blockThreads, threadsX;
  // A contraction's rows per thread, off tensor cores.
  int64_t threadRows;
  bool tensorCores;
  // Token-row gathers fused into the contractions that read them.
  bool fuseGathers;
  // f32 contractions on tensor cores: with TF32 only the expert loops' (the
  // routing's scores decide discrete choices and stay exact), with split
  // TF32 (f32's accuracy) every stage's.
  bool tf32;
  // Sums of gathered elements (the combine) over threads-x cyclically, in
  // groups of up to this many bytes of adjacent columns.
  bool cyclicColumns;
  int64_t cyclicGroupBytes;
  // Routes over more experts than this (0: any, -1: none) on a warp per
  // token where they fit.
  int64_t warpRouteExperts;
  // Whether contractions go to warps: tensor cores, and a block with warps.
  bool warpContractions() const {
    return tensorCores && blockThreads >= kWarpSize;
  }
  // Whether `route` takes a warp per token (hmoe-lower-warp-routes).
  bool warpRoute(RouteOp route) const {
    if (warpRouteExperts < 0 || blockThreads < kWarpSize ||
        !fitsWarpRoute(route))
      return false;
    auto logits = cast<ShapedType>(route.getLogits()[0].getType());
    return logits.getShape().back() > warpRouteExperts;
  }
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

/// Tiles `op` as `options` say (tile sizes or a number of threads) into an
/// scf.forall mapped to `mapping` and replaces it by the loop's results; an
/// error naming the GPU `units` where tiling fails.
LogicalResult tileIntoForall(RewriterBase &rewriter, TilingInterface op,
                             scf::SCFTilingOptions options,
                             ArrayRef<Attribute> mapping, StringRef units) {
  options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  options.setMapping(mapping);
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> tiled =
      scf::tileUsingSCF(rewriter, op, options);
  if (failed(tiled))
    return op->emitOpError("could not be distributed over GPU ") << units;
  rewriter.replaceOp(op, tiled->replacements);
  return success();
}

/// Splits a contraction's columns between the block's warps, in tiles of
/// whole 8-column mma steps that divide N (so every warp's tile is static);
/// each warp's contraction becomes mma.sync steps
/// (hmoe-warp-contractions-to-mma).
LogicalResult tileToWarps(RewriterBase &rewriter, TilingInterface op,
                          const WarpMMAContraction &mma,
                          const GPUTileSizes &sizes) {
  MLIRContext *ctx = op->getContext();
  int64_t warps = sizes.blockThreads / kWarpSize;
  int64_t steps = mma.cols / kMMACols;
  int64_t perWarp = llvm::divideCeil(steps, warps);
  while (steps % perWarp != 0)
    ++perWarp;
  SmallVector<OpFoldResult> tileSizes(op.getLoopIteratorTypes().size(),
                                      rewriter.getIndexAttr(0));
  tileSizes[mma.n] = rewriter.getIndexAttr(perWarp * kMMACols);
  scf::SCFTilingOptions options;
  options.setTileSizes(tileSizes);
  return tileIntoForall(
      rewriter, op, options,
      {gpu::GPUWarpMappingAttr::get(ctx, gpu::MappingId::LinearDim0)}, "warps");
}

/// The source and row indices of `op` if it gathers rows on tensors,
/// `a[i, j] = source[index_cast(rows[i]), j]` (an expert's token rows of x
/// into its scratch).
std::optional<std::pair<Value, Value>> matchRowGather(linalg::GenericOp op) {
  if (!op.hasPureTensorSemantics())
    return std::nullopt;
  Value source = rowGatherSource(op);
  if (!source)
    return std::nullopt;
  return std::make_pair(source, op.getDpsInputs()[0]);
}

/// A reader of a gather's rows that the fusion rewrites: a contraction
/// reading them as its first input at (m, k).
struct GatheredRowsReader {
  linalg::LinalgOp op;
  unsigned m, k;
};

/// The use's owner as a reader of gathered rows that can read them through
/// the row indices instead: a contraction on tensors whose first input the
/// use is, read at (m, k), m a parallel (M) loop and k a reduction (K) one.
std::optional<GatheredRowsReader> matchGatheredRowsReader(OpOperand &use) {
  auto op = dyn_cast<linalg::LinalgOp>(use.getOwner());
  if (!op || !op.hasPureTensorSemantics() || use.getOperandNumber() != 0 ||
      op.getNumDpsInputs() < 1 || op.getNumDpsInits() != 1)
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  AffineMap map = op.getMatchingIndexingMap(&use);
  if (failed(dims) || map.getNumResults() != 2)
    return std::nullopt;
  auto m = dyn_cast<AffineDimExpr>(map.getResult(0));
  auto k = dyn_cast<AffineDimExpr>(map.getResult(1));
  if (!m || !k || !llvm::is_contained(dims->m, m.getPosition()) ||
      !llvm::is_contained(dims->k, k.getPosition()))
    return std::nullopt;
  return GatheredRowsReader{op, m.getPosition(), k.getPosition()};
}

/// Whether `v` is defined outside `block` (through slices) and nothing in
/// the block writes it, or a slice of it, in place: then a read of it may
/// move later in the block (bufferization would otherwise have to copy it
/// between ops, outside the threads' loops).
bool unwrittenInBlock(Value v, scf::ForallOp block) {
  while (auto slice = v.getDefiningOp<tensor::ExtractSliceOp>())
    v = slice.getSource();
  if (!block.isDefinedOutsideOfLoop(v))
    return false;
  std::function<bool(Value)> unwritten = [&](Value value) {
    return llvm::all_of(value.getUses(), [&](OpOperand &use) {
      Operation *user = use.getOwner();
      if (!block->isAncestor(user))
        return true;
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user))
        return unwritten(slice.getResult());
      auto dps = dyn_cast<DestinationStyleOpInterface>(user);
      return !(dps && dps.isDpsInit(&use)) &&
             !isa<tensor::ParallelInsertSliceOp, tensor::InsertSliceOp,
                  tensor::InsertOp>(user);
    });
  };
  return unwritten(v);
}

/// Whether `v`, a tensor, bufferizes to a buffer of its own (a function's
/// argument, with the pipeline's identity layouts, or a new value) rather
/// than a view, whose row stride and offset may be anything.
bool bufferizesToWholeRows(Value v) {
  if (auto arg = dyn_cast<BlockArgument>(v))
    return arg.getOwner()->isEntryBlock() &&
           isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
  Operation *def = v.getDefiningOp();
  return def && !isa<ViewLikeOpInterface, tensor::ExtractSliceOp,
                     tensor::ExpandShapeOp, tensor::CollapseShapeOp,
                     tensor::CastOp, tensor::ReshapeOp>(def);
}

/// A loop with `loop`'s bounds, steps and mapping over `inits`, its body
/// block without a terminator: for `loop`'s body to be merged into.
scf::ForallOp emptyForallLike(RewriterBase &rewriter, scf::ForallOp loop,
                              ValueRange inits) {
  auto forall = scf::ForallOp::create(
      rewriter, loop.getLoc(), loop.getMixedLowerBound(),
      loop.getMixedUpperBound(), loop.getMixedStep(), inits, loop.getMapping());
  rewriter.eraseOp(forall.getTerminator());
  return forall;
}

/// `loop` without its shared outputs `unused` (results unused, block
/// arguments unused).
scf::ForallOp dropSharedOutputs(RewriterBase &rewriter, scf::ForallOp loop,
                                const llvm::SmallDenseSet<unsigned> &unused) {
  SmallVector<Value> inits;
  for (auto [i, init] : llvm::enumerate(loop.getOutputs()))
    if (!unused.contains(i))
      inits.push_back(init);
  rewriter.setInsertionPoint(loop);
  scf::ForallOp kept = emptyForallLike(rewriter, loop, inits);
  // An unused argument's stand-in is the loop's own initial value.
  SmallVector<Value> args = llvm::to_vector(kept.getInductionVars());
  SmallVector<Value> results;
  ValueRange keptArgs = kept.getRegionIterArgs();
  ValueRange keptResults = kept.getResults();
  for (auto [i, init] : llvm::enumerate(loop.getOutputs())) {
    bool drop = unused.contains(i);
    args.push_back(drop ? init : keptArgs.front());
    results.push_back(drop ? init : keptResults.front());
    if (!drop) {
      keptArgs = keptArgs.drop_front();
      keptResults = keptResults.drop_front();
    }
  }
  rewriter.mergeBlocks(loop.getBody(), kept.getBody(), args);
  rewriter.replaceOp(loop, results);
  return kept;
}

/// `op` reading rows gathered by `indices` from `source` (its first input,
/// at (m, k)) as a generic reading `source[index_cast(indices[m]),
/// linalg.index k]` in its body instead, the indices its first input at
/// (m): a contraction of gathered rows (WarpMMA.h).
linalg::GenericOp readThroughRowIndices(RewriterBase &rewriter,
                                        GatheredRowsReader reader, Value source,
                                        Value indices) {
  linalg::LinalgOp op = reader.op;
  MLIRContext *ctx = op.getContext();
  rewriter.setInsertionPoint(op);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  maps[0] = AffineMap::get(op.getNumLoops(), 0,
                           {getAffineDimExpr(reader.m, ctx)}, ctx);
  SmallVector<Value> inputs = op.getDpsInputs();
  inputs[0] = indices;
  Block &body = op->getRegion(0).front();
  auto fused = linalg::GenericOp::create(
      rewriter, op.getLoc(), op->getResultTypes(), inputs, op.getDpsInits(),
      maps, op.getIteratorTypesArray(),
      [&](OpBuilder &b, Location loc, ValueRange args) {
        Value row =
            arith::IndexCastOp::create(b, loc, b.getIndexType(), args[0]);
        Value col = linalg::IndexOp::create(b, loc, reader.k);
        IRMapping mapping;
        mapping.map(
            body.getArgument(0),
            tensor::ExtractOp::create(b, loc, source, ValueRange{row, col}));
        for (auto [arg, value] : llvm::zip_equal(
                 body.getArguments().drop_front(), args.drop_front()))
          mapping.map(arg, value);
        for (Operation &nested : body)
          b.clone(nested, mapping);
      });
  rewriter.replaceOp(op, fused->getResults());
  return fused;
}

/// An expert's gather of its token rows into scratch that only contractions
/// read as A (its copy in the shared scratch output read by nobody after
/// the loop) is fused into them: each becomes a contraction of gathered
/// rows that reads x through the token indices, and the gather, its
/// scratch output and the block's copy of the rows go. Warp contractions
/// (tensor cores) read x in aligned registers, so x must then be a whole
/// buffer with rows of a multiple of the register's elements; thread
/// contractions read elements. The GPU form of the CPU packed kernel's
/// gather (hmoe-vectorize-contractions).
scf::ForallOp fuseRowGathersIntoContractions(RewriterBase &rewriter,
                                             scf::ForallOp block,
                                             const GPUTileSizes &sizes) {
  llvm::SmallDenseSet<unsigned> unusedOutputs;
  // The gathers first: fusing one replaces the contractions that read it.
  SmallVector<std::pair<linalg::GenericOp, std::pair<Value, Value>>> gathers;
  for (auto op : block.getBody()->getOps<linalg::GenericOp>())
    if (std::optional<std::pair<Value, Value>> rows = matchRowGather(op))
      gathers.emplace_back(op, *rows);
  for (auto &[gather, rows] : gathers) {
    Value source = rows.first, indices = rows.second;
    Operation *init = gather.getDpsInits()[0].getDefiningOp();
    SmallVector<GatheredRowsReader> readers;
    SmallVector<tensor::ParallelInsertSliceOp> copies;
    // The GEMMs read x and the token indices where the gather did: neither
    // may change in between.
    auto sourceType = dyn_cast<RankedTensorType>(source.getType());
    bool fusable = sourceType && sourceType.getRank() == 2 &&
                   unwrittenInBlock(source, block) &&
                   unwrittenInBlock(indices, block);
    for (OpOperand &use : gather->getResult(0).getUses()) {
      Operation *user = use.getOwner();
      if (auto copy = dyn_cast<tensor::ParallelInsertSliceOp>(user)) {
        auto arg = dyn_cast<BlockArgument>(copy.getDest());
        OpResult result =
            arg && arg.getOwner() == block.getBody() &&
                    arg.getArgNumber() >= block.getRank()
                ? block->getResult(arg.getArgNumber() - block.getRank())
                : OpResult();
        fusable &= result && result.use_empty() &&
                   llvm::all_of(arg.getUsers(), [&](Operation *u) {
                     return u == copy || u == init;
                   });
        copies.push_back(copy);
        continue;
      }
      std::optional<GatheredRowsReader> reader = matchGatheredRowsReader(use);
      fusable = fusable && reader;
      if (!fusable)
        break;
      readers.push_back(*reader);
      // On warps, registers of e elements: x a whole buffer (row stride
      // its width) with rows of a multiple of e (the warp pass checks the
      // buffer).
      if (!sizes.warpContractions())
        continue;
      if (std::optional<WarpMMAContraction> mma =
              matchWarpMMAContraction(user, sizes.tf32))
        fusable = !sourceType.isDynamicDim(1) &&
                  sourceType.getDimSize(1) % mma->perRegister() == 0 &&
                  bufferizesToWholeRows(source);
    }
    if (!fusable || readers.empty())
      continue;
    for (GatheredRowsReader reader : readers)
      readThroughRowIndices(rewriter, reader, source, indices);
    for (tensor::ParallelInsertSliceOp copy : copies) {
      auto arg = cast<BlockArgument>(copy.getDest());
      unusedOutputs.insert(arg.getArgNumber() - block.getRank());
      rewriter.eraseOp(copy);
    }
    rewriter.eraseOp(gather);
    if (init && init->use_empty() && isa<tensor::ExtractSliceOp>(init))
      rewriter.eraseOp(init);
  }
  // An output whose block argument is still used elsewhere (its init
  // slice read by another op) stays.
  for (unsigned i : llvm::to_vector(unusedOutputs))
    if (!block.getRegionIterArgs()[i].use_empty())
      unusedOutputs.erase(i);
  if (unusedOutputs.empty())
    return block;
  return dropSharedOutputs(rewriter, block, unusedOutputs);
}

/// Threads along `op`'s first two parallel loops (`dims`): threads-y x
/// threads-x, except for a contraction (a linalg op with a reduction loop)
/// with a static column count: up to `thread-rows` rows per thread (a power
/// of two dividing threads-y), as many as leave each thread at least as
/// many columns as rows. A thread's rows and columns then make a register
/// tile once its loops are jammed (hmoe-promote-loop-accumulators
/// {row-jam}): Q rows by R columns load Q + R operands per Q * R
/// multiply-adds, not 1 + R per R; a square tile loads the fewest (64
/// columns: 2 x 2, 1 per multiply-add, not 4 x 1 or 1 x 4, 1.25).
std::pair<int64_t, int64_t> threadGrid(TilingInterface op,
                                       ArrayRef<unsigned> dims,
                                       const GPUTileSizes &sizes) {
  int64_t threadsY = sizes.threadsY(), threadsX = sizes.threadsX;
  auto linalgOp = dyn_cast<linalg::LinalgOp>(op.getOperation());
  if (!linalgOp || sizes.threadRows < 2 || linalgOp.getNumReductionLoops() == 0)
    return {threadsY, threadsX};
  int64_t columns = linalgOp.getStaticLoopRanges()[dims[1]];
  if (ShapedType::isDynamic(columns))
    return {threadsY, threadsX};
  for (int64_t rows = llvm::bit_floor<uint64_t>(sizes.threadRows); rows > 1;
       rows /= 2)
    if (threadsY % rows == 0 && columns >= threadsX * rows * rows)
      return {threadsY / rows, threadsX * rows};
  return {threadsY, threadsX};
}

/// Tiles `op` into an scf.forall of `numThreads` (0: a loop not
/// distributed) mapped to `mapping`, and replaces it by the loop's results.
LogicalResult distributeOverThreads(RewriterBase &rewriter, TilingInterface op,
                                    ArrayRef<OpFoldResult> numThreads,
                                    ArrayRef<Attribute> mapping) {
  scf::SCFTilingOptions options;
  options.setNumThreads(numThreads);
  return tileIntoForall(rewriter, op, options, mapping, "threads");
}

/// Whether `op` computes each element of a [rows, C] result from other
/// tensors read at the element's own column inside a loop of its body, and
/// reads no input otherwise: the combine (y[t, c] = sum over t's choices
/// j of w[t, j] * expert_rows[slot[t, j], c]). Its linalg.index ops must be
/// the body's own (not inside the loop) for tileColumnsCyclically to
/// rewrite them.
bool isColumnGatherSum(linalg::GenericOp op, int64_t threadsX) {
  if (op.getNumDpsInputs() != 0 || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 2 || op.getNumReductionLoops() != 0 ||
      !op.getIndexingMapsArray()[0].isIdentity() ||
      !op.hasPureTensorSemantics())
    return false;
  int64_t columns = op.getStaticLoopRanges()[1];
  if (ShapedType::isDynamic(columns) || columns % threadsX != 0)
    return false;
  Block *body = op.getBody();
  bool loopReads = false, nestedIndex = false;
  body->walk([&](Operation *nested) {
    if (isa<linalg::IndexOp>(nested) && nested->getBlock() != body)
      nestedIndex = true;
    if (isa<tensor::ExtractOp>(nested) && nested->getBlock() != body)
      loopReads = true;
  });
  return loopReads && !nestedIndex;
}

/// The adjacent columns a thread takes at a time in a column gather-sum of
/// C columns: `groupBytes` of the widest element it writes or gathers (the
/// combine's f32 expert rows into bf16 y: 4 columns of 16 bytes; at least
/// one column), rounded down to a power of two and halved until threads-x
/// groups divide C.
int64_t cyclicColumnGroup(linalg::GenericOp op, const GPUTileSizes &sizes) {
  auto type = cast<RankedTensorType>(op.getDpsInits()[0].getType());
  int64_t columns = type.getDimSize(1);
  auto elementBytes = [](Type t) {
    return t.isIntOrFloat() ? int64_t(t.getIntOrFloatBitWidth() / 8) : 8;
  };
  int64_t bytes = std::max<int64_t>(1, elementBytes(type.getElementType()));
  op.getBody()->walk([&](tensor::ExtractOp extract) {
    bytes = std::max(bytes, elementBytes(extract.getType()));
  });
  // A power of two: a group's vector accesses are aligned to it.
  int64_t group = static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(
      std::max<int64_t>(1, sizes.cyclicGroupBytes / bytes))));
  while (group > 1 && columns % (sizes.threadsX * group) != 0)
    group /= 2;
  return group;
}

/// A column gather-sum (isColumnGatherSum) over the block's threads with
/// the columns dealt out cyclically in groups of V adjacent ones
/// (cyclicColumnGroup): thread x takes columns [x V, x V + V), then
/// threads-x groups further, ..., so a warp's lanes read adjacent groups of
/// each gathered row (V = 1: one or two 64-byte segments per load; V
/// elements of 16 bytes: 256 bytes of 16 lanes, one vector load each once
/// hmoe-vectorize-column-loops has made a group's loop one) where a block
/// of C / threads-x adjacent columns per thread put them C / threads-x
/// elements apart. The result [R, C] is expanded to [R, C / (threads-x V),
/// threads-x, V] (without the last dimension where V = 1), the op
/// rewritten over it (column = (i1 threads-x + i2) V + i3), tiled over
/// (rows, i2) and collapsed back.
LogicalResult tileColumnsCyclically(RewriterBase &rewriter,
                                    linalg::GenericOp op,
                                    const GPUTileSizes &sizes) {
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  int64_t lanes = sizes.threadsX;
  int64_t group = cyclicColumnGroup(op, sizes);
  Value init = op.getDpsInits()[0];
  auto type = cast<RankedTensorType>(init.getType());
  int64_t steps = type.getDimSize(1) / (lanes * group);
  rewriter.setInsertionPoint(op);
  SmallVector<OpFoldResult> shape = {
      tensor::getMixedSize(rewriter, loc, init, 0),
      rewriter.getIndexAttr(steps), rewriter.getIndexAttr(lanes)};
  SmallVector<int64_t> expandedShape = {type.getDimSize(0), steps, lanes};
  SmallVector<ReassociationIndices> groups = {{0}, {1, 2}};
  if (group > 1) {
    shape.push_back(rewriter.getIndexAttr(group));
    expandedShape.push_back(group);
    groups[1].push_back(3);
  }
  unsigned rank = expandedShape.size();
  auto expandedType =
      RankedTensorType::get(expandedShape, type.getElementType());
  Value expanded = tensor::ExpandShapeOp::create(rewriter, loc, expandedType,
                                                 init, groups, shape);
  AffineMap identity = rewriter.getMultiDimIdentityMap(rank);
  SmallVector<utils::IteratorType> parallel(rank,
                                            utils::IteratorType::parallel);
  auto cyclic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{expandedType}, ValueRange{},
      ValueRange{expanded}, ArrayRef<AffineMap>{identity}, parallel,
      [&](OpBuilder &b, Location nestedLoc, ValueRange args) {
        IRMapping mapping;
        Block *body = op.getBody();
        mapping.map(body->getArgument(0), args[0]);
        auto constant = [&](int64_t v) {
          return arith::ConstantIndexOp::create(b, nestedLoc, v);
        };
        Value row = linalg::IndexOp::create(b, nestedLoc, 0);
        Value step = linalg::IndexOp::create(b, nestedLoc, 1);
        Value lane = linalg::IndexOp::create(b, nestedLoc, 2);
        Value column = arith::AddIOp::create(
            b, nestedLoc,
            arith::MulIOp::create(b, nestedLoc, step, constant(lanes)), lane);
        if (group > 1)
          column = arith::AddIOp::create(
              b, nestedLoc,
              arith::MulIOp::create(b, nestedLoc, column, constant(group)),
              linalg::IndexOp::create(b, nestedLoc, 3));
        for (Operation &nested : body->getOperations()) {
          if (auto index = dyn_cast<linalg::IndexOp>(nested)) {
            mapping.map(index.getResult(), index.getDim() == 0 ? row : column);
            continue;
          }
          b.clone(nested, mapping);
        }
      });
  Value collapsed = tensor::CollapseShapeOp::create(
      rewriter, loc, type, cyclic.getResult(0), groups);
  rewriter.replaceOp(op, collapsed);

  SmallVector<OpFoldResult> numThreads = {
      rewriter.getIndexAttr(sizes.threadsY()), rewriter.getIndexAttr(0),
      rewriter.getIndexAttr(lanes)};
  if (group > 1)
    numThreads.push_back(rewriter.getIndexAttr(0));
  return distributeOverThreads(
      rewriter, cast<TilingInterface>(cyclic.getOperation()), numThreads,
      {gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimY),
       gpu::GPUThreadMappingAttr::get(ctx, gpu::MappingId::DimX)});
}

/// Distributes `op` over the threads of a block: its first two parallel
/// loops over threads-y x threads-x, or its only one over all threads
/// (linearly); with none, it runs on one thread. With tensor cores, a
/// bf16/f16 contraction (with tf32, also an f32 one) goes to the block's
/// warps instead, and so does a route that takes a warp per token.
LogicalResult tileToThreads(RewriterBase &rewriter, Operation *op,
                            const GPUTileSizes &sizes) {
  MLIRContext *ctx = op->getContext();
  auto tileable = dyn_cast<TilingInterface>(op);
  if (auto route = dyn_cast<RouteOp>(op); route && sizes.warpRoute(route)) {
    // The tokens over the warps (a warp routes its own one by one).
    SmallVector<OpFoldResult> numWarps(tileable.getLoopIteratorTypes().size(),
                                       rewriter.getIndexAttr(0));
    numWarps[0] = rewriter.getIndexAttr(sizes.blockThreads / kWarpSize);
    scf::SCFTilingOptions options;
    options.setNumThreads(numWarps);
    return tileIntoForall(
        rewriter, tileable, options,
        {gpu::GPUWarpMappingAttr::get(ctx, gpu::MappingId::LinearDim0)},
        "warps");
  }
  if (sizes.warpContractions() && tileable)
    if (std::optional<WarpMMAContraction> mma =
            matchWarpMMAContraction(op, sizes.tf32))
      return tileToWarps(rewriter, tileable, *mma, sizes);
  if (auto generic = dyn_cast<linalg::GenericOp>(op))
    if (sizes.cyclicColumns && isColumnGatherSum(generic, sizes.threadsX))
      return tileColumnsCyclically(rewriter, generic, sizes);
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
    auto [threadsY, threadsX] = threadGrid(tileable, dims, sizes);
    numThreads[dims[0]] = rewriter.getIndexAttr(threadsY);
    numThreads[dims[1]] = rewriter.getIndexAttr(threadsX);
    // A grid other than the block's goes on the linear thread id (columns
    // fastest): the block keeps its threads-x x threads-y shape.
    bool blockShaped = threadsX == sizes.threadsX;
    mapping.push_back(gpu::GPUThreadMappingAttr::get(
        ctx, blockShaped ? gpu::MappingId::DimY : gpu::MappingId::LinearDim1));
    mapping.push_back(gpu::GPUThreadMappingAttr::get(
        ctx, blockShaped ? gpu::MappingId::DimX : gpu::MappingId::LinearDim0));
  }
  return distributeOverThreads(rewriter, tileable, numThreads, mapping);
}

/// Each op of a block loop's body distributed over the block's threads, one
/// after the other (an op that iterates over nothing is replaced by its
/// destinations).
LogicalResult tileBlockToThreads(RewriterBase &rewriter, scf::ForallOp block,
                                 const GPUTileSizes &sizes) {
  if (sizes.fuseGathers)
    block = fuseRowGathersIntoContractions(rewriter, block, sizes);
  SmallVector<Operation *> inner;
  for (Operation &nested : block.getBody()->without_terminator())
    if (hasTensorDestinations(&nested) || isa<TilingInterface>(nested))
      inner.push_back(&nested);
  for (Operation *nested : inner)
    if (!replaceIfEmpty(rewriter, nested) &&
        failed(tileToThreads(rewriter, nested, sizes)))
      return failure();
  return success();
}

/// Whether `slice` of a producer changes from one iteration of `loop` to
/// the next (it does not for what every tile reads whole, like the
/// experts' norms in a loop over tokens: those are computed once).
bool dependsOnLoop(tensor::ExtractSliceOp slice, LoopLikeOpInterface loop) {
  return llvm::any_of(llvm::concat<Value>(slice.getOffsets(), slice.getSizes(),
                                          slice.getStrides()),
                      [&](Value v) { return !loop.isDefinedOutsideOfLoop(v); });
}

/// Whether every op reading `slice` reads each element of it at most once
/// per element of its own tile (a projected permutation, or a route's rows;
/// through reshapes): then the tiles of different blocks do not overlap,
/// and each block is the one writer of its tile of the producer. (A map
/// like (t, k) -> (t + k) would make neighbouring blocks compute and write
/// the same rows.)
bool readByPermutation(Value slice) {
  return llvm::all_of(slice.getUses(), [](OpOperand &use) {
    Operation *user = use.getOwner();
    if (isa<RouteOp, tensor::DimOp>(user))
      return true;
    if (isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user))
      return readByPermutation(user->getResult(0));
    auto linalgOp = dyn_cast<linalg::LinalgOp>(user);
    return linalgOp &&
           linalgOp.getMatchingIndexingMap(&use).isProjectedPermutation();
  });
}

/// The value a chain of destination-passing ops leaves in `dest`: each op
/// writing into the previous one's result, as a fill, the GEMM into it and
/// an epilogue in place do. Null if two ops write into one value.
Value lastWriteInto(Value dest) {
  Value current = dest;
  while (true) {
    Value next;
    for (OpOperand &use : current.getUses()) {
      auto dps = dyn_cast<DestinationStyleOpInterface>(use.getOwner());
      if (!dps || !dps.isDpsInit(&use))
        continue;
      if (next)
        return nullptr;
      next = dps.getTiedOpResult(&use);
    }
    if (!next)
      return current;
    current = next;
  }
}

/// A block loop's scratch for its fused producers as shared outputs: each
/// slice of a `tensor.empty` from outside the loop becomes the slice of a
/// new shared output, into which the loop inserts what its ops wrote there.
/// (A kernel cannot allocate, and One-Shot Bufferize copies a buffer from
/// outside a parallel loop that its iterations write.)
FailureOr<scf::ForallOp> scratchToSharedOutputs(RewriterBase &rewriter,
                                                scf::ForallOp loop) {
  // Fusion leaves the slices it fused through, unused.
  for (Operation &op :
       llvm::make_early_inc_range(llvm::reverse(*loop.getBody())))
    if (isOpTriviallyDead(&op))
      rewriter.eraseOp(&op);
  // Fused producers' destinations: slices of a value from outside the loop
  // (an empty tensor of the whole stage's size, which fusion may have
  // cloned into the loop, or another stage's result) that an op in the
  // loop writes into, with what is left in them.
  SmallVector<tensor::ExtractSliceOp> slices;
  SmallVector<Value> finals;
  for (auto slice : loop.getBody()->getOps<tensor::ExtractSliceOp>()) {
    Value source = slice.getSource();
    auto empty = source.getDefiningOp<tensor::EmptyOp>();
    bool fromOutside =
        empty ? llvm::all_of(
                    empty->getOperands(),
                    [&](Value v) { return loop.isDefinedOutsideOfLoop(v); })
              : loop.isDefinedOutsideOfLoop(source);
    if (!fromOutside)
      continue;
    Value final = lastWriteInto(slice.getResult());
    if (!final)
      return loop.emitOpError("has two ops writing into one tile of scratch");
    if (final == slice.getResult())
      continue; // read, not written
    slices.push_back(slice);
    finals.push_back(final);
  }
  if (slices.empty())
    return loop;
  // One empty tensor each (CSE may have merged equal ones); another
  // stage's result is the shared output's initial value (bufferization
  // copies it, outside the kernel, where that stage's result is read too).
  rewriter.setInsertionPoint(loop);
  SmallVector<Value> inits = llvm::to_vector(loop.getOutputs());
  for (tensor::ExtractSliceOp slice : slices) {
    Value source = slice.getSource();
    if (auto empty = source.getDefiningOp<tensor::EmptyOp>())
      source = rewriter.clone(*empty)->getResult(0);
    inits.push_back(source);
  }
  scf::ForallOp grown = emptyForallLike(rewriter, loop, inits);
  SmallVector<Value> args = llvm::to_vector(grown.getInductionVars());
  llvm::append_range(
      args, grown.getRegionIterArgs().take_front(loop.getOutputs().size()));
  rewriter.mergeBlocks(loop.getBody(), grown.getBody(), args);
  rewriter.replaceOp(
      loop, grown.getResults().take_front(args.size() - grown.getRank()));
  ValueRange scratch = grown.getRegionIterArgs().take_back(slices.size());
  rewriter.setInsertionPointToEnd(grown.getTerminator().getBody());
  for (size_t i = 0; i < slices.size(); ++i) {
    tensor::ExtractSliceOp slice = slices[i];
    Value arg = scratch[i];
    rewriter.modifyOpInPlace(slice, [&] { slice.getSourceMutable().set(arg); });
    tensor::ParallelInsertSliceOp::create(
        rewriter, slice.getLoc(), finals[i], arg, slice.getMixedOffsets(),
        slice.getMixedSizes(), slice.getMixedStrides());
  }
  return grown;
}

/// A top-level op in a block loop over its first parallel loop, `rows`
/// per block, with the ops computing its operands for those rows fused
/// into the loop (scf::tileConsumerAndFuseProducersUsingSCF), then each op
/// of the block over its threads, one after the other. This is how score
/// -> normalise -> top-k becomes one kernel per tile of tokens (the gate's
/// GEMM, its epilogues and the token norms of GEMM-form distances fused
/// into the route's loop), and how a chain of stages over the same rows
/// (two GEMMs, a fill and its GEMM, element-wise epilogues) becomes one
/// kernel.
///
/// A producer is fused only where everything reading it is fused (else it
/// stays a stage, computed once and read by all; refused once, it stays
/// refused), where its tile depends on the block (what every block reads
/// whole is computed once), where it is read through projected
/// permutations (blocks' tiles do not overlap), and, unless `anyProducer`,
/// where it has no more parallel loops than `op` (a GEMM fused into a loop
/// of 256 rows would have too few blocks); none without `fuseProducers`.
/// Fused producers write their tile into a shared output of the loop
/// (scratchToSharedOutputs). Fused originals are erased and added to
/// `erased`.
LogicalResult tileToBlocksWithProducers(RewriterBase &rewriter,
                                        TilingInterface op, int64_t rows,
                                        bool anyProducer, bool fuseProducers,
                                        const GPUTileSizes &sizes,
                                        llvm::DenseSet<Operation *> &erased) {
  MLIRContext *ctx = op->getContext();
  SmallVector<unsigned> dims = parallelLoops(op);
  if (dims.empty())
    return runOnOneThread(rewriter, op);
  SmallVector<OpFoldResult> tileSizes(op.getLoopIteratorTypes().size(),
                                      rewriter.getIndexAttr(0));
  tileSizes[dims[0]] = rewriter.getIndexAttr(rows);
  scf::SCFTilingOptions tiling;
  tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
  tiling.setTileSizes(tileSizes);
  tiling.setMapping({gpu::GPUBlockMappingAttr::get(ctx, gpu::MappingId::DimX)});
  scf::SCFTileAndFuseOptions options;
  options.setTilingOptions(tiling);
  llvm::SmallPtrSet<Operation *, 8> fusedOriginals{op};
  // Whether everything reading `producer` outside the loop is fused, or a
  // reshape of it that only fused ops read.
  std::function<bool(Operation *, Operation *)> onlyFusedRead =
      [&](Operation *producer, Operation *loop) {
        return llvm::all_of(producer->getUsers(), [&](Operation *user) {
          if (isa<tensor::DimOp>(user) || fusedOriginals.contains(user) ||
              loop->isAncestor(user))
            return true;
          return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(user) &&
                 onlyFusedRead(user, loop);
        });
      };
  size_t consumerLoops = dims.size();
  // A producer refused once stays a stage (fused through another reader
  // later, it would be computed twice).
  llvm::SmallPtrSet<Operation *, 8> refused;
  options.setFusionControlFn(
      [&](tensor::ExtractSliceOp slice, OpResult producer,
          bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
        Operation *op = producer.getOwner();
        auto loop = slice->getParentOfType<LoopLikeOpInterface>();
        auto tileable = dyn_cast<TilingInterface>(op);
        // Read through a second slice (twice, or another of its results):
        // fused again, in the same block (not CSE'd: merging equal empty
        // destinations would make two producers write one scratch).
        if (fusedOriginals.contains(op))
          return scf::SCFTileAndFuseOptions::ControlFnResult{};
        if (!fuseProducers || refused.contains(op) || !loop || !tileable ||
            !dependsOnLoop(slice, loop) ||
            !readByPermutation(slice.getResult()) || !onlyFusedRead(op, loop) ||
            (!anyProducer && parallelLoops(tileable).size() > consumerLoops)) {
          refused.insert(op);
          return std::nullopt;
        }
        fusedOriginals.insert(op);
        return scf::SCFTileAndFuseOptions::ControlFnResult{};
      });
  // Slices move above reshapes (nested levels' scores are reshaped into
  // groups), so what computes them still fuses.
  RewritePatternSet cleanup(ctx);
  tensor::populateBubbleUpExtractSliceOpPatterns(cleanup);
  options.cleanupPatterns = FrozenRewritePatternSet(std::move(cleanup));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTileAndFuseResult> fused =
      scf::tileConsumerAndFuseProducersUsingSCF(rewriter, op, options);
  if (failed(fused))
    return op->emitOpError("could not be tiled over GPU blocks");
  Block *body = op->getBlock();
  SmallVector<Value> results;
  for (Value result : op->getResults())
    results.push_back(fused->replacements.lookup(result));
  rewriter.replaceOp(op, results);
  FailureOr<scf::ForallOp> loop = scratchToSharedOutputs(
      rewriter, cast<scf::ForallOp>(fused->loops.front().getOperation()));
  if (failed(loop))
    return failure();
  // The fused originals are left with the loop's size computations
  // (tensor.dim of their results): those read their destinations instead.
  for (Operation *original : fused->fusedProducers)
    for (Operation *user : llvm::to_vector(original->getUsers()))
      if (auto dim = dyn_cast<tensor::DimOp>(user)) {
        Value source = dim.getSource();
        while (auto result = dyn_cast<OpResult>(source)) {
          auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
          if (!dps)
            break;
          source = dps.getTiedOpOperand(result)->get();
        }
        rewriter.modifyOpInPlace(dim,
                                 [&] { dim.getSourceMutable().set(source); });
      }
  // The reshapes the slices moved above, the fused originals (consumers
  // come before their producers in this list), the destinations they
  // leave unused; the stage loop skips what is erased.
  auto eraseUnused = [&](auto ops, auto isKind) {
    for (Operation *dead : llvm::make_early_inc_range(ops))
      if (isKind(dead) && dead->use_empty()) {
        erased.insert(dead);
        rewriter.eraseOp(dead);
      }
  };
  // (A fresh range each time: the first pass erases ops.)
  auto topLevel = [&] {
    return llvm::map_range(llvm::reverse(*body),
                           [](Operation &op) { return &op; });
  };
  eraseUnused(topLevel(), [](Operation *op) {
    return isa<tensor::ExpandShapeOp, tensor::CollapseShapeOp>(op);
  });
  eraseUnused(fused->fusedProducers, [](Operation *) { return true; });
  eraseUnused(topLevel(),
              [](Operation *op) { return isa<tensor::EmptyOp>(op); });
  return tileBlockToThreads(rewriter, *loop, sizes);
}

struct HMoETileForGPUPass
    : public hmoe::impl::HMoETileForGPUBase<HMoETileForGPUPass> {
  using Base::Base;
  void runOnOperation() override {
    FunctionOpInterface func = getOperation();
    if (func.isExternal())
      return;
    if (blockRows < 1 || blockThreads < 1 || threadsX < 1 ||
        blockThreads > 1024 || blockThreads % threadsX != 0 || threadRows < 1) {
      func.emitError() << "hmoe-tile-for-gpu: expected block-rows >= 1, "
                          "1 <= block-threads <= 1024, threads-x "
                          "dividing block-threads and thread-rows >= 1";
      return signalPassFailure();
    }
    if ((tf32 || splitTF32) && !tensorCores) {
      func.emitError() << "hmoe-tile-for-gpu: "
                       << (tf32 ? "tf32" : "split-tf32")
                       << " runs f32 contractions on tensor cores; expected "
                          "tensor-cores with it";
      return signalPassFailure();
    }
    // Split TF32 keeps f32's accuracy, so every stage's f32 contractions
    // may take it (the routing's scores too); plain TF32 only the expert
    // loops'.
    GPUTileSizes sizes{blockRows,          blockThreads,  threadsX,
                       threadRows,         tensorCores,   fuseGathers,
                       /*tf32=*/splitTF32, cyclicColumns, cyclicGroupBytes,
                       warpRouteExperts};
    GPUTileSizes expertSizes = sizes;
    expertSizes.tf32 = tf32 || splitTF32;
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
    for (Operation *op : stages)
      if (failed(separateOutputs(rewriter, op)))
        return signalPassFailure();
    // Consumers first, so that a stage only they read fuses into them.
    llvm::DenseSet<Operation *> erased;
    for (Operation *op : llvm::reverse(stages)) {
      if (erased.contains(op))
        continue;
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
        if (failed(tileBlockToThreads(rewriter, forall, expertSizes)))
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
      if (!tileable) {
        if (failed(runOnOneThread(rewriter, op)))
          return signalPassFailure();
        continue;
      }
      // A route takes blocks of block-rows tokens, with the GEMMs
      // computing its scores (unless fuse-routes is off: then a token per
      // thread, or per warp, alone); other ops block-rows rows when they
      // have two parallel loops, else block-threads.
      auto route = dyn_cast<RouteOp>(op);
      bool fusedRoute = route && fuseRoutes;
      int64_t rows =
          fusedRoute || (!route && parallelLoops(tileable).size() > 1)
              ? sizes.blockRows
              : sizes.blockThreads;
      if (route && !fusedRoute && sizes.warpRoute(route))
        rows = sizes.blockThreads / kWarpSize;
      if (failed(tileToBlocksWithProducers(
              rewriter, tileable, rows, /*anyProducer=*/fusedRoute,
              /*fuseProducers=*/!route || fuseRoutes, sizes, erased)))
        return signalPassFailure();
    }
  }
};
} // namespace
