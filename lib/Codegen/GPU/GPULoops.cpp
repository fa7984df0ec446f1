//===- GPULoops.cpp - What GPU loop passes share about loops and copies ---===//

#include "GPULoops.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/OperationSupport.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe {

std::optional<int64_t> staticTripCount(scf::ForallOp loop, unsigned d) {
  std::optional<int64_t> lb = getConstantIntValue(loop.getMixedLowerBound()[d]),
                         ub = getConstantIntValue(loop.getMixedUpperBound()[d]),
                         step = getConstantIntValue(loop.getMixedStep()[d]);
  if (!lb || !ub || !step || *step <= 0)
    return std::nullopt;
  return std::max<int64_t>(0, llvm::divideCeil(*ub - *lb, *step));
}

namespace {
/// Whether `view` is all of `base`: a subview at offset 0 with unit strides
/// and `base`'s sizes.
bool isWholeView(Value view, Value base) {
  auto subview = view.getDefiningOp<memref::SubViewOp>();
  if (!subview || subview.getSource() != base)
    return false;
  auto isZero = [](OpFoldResult v) { return isConstantIntValue(v, 0); };
  auto isOne = [](OpFoldResult v) { return isConstantIntValue(v, 1); };
  if (!llvm::all_of(subview.getMixedOffsets(), isZero) ||
      !llvm::all_of(subview.getMixedStrides(), isOne))
    return false;
  auto type = cast<MemRefType>(base.getType());
  auto alloc = base.getDefiningOp<memref::AllocOp>();
  unsigned dynamic = 0;
  for (auto [d, size] : llvm::enumerate(subview.getMixedSizes())) {
    if (!type.isDynamicDim(d)) {
      if (!isConstantIntValue(size, type.getDimSize(d)))
        return false;
      continue;
    }
    if (!alloc || !isEqualConstantIntOrValue(
                      size, OpFoldResult(alloc.getDynamicSizes()[dynamic++])))
      return false;
  }
  return true;
}
} // namespace

bool isNoOpCopy(memref::CopyOp copy) {
  Value from = copy.getSource(), to = copy.getTarget();
  if (from == to || isWholeView(to, from) || isWholeView(from, to))
    return true;
  // Two subviews with the same operands and attributes are the same view
  // (not two allocations that merely look alike).
  auto fromView = from.getDefiningOp<memref::SubViewOp>();
  auto toView = to.getDefiningOp<memref::SubViewOp>();
  return fromView && toView &&
         OperationEquivalence::isEquivalentTo(
             fromView, toView, OperationEquivalence::IgnoreLocations);
}

void eraseNoOpCopies(RewriterBase &rewriter, Operation *root) {
  SmallVector<memref::CopyOp> copies;
  root->walk([&](memref::CopyOp copy) {
    if (isNoOpCopy(copy))
      copies.push_back(copy);
  });
  for (memref::CopyOp copy : copies)
    rewriter.eraseOp(copy);
}

std::optional<std::pair<Value, ValueRange>> bufferAccess(Operation *op,
                                                         bool vectors) {
  if (auto load = dyn_cast<memref::LoadOp>(op))
    return std::make_pair(load.getMemRef(), load.getIndices());
  if (auto store = dyn_cast<memref::StoreOp>(op))
    return std::make_pair(store.getMemRef(), store.getIndices());
  if (!vectors)
    return std::nullopt;
  if (auto load = dyn_cast<vector::LoadOp>(op))
    return std::make_pair(load.getBase(), load.getIndices());
  if (auto store = dyn_cast<vector::StoreOp>(op))
    return std::make_pair(store.getBase(), store.getIndices());
  return std::nullopt;
}

bool isThreadArray(Value buffer) {
  auto alloca = buffer.getDefiningOp<memref::AllocaOp>();
  if (!alloca)
    return false;
  Attribute space = alloca.getType().getMemorySpace();
  auto gpuSpace = dyn_cast_or_null<gpu::AddressSpaceAttr>(space);
  return !space ||
         (gpuSpace && gpuSpace.getValue() == gpu::AddressSpace::Private);
}

void keepRolled(scf::ForOp loop) {
  MLIRContext *ctx = loop.getContext();
  Builder b(ctx);
  auto noUnroll = LLVM::LoopUnrollAttr::get(
      ctx, /*disable=*/b.getBoolAttr(true), {}, {}, {}, {}, {}, {});
  loop->setAttr(kLoopAnnotationAttrName,
                LLVM::LoopAnnotationAttr::get(ctx, {}, {}, {}, noUnroll, {}, {},
                                              {}, {}, {}, {}, {}, {}, {}, {},
                                              /*parallelAccesses=*/{}));
}

void unrollFully(scf::ForOp loop) {
  MLIRContext *ctx = loop.getContext();
  Builder b(ctx);
  auto full =
      LLVM::LoopUnrollAttr::get(ctx, /*disable=*/{}, /*count=*/{},
                                /*runtimeDisable=*/{},
                                /*full=*/b.getBoolAttr(true), {}, {}, {});
  loop->setAttr(kLoopAnnotationAttrName,
                LLVM::LoopAnnotationAttr::get(ctx, {}, {}, {}, full, {}, {}, {},
                                              {}, {}, {}, {}, {}, {}, {},
                                              /*parallelAccesses=*/{}));
}

void copyChunk(ImplicitLocOpBuilder &b, Value source, Value fromRow,
               Value fromCol, Value tile, Value toRow, Value toCol,
               int64_t chunk, Value aligned, bool async) {
  auto byElements = [&](ImplicitLocOpBuilder &at) {
    for (int64_t i = 0; i < chunk; ++i) {
      Value offset = arith::ConstantIndexOp::create(at, i);
      Value v = memref::LoadOp::create(
          at, source,
          ValueRange{fromRow, arith::AddIOp::create(at, fromCol, offset)});
      memref::StoreOp::create(
          at, v, tile,
          ValueRange{toRow, arith::AddIOp::create(at, toCol, offset)});
    }
  };
  if (!aligned)
    return byElements(b);
  auto test = scf::IfOp::create(b, aligned, /*withElseRegion=*/true);
  ImplicitLocOpBuilder then(b.getLoc(), test.getThenBodyBuilder());
  if (async) {
    // cp.async.cg: around the registers and L1.
    nvgpu::DeviceAsyncCopyOp::create(
        then, tile, ValueRange{toRow, toCol}, source,
        ValueRange{fromRow, fromCol}, then.getIndexAttr(chunk),
        /*srcElements=*/Value(), then.getUnitAttr());
  } else {
    Type element = cast<MemRefType>(source.getType()).getElementType();
    Value v =
        vector::LoadOp::create(then, VectorType::get({chunk}, element), source,
                               ValueRange{fromRow, fromCol},
                               /*nontemporal=*/false, llvm::MaybeAlign(16));
    vector::StoreOp::create(then, v, tile, ValueRange{toRow, toCol},
                            /*nontemporal=*/false, llvm::MaybeAlign(16));
  }
  ImplicitLocOpBuilder otherwise(b.getLoc(), test.getElseBodyBuilder());
  byElements(otherwise);
}

} // namespace mlir::hmoe
