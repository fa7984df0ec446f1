//===- VectorizeContractions.cpp - register-tiled row contractions --------===//
//
// The GEMMs of an hmoe layer all read both operands along K (tokens are
// rows of x, gate and expert weights are rows of W), so the register tile
// keeps `tileRows x tileCols` accumulators of K-lanes and reduces them once
// per tile: no transposed copy of the weights is ever made.
//
// A contraction is recognised by its interface (linalg's contraction
// predicates and inferred m, n, k dimensions), whoever built it: any
// `c[m, n] += ext(a[m, k]) * ext(w[n, k])` on buffers, with a and w in f32,
// bf16 or f16 and c in f32. bf16 x bf16 uses AVX-512 BF16 dot products
// (`x86vector.avx512.dot`, two K elements per f32 lane) when the schedule
// says so; other narrow operands are extended to f32 lanes (in the packed
// kernel once, while packing and per row tile, not per multiply).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/Passes.h"
#include "hmoe/Codegen/RowGather.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Transforms/RegionUtils.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZECONTRACTIONS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {

/// The operands of a matched `c[i, j] += ext(a[i, k]) * ext(w[j, k])`.
struct RowContraction {
  Value a, w, c;
  int64_t k;
  /// K elements per f32 lane per step: 2 for BF16 dot products, else 1.
  int64_t kPerLane = 1;
  /// c was just filled with 0 (by this fill, erased once the tiles
  /// overwrite every element): store sums instead of adding to c.
  linalg::FillOp zeroFill = nullptr;
};

/// The `linalg.fill` of 0.0 into `c` before `op` with only ops free of
/// memory effects (views, constants, index arithmetic) in between, if any.
linalg::FillOp precedingZeroFill(Operation *op, Value c) {
  Operation *prev = op->getPrevNode();
  while (prev && !isa<linalg::FillOp>(prev) && isMemoryEffectFree(prev))
    prev = prev->getPrevNode();
  auto fill = dyn_cast_or_null<linalg::FillOp>(prev);
  if (!fill || fill.getDpsInits()[0] != c)
    return nullptr;
  FloatAttr value;
  if (!matchPattern(fill.getDpsInputs()[0], m_Constant(&value)) ||
      !value.getValue().isPosZero())
    return nullptr;
  return fill;
}

/// A rank-2 buffer of f32, bf16 or f16 (f32 only if `f32Only`) whose rows
/// are contiguous.
bool hasUnitInnerStride(Value v, bool f32Only) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 2)
    return false;
  Type elem = type.getElementType();
  if (!elem.isF32() && (f32Only || !(elem.isBF16() || elem.isF16())))
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Matches a row contraction by linalg's contraction interface: maps
/// (m, k), (n, k) -> (m, n) in the inferred dimensions, and a body that is
/// `acc + ext(a) * ext(w)` (extf or nothing on a and w).
std::optional<RowContraction>
matchRowContraction(linalg::LinalgOp op, int64_t vectorWidth, bool bf16Dot) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || !linalg::isaContractionOpInterface(op))
    return std::nullopt;
  FailureOr<linalg::ContractionDimensions> dims =
      linalg::inferContractionDims(op);
  if (failed(dims) || dims->m.size() != 1 || dims->n.size() != 1 ||
      dims->k.size() != 1 || !dims->batch.empty())
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr m = getAffineDimExpr(dims->m[0], ctx),
             n = getAffineDimExpr(dims->n[0], ctx),
             k = getAffineDimExpr(dims->k[0], ctx);
  unsigned numDims = op.getNumLoops();
  SmallVector<AffineMap> expected = {AffineMap::get(numDims, 0, {m, k}, ctx),
                                     AffineMap::get(numDims, 0, {n, k}, ctx),
                                     AffineMap::get(numDims, 0, {m, n}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return std::nullopt;
  // The casts the contraction predicate allows must be extensions only.
  for (Operation &inner : *op.getBlock())
    if (!isa<arith::ExtFOp, arith::MulFOp, arith::AddFOp, linalg::YieldOp>(
            inner))
      return std::nullopt;

  RowContraction match{op.getDpsInputs()[0], op.getDpsInputs()[1],
                       op.getDpsInits()[0], 0};
  if (!hasUnitInnerStride(match.a, /*f32Only=*/false) ||
      !hasUnitInnerStride(match.w, /*f32Only=*/false) ||
      !hasUnitInnerStride(match.c, /*f32Only=*/true))
    return std::nullopt;
  match.k = cast<MemRefType>(match.a.getType()).getDimSize(1);
  if (ShapedType::isDynamic(match.k) ||
      cast<MemRefType>(match.w.getType()).getDimSize(1) != match.k ||
      match.k % vectorWidth != 0 || match.k == 0)
    return std::nullopt;
  auto elem = [](Value v) {
    return cast<MemRefType>(v.getType()).getElementType();
  };
  if (bf16Dot && elem(match.a).isBF16() && elem(match.w).isBF16() &&
      match.k % (2 * vectorWidth) == 0)
    match.kPerLane = 2;
  return match;
}

/// Whether `v` is defined before `op` (or outside its block): a copy of an
/// op using it may go at `op`.
bool availableAt(Operation *op, Value v) {
  Operation *def = v.getDefiningOp();
  return !def || def->getBlock() != op->getBlock() || def->isBeforeInBlock(op);
}

/// `a[r, k] = source[tokens[r], k]` (an expert's token rows gathered from
/// x) just before the contraction, when the contraction is the only reader
/// of `a`: the packed kernel then reads the source rows itself.
struct RowGather {
  linalg::GenericOp op;
  Value source, tokens;
};

/// The gather writing `m.a` right before `op` (only ops free of memory
/// effects, allocations and `op`'s zero fill between): a 2-D parallel generic
/// on buffers with (i)-indexed tokens and `a` as its (i, j) output, whose body
/// is `source[index_cast(token), linalg.index 1]`, from a buffer with
/// contiguous rows of K elements of a's type. `a` is an allocation that
/// only the gather, the contraction and its dealloc use; neither the
/// source nor the tokens may be a view of `c` (tasks read them while others
/// write c).
std::optional<RowGather> precedingRowGather(linalg::LinalgOp op,
                                            const RowContraction &m) {
  linalg::FillOp zeroFill = m.zeroFill;
  Operation *fill = zeroFill ? zeroFill.getOperation() : nullptr;
  Operation *prev = op->getPrevNode();
  while (
      prev && !isa<linalg::GenericOp>(prev) &&
      (isMemoryEffectFree(prev) || prev == fill || isa<memref::AllocOp>(prev)))
    prev = prev->getPrevNode();
  auto gather = dyn_cast_or_null<linalg::GenericOp>(prev);
  if (!gather || !gather.hasPureBufferSemantics() ||
      gather.getNumDpsInits() != 1 || gather.getDpsInits()[0] != m.a)
    return std::nullopt;
  Value source = hmoe::rowGatherSource(gather);
  if (!source || !isa<MemRefType>(source.getType()))
    return std::nullopt;
  if (!m.a.getDefiningOp<memref::AllocOp>() ||
      !llvm::all_of(m.a.getUsers(), [&](Operation *user) {
        return user == gather || user == op || isa<memref::DeallocOp>(user);
      }))
    return std::nullopt;
  auto sourceType = cast<MemRefType>(source.getType());
  if (!hasUnitInnerStride(source, /*f32Only=*/false) ||
      sourceType.getDimSize(1) != m.k ||
      sourceType.getElementType() !=
          cast<MemRefType>(m.a.getType()).getElementType() ||
      !hmoe::disjointBuffers(source, m.c) ||
      !hmoe::disjointBuffers(gather.getDpsInputs()[0], m.c))
    return std::nullopt;
  return RowGather{gather, source, gather.getDpsInputs()[0]};
}

/// An element-wise generic that can run tile by tile right after `m`'s
/// tiles are final (an activation, SwiGLU's product): the next op after
/// `op` (only ops free of memory effects between), on buffers, 2-D and all
/// parallel, reading `c` element for element, each operand indexed by
/// (i, j), (i), (j) or nothing (its output by (i, j)), all it uses defined
/// before `op`. Its body computes only on its arguments (no index, no
/// memory). It writes `c` in place or a new allocation of its own, and no
/// operand but `c` itself may be a view of `c`, nor an input a view of the
/// output: so that no task writes what another reads. Where a view's base
/// is unknown (a transpose, two function arguments), it is not taken.
linalg::GenericOp followingEpilogue(linalg::LinalgOp op,
                                    const RowContraction &m) {
  Operation *next = op->getNextNode();
  while (next && !isa<linalg::GenericOp>(next) && isMemoryEffectFree(next))
    next = next->getNextNode();
  auto epilogue = dyn_cast_or_null<linalg::GenericOp>(next);
  if (!epilogue || !epilogue.hasPureBufferSemantics() ||
      epilogue.getNumLoops() != 2 || epilogue.getNumParallelLoops() != 2 ||
      epilogue.getNumDpsInits() != 1 || epilogue->getNumResults() != 0)
    return nullptr;
  for (Operation &inner : epilogue.getRegion().front())
    if (isa<linalg::IndexOp>(inner) || inner.getNumRegions() != 0 ||
        !isMemoryEffectFree(&inner))
      return nullptr;
  // What the body uses from outside must be there where its copies go.
  SetVector<Value> captured;
  getUsedValuesDefinedAbove(epilogue.getRegion(), captured);
  if (!llvm::all_of(captured, [&](Value v) { return availableAt(op, v); }))
    return nullptr;
  MLIRContext *ctx = op.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  OpOperand &init = epilogue.getDpsInitsMutable()[0];
  if (epilogue.getMatchingIndexingMap(&init).getResults() !=
      ArrayRef<AffineExpr>{i, j})
    return nullptr;
  bool readsC = false;
  for (OpOperand &operand : epilogue->getOpOperands()) {
    Value v = operand.get();
    if (!availableAt(op, v))
      return nullptr;
    ArrayRef<AffineExpr> results =
        epilogue.getMatchingIndexingMap(&operand).getResults();
    if (!(results.empty() || results == ArrayRef<AffineExpr>{i, j} ||
          results == ArrayRef<AffineExpr>{i} ||
          results == ArrayRef<AffineExpr>{j}))
      return nullptr;
    if (v == m.c) {
      if (results != ArrayRef<AffineExpr>{i, j})
        return nullptr;
      readsC |= epilogue.payloadUsesValueFromOperand(&operand);
      continue;
    }
    // Not another view of c; an input not a view of the output either (a
    // tile would read what another tile writes).
    if (!hmoe::disjointBuffers(v, m.c) ||
        (&operand != &init && init.get() != m.c &&
         !hmoe::disjointBuffers(v, init.get())))
      return nullptr;
  }
  // Its own output: a new allocation, not one the contraction reads.
  Value outBase = hmoe::knownBufferBase(init.get());
  if (init.get() != m.c &&
      (!outBase || !outBase.getDefiningOp<memref::AllocOp>() ||
       !hmoe::disjointBuffers(init.get(), m.a) ||
       !hmoe::disjointBuffers(init.get(), m.w)))
    return nullptr;
  return readsC ? epilogue : nullptr;
}

/// `epilogue` on rows [row, row + nRows) and columns [col, col + nCols) of
/// its iteration space: a copy of it on views of those.
void emitEpilogueTile(ImplicitLocOpBuilder &b, linalg::GenericOp epilogue,
                      Value row, OpFoldResult nRows, Value col, int64_t nCols) {
  MLIRContext *ctx = b.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx);
  OpFoldResult one = b.getIndexAttr(1);
  SmallVector<Value> views;
  for (OpOperand &operand : epilogue->getOpOperands()) {
    ArrayRef<AffineExpr> results =
        epilogue.getMatchingIndexingMap(&operand).getResults();
    if (results.empty()) {
      views.push_back(operand.get());
      continue;
    }
    SmallVector<OpFoldResult> offsets, sizes;
    for (AffineExpr e : results) {
      offsets.push_back(e == i ? row : col);
      sizes.push_back(e == i ? nRows : b.getIndexAttr(nCols));
    }
    SmallVector<OpFoldResult> strides(results.size(), one);
    views.push_back(
        memref::SubViewOp::create(b, operand.get(), offsets, sizes, strides));
  }
  b.clone(*epilogue)->setOperands(views);
}

/// A chunk [begin, end) of K; `overwrite`: store sums instead of adding.
struct KRange {
  int64_t begin, end;
  bool overwrite;
};

/// [begin, end) of block `i` of `blocks` when `tiles` tiles of `tileSize`
/// (covering `size`) are shared out evenly: tiles i * tiles / blocks up to
/// (i + 1) * tiles / blocks.
std::pair<Value, Value> evenShare(ImplicitLocOpBuilder &b, Value i,
                                  Value blocks, Value tiles, int64_t tileSize,
                                  Value size) {
  auto boundary = [&](Value block) {
    Value tile = arith::DivUIOp::create(
        b, arith::MulIOp::create(b, block, tiles), blocks);
    return arith::MinSIOp::create(
        b,
        arith::MulIOp::create(b, tile,
                              arith::ConstantIndexOp::create(b, tileSize)),
        size);
  };
  return {boundary(i), boundary(arith::AddIOp::create(
                           b, i, arith::ConstantIndexOp::create(b, 1)))};
}

/// `lo + (hi - lo) / step * step`: where full steps end.
Value fullEnd(ImplicitLocOpBuilder &b, Value lo, Value hi, int64_t step) {
  Value stepValue = arith::ConstantIndexOp::create(b, step);
  Value span = arith::SubIOp::create(b, hi, lo);
  Value whole = arith::MulIOp::create(
      b, arith::DivUIOp::create(b, span, stepValue), stepValue);
  return arith::AddIOp::create(b, lo, whole);
}

/// Of a tile's rows, `count` (dynamic, at least 1) are c's rows; the first
/// `counted` always are. A null count: all of them.
struct RowCount {
  Value count;
  int64_t counted;
  /// Whether tile row `r` may lie past c's rows (and so is clamped and not
  /// stored).
  bool mayExceed(int64_t r) const { return count && r >= counted; }
};

/// Rows row, row + 1, ..., row + nRows - 1; those that may lie past
/// `valid.count` clamped to the last that counts (they read it again).
SmallVector<Value> clampedTileRows(ImplicitLocOpBuilder &b, Value row,
                                   int64_t nRows, RowCount valid) {
  SmallVector<Value> rowIdx;
  Value lastRow;
  if (valid.mayExceed(nRows - 1))
    lastRow =
        arith::SubIOp::create(b, arith::AddIOp::create(b, row, valid.count),
                              arith::ConstantIndexOp::create(b, 1));
  for (int64_t r = 0; r < nRows; ++r) {
    Value rowAt =
        r ? arith::AddIOp::create(b, row, arith::ConstantIndexOp::create(b, r))
                .getResult()
          : row;
    if (valid.mayExceed(r))
      rowAt = arith::MinUIOp::create(b, rowAt, lastRow);
    rowIdx.push_back(rowAt);
  }
  return rowIdx;
}

/// `store(builder)` for tile row `r`: under `if r < valid.count` where the
/// row may lie past c's rows.
void storeTileRow(ImplicitLocOpBuilder &b, int64_t r, RowCount valid,
                  function_ref<void(ImplicitLocOpBuilder &)> store) {
  if (!valid.mayExceed(r))
    return store(b);
  auto counts = scf::IfOp::create(
      b,
      arith::CmpIOp::create(b, arith::CmpIPredicate::ult,
                            arith::ConstantIndexOp::create(b, r), valid.count),
      /*withElseRegion=*/false);
  ImplicitLocOpBuilder sb =
      ImplicitLocOpBuilder::atBlockTerminator(b.getLoc(), counts.thenBlock());
  store(sb);
}

/// A block's last `r1 - rFull` rows (fewer than `tileRows`, after its whole
/// tiles) as one tile, so that w is read once for all of them (a row at a
/// time read it once per row: an expert's 1-7 rows at decode sizes, or the
/// last of a prefill expert's). `emit(builder, row, height, valid)` builds
/// a tile of the next power of two rows (capped at tile-rows), chosen at
/// run time: its rows past `valid.count` read the last row again and store
/// nothing, at most twice the FMAs of the rows that count (one tile of
/// tile-rows for every remainder made 2-row experts 1.4-1.9x slower on a
/// Zen 4: 24 FMAs for 6).
void emitRemainderTile(
    ImplicitLocOpBuilder &b, Value rFull, Value r1, int64_t tileRows,
    function_ref<void(ImplicitLocOpBuilder &, Value, int64_t, RowCount)> emit) {
  if (tileRows == 1) // Whole tiles only.
    return;
  // Powers of two up to the first that holds every remainder (at most
  // tile-rows - 1 rows), capped at tile-rows.
  SmallVector<int64_t> heights;
  for (int64_t h = 1;; h *= 2) {
    heights.push_back(std::min(h, tileRows));
    if (h >= tileRows - 1)
      break;
  }
  // A loop of at most one iteration rather than an `if (rFull != r1)`: with
  // the row an induction variable, as in the whole tiles' loop, LLVM keeps
  // a's row address out of the K loop (under an scf.if it recomputed it per
  // K step from rFull's expression: a 16-expert layer at T = 4 25% slower
  // on a Zen 4).
  scf::ForOp::create(
      b, rFull, r1, arith::ConstantIndexOp::create(b, tileRows), ValueRange{},
      [&](OpBuilder &nested, Location loc, Value row, ValueRange) {
        ImplicitLocOpBuilder rb(loc, nested);
        Value rem = arith::SubIOp::create(rb, r1, row);
        // if (rem <= 1) tile 1 else if (rem <= 2) tile 2 ... else the last.
        ImplicitLocOpBuilder elseB = rb;
        for (auto [i, h] : llvm::enumerate(heights)) {
          // Here rem > the previous height: rows 0 to that height are c's.
          RowCount valid{rem, i == 0 ? 1 : heights[i - 1] + 1};
          if (i + 1 == heights.size()) {
            emit(elseB, row, h, valid);
            break;
          }
          auto fits = scf::IfOp::create(
              elseB,
              arith::CmpIOp::create(elseB, arith::CmpIPredicate::ule, rem,
                                    arith::ConstantIndexOp::create(elseB, h)),
              /*withElseRegion=*/true);
          ImplicitLocOpBuilder tb =
              ImplicitLocOpBuilder::atBlockTerminator(loc, fits.thenBlock());
          emit(tb, row, h, valid);
          elseB =
              ImplicitLocOpBuilder::atBlockTerminator(loc, fits.elseBlock());
        }
        scf::YieldOp::create(rb);
      });
}

/// Emits the tiled loops of one contraction in place of its generic.
class ContractionEmitter {
public:
  ContractionEmitter(ImplicitLocOpBuilder &b, const RowContraction &m,
                     int64_t width, int64_t tileRows, int64_t tileCols,
                     int64_t kChunk, int64_t prefetchTiles)
      : b(b), m(m), width(width), tileRows(tileRows), tileCols(tileCols),
        kChunk(kChunk), prefetchTiles(prefetchTiles),
        vecType(VectorType::get({width}, b.getF32Type())) {}

  /// scf.parallel over (row block, column block) tasks: about
  /// `rowsPerTask` x `colsPerTask` each, the register tiles shared out
  /// evenly (blocks of exactly `rowsPerTask` rows would leave all of the
  /// rows' remainder to the last block), marked for a dynamic schedule.
  void emit(int64_t rowsPerTask, int64_t colsPerTask) {
    Value n = memref::DimOp::create(b, m.a, 0);
    Value cols = memref::DimOp::create(b, m.w, 0);
    Value numRowBlocks = ceilDiv(n, idx(rowsPerTask));
    Value numColBlocks = ceilDiv(cols, idx(colsPerTask));
    Value rowTiles = ceilDiv(n, idx(tileRows));
    Value colTiles = ceilDiv(cols, idx(tileCols));
    // A single column block is no loop dimension: the canonicalizer would
    // rebuild the loop without it, and without the marker below.
    int64_t staticCols = cast<MemRefType>(m.w.getType()).getDimSize(0);
    bool oneColBlock =
        !ShapedType::isDynamic(staticCols) && staticCols <= colsPerTask;
    SmallVector<Value> upper = {numRowBlocks};
    if (!oneColBlock)
      upper.push_back(numColBlocks);
    SmallVector<Value> lower(upper.size(), idx(0)), steps(upper.size(), idx(1));
    auto tasks = scf::ParallelOp::create(
        b, lower, upper, steps,
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder nb(loc, nested);
          ContractionEmitter inner = with(nb);
          auto [r0, r1] =
              evenShare(nb, ivs[0], numRowBlocks, rowTiles, tileRows, n);
          Value c0 = inner.idx(0), c1 = cols;
          if (!oneColBlock)
            std::tie(c0, c1) =
                evenShare(nb, ivs[1], numColBlocks, colTiles, tileCols, cols);
          inner.emitBlock(r0, r1, c0, c1);
          scf::ReduceOp::create(nb);
        });
    // Blocks differ in cost (the remainders' tiles), and threads in speed.
    tasks->setAttr(hmoe::HMoEDialect::DynamicTasksAttrHelper::getNameStr(),
                   b.getUnitAttr());
  }

private:
  /// The same emitter, building with `nb` (inside a new region).
  ContractionEmitter with(ImplicitLocOpBuilder &nb) const {
    return ContractionEmitter(nb, m, width, tileRows, tileCols, kChunk,
                              prefetchTiles);
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value ceilDiv(Value x, Value y) {
    return arith::CeilDivUIOp::create(b, x, y);
  }
  /// `for iv in [lo, hi) step step: body(iv)`.
  void forLoop(Value lo, Value hi, int64_t step,
               function_ref<void(ImplicitLocOpBuilder &, Value)> body) {
    scf::ForOp::create(
        b, lo, hi, idx(step), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value iv, ValueRange) {
          ImplicitLocOpBuilder nb(loc, nested);
          body(nb, iv);
          scf::YieldOp::create(nb);
        });
  }

  /// Per K chunk (all of K unless k-block is set), row tiles outermost: a
  /// tile's rows of `a` stay in L1 while the block's `w` rows stream from
  /// L2.
  void emitBlock(Value r0, Value r1, Value c0, Value c1) {
    for (int64_t k0 = 0; k0 < m.k; k0 += kChunk) {
      KRange ks{k0, std::min(m.k, k0 + kChunk),
                /*overwrite=*/k0 == 0 && m.zeroFill};
      Value rFull = fullEnd(b, r0, r1, tileRows);
      forLoop(r0, rFull, tileRows, [&](ImplicitLocOpBuilder &nb, Value row) {
        with(nb).emitColumns(row, tileRows, c0, c1, ks);
      });
      emitRemainderRows(rFull, r1, c0, c1, ks);
    }
  }

  /// Rows [row, row + nRows) over columns [c0, c1): column tiles, then
  /// single columns.
  void emitColumns(Value row, int64_t nRows, Value c0, Value c1, KRange ks,
                   RowCount valid = {}) {
    Value cFull = fullEnd(b, c0, c1, tileCols);
    forLoop(c0, cFull, tileCols, [&](ImplicitLocOpBuilder &cb, Value col) {
      with(cb).emitTile(row, col, nRows, tileCols, ks, valid);
    });
    forLoop(cFull, c1, 1, [&](ImplicitLocOpBuilder &cb, Value col) {
      with(cb).emitTile(row, col, nRows, 1, ks, valid);
    });
  }

  /// The block's last rows (fewer than tile-rows) as one tile, over its
  /// columns.
  void emitRemainderRows(Value rFull, Value r1, Value c0, Value c1, KRange ks) {
    emitRemainderTile(b, rFull, r1, tileRows,
                      [&](ImplicitLocOpBuilder &rb, Value row, int64_t height,
                          RowCount valid) {
                        with(rb).emitColumns(row, height, c0, c1, ks, valid);
                      });
  }

  /// `rows x cols` outputs at (row, col): accumulate over K in vectors,
  /// reduce, add to c. Rows from `valid.count` on read row
  /// `row + valid.count - 1` and are not stored.
  void emitTile(Value row, Value col, int64_t rows, int64_t cols, KRange ks,
                RowCount valid = {}) {
    SmallVector<Value> rowIdx = clampedTileRows(b, row, rows, valid), colIdx;
    for (int64_t c = 0; c < cols; ++c)
      colIdx.push_back(c ? arith::AddIOp::create(b, col, idx(c)) : col);
    SmallVector<Value> prefetchRows;
    int64_t wRows = cast<MemRefType>(m.w.getType()).getDimSize(0);
    if (prefetchTiles > 0 && !ShapedType::isDynamic(wRows))
      for (Value c : colIdx)
        prefetchRows.push_back(arith::MinUIOp::create(
            b, arith::AddIOp::create(b, c, idx(prefetchTiles * cols)),
            idx(wRows - 1)));
    Value zero = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(rows * cols, zero);
    int64_t step = width * m.kPerLane;
    // `step` elements of row `at` of `buffer`: f32 lanes (extended from bf16
    // or f16), or the raw bf16 pairs a dot product takes.
    auto load = [&](ImplicitLocOpBuilder &nb, Value buffer, Value at,
                    Value k) -> Value {
      Type elem = cast<MemRefType>(buffer.getType()).getElementType();
      Value v = vector::LoadOp::create(nb, VectorType::get({step}, elem),
                                       buffer, ValueRange{at, k});
      if (m.kPerLane == 1 && !elem.isF32())
        v = arith::ExtFOp::create(nb, vecType, v);
      return v;
    };
    auto loop = scf::ForOp::create(
        b, idx(ks.begin), idx(ks.end), idx(step), init,
        [&](OpBuilder &nested, Location loc, Value k, ValueRange accs) {
          ImplicitLocOpBuilder nb(loc, nested);
          SmallVector<Value> av, wv;
          for (Value r : rowIdx)
            av.push_back(load(nb, m.a, r, k));
          for (Value c : colIdx)
            wv.push_back(load(nb, m.w, c, k));
          // The rows of w `prefetchTiles` column tiles on, at this k, into
          // L2: from memory the hardware prefetchers alone left the FMAs
          // waiting (clamped to w's last row: prefetches never fault, but
          // an index past the memref is undefined).
          for (Value ahead : prefetchRows)
            memref::PrefetchOp::create(nb, m.w, ValueRange{ahead, k},
                                       /*isWrite=*/false,
                                       /*localityHint=*/2,
                                       /*isDataCache=*/true);
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c) {
              Value acc = accs[r * cols + c];
              next.push_back(m.kPerLane == 2
                                 ? x86vector::DotBF16Op::create(
                                       nb, vecType, acc, av[r], wv[c])
                                       .getResult()
                                 : vector::FMAOp::create(nb, av[r], wv[c], acc)
                                       .getResult());
            }
          scf::YieldOp::create(nb, next);
        });
    // The accumulators in row-major order, reduced `width` (or the largest
    // power of two left) at a time, each group's sums stored row by row.
    ValueRange accs = loop.getResults();
    for (int64_t first = 0, n = rows * cols; first < n;) {
      int64_t group =
          llvm::bit_floor(static_cast<uint64_t>(std::min(width, n - first)));
      Value sums = sumLanes(accs.slice(first, group));
      for (int64_t i = first; i < first + group;) {
        int64_t r = i / cols, c = i % cols;
        int64_t run = std::min(cols - c, first + group - i);
        Value part = sums;
        if (run != group) {
          SmallVector<int64_t> lanes =
              llvm::to_vector(llvm::seq<int64_t>(i - first, i - first + run));
          part = vector::ShuffleOp::create(b, sums, sums, lanes);
        }
        SmallVector<Value, 2> at = {rowIdx[r], colIdx[c]};
        auto store = [&, part](ImplicitLocOpBuilder &sb) {
          Value sum = part;
          if (!ks.overwrite)
            sum = arith::AddFOp::create(
                sb, vector::LoadOp::create(sb, sum.getType(), m.c, at), sum);
          vector::StoreOp::create(sb, sum, m.c, at);
        };
        storeTileRow(b, r, valid, store);
        i += run;
      }
      first += group;
    }
  }

  /// The lane sums of `accs` (a power of two of them, at most `width`) as
  /// one vector, in order: a transposing reduction, each step adding the
  /// upper halves of two vectors' segments to their lower halves (shuffles
  /// and one add per pair), where reducing each vector alone would take a
  /// log2(width) shuffle-and-add chain each. Every sum is the same halving
  /// tree as a lane reduction's.
  Value sumLanes(ValueRange accs) {
    auto shuffleAdd = [&](Value x, Value y, ArrayRef<int64_t> lo,
                          ArrayRef<int64_t> hi) -> Value {
      return arith::AddFOp::create(b, vector::ShuffleOp::create(b, x, y, lo),
                                   vector::ShuffleOp::create(b, x, y, hi));
    };
    // Each vector holds segments of `seg` lanes, `ids` naming the
    // accumulator each segment belongs to.
    SmallVector<std::pair<Value, SmallVector<int64_t>>> vecs;
    for (auto [i, acc] : llvm::enumerate(accs))
      vecs.push_back({acc, {static_cast<int64_t>(i)}});
    int64_t seg = width;
    while (vecs.size() > 1) {
      int64_t half = seg / 2, segs = width / seg;
      SmallVector<std::pair<Value, SmallVector<int64_t>>> next;
      for (size_t v = 0; v < vecs.size(); v += 2) {
        auto &[x, xIds] = vecs[v];
        auto &[y, yIds] = vecs[v + 1];
        SmallVector<int64_t> lo, hi, ids;
        for (int64_t s = 0; s < segs; ++s) {
          for (int64_t base : {s * seg, width + s * seg})
            for (int64_t j = 0; j < half; ++j) {
              lo.push_back(base + j);
              hi.push_back(base + half + j);
            }
          ids.append({xIds[s], yIds[s]});
        }
        next.push_back({shuffleAdd(x, y, lo, hi), ids});
      }
      vecs = std::move(next);
      seg = half;
    }
    auto [sums, ids] = vecs.front();
    // One vector of accs.size() segments: sum each one's lanes.
    for (; seg > 1; seg /= 2) {
      SmallVector<int64_t> lo, hi;
      for (int64_t s = 0, e = ids.size(); s < e; ++s)
        for (int64_t j = 0; j < seg / 2; ++j) {
          lo.push_back(s * seg + j);
          hi.push_back(s * seg + seg / 2 + j);
        }
      sums = shuffleAdd(sums, sums, lo, hi);
    }
    // Lane s holds accumulator ids[s]: into accs' order.
    SmallVector<int64_t> order(ids.size());
    for (auto [lane, id] : llvm::enumerate(ids))
      order[id] = lane;
    if (!llvm::equal(order, llvm::seq<int64_t>(0, order.size())))
      sums = vector::ShuffleOp::create(b, sums, sums, order);
    return sums;
  }

  ImplicitLocOpBuilder &b;
  const RowContraction &m;
  int64_t width, tileRows, tileCols, kChunk;
  /// Column tiles ahead whose w rows the K loop prefetches (0: none).
  int64_t prefetchTiles;
  VectorType vecType;
};

/// c[m, n] (+)= a[m, k] * w[n, k] with N a multiple of two vectors (f32
/// lanes, or bf16 pairs for dot products), without lane sums: the weights are
/// packed once per call into K-major panels of 2 x `width` columns (P[p, k, j]
/// = w[p * 2W + j, k], by W x W transposes in registers), then tasks of (row
/// block, panel block) run an outer-product kernel: per k, a panel's two
/// vectors and the tile's rows' a[r, k] broadcast, 2 x rows FMAs into
/// accumulators that are the outputs' own lanes, stored as vectors.
class PackedEmitter {
public:
  PackedEmitter(ImplicitLocOpBuilder &b, const RowContraction &m, int64_t width,
                int64_t rows, int64_t kChunk,
                linalg::GenericOp epilogue = nullptr,
                const RowGather *gather = nullptr, Value aScratch = nullptr)
      : b(b), m(m), width(width), rows(rows), kChunk(kChunk),
        epilogue(epilogue), gather(gather), aScratch(aScratch),
        vecType(VectorType::get({width}, b.getF32Type())) {}

  /// Whether `m` can take this kernel: whole panels of at most 64 MiB
  /// packed. bf16 pairs for dot products are packed as they are; any other
  /// weights (f32, or bf16 / f16 without dot products) as f32, extended
  /// once while packing rather than per multiply.
  static bool applies(const RowContraction &m, int64_t width) {
    auto w = cast<MemRefType>(m.w.getType());
    // The packed copy is allocated per call.
    constexpr int64_t kMaxPackedBytes = 64 << 20;
    return !w.isDynamicDim(0) && w.getDimSize(0) % (2 * width) == 0 &&
           w.getDimSize(0) * m.k * packedElemType(m).getIntOrFloatBitWidth() /
                   8 <=
               kMaxPackedBytes;
  }

  void emit(int64_t rowsPerTask, int64_t taskBytes) {
    int64_t n = cast<MemRefType>(m.w.getType()).getDimSize(0);
    int64_t panels = n / (2 * width);
    int64_t pair = m.kPerLane;
    auto packedType = MemRefType::get({panels, m.k / pair, 2 * width * pair},
                                      packedElemType(m));
    Value packed =
        memref::AllocOp::create(b, packedType, b.getI64IntegerAttr(64));
    pack(packed, panels);

    // Panels per task: about taskBytes of packed weights.
    int64_t panelBytes =
        m.k * 2 * width * packedElemType(m).getIntOrFloatBitWidth() / 8;
    int64_t panelsPerTask = std::max<int64_t>(1, taskBytes / panelBytes);
    int64_t panelBlocks = llvm::divideCeil(panels, panelsPerTask);
    Value tokens = memref::DimOp::create(b, m.a, 0);
    Value rowBlocks = arith::CeilDivUIOp::create(b, tokens, idx(rowsPerTask));
    Value rowTiles = arith::CeilDivUIOp::create(b, tokens, idx(rows));
    SmallVector<Value> upper = {rowBlocks};
    if (panelBlocks > 1)
      upper.push_back(idx(panelBlocks));
    SmallVector<Value> lower(upper.size(), idx(0)), steps(upper.size(), idx(1));
    auto tasks = scf::ParallelOp::create(
        b, lower, upper, steps,
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder nb(loc, nested);
          PackedEmitter inner(nb, m, width, rows, kChunk, epilogue, gather);
          // bf16 / f16 a rows for f32 panels: a tile's rows extended once
          // per K chunk into this, not per broadcast (which, from a
          // register, took the shuffle port the FMAs need).
          // On the stack up to 16 KiB (8 KiB for 8 rows and K chunks of
          // 256), else on the heap: a k-block may be large, and a caller's
          // thread stack small.
          int64_t chunk = std::min(kChunk, m.k);
          auto scratchType = MemRefType::get({rows, chunk}, nb.getF32Type());
          bool onHeap = rows * chunk * 4 > (16 << 10);
          if (inner.extendsA())
            inner.aScratch =
                onHeap ? memref::AllocOp::create(nb, scratchType,
                                                 nb.getI64IntegerAttr(64))
                             .getResult()
                       : memref::AllocaOp::create(nb, scratchType,
                                                  nb.getI64IntegerAttr(64))
                             .getResult();
          auto [r0, r1] =
              evenShare(nb, ivs[0], rowBlocks, rowTiles, rows, tokens);
          Value p0 = inner.idx(0), p1 = inner.idx(panels);
          if (panelBlocks > 1)
            std::tie(p0, p1) =
                evenShare(nb, ivs[1], inner.idx(panelBlocks), inner.idx(panels),
                          1, inner.idx(panels));
          inner.emitBlock(packed, r0, r1, p0, p1);
          if (inner.aScratch && onHeap)
            memref::DeallocOp::create(nb, inner.aScratch);
          scf::ReduceOp::create(nb);
        });
    tasks->setAttr(hmoe::HMoEDialect::DynamicTasksAttrHelper::getNameStr(),
                   b.getUnitAttr());
    memref::DeallocOp::create(b, packed);
  }

private:
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Type elemType() const {
    return cast<MemRefType>(m.w.getType()).getElementType();
  }
  /// Whether a is bf16 / f16 for f32 panels (and so goes through
  /// aScratch).
  bool extendsA() const {
    return m.kPerLane == 1 &&
           !cast<MemRefType>(m.a.getType()).getElementType().isF32();
  }
  /// What the panels hold: bf16 pairs for dot products, else f32.
  static Type packedElemType(const RowContraction &m) {
    Type w = cast<MemRefType>(m.w.getType()).getElementType();
    return m.kPerLane == 2 ? w : Float32Type::get(w.getContext());
  }
  /// A panel vector: `width` f32, or `width` pairs of bf16.
  VectorType unitType() const {
    return VectorType::get({width * m.kPerLane}, packedElemType(m));
  }

  /// `vecs` (W rows of W lanes) transposed: log2(W) steps, each swapping
  /// the off-diagonal blocks of pairs of rows with two-source shuffles.
  SmallVector<Value> transpose(SmallVector<Value> vecs) {
    for (int64_t block = 1; block < width; block *= 2)
      for (int64_t i = 0; i < width; ++i) {
        if (i & block)
          continue;
        SmallVector<int64_t> lo, hi;
        for (int64_t j = 0; j < width; ++j) {
          bool upper = j & block;
          lo.push_back(upper ? width + j - block : j);
          hi.push_back(upper ? width + j : j + block);
        }
        Value x = vecs[i], y = vecs[i + block];
        vecs[i] = vector::ShuffleOp::create(b, x, y, lo);
        vecs[i + block] = vector::ShuffleOp::create(b, x, y, hi);
      }
    return vecs;
  }

  /// packed[p, k, j] = w[p * 2W + j, k], W x W blocks (of 32-bit units: an
  /// f32 or a pair of bf16) at a time, in parallel over (panel, block of
  /// K).
  void pack(Value packed, int64_t panels) {
    int64_t pair = m.kPerLane;
    auto units = VectorType::get({width}, b.getIntegerType(32));
    scf::ParallelOp::create(
        b, ValueRange{idx(0), idx(0)},
        ValueRange{idx(panels), idx(m.k / (width * pair))},
        ValueRange{idx(1), idx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder nb(loc, nested);
          PackedEmitter inner(nb, m, width, rows, kChunk);
          // The block's first K element in w, and its first row of units in
          // the panel.
          Value k0 = arith::MulIOp::create(nb, ivs[1], inner.idx(width * pair));
          Value u0 = arith::MulIOp::create(nb, ivs[1], inner.idx(width));
          for (int64_t half = 0; half < 2; ++half) {
            Value n0 = arith::AddIOp::create(
                nb, arith::MulIOp::create(nb, ivs[0], inner.idx(2 * width)),
                inner.idx(half * width));
            SmallVector<Value> wRows;
            for (int64_t i = 0; i < width; ++i) {
              Value row = vector::LoadOp::create(
                  nb, VectorType::get({width * pair}, elemType()), m.w,
                  ValueRange{arith::AddIOp::create(nb, n0, inner.idx(i)), k0});
              if (pair == 2)
                row = vector::BitCastOp::create(nb, units, row);
              else if (!elemType().isF32())
                row = arith::ExtFOp::create(nb, vecType, row);
              wRows.push_back(row);
            }
            for (auto [t, v] : llvm::enumerate(inner.transpose(wRows))) {
              Value unitsRow =
                  pair == 1 ? v
                            : vector::BitCastOp::create(nb, unitType(), v)
                                  .getResult();
              vector::StoreOp::create(
                  nb, unitsRow, packed,
                  ValueRange{ivs[0],
                             arith::AddIOp::create(
                                 nb, u0, inner.idx(static_cast<int64_t>(t))),
                             inner.idx(half * width * pair)});
            }
          }
          scf::ReduceOp::create(nb);
        });
  }

  /// Rows [r0, r1) x panels [p0, p1), per K chunk: whole row tiles, then
  /// the last rows as one tile.
  void emitBlock(Value packed, Value r0, Value r1, Value p0, Value p1) {
    Value rFull = fullEnd(b, r0, r1, rows);
    for (int64_t k0 = 0; k0 < m.k; k0 += kChunk) {
      KRange ks{k0, std::min(m.k, k0 + kChunk),
                /*overwrite=*/k0 == 0 && m.zeroFill};
      scf::ForOp::create(
          b, r0, rFull, idx(rows), ValueRange{},
          [&](OpBuilder &nested, Location loc, Value row, ValueRange) {
            ImplicitLocOpBuilder rb(loc, nested);
            with(rb).emitRowTile(packed, row, rows, p0, p1, ks);
            scf::YieldOp::create(rb);
          });
      emitRemainderTile(b, rFull, r1, rows,
                        [&](ImplicitLocOpBuilder &rb, Value row, int64_t height,
                            RowCount valid) {
                          with(rb).emitRowTile(packed, row, height, p0, p1, ks,
                                               valid);
                        });
    }
  }

  /// The same emitter, building with `nb`.
  PackedEmitter with(ImplicitLocOpBuilder &nb) const {
    return PackedEmitter(nb, m, width, rows, kChunk, epilogue, gather,
                         aScratch);
  }

  /// Rows [row, row + nRows) over panels [p0, p1) for the chunk's K (a's
  /// rows extended first if they must be; they stay in L1 across the
  /// panels); each tile's epilogue once its last chunk is stored, on the
  /// rows that count.
  void emitRowTile(Value packed, Value row, int64_t nRows, Value p0, Value p1,
                   KRange ks, RowCount valid = {}) {
    if (aScratch)
      extendRows(row, nRows, ks, valid);
    scf::ForOp::create(
        b, p0, p1, idx(1), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value panel, ValueRange) {
          ImplicitLocOpBuilder tb(loc, nested);
          PackedEmitter tile = with(tb);
          tile.emitTile(packed, row, nRows, panel, ks, valid);
          // The tile is final after the last chunk: its epilogue runs while
          // it is in L1.
          if (epilogue && ks.end == m.k)
            emitEpilogueTile(
                tb, epilogue, row,
                valid.mayExceed(nRows - 1) ? OpFoldResult(valid.count)
                                           : tb.getIndexAttr(nRows),
                arith::MulIOp::create(tb, panel, tile.idx(2 * width)),
                2 * width);
          scf::YieldOp::create(tb);
        });
  }

  /// Where a's rows are read: a, or the gather's source.
  Value aSource() const { return gather ? gather->source : m.a; }

  /// The rows of aSource() that tile rows `rowIdx` read.
  SmallVector<Value> sourceRows(ArrayRef<Value> rowIdx) {
    SmallVector<Value> rows(rowIdx);
    if (gather)
      for (Value &r : rows) {
        Value token = memref::LoadOp::create(b, gather->tokens, r);
        // Integer tokens: the gather matched casts them to index.
        r = arith::IndexCastOp::create(b, b.getIndexType(), token);
      }
    return rows;
  }

  /// aScratch[r, k - ks.begin] = ext(a[row + r, k]) for the chunk's K
  /// (rows past `valid.count`: the last that counts).
  void extendRows(Value row, int64_t nRows, KRange ks, RowCount valid) {
    SmallVector<Value> from = sourceRows(clampedTileRows(b, row, nRows, valid));
    Value source = aSource();
    auto narrow = VectorType::get(
        {width}, cast<MemRefType>(source.getType()).getElementType());
    scf::ForOp::create(
        b, idx(ks.begin), idx(ks.end), idx(width), ValueRange{},
        [&](OpBuilder &nested, Location loc, Value k, ValueRange) {
          ImplicitLocOpBuilder nb(loc, nested);
          Value to = arith::SubIOp::create(
              nb, k, arith::ConstantIndexOp::create(nb, ks.begin));
          for (int64_t r = 0; r < nRows; ++r) {
            Value v = vector::LoadOp::create(nb, narrow, source,
                                             ValueRange{from[r], k});
            vector::StoreOp::create(
                nb, arith::ExtFOp::create(nb, vecType, v), aScratch,
                ValueRange{arith::ConstantIndexOp::create(nb, r), to});
          }
          scf::YieldOp::create(nb);
        });
  }

  /// `nRows` x 2W outputs at (row, panel): accumulate over the chunk's K in
  /// lanes, store (or add to c). Rows past `valid.count` read the last that
  /// counts and are not stored.
  void emitTile(Value packed, Value row, int64_t nRows, Value panel, KRange ks,
                RowCount valid) {
    SmallVector<Value> rowIdx = clampedTileRows(b, row, nRows, valid);
    // a's rows: the tile's own, the source rows of their tokens, or their
    // extension (rows 0.. of aScratch, from the chunk's first K).
    Value aBuffer = aScratch ? aScratch : aSource();
    SmallVector<Value> aRows =
        aScratch ? SmallVector<Value>() : sourceRows(rowIdx);
    if (aScratch)
      for (int64_t r = 0; r < nRows; ++r)
        aRows.push_back(idx(r));
    Value col0 = arith::MulIOp::create(b, panel, idx(2 * width));
    Value cols[2] = {col0, arith::AddIOp::create(b, col0, idx(width))};
    SmallVector<Value> init;
    Value zero = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
    for (int64_t r = 0; r < nRows; ++r)
      for (Value col : cols)
        init.push_back(ks.overwrite
                           ? zero
                           : vector::LoadOp::create(b, vecType, m.c,
                                                    ValueRange{rowIdx[r], col})
                                 .getResult());
    int64_t pair = m.kPerLane;
    auto loop = scf::ForOp::create(
        b, idx(ks.begin / pair), idx(ks.end / pair), idx(1), init,
        [&](OpBuilder &nested, Location loc, Value u, ValueRange accs) {
          ImplicitLocOpBuilder nb(loc, nested);
          Value half[2];
          for (int64_t h = 0; h < 2; ++h)
            half[h] = vector::LoadOp::create(
                nb, unitType(), packed,
                ValueRange{
                    panel, u,
                    arith::ConstantIndexOp::create(nb, h * width * pair)});
          Value k = pair == 1
                        ? u
                        : arith::MulIOp::create(
                              nb, u, arith::ConstantIndexOp::create(nb, 2));
          if (aScratch)
            k = arith::SubIOp::create(
                nb, k, arith::ConstantIndexOp::create(nb, ks.begin));
          SmallVector<Value> next;
          for (int64_t r = 0; r < nRows; ++r) {
            Value splat;
            if (pair == 1) {
              Value av =
                  memref::LoadOp::create(nb, aBuffer, ValueRange{aRows[r], k});
              splat = vector::BroadcastOp::create(nb, vecType, av);
            } else {
              // The pair a[r, k], a[r, k + 1] as one 32-bit unit, in every
              // lane.
              Value av =
                  vector::LoadOp::create(nb, VectorType::get({2}, elemType()),
                                         aBuffer, ValueRange{aRows[r], k});
              auto unit = VectorType::get({1}, nb.getIntegerType(32));
              auto units = VectorType::get({width}, nb.getIntegerType(32));
              splat = vector::BitCastOp::create(
                  nb, unitType(),
                  vector::BroadcastOp::create(
                      nb, units, vector::BitCastOp::create(nb, unit, av)));
            }
            for (int64_t h = 0; h < 2; ++h)
              next.push_back(
                  pair == 1 ? vector::FMAOp::create(nb, splat, half[h],
                                                    accs[r * 2 + h])
                                  .getResult()
                            : x86vector::DotBF16Op::create(
                                  nb, vecType, accs[r * 2 + h], splat, half[h])
                                  .getResult());
          }
          scf::YieldOp::create(nb, next);
        });
    for (int64_t r = 0; r < nRows; ++r)
      storeTileRow(b, r, valid, [&](ImplicitLocOpBuilder &sb) {
        for (int64_t h = 0; h < 2; ++h)
          vector::StoreOp::create(sb, loop.getResult(r * 2 + h), m.c,
                                  ValueRange{rowIdx[r], cols[h]});
      });
  }

  ImplicitLocOpBuilder &b;
  const RowContraction &m;
  int64_t width, rows, kChunk;
  /// Run on each tile once its last K chunk is stored (null: none).
  linalg::GenericOp epilogue;
  /// Where a's rows come from, if a is gathered (null: a itself).
  const RowGather *gather;
  /// A task's [rows, K chunk] f32 copy of a tile's a rows (null: a is read
  /// as it is).
  Value aScratch;
  VectorType vecType;
};

struct VectorizeContractionsPass
    : public hmoe::impl::HMoEVectorizeContractionsBase<
          VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1 || tileRows < 1 || tileCols < 1 || rowsPerTask < 1 ||
        taskBytes < 1 || kBlock < 0) {
      getOperation()->emitError("hmoe-vectorize-contractions: every option "
                                "must be at least 1 (k-block: at least 0)");
      return signalPassFailure();
    }
    // The tile is unrolled into tile-rows x tile-cols accumulators: beyond a
    // few dozen it only spills registers and bloats the IR.
    if (vectorWidth > 64 || tileRows > 64 || tileCols > 64 ||
        tileRows * tileCols > 64) {
      getOperation()->emitError("hmoe-vectorize-contractions: vector-width (")
          << vectorWidth.getValue() << ") must be at most 64 and tile-rows x "
          << "tile-cols (" << tileRows.getValue() << " x "
          << tileCols.getValue() << ") at most 64 accumulators";
      return signalPassFailure();
    }
    // Lane sums and remainders assume it (a width of 3 or 6 lost rows).
    if (!llvm::isPowerOf2_64(vectorWidth)) {
      getOperation()->emitError("hmoe-vectorize-contractions: vector-width (")
          << vectorWidth.getValue() << ") must be a power of two";
      return signalPassFailure();
    }
    // (A tile's distance in rows, prefetch-tiles x tile-cols, stays far from
    // overflowing.)
    if (prefetchTiles < 0 || prefetchTiles > 64) {
      getOperation()->emitError("hmoe-vectorize-contractions: prefetch-tiles (")
          << prefetchTiles.getValue() << ") must be 0 to 64";
      return signalPassFailure();
    }
    if (packedRows < 0 || packedRows > 32) {
      getOperation()->emitError("hmoe-vectorize-contractions: packed-rows (")
          << packedRows.getValue()
          << ") must be 0 to 32 (2 accumulators a row)";
      return signalPassFailure();
    }
    if (kBlock > 0 && kBlock % vectorWidth != 0) {
      getOperation()->emitError("hmoe-vectorize-contractions: k-block (")
          << kBlock.getValue() << ") must be a multiple of vector-width ("
          << vectorWidth.getValue() << ")";
      return signalPassFailure();
    }
    // Any linalg op with the contraction's interface and maps: a generic
    // or a named op (linalg.matmul with transposed B maps, linalg.contract).
    SmallVector<std::pair<linalg::LinalgOp, RowContraction>> matches;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (auto m = matchRowContraction(op, vectorWidth, bf16Dot)) {
        m->zeroFill = precedingZeroFill(op, m->c);
        matches.push_back({op, *m});
      }
    });
    for (auto &[op, m] : matches) {
      // Enough w rows per task to fill `taskBytes`, in whole column tiles.
      int64_t rowBytes =
          m.k * cast<MemRefType>(m.w.getType()).getElementTypeBitWidth() / 8;
      int64_t colsPerTask =
          std::max<int64_t>(1, taskBytes / rowBytes / tileCols) * tileCols;
      // Each K chunk is emitted as its own loop nest: at most kMaxKChunks of
      // them, however small k-block is against K.
      constexpr int64_t kMaxKChunks = 64;
      int64_t kChunk = kBlock > 0 ? kBlock : m.k;
      int64_t step = vectorWidth * m.kPerLane;
      if (kChunk % step != 0)
        kChunk = llvm::divideCeil(kChunk, step) * step;
      if (llvm::divideCeil(m.k, kChunk) > kMaxKChunks)
        kChunk =
            llvm::divideCeil(llvm::divideCeil(m.k, kMaxKChunks), step) * step;
      ImplicitLocOpBuilder b(op.getLoc(), op);
      if (packedRows == 0 || !PackedEmitter::applies(m, vectorWidth)) {
        ContractionEmitter(b, m, vectorWidth, tileRows, tileCols, kChunk,
                           prefetchTiles)
            .emit(rowsPerTask, colsPerTask);
      } else {
        // An element-wise epilogue runs per tile in the packed kernel, and
        // after the whole contraction in the other; a gather of a's rows is
        // read through by the packed kernel, and runs first in the other.
        // (Matched before anything is built around op.)
        linalg::GenericOp epilogue =
            fuseNeighbours ? followingEpilogue(op, m) : nullptr;
        std::optional<RowGather> gather =
            fuseNeighbours ? precedingRowGather(op, m) : std::nullopt;
        // Both: the epilogue's tiles must not write what the kernel now
        // reads in place of a.
        if (epilogue && gather) {
          Value out = epilogue.getDpsInits()[0];
          if (out != m.c && (!hmoe::disjointBuffers(out, gather->source) ||
                             !hmoe::disjointBuffers(out, gather->tokens)))
            epilogue = nullptr;
        }
        // Packing reads and writes all of w on every call, whatever the
        // rows: below rows-per-task rows (an expert with few tokens, or
        // none) the inner-product tile, which only reads w, is kept.
        Value rows = memref::DimOp::create(b, m.a, 0);
        Value many = arith::CmpIOp::create(
            b, arith::CmpIPredicate::uge, rows,
            arith::ConstantIndexOp::create(b, rowsPerTask));
        auto choice = scf::IfOp::create(b, many, /*withElseRegion=*/true);
        // K chunks of 256 keep a tile's a rows in L1 across the panels.
        int64_t packedChunk = kBlock > 0 ? kChunk : std::min<int64_t>(m.k, 256);
        ImplicitLocOpBuilder thenB = ImplicitLocOpBuilder::atBlockTerminator(
            op.getLoc(), choice.thenBlock());
        PackedEmitter(thenB, m, vectorWidth, packedRows, packedChunk, epilogue,
                      gather ? &*gather : nullptr)
            .emit(rowsPerTask, taskBytes);
        ImplicitLocOpBuilder elseB = ImplicitLocOpBuilder::atBlockTerminator(
            op.getLoc(), choice.elseBlock());
        if (gather) {
          elseB.clone(*gather->op);
          gather->op.erase();
        }
        ContractionEmitter(elseB, m, vectorWidth, tileRows, tileCols, kChunk,
                           prefetchTiles)
            .emit(rowsPerTask, colsPerTask);
        if (epilogue) {
          elseB.clone(*epilogue);
          epilogue.erase();
        }
      }
      op->erase();
      if (m.zeroFill)
        m.zeroFill.erase();
    }
  }
};
} // namespace
