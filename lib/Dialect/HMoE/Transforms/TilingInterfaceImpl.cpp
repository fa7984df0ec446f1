//===- TilingInterfaceImpl.cpp - tiling hmoe.route over tokens ------------===//
//
// Tokens are routed independently, so hmoe.route's iteration domain is the
// token dimension alone, parallel. A tile of tokens is the same op on
// slices of the token-indexed operands (every level's logits and the three
// destinations); selection biases and the router scale are shared by all
// tokens and passed whole. This works on tensors (extract_slice) and on
// buffers (subview), like linalg's tiling.
//
// hmoe.dispatch (a counting sort in token order) and hmoe.stats (sums over
// all tokens) are not tiled.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/TilingInterfaceImpl.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/RoutingLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Size of dimension `dim` of the tensor or memref `value`.
OpFoldResult sizeOf(OpBuilder &b, Location loc, Value value, int64_t dim) {
  if (isa<TensorType>(value.getType()))
    return tensor::getMixedSize(b, loc, value, dim);
  return memref::getMixedSize(b, loc, value, dim);
}

/// Rows [offset, offset + size) of `value` along its leading (token)
/// dimension.
Value tokenSlice(OpBuilder &b, Location loc, Value value, OpFoldResult offset,
                 OpFoldResult size) {
  auto type = cast<ShapedType>(value.getType());
  SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> sizes, strides(type.getRank(), b.getIndexAttr(1));
  offsets[0] = offset;
  sizes.push_back(size);
  for (int64_t d = 1; d < type.getRank(); ++d)
    sizes.push_back(sizeOf(b, loc, value, d));
  if (isa<TensorType>(type))
    return tensor::ExtractSliceOp::create(b, loc, value, offsets, sizes,
                                          strides);
  return memref::SubViewOp::create(b, loc, value, offsets, sizes, strides);
}

struct RouteTiling
    : TilingInterface::ExternalModel<RouteTiling, hmoe::RouteOp> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *) const {
    return {utils::IteratorType::parallel};
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    auto route = cast<RouteOp>(op);
    Location loc = op->getLoc();
    return {Range{b.getIndexAttr(0), sizeOf(b, loc, route.getWeightsInit(), 0),
                  b.getIndexAttr(1)}};
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto route = cast<RouteOp>(op);
    Location loc = op->getLoc();
    TilingResult result;
    auto slice = [&](Value v) {
      Value s = tokenSlice(b, loc, v, offsets[0], sizes[0]);
      result.generatedSlices.push_back(s.getDefiningOp());
      return s;
    };
    SmallVector<Value> operands;
    for (Value logits : route.getLogits())
      operands.push_back(slice(logits));
    llvm::append_range(operands, route.getSelectionBiases());
    if (Value scale = route.getRouterScale())
      operands.push_back(scale);
    SmallVector<Type> resultTypes;
    for (Value init : route.getOuts()) {
      operands.push_back(slice(init));
      if (isa<TensorType>(init.getType()))
        resultTypes.push_back(operands.back().getType());
    }
    OperationState state(loc, op->getName(), operands, resultTypes,
                         op->getAttrs());
    Operation *tiled = b.create(state);
    result.tiledOps.push_back(tiled);
    llvm::append_range(result.tiledValues, tiled->getResults());
    return result;
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    Value init = cast<RouteOp>(op).getOuts()[resultNumber];
    int64_t rank = cast<ShapedType>(init.getType()).getRank();
    resultOffsets.assign(rank, b.getIndexAttr(0));
    resultOffsets[0] = offsets[0];
    resultSizes.assign({sizes[0]});
    for (int64_t d = 1; d < rank; ++d)
      resultSizes.push_back(sizeOf(b, op->getLoc(), init, d));
    return success();
  }

  /// A tile of any result is the same tile of tokens (fusion into a
  /// consumer's token loop).
  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    return getTiledImplementation(op, b, offsets.take_front(),
                                  sizes.take_front());
  }

  LogicalResult generateScalarImplementation(Operation *op, OpBuilder &b,
                                             Location loc,
                                             ValueRange ivs) const {
    return emitRouteToken(b, loc, cast<RouteOp>(op), ivs[0]);
  }
};
} // namespace

void hmoe::registerTilingInterfaceExternalModels(DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, HMoEDialect *) {
    RouteOp::attachInterface<RouteTiling>(*ctx);
  });
}
