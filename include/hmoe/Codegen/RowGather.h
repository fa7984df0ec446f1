//===- RowGather.h - reads of a source's rows through row indices -*- C++
//-*-===//
//
// An expert reads its token rows of x through the token indices. The CPU
// packed GEMM (hmoe-vectorize-contractions) and the GPU tensor-core GEMMs
// (hmoe-tile-for-gpu, hmoe-warp-contractions-to-mma) both recognise that
// read, in a gather or fused into the GEMM itself: one matcher for it.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_CODEGEN_ROWGATHER_H
#define HMOE_CODEGEN_ROWGATHER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

namespace mlir::hmoe {

/// The source S if `read` is a read in `op`'s body (tensor.extract or
/// memref.load) of S[index_cast(first block argument), linalg.index col],
/// S from outside `op`; null otherwise.
inline Value sourceReadThroughRowIndex(linalg::LinalgOp op, Value read,
                                       unsigned col) {
  Operation *def = read ? read.getDefiningOp() : nullptr;
  if (!def || def->getBlock() != op.getBlock())
    return Value();
  Value source;
  ValueRange indices;
  if (auto extract = dyn_cast<tensor::ExtractOp>(def)) {
    source = extract.getTensor();
    indices = extract.getIndices();
  } else if (auto load = dyn_cast<memref::LoadOp>(def)) {
    source = load.getMemRef();
    indices = load.getIndices();
  } else {
    return Value();
  }
  if (indices.size() != 2 ||
      op->isAncestor(source.getParentRegion()->getParentOp()))
    return Value();
  auto row = indices[0].getDefiningOp<arith::IndexCastOp>();
  auto index = indices[1].getDefiningOp<linalg::IndexOp>();
  if (!row || row.getIn() != op.getBlock()->getArgument(0) || !index ||
      index.getDim() != col)
    return Value();
  return source;
}

/// The source of `op` if it is a gather of rows, a[i, j] =
/// S[index_cast(rows[i]), j]: a 2-D parallel generic, its one input the row
/// indices read at (i), its output at (i, j), its body that read alone.
inline Value rowGatherSource(linalg::GenericOp op) {
  if (op.getNumLoops() != 2 || op.getNumParallelLoops() != 2 ||
      op.getNumDpsInputs() != 1 || op.getNumDpsInits() != 1)
    return Value();
  MLIRContext *ctx = op.getContext();
  AffineExpr i = getAffineDimExpr(0, ctx), j = getAffineDimExpr(1, ctx);
  if (op.getIndexingMapsArray() !=
      SmallVector<AffineMap>{AffineMap::get(2, 0, {i}, ctx),
                             AffineMap::get(2, 0, {i, j}, ctx)})
    return Value();
  // The read, its index_cast and linalg.index, the yield.
  Block &body = op.getRegion().front();
  if (body.getOperations().size() != 4)
    return Value();
  return sourceReadThroughRowIndex(op, body.getTerminator()->getOperand(0),
                                   /*col=*/1);
}

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_ROWGATHER_H
