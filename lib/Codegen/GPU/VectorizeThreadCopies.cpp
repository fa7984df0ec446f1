//===- VectorizeThreadCopies.cpp - hmoe-vectorize-thread-copies -----------===//
//
// A GPU thread's share of a row copy, a gather of token rows or a fill is a
// few rows of C contiguous elements (the expert loop's prologue: each of 16
// threads along a row copies 32 bf16 of a token's row into the stage's
// scratch, then zeroes 64 f32 accumulators). As scalar loops that is one 2-
// or 4-byte access per element; here each row moves in `bytes`-wide vector
// accesses that carry their alignment (16 bytes: one ld.global.v4.b32 on
// NVPTX), behind a per-row test that both rows are aligned. The scalar
// loop stays as the fallback for a row that is not. Element-wise ops over
// such rows (the expert's activation) step the same way, their body run
// once per element of each vector.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"

#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "llvm/ADT/SetVector.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZETHREADCOPIES
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {

/// A thread's [rows, cols] destination filled row by row, from `source`
/// (element (i, j) = source[index(i)..., last(i) + j], the indices computed
/// by the op's body with j = 0) or with `fillValue`.
struct RowCopy {
  linalg::LinalgOp op;
  Value dest;
  Value fillValue;
  Value source;
  // The body's load of `source`, or null: the copy of an input read at
  // (i, j).
  memref::LoadOp load;

  int64_t cols() const {
    return cast<MemRefType>(dest.getType()).getDimSize(1);
  }
};

bool inThreadLoop(Operation *op) {
  auto forall = op->getParentOfType<scf::ForallOp>();
  std::optional<ArrayAttr> mapping =
      forall ? forall.getMapping() : std::nullopt;
  return mapping && !mapping->empty() &&
         llvm::all_of(*mapping, llvm::IsaPred<gpu::GPUThreadMappingAttr>);
}

/// Static strides with a unit last one, and the element a whole number of
/// bytes dividing `bytes`.
bool hasContiguousRows(Value v, int64_t bytes) {
  auto type = dyn_cast<MemRefType>(v.getType());
  if (!type || type.getRank() < 1 || !type.getElementType().isIntOrFloat())
    return false;
  unsigned bits = type.getElementTypeBitWidth();
  if (bits % 8 != 0 || bytes % (bits / 8) != 0 || bytes / (bits / 8) < 2)
    return false;
  SmallVector<int64_t> strides;
  int64_t offset;
  return succeeded(type.getStridesAndOffset(strides, offset)) &&
         strides.back() == 1;
}

/// Whether `result` = `x` + (terms without `x`): x's coefficient is one.
bool isUnitShift(AffineMap map, unsigned operand) {
  if (map.getNumResults() != 1)
    return false;
  MLIRContext *ctx = map.getContext();
  AffineExpr x = operand < map.getNumDims()
                     ? getAffineDimExpr(operand, ctx)
                     : getAffineSymbolExpr(operand - map.getNumDims(), ctx);
  AffineExpr e = map.getResult(0);
  AffineExpr zero = getAffineConstantExpr(0, ctx);
  AffineExpr rest = e.replace(x, zero);
  return simplifyAffineExpr(e - rest, map.getNumDims(), map.getNumSymbols()) ==
         x;
}

/// The body's element (i, j) is `src[...(i), f(i) + j]`: the loads and
/// ops computing `j`'s column may only shift it (affine.apply with unit
/// coefficient, arith.addi of a value not depending on j), and nothing
/// else of the body depends on `j`.
LogicalResult matchGather(linalg::GenericOp op, RowCopy &copy) {
  Block *body = op.getBody();
  auto yield = cast<linalg::YieldOp>(body->getTerminator());
  Value yielded = yield.getOperand(0);
  // A copy of an input at (i, j); nothing else in the body.
  if (auto arg = dyn_cast<BlockArgument>(yielded)) {
    if (arg.getOwner() != body || arg.getArgNumber() >= op.getNumDpsInputs() ||
        op.getIndexingMapsArray()[arg.getArgNumber()] !=
            AffineMap::getMultiDimIdentityMap(2, op.getContext()) ||
        !llvm::all_of(body->without_terminator(),
                      [](Operation &inner) { return isPure(&inner); }))
      return failure();
    copy.source = op.getDpsInputs()[arg.getArgNumber()];
    return success();
  }
  auto load = yielded.getDefiningOp<memref::LoadOp>();
  if (!load || load->getBlock() != body || !load->hasOneUse() ||
      load.getIndices().empty())
    return failure();
  // What depends on j.
  llvm::SetVector<Value> onJ;
  for (Operation &inner : body->without_terminator()) {
    if (inner.getNumRegions() != 0 ||
        (!isPure(&inner) && !isa<memref::LoadOp>(inner)))
      return failure();
    if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
      if (index.getDim() == 1)
        onJ.insert(index);
      continue;
    }
    bool usesJ = llvm::any_of(inner.getOperands(),
                              [&](Value v) { return onJ.contains(v); });
    if (!usesJ)
      continue;
    if (&inner == load.getOperation()) {
      ValueRange indices = load.getIndices();
      if (llvm::any_of(indices.drop_back(),
                       [&](Value v) { return onJ.contains(v); }))
        return failure();
      continue;
    }
    if (auto apply = dyn_cast<affine::AffineApplyOp>(inner)) {
      unsigned uses = 0, at = 0;
      for (auto [i, v] : llvm::enumerate(apply.getMapOperands()))
        if (onJ.contains(v))
          ++uses, at = i;
      if (uses != 1 || !isUnitShift(apply.getAffineMap(), at))
        return failure();
    } else if (auto add = dyn_cast<arith::AddIOp>(inner)) {
      if (onJ.contains(add.getLhs()) && onJ.contains(add.getRhs()))
        return failure();
    } else {
      return failure();
    }
    onJ.insert(inner.getResult(0));
  }
  // The column's chain ends in the load's last index (a load at a column
  // not shifted by j would give every j one element) and nowhere else.
  if (!onJ.contains(load.getIndices().back()))
    return failure();
  for (Value v : onJ)
    for (OpOperand &use : v.getUses()) {
      Operation *user = use.getOwner();
      if (user == load.getOperation()
              ? use.getOperandNumber() != load->getNumOperands() - 1
              : user->getNumResults() != 1 || !onJ.contains(user->getResult(0)))
        return failure();
    }
  // Inputs are read at row i only.
  for (OpOperand *input : op.getDpsInputOperands())
    if (op.getMatchingIndexingMap(input).isFunctionOfDim(1))
      return failure();
  // The source must exist before the op (not a view the body makes).
  copy.load = load;
  copy.source = load.getMemRef();
  if (op->isAncestor(copy.source.getParentBlock()->getParentOp()))
    return failure();
  return success();
}

/// The [rows, C] destination of an op of a thread loop with two parallel
/// loops, written at (i, j), `C` static and the rows of unit stride.
MemRefType threadRowsDest(linalg::LinalgOp op, int64_t bytes) {
  if (!op.hasPureBufferSemantics() || op.getNumDpsInits() != 1 ||
      op.getNumLoops() != 2 || op.getNumParallelLoops() != 2 ||
      !inThreadLoop(op))
    return {};
  Value dest = op.getDpsInits()[0];
  auto destType = dyn_cast<MemRefType>(dest.getType());
  if (!destType || destType.getRank() != 2 || destType.isDynamicDim(1) ||
      op.getIndexingMapsArray().back() !=
          AffineMap::getMultiDimIdentityMap(2, op.getContext()) ||
      !hasContiguousRows(dest, bytes))
    return {};
  return destType;
}

/// `input` of `op`, whose map does not use j, read at row `row`.
Value loadAtRow(Emitter &e, linalg::LinalgOp op, OpOperand *input, Value row) {
  SmallVector<Value> indices;
  for (AffineExpr r : op.getMatchingIndexingMap(input).getResults())
    indices.push_back(getValueOrCreateConstantIndexOp(
        e.b, e.b.getLoc(),
        affine::makeComposedFoldedAffineApply(
            e.b, e.b.getLoc(), AffineMap::get(2, 0, r),
            ArrayRef<OpFoldResult>{row, e.b.getIndexAttr(0)})));
  return e.load(input->get(), indices);
}

FailureOr<RowCopy> matchRowCopy(linalg::LinalgOp op, int64_t bytes) {
  MemRefType destType = threadRowsDest(op, bytes);
  if (!destType)
    return failure();
  RowCopy copy;
  copy.op = op;
  copy.dest = op.getDpsInits()[0];
  int64_t elementBytes = destType.getElementTypeBitWidth() / 8;
  // No columns: the op reads nothing, not even a row's index.
  if (copy.cols() == 0 || (copy.cols() * elementBytes) % bytes != 0)
    return failure();
  if (auto fill = dyn_cast<linalg::FillOp>(op.getOperation())) {
    copy.fillValue = fill.value();
    if (copy.fillValue.getType() != destType.getElementType())
      return failure();
    return copy;
  }
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic ||
      !generic.getMatchingBlockArgument(op.getDpsInitOperand(0)).use_empty() ||
      failed(matchGather(generic, copy)))
    return failure();
  auto sourceType = dyn_cast<MemRefType>(copy.source.getType());
  if (!sourceType || sourceType.getElementType() != destType.getElementType() ||
      !hasContiguousRows(copy.source, bytes))
    return failure();
  // A row is read whole before it is written, and its indices once: so
  // nothing the op reads (the source, index inputs, the body's loads) may
  // be the destination.
  auto apartFromDest = [&](Value v) {
    return !isa<MemRefType>(v.getType()) || disjointBuffers(v, copy.dest);
  };
  if (!llvm::all_of(op.getDpsInputs(), apartFromDest) ||
      !apartFromDest(copy.source) ||
      generic.getBody()
          ->walk([&](memref::LoadOp read) {
            return apartFromDest(read.getMemRef()) ? WalkResult::advance()
                                                   : WalkResult::interrupt();
          })
          .wasInterrupted())
    return failure();
  return copy;
}

void rewrite(RowCopy &copy, int64_t bytes) {
  ImplicitLocOpBuilder b(copy.op.getLoc(), copy.op);
  Emitter e{b};
  auto destType = cast<MemRefType>(copy.dest.getType());
  Type element = destType.getElementType();
  int64_t width = bytes / (destType.getElementTypeBitWidth() / 8);
  auto vectorType = VectorType::get({width}, element);
  llvm::MaybeAlign align(bytes);
  Value c0 = e.idx(0), mask = e.idx(bytes - 1);
  Value broadcast;
  if (copy.fillValue)
    broadcast = vector::BroadcastOp::create(b, vectorType, copy.fillValue);
  Value rows = memref::DimOp::create(b, copy.dest, 0);
  ElementAddresses destAt(e, copy.dest);
  std::optional<ElementAddresses> sourceAddresses;
  if (copy.source)
    sourceAddresses.emplace(e, copy.source);
  e.loop(c0, rows, [&](Value row) {
    // The body with j = 0: the source row's indices.
    SmallVector<Value> at;
    if (copy.load) {
      auto generic = cast<linalg::GenericOp>(copy.op.getOperation());
      Block *body = generic.getBody();
      IRMapping map;
      for (OpOperand *input : generic.getDpsInputOperands()) {
        BlockArgument arg = generic.getMatchingBlockArgument(input);
        if (arg.use_empty())
          continue;
        Value v = input->get();
        if (isa<MemRefType>(v.getType()))
          v = loadAtRow(e, generic, input, row);
        map.map(arg, v);
      }
      for (Operation &inner : body->without_terminator()) {
        if (&inner == copy.load.getOperation())
          break;
        if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
          map.map(index.getResult(), index.getDim() == 0 ? row : c0);
          continue;
        }
        b.clone(inner, map);
      }
      for (Value v : copy.load.getIndices())
        at.push_back(map.lookupOrDefault(v));
    } else if (copy.source) {
      at = {row, c0};
    }
    // Column j of the row: the source's last index shifted by j.
    auto sourceAt = [&](Value j) {
      SmallVector<Value> indices = at;
      indices.back() = e.addi(indices.back(), j);
      return indices;
    };
    Value aligned = e.andi(destAt.of(e, {row, c0}), mask);
    if (copy.source)
      aligned = e.ori(aligned, e.andi(sourceAddresses->of(e, at), mask));
    auto ifOp = scf::IfOp::create(
        b, e.cmpi(arith::CmpIPredicate::eq, aligned, c0), true);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      e.loop(c0, e.idx(copy.cols()), e.idx(width), {},
             [&](Value j, ValueRange) {
               Value v = broadcast;
               if (copy.source)
                 v = vector::LoadOp::create(
                     b, vectorType, copy.source, sourceAt(j),
                     copy.load && copy.load.getNontemporal(), align);
               vector::StoreOp::create(b, v, copy.dest, ValueRange{row, j},
                                       false, align);
               return SmallVector<Value>{};
             });
      b.setInsertionPointToStart(ifOp.elseBlock());
      e.loop(c0, e.idx(copy.cols()), [&](Value j) {
        Value v = copy.fillValue;
        if (copy.source)
          v = e.load(copy.source, sourceAt(j));
        e.store(v, copy.dest, {row, j});
      });
    }
  });
  copy.op->erase();
}

/// An element-wise op over a thread's rows: element (i, j) computed by a
/// pure body from operands read at (i, j) (`vectorOperands`: inputs with
/// the identity map, and the destination where the body reads it) and
/// from inputs read at row i only.
struct RowMap {
  linalg::GenericOp op;
  Value dest;
  int64_t width = 0;
  SmallVector<Value> vectorOperands;

  int64_t cols() const {
    return cast<MemRefType>(dest.getType()).getDimSize(1);
  }
};

FailureOr<RowMap> matchRowMap(linalg::GenericOp op, int64_t bytes) {
  MemRefType destType = threadRowsDest(op, bytes);
  if (!destType)
    return failure();
  RowMap map;
  map.op = op;
  map.dest = op.getDpsInits()[0];
  AffineMap identity = AffineMap::getMultiDimIdentityMap(2, op.getContext());
  // Pure, and no warp-level op (gpu.shuffle is pure): the body runs on
  // both sides of a branch that lanes may take differently.
  if (!llvm::all_of(op.getBody()->without_terminator(), [](Operation &inner) {
        return inner.getNumRegions() == 0 && isPure(&inner) &&
               !isa_and_nonnull<gpu::GPUDialect, NVVM::NVVMDialect>(
                   inner.getDialect());
      }))
    return failure();
  int64_t widest = destType.getElementTypeBitWidth() / 8;
  for (OpOperand *input : op.getDpsInputOperands()) {
    Value v = input->get();
    if (!isa<MemRefType>(v.getType()) ||
        op.getMatchingBlockArgument(input).use_empty())
      continue;
    AffineMap inputMap = op.getMatchingIndexingMap(input);
    if (inputMap == identity) {
      // Read at (i, j): the destination's own view (each element read
      // before it is written), or another buffer.
      if ((v != map.dest && !disjointBuffers(v, map.dest)) ||
          !hasContiguousRows(v, bytes))
        return failure();
      map.vectorOperands.push_back(v);
      widest = std::max<int64_t>(
          widest, cast<MemRefType>(v.getType()).getElementTypeBitWidth() / 8);
    } else if (inputMap.isFunctionOfDim(1) || !disjointBuffers(v, map.dest)) {
      return failure();
    }
  }
  if (!op.getMatchingBlockArgument(op.getDpsInitOperand(0)).use_empty())
    map.vectorOperands.push_back(map.dest);
  map.width = bytes / widest;
  if (map.cols() == 0 || map.width < 2 || map.cols() % map.width != 0)
    return failure();
  return map;
}

void rewrite(RowMap &map) {
  linalg::GenericOp op = map.op;
  ImplicitLocOpBuilder b(op.getLoc(), op);
  Emitter e{b};
  Value c0 = e.idx(0);
  auto bytesOf = [&](Value v) {
    auto type = cast<MemRefType>(v.getType());
    return map.width * type.getElementTypeBitWidth() / 8;
  };
  Value rows = memref::DimOp::create(b, map.dest, 0);
  SmallVector<ElementAddresses> addresses;
  for (Value v : map.vectorOperands)
    addresses.emplace_back(e, v);
  // The destination's metadata, read once: it is a vector operand where
  // the body reads it.
  const auto *destOperand = llvm::find(map.vectorOperands, map.dest);
  ElementAddresses destAt =
      destOperand != map.vectorOperands.end()
          ? addresses[destOperand - map.vectorOperands.begin()]
          : ElementAddresses(e, map.dest);
  Block *body = op.getBody();
  e.loop(c0, rows, [&](Value row) {
    // Inputs read at row i, once per row.
    IRMapping rowValues;
    for (OpOperand *input : op.getDpsInputOperands()) {
      BlockArgument arg = op.getMatchingBlockArgument(input);
      AffineMap inputMap = op.getMatchingIndexingMap(input);
      Value v = input->get();
      if (arg.use_empty() ||
          (isa<MemRefType>(v.getType()) &&
           inputMap == AffineMap::getMultiDimIdentityMap(2, b.getContext())))
        continue;
      if (isa<MemRefType>(v.getType()))
        v = loadAtRow(e, op, input, row);
      rowValues.map(arg, v);
    }
    // The body for column j, its (i, j) operands given.
    auto element = [&](Value j, ArrayRef<Value> atIJ) {
      IRMapping values = rowValues;
      for (OpOperand &operand : op->getOpOperands()) {
        BlockArgument arg = op.getMatchingBlockArgument(&operand);
        auto *at = llvm::find(map.vectorOperands, operand.get());
        if (!arg.use_empty() && at != map.vectorOperands.end() &&
            !values.contains(arg))
          values.map(arg, atIJ[at - map.vectorOperands.begin()]);
      }
      for (Operation &inner : body->without_terminator()) {
        if (auto index = dyn_cast<linalg::IndexOp>(inner)) {
          values.map(index.getResult(), index.getDim() == 0 ? row : j);
          continue;
        }
        b.clone(inner, values);
      }
      return values.lookupOrDefault(body->getTerminator()->getOperand(0));
    };
    Value misaligned =
        e.andi(destAt.of(e, {row, c0}), e.idx(bytesOf(map.dest) - 1));
    for (auto [v, at] : llvm::zip(map.vectorOperands, addresses))
      misaligned =
          e.ori(misaligned, e.andi(at.of(e, {row, c0}), e.idx(bytesOf(v) - 1)));
    auto ifOp = scf::IfOp::create(
        b, e.cmpi(arith::CmpIPredicate::eq, misaligned, c0), true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    e.loop(
        c0, e.idx(map.cols()), e.idx(map.width), {}, [&](Value j, ValueRange) {
          SmallVector<Value> vectors;
          for (Value v : map.vectorOperands)
            vectors.push_back(vector::LoadOp::create(
                b,
                VectorType::get({map.width},
                                cast<MemRefType>(v.getType()).getElementType()),
                v, ValueRange{row, j}, false, llvm::MaybeAlign(bytesOf(v))));
          SmallVector<Value> results;
          for (int64_t l = 0; l < map.width; ++l) {
            SmallVector<Value> atIJ;
            for (Value vec : vectors)
              atIJ.push_back(vector::ExtractOp::create(b, vec, l));
            results.push_back(element(e.addi(j, e.idx(l)), atIJ));
          }
          auto destType = cast<MemRefType>(map.dest.getType());
          Value result = vector::FromElementsOp::create(
              b, VectorType::get({map.width}, destType.getElementType()),
              results);
          vector::StoreOp::create(b, result, map.dest, ValueRange{row, j},
                                  false, llvm::MaybeAlign(bytesOf(map.dest)));
          return SmallVector<Value>{};
        });
    b.setInsertionPointToStart(ifOp.elseBlock());
    e.loop(c0, e.idx(map.cols()), [&](Value j) {
      SmallVector<Value> atIJ;
      for (Value v : map.vectorOperands)
        atIJ.push_back(e.load(v, {row, j}));
      e.store(element(j, atIJ), map.dest, {row, j});
    });
  });
  op->erase();
}

struct HMoEVectorizeThreadCopiesPass
    : public hmoe::impl::HMoEVectorizeThreadCopiesBase<
          HMoEVectorizeThreadCopiesPass> {
  using Base::Base;
  void runOnOperation() override {
    if (failed(checkVectorBytes(getOperation(), "hmoe-vectorize-thread-copies",
                                bytes)))
      return signalPassFailure();
    SmallVector<RowCopy> copies;
    SmallVector<RowMap> maps;
    getOperation()->walk([&](linalg::LinalgOp op) {
      if (FailureOr<RowCopy> copy = matchRowCopy(op, bytes); succeeded(copy))
        copies.push_back(*copy);
      else if (auto generic = dyn_cast<linalg::GenericOp>(op.getOperation()))
        if (FailureOr<RowMap> map = matchRowMap(generic, bytes); succeeded(map))
          maps.push_back(*map);
    });
    for (RowCopy &copy : copies)
      rewrite(copy, bytes);
    for (RowMap &map : maps)
      rewrite(map);
  }
};
} // namespace
