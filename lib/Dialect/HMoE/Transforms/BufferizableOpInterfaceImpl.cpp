//===- BufferizableOpInterfaceImpl.cpp - bufferizing routing ops ----------===//
//
// The routing ops are destination-passing, so One-Shot Bufferize treats them
// like linalg ops: each `outs` tensor becomes the buffer the op writes (its
// result aliases it) and the op is rebuilt on buffers with no results.
// Unlike a linalg init, a destination is never read: the ops write every
// element of it, so a destination whose value is still needed elsewhere is
// not copied first.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/Transforms/BufferizableOpInterfaceImpl.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {
template <typename OpTy>
struct RoutingOpBufferization
    : DstBufferizableOpInterfaceExternalModel<RoutingOpBufferization<OpTy>,
                                              OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    if (dps.hasPureBufferSemantics())
      return success();
    SmallVector<Value> operands;
    for (Value operand : op->getOperands()) {
      if (!isa<TensorType>(operand.getType())) {
        operands.push_back(operand);
        continue;
      }
      FailureOr<Value> buffer = getBuffer(rewriter, operand, options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
    }
    rewriter.setInsertionPoint(op);
    OperationState memrefForm(op->getLoc(), op->getName(), operands,
                              /*types=*/{}, op->getAttrs());
    Operation *written = rewriter.create(memrefForm);
    auto inits = cast<DestinationStyleOpInterface>(written).getDpsInits();
    replaceOpWithBufferizedValues(rewriter, op, inits);
    return success();
  }
};
} // namespace

void hmoe::registerBufferizableOpInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, HMoEDialect *) {
    RouteOp::attachInterface<RoutingOpBufferization<RouteOp>>(*ctx);
    DispatchOp::attachInterface<RoutingOpBufferization<DispatchOp>>(*ctx);
    StatsOp::attachInterface<RoutingOpBufferization<StatsOp>>(*ctx);
  });
}
