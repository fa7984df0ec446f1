//===- VectorizeContractions.cpp - register-tiled f32 row contractions ----===//
//
// The GEMMs of an hmoe layer all read both operands along K (tokens are
// rows of x, gate and expert weights are rows of W), so the register tile
// keeps `tileRows x tileCols` accumulators of K-lanes and reduces them once
// per tile: no transposed copy of the weights is ever made.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZECONTRACTIONS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {

/// The operands of a matched `c[i, j] += a[i, k] * w[j, k]`.
struct RowContraction {
  Value a, w, c;
  int64_t k;
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

bool hasUnitInnerStride(Value v) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() != 2 || !type.getElementType().isF32())
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Matches the generic that `contractRows` builds, after bufferization.
std::optional<RowContraction> matchRowContraction(linalg::GenericOp op,
                                                  int64_t vectorWidth) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumLoops() != 3)
    return std::nullopt;
  MLIRContext *ctx = op.getContext();
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  SmallVector<AffineMap> expected = {AffineMap::get(3, 0, {i, k}, ctx),
                                     AffineMap::get(3, 0, {j, k}, ctx),
                                     AffineMap::get(3, 0, {i, j}, ctx)};
  if (op.getIndexingMapsArray() != expected)
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  if (iters[0] != utils::IteratorType::parallel ||
      iters[1] != utils::IteratorType::parallel ||
      iters[2] != utils::IteratorType::reduction)
    return std::nullopt;

  // Body: yield(acc + a * w), operands in either order.
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 3)
    return std::nullopt;
  auto mul = dyn_cast<arith::MulFOp>(body.front());
  auto add = dyn_cast<arith::AddFOp>(*std::next(body.begin()));
  auto yield = dyn_cast<linalg::YieldOp>(body.back());
  if (!mul || !add || !yield || yield.getValues().size() != 1 ||
      yield.getValues()[0] != add.getResult())
    return std::nullopt;
  Value a0 = body.getArgument(0), w0 = body.getArgument(1),
        acc = body.getArgument(2);
  bool mulOk = (mul.getLhs() == a0 && mul.getRhs() == w0) ||
               (mul.getLhs() == w0 && mul.getRhs() == a0);
  bool addOk = (add.getLhs() == acc && add.getRhs() == mul.getResult()) ||
               (add.getRhs() == acc && add.getLhs() == mul.getResult());
  if (!mulOk || !addOk)
    return std::nullopt;

  RowContraction m{op.getDpsInputs()[0], op.getDpsInputs()[1],
                   op.getDpsInits()[0], 0};
  if (!hasUnitInnerStride(m.a) || !hasUnitInnerStride(m.w) ||
      !hasUnitInnerStride(m.c))
    return std::nullopt;
  m.k = cast<MemRefType>(m.a.getType()).getDimSize(1);
  if (ShapedType::isDynamic(m.k) ||
      cast<MemRefType>(m.w.getType()).getDimSize(1) != m.k ||
      m.k % vectorWidth != 0 || m.k == 0)
    return std::nullopt;
  return m;
}

/// A chunk [begin, end) of K; `overwrite`: store sums instead of adding.
struct KRange {
  int64_t begin, end;
  bool overwrite;
};

/// Emits the tiled loops of one contraction in place of its generic.
class ContractionEmitter {
public:
  ContractionEmitter(ImplicitLocOpBuilder &b, const RowContraction &m,
                     int64_t width, int64_t tileRows, int64_t tileCols,
                     int64_t kChunk)
      : b(b), m(m), width(width), tileRows(tileRows), tileCols(tileCols),
        kChunk(kChunk), vecType(VectorType::get({width}, b.getF32Type())) {}

  /// scf.parallel over (row block, column block) tasks.
  void emit(int64_t rowsPerTask, int64_t colsPerTask) {
    Value n = memref::DimOp::create(b, m.a, 0);
    Value cols = memref::DimOp::create(b, m.w, 0);
    Value rowBlock = idx(rowsPerTask), colBlock = idx(colsPerTask);
    Value numRowBlocks = ceilDiv(n, rowBlock);
    Value numColBlocks = ceilDiv(cols, colBlock);
    scf::ParallelOp::create(
        b, ValueRange{idx(0), idx(0)}, ValueRange{numRowBlocks, numColBlocks},
        ValueRange{idx(1), idx(1)},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder nb(loc, nested);
          ContractionEmitter inner = with(nb);
          Value r0 = arith::MulIOp::create(nb, ivs[0], rowBlock);
          Value c0 = arith::MulIOp::create(nb, ivs[1], colBlock);
          Value r1 = arith::MinSIOp::create(
              nb, arith::AddIOp::create(nb, r0, rowBlock), n);
          Value c1 = arith::MinSIOp::create(
              nb, arith::AddIOp::create(nb, c0, colBlock), cols);
          inner.emitBlock(r0, r1, c0, c1);
          scf::ReduceOp::create(nb);
        });
  }

private:
  /// The same emitter, building with `nb` (inside a new region).
  ContractionEmitter with(ImplicitLocOpBuilder &nb) const {
    return ContractionEmitter(nb, m, width, tileRows, tileCols, kChunk);
  }
  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value ceilDiv(Value x, Value y) {
    return arith::CeilDivUIOp::create(b, x, y);
  }
  /// `lo + (hi - lo) / step * step`: where full steps end.
  Value fullEnd(Value lo, Value hi, int64_t step) {
    Value span = arith::SubIOp::create(b, hi, lo);
    Value whole = arith::MulIOp::create(
        b, arith::DivUIOp::create(b, span, idx(step)), idx(step));
    return arith::AddIOp::create(b, lo, whole);
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
      Value rFull = fullEnd(r0, r1, tileRows);
      auto rowsOf = [&](Value lo, Value hi, int64_t nRows) {
        forLoop(lo, hi, nRows, [&](ImplicitLocOpBuilder &nb, Value row) {
          ContractionEmitter inner = with(nb);
          Value cFull = inner.fullEnd(c0, c1, tileCols);
          inner.forLoop(c0, cFull, tileCols,
                        [&](ImplicitLocOpBuilder &cb, Value col) {
                          with(cb).emitTile(row, col, nRows, tileCols, ks);
                        });
          inner.forLoop(cFull, c1, 1, [&](ImplicitLocOpBuilder &cb, Value col) {
            with(cb).emitTile(row, col, nRows, 1, ks);
          });
        });
      };
      rowsOf(r0, rFull, tileRows);
      rowsOf(rFull, r1, 1);
    }
  }

  /// `rows x cols` outputs at (row, col): accumulate over K in vectors,
  /// reduce, add to c.
  void emitTile(Value row, Value col, int64_t rows, int64_t cols, KRange ks) {
    SmallVector<Value> rowIdx, colIdx;
    for (int64_t r = 0; r < rows; ++r)
      rowIdx.push_back(r ? arith::AddIOp::create(b, row, idx(r)) : row);
    for (int64_t c = 0; c < cols; ++c)
      colIdx.push_back(c ? arith::AddIOp::create(b, col, idx(c)) : col);
    Value zero = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
    SmallVector<Value> init(rows * cols, zero);
    auto loop = scf::ForOp::create(
        b, idx(ks.begin), idx(ks.end), idx(width), init,
        [&](OpBuilder &nested, Location loc, Value k, ValueRange accs) {
          ImplicitLocOpBuilder nb(loc, nested);
          SmallVector<Value> av, wv;
          for (Value r : rowIdx)
            av.push_back(
                vector::LoadOp::create(nb, vecType, m.a, ValueRange{r, k}));
          for (Value c : colIdx)
            wv.push_back(
                vector::LoadOp::create(nb, vecType, m.w, ValueRange{c, k}));
          SmallVector<Value> next;
          for (int64_t r = 0; r < rows; ++r)
            for (int64_t c = 0; c < cols; ++c)
              next.push_back(
                  vector::FMAOp::create(nb, av[r], wv[c], accs[r * cols + c]));
          scf::YieldOp::create(nb, next);
        });
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) {
        Value sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                                loop.getResult(r * cols + c),
                                                arith::FastMathFlags::reassoc);
        SmallVector<Value, 2> at = {rowIdx[r], colIdx[c]};
        if (!ks.overwrite)
          sum =
              arith::AddFOp::create(b, memref::LoadOp::create(b, m.c, at), sum);
        memref::StoreOp::create(b, sum, m.c, at);
      }
  }

  ImplicitLocOpBuilder &b;
  const RowContraction &m;
  int64_t width, tileRows, tileCols, kChunk;
  VectorType vecType;
};

struct VectorizeContractionsPass
    : public hmoe::impl::HMoEVectorizeContractionsBase<
          VectorizeContractionsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1 || tileRows < 1 || tileCols < 1 || rowsPerTask < 1 ||
        taskBytes < 1 || kBlock < 0) {
      getOperation().emitError("hmoe-vectorize-contractions: every option "
                               "must be at least 1 (k-block: at least 0)");
      return signalPassFailure();
    }
    // The tile is unrolled into tile-rows x tile-cols accumulators: beyond a
    // few dozen it only spills registers and bloats the IR.
    if (vectorWidth > 64 || tileRows > 64 || tileCols > 64 ||
        tileRows * tileCols > 64) {
      getOperation().emitError("hmoe-vectorize-contractions: vector-width (")
          << vectorWidth.getValue() << ") must be at most 64 and tile-rows x "
          << "tile-cols (" << tileRows.getValue() << " x "
          << tileCols.getValue() << ") at most 64 accumulators";
      return signalPassFailure();
    }
    if (kBlock > 0 && kBlock % vectorWidth != 0) {
      getOperation().emitError("hmoe-vectorize-contractions: k-block (")
          << kBlock.getValue() << ") must be a multiple of vector-width ("
          << vectorWidth.getValue() << ")";
      return signalPassFailure();
    }
    SmallVector<std::pair<linalg::GenericOp, RowContraction>> matches;
    getOperation().walk([&](linalg::GenericOp op) {
      if (auto m = matchRowContraction(op, vectorWidth)) {
        m->zeroFill = precedingZeroFill(op, m->c);
        matches.push_back({op, *m});
      }
    });
    for (auto &[op, m] : matches) {
      // Enough w rows per task to fill `taskBytes`, in whole column tiles.
      int64_t rowBytes = m.k * 4;
      int64_t colsPerTask =
          std::max<int64_t>(1, taskBytes / rowBytes / tileCols) * tileCols;
      // Each K chunk is emitted as its own loop nest: at most kMaxKChunks of
      // them, however small k-block is against K.
      constexpr int64_t kMaxKChunks = 64;
      int64_t kChunk = kBlock > 0 ? kBlock : m.k;
      if (llvm::divideCeil(m.k, kChunk) > kMaxKChunks)
        kChunk =
            llvm::divideCeil(llvm::divideCeil(m.k, kMaxKChunks), vectorWidth) *
            vectorWidth;
      ImplicitLocOpBuilder b(op.getLoc(), op);
      ContractionEmitter(b, m, vectorWidth, tileRows, tileCols, kChunk)
          .emit(rowsPerTask, colsPerTask);
      op.erase();
      if (m.zeroFill)
        m.zeroFill.erase();
    }
  }
};
} // namespace
