//===- StageThreadContractions.cpp - hmoe-stage-thread-contractions -------===//
//
// Off tensor cores a thread's GEMM loop reads its rows of A and B from
// global memory through L1. A block's threads along a warp take different
// columns, so each load of B touches as many rows (K elements apart) as the
// warp has column threads: the routing GEMM of G1 (16 tokens x 64 experts,
// K = 1024, f32) ran at 5% of the f32 rate on an H200 (session 36). Here a
// thread loop holding one contraction C[m, n] += A[m, k] * B[n, k] becomes
// a loop over K tiles: the block's threads copy the K tile of every row of
// A and B they read into workgroup memory (coalesced, 16 bytes a thread),
// then compute it from there, a barrier after each (hmoe-map-forall-to-gpu
// puts one after every thread loop). The tiles' rows are padded by 16
// bytes, so the 16-byte reads of a warp's rows (hmoe-vectorize-loop-loads)
// fall in different banks. Each element of C still sums its products in K
// order (K tiles in turn, each in order): the same results. With two
// stages the next K tile's copy (cp.async) runs while the threads compute
// this one.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Codegen/RowGather.h"
#include "hmoe/Codegen/ValueBounds.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "llvm/ADT/bit.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESTAGETHREADCONTRACTIONS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// What a thread's 16-byte copy and read of a tile row take.
constexpr int64_t kChunkBytes = 16;

/// One operand of the contraction (A or B): the thread's rows, a view of
/// `source`'s rows over the whole of K.
struct StagedOperand {
  memref::SubViewOp rows;
  Value source;
  // Gathered rows (A of an expert's first GEMM, hmoe-tile-for-gpu's
  // fuse-gathers): `source` holds row indices, tile row r is
  // gatherSource[source[r]], which the contraction's body reads.
  Value gatherSource;
  memref::LoadOp gatherRead;
  // A constant bound on the source's rows (the tile's rows).
  int64_t maxRows = 0;
  int64_t elementBytes = 0;

  /// What the tile's rows are rows of.
  Value rowBuffer() const { return gatherSource ? gatherSource : source; }

  /// Elements a tile row takes, with its 16 bytes of padding.
  int64_t rowElements(int64_t kTile) const {
    return kTile + kChunkBytes / elementBytes;
  }
  int64_t tileBytes(int64_t kTile) const {
    return maxRows * rowElements(kTile) * elementBytes;
  }
};

struct ThreadContraction {
  scf::ForallOp threads;
  linalg::GenericOp gemm;
  StagedOperand a, b;
  int64_t depth = 0;
  int64_t threadCount = 0;
};

/// Elements that a 16-byte chunk holds a whole number of, laid out at
/// their size (i48 is padded to 8 bytes in memory, i256 is wider than a
/// chunk).
bool hasChunkedElements(MemRefType type) {
  if (!type.getElementType().isIntOrFloat())
    return false;
  unsigned bits = type.getElementTypeBitWidth();
  return bits % 8 == 0 && llvm::isPowerOf2_32(bits / 8) &&
         bits / 8 <= kChunkBytes;
}

/// Whether `buffer` is in global memory (what `cp.async` reads): no memory
/// space, or the GPU's global one, and not a kernel's own alloca (private
/// memory has no space either).
bool inGlobalMemory(Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  auto space = dyn_cast_or_null<gpu::AddressSpaceAttr>(type.getMemorySpace());
  Value base = knownBufferBase(buffer);
  return (!type.getMemorySpace() ||
          (space && space.getValue() == gpu::AddressSpace::Global)) &&
         !(base && base.getDefiningOp<memref::AllocaOp>());
}

/// The rows bound of `source`: its static size, or the size of the
/// subview that made it.
FailureOr<int64_t> maxRowsOf(Value source) {
  auto type = cast<MemRefType>(source.getType());
  if (!type.isDynamicDim(0))
    return type.getDimSize(0);
  if (auto view = source.getDefiningOp<memref::SubViewOp>()) {
    // Rank-preserving: the view's first size is its rows.
    if (view.getSourceType().getRank() == type.getRank()) {
      OpFoldResult rows = view.getMixedSizes()[0];
      if (std::optional<int64_t> c = getConstantIntValue(rows))
        return *c;
      return constantUpperBound(cast<Value>(rows));
    }
  }
  return failure();
}

/// `view` (an input of the contraction, read at `map`) as a thread's rows
/// of a buffer defined outside the thread loop, over all of K.
FailureOr<StagedOperand> matchOperand(scf::ForallOp threads, Value view,
                                      AffineMap map, unsigned rowDim) {
  auto rows = view.getDefiningOp<memref::SubViewOp>();
  MLIRContext *ctx = view.getContext();
  if (!rows || rows->getBlock() != threads.getBody() || !rows->hasOneUse() ||
      map != AffineMap::get(
                 3, 0,
                 {getAffineDimExpr(rowDim, ctx), getAffineDimExpr(2, ctx)},
                 ctx))
    return failure();
  StagedOperand operand;
  operand.rows = rows;
  operand.source = rows.getSource();
  auto type = cast<MemRefType>(operand.source.getType());
  if (!threads.isDefinedOutsideOfLoop(operand.source) || type.getRank() != 2 ||
      rows.getType().getRank() != 2 || type.isDynamicDim(1) ||
      !hasChunkedElements(type))
    return failure();
  // The whole of K, unit strides.
  std::optional<int64_t> kOffset =
      getConstantIntValue(rows.getMixedOffsets()[1]);
  std::optional<int64_t> kSize = getConstantIntValue(rows.getMixedSizes()[1]);
  if (!kOffset || *kOffset != 0 || !kSize || *kSize != type.getDimSize(1) ||
      !llvm::all_of(rows.getMixedStrides(),
                    [](OpFoldResult s) { return isConstantIntValue(s, 1); }))
    return failure();
  FailureOr<int64_t> maxRows = maxRowsOf(operand.source);
  if (failed(maxRows) || *maxRows < 1)
    return failure();
  operand.maxRows = *maxRows;
  operand.elementBytes = type.getElementTypeBitWidth() / 8;
  return operand;
}

/// A contraction's first input as gathered rows: the thread's rows of a
/// buffer of row indices defined outside the loop (map (m)), the body
/// reading `S[index_cast(rows[m]), linalg.index k]` once, S a buffer from
/// outside the loop with a static K, the index and its cast feeding only
/// that read.
FailureOr<StagedOperand> matchGatheredRows(scf::ForallOp threads,
                                           linalg::GenericOp gemm) {
  MLIRContext *ctx = gemm.getContext();
  Value view = gemm.getDpsInputs()[0];
  auto rows = view.getDefiningOp<memref::SubViewOp>();
  if (!rows || rows->getBlock() != threads.getBody() || !rows->hasOneUse() ||
      gemm.getIndexingMapsArray()[0] !=
          AffineMap::get(3, 0, {getAffineDimExpr(0, ctx)}, ctx) ||
      rows.getType().getRank() != 1 ||
      !isConstantIntValue(rows.getMixedStrides()[0], 1))
    return failure();
  StagedOperand operand;
  operand.rows = rows;
  operand.source = rows.getSource();
  auto indexType = cast<MemRefType>(operand.source.getType());
  if (!threads.isDefinedOutsideOfLoop(operand.source) ||
      indexType.getRank() != 1 || !indexType.getElementType().isInteger())
    return failure();
  auto loads = gemm.getBody()->getOps<memref::LoadOp>();
  if (std::distance(loads.begin(), loads.end()) != 1)
    return failure();
  memref::LoadOp read = *loads.begin();
  Value source = sourceReadThroughRowIndex(
      cast<linalg::LinalgOp>(gemm.getOperation()), read.getResult(),
      /*col=*/2);
  if (!source || !threads.isDefinedOutsideOfLoop(source))
    return failure();
  // The read's index ops feed nothing else (the tile read replaces them).
  for (Value index : read.getIndices())
    if (!index.hasOneUse())
      return failure();
  if (!gemm.getBody()->getArgument(0).hasOneUse())
    return failure();
  auto type = cast<MemRefType>(source.getType());
  if (type.getRank() != 2 || type.isDynamicDim(1) || !hasChunkedElements(type))
    return failure();
  FailureOr<int64_t> maxRows = maxRowsOf(operand.source);
  if (failed(maxRows) || *maxRows < 1)
    return failure();
  operand.gatherSource = source;
  operand.gatherRead = read;
  operand.maxRows = *maxRows;
  operand.elementBytes = type.getElementTypeBitWidth() / 8;
  return operand;
}

/// Whether `op`, run once per K tile instead of once, leaves what it left:
/// what has no memory effects, views, the contraction, and a copy of the
/// contraction's output (bufferization's copy of a tile onto itself).
bool repeatable(Operation *op, linalg::GenericOp gemm) {
  if (op == gemm.getOperation() || isa<memref::SubViewOp>(op) ||
      isMemoryEffectFree(op))
    return true;
  // A copy of the accumulated tile into C's own buffer, after the
  // contraction: each K tile's copy leaves what the last one does (before
  // it, the copies would store partial sums).
  auto copy = dyn_cast<memref::CopyOp>(op);
  Value out = gemm.getDpsInits()[0];
  Value base = knownBufferBase(out);
  return copy && copy.getSource() == out && base &&
         knownBufferBase(copy.getTarget()) == base &&
         gemm->isBeforeInBlock(copy);
}

/// A thread loop (static trip counts) holding one contraction whose A and
/// B are the thread's rows of buffers defined outside it, over a static K.
FailureOr<ThreadContraction> matchThreadContraction(scf::ForallOp threads,
                                                    bool gatheredRows) {
  ThreadContraction c;
  c.threads = threads;
  if (!isMappedTo<gpu::GPUThreadMappingAttr>(threads) ||
      threads.getNumResults() != 0)
    return failure();
  std::optional<SmallVector<int64_t>> lbs =
      getConstantIntValues(threads.getMixedLowerBound());
  std::optional<SmallVector<int64_t>> ubs =
      getConstantIntValues(threads.getMixedUpperBound());
  std::optional<SmallVector<int64_t>> steps =
      getConstantIntValues(threads.getMixedStep());
  if (!lbs || !ubs || !steps)
    return failure();
  c.threadCount = 1;
  for (auto [lb, ub, step] : llvm::zip(*lbs, *ubs, *steps)) {
    if (lb != 0 || step != 1 || ub < 1)
      return failure();
    c.threadCount *= ub;
  }
  for (Operation &op : threads.getBody()->without_terminator()) {
    if (auto generic = dyn_cast<linalg::GenericOp>(op)) {
      if (c.gemm)
        return failure();
      c.gemm = generic;
    }
  }
  linalg::GenericOp gemm = c.gemm;
  if (!gemm || !gemm.hasPureBufferSemantics() || gemm.getNumDpsInputs() != 2 ||
      gemm.getNumDpsInits() != 1 || gemm.getNumLoops() != 3 ||
      gemm.getNumReductionLoops() != 1 ||
      gemm.getIteratorTypesArray()[2] != utils::IteratorType::reduction ||
      gemm.getIndexingMapsArray()[2] !=
          AffineMap::get(3, 0,
                         {getAffineDimExpr(0, gemm.getContext()),
                          getAffineDimExpr(1, gemm.getContext())},
                         gemm.getContext()))
    return failure();
  // A plain or gathered.
  FailureOr<StagedOperand> a =
      gemm.getIndexingMapsArray()[0].getNumResults() == 1
          ? (gatheredRows ? matchGatheredRows(threads, gemm)
                          : FailureOr<StagedOperand>(failure()))
          : matchOperand(threads, gemm.getDpsInputs()[0],
                         gemm.getIndexingMapsArray()[0], 0);
  // The body computes from its operands only (and a gathered A's read):
  // no linalg.index either, which would count within a K tile.
  for (Operation &op : gemm.getBody()->without_terminator()) {
    bool gatherRead =
        succeeded(a) && a->gatherRead &&
        (&op == a->gatherRead.getOperation() ||
         (op.getNumResults() == 1 &&
          llvm::is_contained(a->gatherRead.getIndices(), op.getResult(0))));
    if (gatherRead)
      continue;
    if (!isMemoryEffectFree(&op) || isa<linalg::IndexOp>(op) ||
        op.getNumRegions() != 0)
      return failure();
  }
  FailureOr<StagedOperand> b = matchOperand(threads, gemm.getDpsInputs()[1],
                                            gemm.getIndexingMapsArray()[1], 1);
  if (failed(a) || failed(b))
    return failure();
  c.a = *a;
  c.b = *b;
  c.depth = cast<MemRefType>(c.a.rowBuffer().getType()).getDimSize(1);
  if (c.depth != cast<MemRefType>(c.b.source.getType()).getDimSize(1))
    return failure();
  // The tiles are copied before C is written: A and B may not be C's
  // buffer.
  Value out = knownBufferBase(gemm.getDpsInits()[0]);
  for (Value in : {c.a.rowBuffer(), c.a.source, c.b.source})
    if (!out || knownBufferBase(in) == out)
      return failure();
  // Nothing else in the loop reads A's or B's buffers, and all of it may
  // run once per K tile.
  for (Operation &op : threads.getBody()->without_terminator()) {
    if (!repeatable(&op, gemm))
      return failure();
    if (&op != c.a.rows.getOperation() && &op != c.b.rows.getOperation() &&
        llvm::any_of(op.getOperands(), [&](Value v) {
          return v == c.a.source || v == c.b.source ||
                 (c.a.gatherSource && v == c.a.gatherSource);
        }))
      return failure();
  }
  return c;
}

/// The K tile (elements) for `c`: `kTileBytes` of its wider element, halved
/// until it divides K, each operand's tile row is a whole number of 16-byte
/// chunks that the threads' copy deals out evenly, and the tiles (of
/// every stage) fit `maxBytes`; no shorter than 64 bytes (or
/// `kTileBytes`), where two barriers a K tile would cost more than the
/// loads they save (K = 40 f32 took 32-byte tiles, and ptxas spilled in
/// that kernel). 0 where none does.
int64_t chooseKTile(const ThreadContraction &c, int64_t kTileBytes,
                    int64_t maxBytes, int64_t stages) {
  int64_t leastBytes = std::min<int64_t>(kTileBytes, 64);
  int64_t widest = std::max(c.a.elementBytes, c.b.elementBytes);
  int64_t kTile = static_cast<int64_t>(llvm::bit_floor(static_cast<uint64_t>(
      std::max<int64_t>(1, std::min(kTileBytes / widest, c.depth)))));
  auto fits = [&](int64_t k) {
    for (const StagedOperand *x : {&c.a, &c.b}) {
      int64_t rowBytes = k * x->elementBytes;
      if (rowBytes % kChunkBytes != 0 ||
          c.threadCount % (rowBytes / kChunkBytes) != 0)
        return false;
    }
    return c.depth % k == 0 &&
           stages * (c.a.tileBytes(k) + c.b.tileBytes(k)) <= maxBytes;
  };
  for (; kTile * widest >= leastBytes; kTile /= 2)
    if (fits(kTile))
      return kTile;
  return 0;
}

class Stager {
public:
  Stager(ThreadContraction &c, int64_t kTile, int64_t stages, bool emulate)
      : c(c), kTile(kTile), stages(stages), emulate(emulate) {}

  void rewrite(RewriterBase &rewriter);

private:
  /// The tile of `x` in `buffer` (at byte `offset`): [maxRows, kTile + pad].
  Value tileView(ImplicitLocOpBuilder &b, Value buffer, const StagedOperand &x,
                 Value offset) {
    auto type = cast<MemRefType>(buffer.getType());
    Type element = cast<MemRefType>(x.rowBuffer().getType()).getElementType();
    return memref::ViewOp::create(
        b,
        MemRefType::get({x.maxRows, x.rowElements(kTile)}, element,
                        MemRefLayoutAttrInterface(), type.getMemorySpace()),
        buffer, offset, ValueRange{});
  }
  Value tileView(ImplicitLocOpBuilder &b, Value buffer, const StagedOperand &x,
                 int64_t offset) {
    return tileView(b, buffer, x, arith::ConstantIndexOp::create(b, offset));
  }

  /// Thread `tid` of the block's copies its 16-byte chunks of `x`'s rows
  /// at K tile `k0` into `tile`: chunk c of a row to thread c mod (chunks
  /// a row), rows r, r + rowStep, ... from its first, so a warp's lanes
  /// read adjacent 16 bytes of a row. One element-wise copy a thread
  /// (hmoe-vectorize-thread-copies makes its rows 16-byte accesses).
  void copyRows(ImplicitLocOpBuilder &b, Value tid, Value k0,
                const StagedOperand &x, Value tile);

  /// The same chunks as copyRows, each started as a `cp.async` of 16 bytes
  /// where its source is 16-byte aligned (a vector load and store
  /// emulated, or from other than global memory), else copied element by
  /// element.
  void copyRowsAsync(ImplicitLocOpBuilder &b, Value tid, Value k0,
                     const StagedOperand &x, Value tile);

  /// Both operands' K tile `k0` into the stage at byte `offset` of
  /// `buffer` (copyRowsAsync).
  void copyStageAsync(ImplicitLocOpBuilder &b, Value tid, Value k0,
                      Value buffer, Value offset) {
    copyRowsAsync(b, tid, k0, c.a, tileView(b, buffer, c.a, offset));
    Value bOffset = arith::AddIOp::create(
        b, offset, arith::ConstantIndexOp::create(b, c.a.tileBytes(kTile)));
    copyRowsAsync(b, tid, k0, c.b, tileView(b, buffer, c.b, bOffset));
  }

  /// `gemm` (a contraction of gathered rows) replaced by one reading A's
  /// rows from `aTile` and B's from `bTile`, its body otherwise the same.
  void readTileRows(RewriterBase &rewriter, ImplicitLocOpBuilder &b,
                    linalg::GenericOp gemm, Value aTile, Value bTile);

  ThreadContraction &c;
  int64_t kTile;
  int64_t stages;
  bool emulate;
};

void Stager::copyRows(ImplicitLocOpBuilder &b, Value tid, Value k0,
                      const StagedOperand &x, Value tile) {
  MLIRContext *ctx = b.getContext();
  int64_t chunk = kChunkBytes / x.elementBytes;
  int64_t chunksPerRow = kTile / chunk;
  int64_t rowStep = c.threadCount / chunksPerRow;
  AffineExpr t, k, r;
  bindDims(ctx, t, k);
  bindSymbols(ctx, r);
  Value column = affine::AffineApplyOp::create(
      b, AffineMap::get(1, 0, (t % chunksPerRow) * chunk), ValueRange{tid});
  Value firstRow = affine::AffineApplyOp::create(
      b, AffineMap::get(1, 0, t.floorDiv(chunksPerRow)), ValueRange{tid});
  Value sourceColumn = affine::AffineApplyOp::create(
      b, AffineMap::get(2, 0, k + (t % chunksPerRow) * chunk),
      ValueRange{tid, k0});
  // Rows firstRow, firstRow + rowStep, ... below the source's rows.
  Value rows = memref::DimOp::create(b, x.source, 0);
  Value count = affine::AffineMaxOp::create(
      b,
      AffineMap::get(
          1, 1, {getAffineConstantExpr(0, ctx), (r - t).ceilDiv(rowStep)}, ctx),
      ValueRange{firstRow, rows});
  // A thread with no rows starts at the end (its views stay in bounds).
  firstRow = affine::AffineMinOp::create(b, AffineMap::get(1, 1, {t, r}, ctx),
                                         ValueRange{firstRow, rows});
  SmallVector<OpFoldResult> sizes = {count, b.getIndexAttr(chunk)};
  SmallVector<OpFoldResult> strides = {b.getIndexAttr(rowStep),
                                       b.getIndexAttr(1)};
  Value to = memref::SubViewOp::create(
      b, tile, ArrayRef<OpFoldResult>{firstRow, column}, sizes, strides);
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, ctx);
  SmallVector<utils::IteratorType> parallel(2, utils::IteratorType::parallel);
  if (!x.gatherSource) {
    Value from = memref::SubViewOp::create(
        b, x.source, ArrayRef<OpFoldResult>{firstRow, sourceColumn}, sizes,
        strides);
    linalg::GenericOp::create(
        b, TypeRange{}, ValueRange{from}, ValueRange{to},
        ArrayRef<AffineMap>{identity, identity}, parallel,
        [](OpBuilder &nested, Location loc, ValueRange args) {
          linalg::YieldOp::create(nested, loc, args[0]);
        });
    return;
  }
  // Gathered: tile row r is the source row the index buffer names, read
  // at the chunk's columns (hmoe-vectorize-thread-copies' row gather).
  Value indices = memref::SubViewOp::create(
      b, x.source, ArrayRef<OpFoldResult>{firstRow},
      ArrayRef<OpFoldResult>{count}, ArrayRef<OpFoldResult>{strides[0]});
  Value source = x.gatherSource;
  linalg::GenericOp::create(
      b, TypeRange{}, ValueRange{indices}, ValueRange{to},
      ArrayRef<AffineMap>{AffineMap::get(2, 0, {getAffineDimExpr(0, ctx)}, ctx),
                          identity},
      parallel, [&](OpBuilder &nested, Location loc, ValueRange args) {
        Value row = arith::IndexCastOp::create(nested, loc,
                                               nested.getIndexType(), args[0]);
        Value j = linalg::IndexOp::create(nested, loc, 1);
        Value col = arith::AddIOp::create(nested, loc, j, sourceColumn);
        Value element =
            memref::LoadOp::create(nested, loc, source, ValueRange{row, col});
        linalg::YieldOp::create(nested, loc, element);
      });
}

void Stager::copyRowsAsync(ImplicitLocOpBuilder &b, Value tid, Value k0,
                           const StagedOperand &x, Value tile) {
  Emitter e{b};
  int64_t chunk = kChunkBytes / x.elementBytes;
  int64_t chunksPerRow = kTile / chunk;
  Value column = e.muli(e.remui(tid, e.idx(chunksPerRow)), e.idx(chunk));
  Value firstRow = e.divui(tid, e.idx(chunksPerRow));
  Value sourceColumn = e.addi(k0, column);
  Value source = x.rowBuffer();
  auto sourceType = cast<MemRefType>(source.getType());
  // Chunks as vectors only where a row's elements are adjacent.
  std::optional<ElementAddresses> addresses;
  if (sourceType.isLastDimUnitStride())
    addresses.emplace(e, source);
  bool async = !emulate && inGlobalMemory(source);
  GPULoops{b}.stridedFrom(
      firstRow, memref::DimOp::create(b, x.source, 0),
      c.threadCount / chunksPerRow, [&](Value row) {
        Value sourceRow = row;
        if (x.gatherSource)
          sourceRow = e.toIndex(e.load(x.source, row));
        Value aligned;
        if (addresses) {
          Value address = addresses->of(e, {sourceRow, sourceColumn});
          aligned = e.cmpi(arith::CmpIPredicate::eq,
                           e.andi(address, e.idx(kChunkBytes - 1)), e.idx(0));
        }
        copyChunk(b, source, sourceRow, sourceColumn, tile, row, column, chunk,
                  aligned, async);
      });
}

void Stager::rewrite(RewriterBase &rewriter) {
  scf::ForallOp threads = c.threads;
  MLIRContext *ctx = threads.getContext();
  ImplicitLocOpBuilder b(threads.getLoc(), threads);
  // One buffer for both tiles of every stage (a kernel's workgroup buffers
  // become one, hmoe-map-forall-to-gpu); emulated, a CPU buffer.
  Attribute space;
  if (!emulate)
    space = gpu::AddressSpaceAttr::get(ctx, gpu::AddressSpace::Workgroup);
  int64_t aBytes = c.a.tileBytes(kTile);
  int64_t stageBytes = aBytes + c.b.tileBytes(kTile);
  Value buffer = memref::AllocaOp::create(
      b,
      MemRefType::get({stages * stageBytes}, b.getI8Type(),
                      MemRefLayoutAttrInterface(), space),
      b.getI64IntegerAttr(kChunkBytes));
  GPULoops loops{b};
  Value zero = arith::ConstantIndexOp::create(b, 0);
  // K tiles in turn: the threads copy one, then compute from it.
  auto kTiles =
      scf::ForOp::create(b, zero, arith::ConstantIndexOp::create(b, c.depth),
                         arith::ConstantIndexOp::create(b, kTile));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(kTiles.getBody()->getTerminator());
  Value k0 = kTiles.getInductionVar();
  // Two stages: K tile k0's (its first byte), and the other one.
  Value stage, otherStage;
  if (stages == 2) {
    AffineExpr k;
    bindDims(ctx, k);
    AffineExpr parity = k.floorDiv(kTile) % 2;
    stage = affine::AffineApplyOp::create(
        b, AffineMap::get(1, 0, parity * stageBytes), ValueRange{k0});
    otherStage = affine::AffineApplyOp::create(
        b, AffineMap::get(1, 0, (1 - parity) * stageBytes), ValueRange{k0});
  }
  loops.threads(c.threadCount, [&](Value tid) {
    if (stages == 1) {
      copyRows(b, tid, k0, c.a, tileView(b, buffer, c.a, 0));
      copyRows(b, tid, k0, c.b, tileView(b, buffer, c.b, aBytes));
      return;
    }
    // The next K tile's copies start (the first K tile's too, in the first
    // one: all the block's thread loops share the K loop, the scope of
    // their workgroup buffer); this one's (the group before) are waited
    // for, before the barrier that follows the loop.
    Emitter e{b};
    e.ifThen(e.cmpi(arith::CmpIPredicate::eq, k0, zero), [&] {
      copyStageAsync(b, tid, zero, buffer, zero);
      if (!emulate)
        NVVM::CpAsyncCommitGroupOp::create(b);
    });
    Value next = e.addi(k0, e.idx(kTile));
    e.ifThen(e.cmpi(arith::CmpIPredicate::ult, next, e.idx(c.depth)),
             [&] { copyStageAsync(b, tid, next, buffer, otherStage); });
    if (!emulate) {
      NVVM::CpAsyncCommitGroupOp::create(b);
      NVVM::CpAsyncWaitGroupOp::create(b, 1);
    }
  });
  // The thread loop again, its rows of A and B read from the tiles.
  auto compute = cast<scf::ForallOp>(b.clone(*threads));
  b.setInsertionPointToStart(compute.getBody());
  Value aBytesValue = arith::ConstantIndexOp::create(b, aBytes);
  Value aAt = stages == 2 ? stage : zero;
  Value bAt =
      stages == 2 ? arith::AddIOp::create(b, stage, aBytesValue) : aBytesValue;
  Value tiles[2] = {tileView(b, buffer, c.a, aAt),
                    tileView(b, buffer, c.b, bAt)};
  auto gemm = *compute.getBody()->getOps<linalg::GenericOp>().begin();
  // The thread's rows of each tile (same offsets and row counts as its
  // views of A and B: a gathered A's rows of indices are its tile rows).
  Value staged[2];
  memref::SubViewOp rows[2];
  for (int i = 0; i < 2; ++i) {
    rows[i] = gemm.getDpsInputs()[i].getDefiningOp<memref::SubViewOp>();
    b.setInsertionPoint(rows[i]);
    staged[i] = memref::SubViewOp::create(
        b, tiles[i],
        ArrayRef<OpFoldResult>{rows[i].getMixedOffsets()[0], b.getIndexAttr(0)},
        ArrayRef<OpFoldResult>{rows[i].getMixedSizes()[0],
                               b.getIndexAttr(kTile)},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
  }
  if (c.a.gatherSource) {
    b.setInsertionPoint(gemm);
    readTileRows(rewriter, b, gemm, staged[0], staged[1]);
  } else {
    rewriter.modifyOpInPlace(gemm, [&] {
      gemm.getDpsInputOperand(0)->set(staged[0]);
      gemm.getDpsInputOperand(1)->set(staged[1]);
    });
  }
  for (memref::SubViewOp view : rows)
    rewriter.eraseOp(view);
  rewriter.eraseOp(threads);
}

void Stager::readTileRows(RewriterBase &rewriter, ImplicitLocOpBuilder &b,
                          linalg::GenericOp gemm, Value aTile, Value bTile) {
  MLIRContext *ctx = b.getContext();
  auto dim = [&](unsigned d) { return getAffineDimExpr(d, ctx); };
  // The body's read of the gathered source becomes A's element; its index
  // and cast go with it (they fed only the read, matchGatheredRows).
  memref::LoadOp read = *gemm.getBody()->getOps<memref::LoadOp>().begin();
  DenseSet<Operation *> dropped = {read.getOperation()};
  for (Value index : read.getIndices())
    dropped.insert(index.getDefiningOp());
  auto contraction = linalg::GenericOp::create(
      b, TypeRange{}, ValueRange{aTile, bTile}, gemm.getDpsInits(),
      ArrayRef<AffineMap>{AffineMap::get(3, 0, {dim(0), dim(2)}, ctx),
                          gemm.getIndexingMapsArray()[1],
                          gemm.getIndexingMapsArray()[2]},
      gemm.getIteratorTypesArray(),
      [&](OpBuilder &nested, Location loc, ValueRange args) {
        Block *old = gemm.getBody();
        IRMapping map;
        map.map(read.getResult(), args[0]);
        map.map(old->getArgument(1), args[1]);
        map.map(old->getArgument(2), args[2]);
        for (Operation &op : *old)
          if (!dropped.contains(&op))
            nested.clone(op, map);
      });
  (void)contraction;
  rewriter.eraseOp(gemm);
}

struct HMoEStageThreadContractionsPass
    : public hmoe::impl::HMoEStageThreadContractionsBase<
          HMoEStageThreadContractionsPass> {
  using Base::Base;
  void runOnOperation() override {
    if ((kTileBytes != 0 && kTileBytes < kChunkBytes) || maxBytes < 1 ||
        stages < 1 || stages > 2) {
      getOperation()->emitError()
          << "hmoe-stage-thread-contractions: expected k-tile-bytes 0 (off) "
             "or at least "
          << kChunkBytes << ", max-bytes >= 1 and stages 1 or 2; got "
          << static_cast<int64_t>(kTileBytes) << ", "
          << static_cast<int64_t>(maxBytes) << " and "
          << static_cast<int64_t>(stages);
      return signalPassFailure();
    }
    if (kTileBytes == 0 && stages == 2) {
      // A second stage of nothing: the user meant to stage.
      getOperation()->emitError()
          << "hmoe-stage-thread-contractions: stages=2 with k-tile-bytes=0 "
             "(off) stages nothing; expected k-tile-bytes of 16 or more with "
             "it (the pipelines' thread-stage-bytes with thread-stages)";
      return signalPassFailure();
    }
    if (kTileBytes == 0)
      return;
    SmallVector<ThreadContraction> found;
    getOperation()->walk([&](scf::ForallOp forall) {
      FailureOr<ThreadContraction> c =
          matchThreadContraction(forall, gatheredRows);
      if (succeeded(c))
        found.push_back(*c);
    });
    IRRewriter rewriter(&getContext());
    for (ThreadContraction &c : found) {
      // Where two stages of any K tile would not fit, one may: a
      // contraction staged once beats one read from global memory.
      int64_t used = stages;
      int64_t kTile = chooseKTile(c, kTileBytes, maxBytes, used);
      if (kTile == 0 && used == 2)
        kTile = chooseKTile(c, kTileBytes, maxBytes, used = 1);
      if (kTile == 0)
        continue;
      Stager(c, kTile, used, emulate).rewrite(rewriter);
    }
  }
};
} // namespace
