//===- MapForallToGPU.cpp - the hmoe-map-forall-to-gpu pass ---------------===//
//
// Block loops become gpu.launch with a grid computed on the host (upstream's
// map_forall_to_blocks takes static trip counts only, and a layer's token
// count is dynamic); thread loops are then mapped by upstream MLIR.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/TransformOps/GPUTransformOps.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <limits>

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEMAPFORALLTOGPU
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Reads or writes of a buffer (allocation and freeing are neither).
bool accessesBuffers(Operation *op) {
  // (libMLIR instantiates upstream's hasEffect for single effects.)
  return hasEffect<MemoryEffects::Read>(op) ||
         hasEffect<MemoryEffects::Write>(op);
}

bool writesBuffers(Operation *op) {
  return hasEffect<MemoryEffects::Write>(op);
}

/// Writes in a block loop outside its thread loops would run on every
/// thread of the block.
LogicalResult checkWritesAreThreaded(scf::ForallOp block) {
  WalkResult walk =
      block.getBody()->walk<WalkOrder::PreOrder>([&](Operation *op) {
        if (auto forall = dyn_cast<scf::ForallOp>(op))
          if (isMappedTo<gpu::GPUThreadMappingAttr>(forall))
            return WalkResult::skip();
        if (writesBuffers(op)) {
          op->emitOpError("writes a buffer inside a GPU block loop but outside "
                          "its thread loops (every thread of the block would "
                          "run it); expected it distributed over threads "
                          "(hmoe-tile-for-gpu)");
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
  return failure(walk.wasInterrupted());
}

/// The block size: the largest static trip count of the thread loops
/// along x and y, enough threads for the linear ones.
FailureOr<SmallVector<int64_t>> blockDimsOf(scf::ForallOp block) {
  int64_t x = 1, y = 1, linear = 1;
  WalkResult walk = block.getBody()->walk([&](scf::ForallOp forall) {
    if (!isMappedTo<gpu::GPUThreadMappingAttr>(forall))
      return WalkResult::advance();
    int64_t total = 1;
    for (auto [d, map] : llvm::enumerate(forall.getMapping()->getValue())) {
      std::optional<int64_t> trips = staticTripCount(forall, d);
      if (!trips) {
        forall.emitOpError("is mapped to GPU threads but has a dynamic trip "
                           "count; expected a static number of threads");
        return WalkResult::interrupt();
      }
      total *= *trips;
      switch (cast<gpu::GPUThreadMappingAttr>(map).getThread()) {
      case gpu::MappingId::DimX:
        x = std::max(x, *trips);
        break;
      case gpu::MappingId::DimY:
        y = std::max(y, *trips);
        break;
      default:
        break;
      }
    }
    if (cast<gpu::GPUThreadMappingAttr>(forall.getMapping()->getValue()[0])
            .isLinearMapping())
      linear = std::max(linear, total);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  if (x * y < linear) {
    if (y == 1)
      x = linear;
    else
      y = llvm::divideCeil(linear, x);
  }
  if (x * y > 1024)
    return block.emitOpError("needs ")
           << x << " x " << y << " threads per block, more than 1024";
  return SmallVector<int64_t>{x, y, 1};
}

/// The workgroup memory a kernel may declare statically (more must be
/// dynamic, and opted in to at launch).
constexpr int64_t kStaticWorkgroupBytes = 48 * 1024;

/// The block's workgroup buffers become one workgroup attribution of
/// `launch` (past 48 KB, its dynamic workgroup memory), as large as the
/// largest: each is used (through memref.view) in the thread loops of one
/// op of the block only (a thread loop, or a loop around thread loops),
/// and the block's thread loops run one after the other with a barrier
/// after each (mapNestedForallToThreadsImpl's syncAfterDistribute), so
/// the buffers of different ops may share its bytes.
LogicalResult shareWorkgroupBuffers(RewriterBase &rewriter,
                                    gpu::LaunchOp launch) {
  SmallVector<memref::AllocaOp> buffers;
  launch.getBody().walk([&](memref::AllocaOp alloca) {
    if (gpu::GPUDialect::hasWorkgroupMemoryAddressSpace(alloca.getType()))
      buffers.push_back(alloca);
  });
  if (buffers.empty())
    return success();
  int64_t bytes = 0;
  SmallVector<Operation *> scopes;
  for (memref::AllocaOp alloca : buffers) {
    MemRefType type = alloca.getType();
    if (type.getRank() != 1 || !type.hasStaticShape() ||
        !type.getElementType().isInteger(8) || !type.getLayout().isIdentity())
      return alloca.emitOpError("is a workgroup buffer of type ")
             << type << "; expected a static 1-D i8 buffer (viewed as tiles)";
    // Where it is live: the one thread loop using it, or the nearest op
    // around all of them (hmoe-stage-thread-contractions' K loop: a copy
    // loop, then a loop reading the tiles).
    Operation *scope = nullptr;
    for (Operation *user : alloca->getUsers()) {
      Operation *thread = user->getParentOp();
      while (thread && !(isa<scf::ForallOp>(thread) &&
                         isMappedTo<gpu::GPUThreadMappingAttr>(
                             cast<scf::ForallOp>(thread))))
        thread = thread->getParentOp();
      // Its address is read to align the tiles (warpgroup-mma).
      if (!isa<memref::ViewOp, memref::ExtractAlignedPointerAsIndexOp>(user) ||
          !thread)
        return alloca.emitOpError(
            "is a workgroup buffer used outside memref.view in GPU thread "
            "loops; expected only its views (and address) inside thread "
            "loops (the block's thread loops share workgroup memory)");
      if (!scope)
        scope = thread;
      while (scope != launch && !scope->isAncestor(thread))
        scope = scope->getParentOp();
    }
    if (scope == launch)
      return alloca.emitOpError(
          "is a workgroup buffer used by thread loops with no op of the "
          "kernel around them all; expected them in one op of the block");
    // Buffers live in different ops, neither inside the other: a barrier
    // after every thread loop separates them.
    for (Operation *other : scopes)
      if (scope && (other->isAncestor(scope) || scope->isAncestor(other)))
        return alloca.emitOpError(
            "is a second workgroup buffer in one GPU thread loop or op of "
            "the block; expected one per thread loop or loop of them");
    if (scope)
      scopes.push_back(scope);
    bytes = std::max(bytes, type.getNumElements());
  }
  Attribute workgroup = gpu::AddressSpaceAttr::get(
      rewriter.getContext(), gpu::AddressSpace::Workgroup);
  auto bufferType = MemRefType::get({bytes}, rewriter.getI8Type(),
                                    MemRefLayoutAttrInterface(), workgroup);
  Value shared;
  if (bytes <= kStaticWorkgroupBytes) {
    shared = launch.addWorkgroupAttribution(bufferType, launch.getLoc());
  } else {
    // Past 48 KB a kernel's workgroup memory can only be dynamic: the
    // launch says how much (the runtime's mgpuLaunchKernel opts the kernel
    // in to more than 48 KB).
    OpBuilder::InsertionGuard guard(rewriter);
    rewriter.setInsertionPoint(launch);
    Value size = arith::ConstantIntOp::create(rewriter, launch.getLoc(),
                                              rewriter.getI32Type(), bytes);
    rewriter.modifyOpInPlace(launch, [&] {
      launch.getDynamicSharedMemorySizeMutable().assign(size);
    });
    rewriter.setInsertionPointToStart(&launch.getBody().front());
    Value dynamic = gpu::DynamicSharedMemoryOp::create(
        rewriter, launch.getLoc(),
        MemRefType::get({ShapedType::kDynamic}, rewriter.getI8Type(),
                        MemRefLayoutAttrInterface(), workgroup));
    shared =
        memref::CastOp::create(rewriter, launch.getLoc(), bufferType, dynamic);
  }
  for (memref::AllocaOp alloca : buffers) {
    for (OpOperand &use : llvm::make_early_inc_range(alloca->getUses()))
      rewriter.modifyOpInPlace(use.getOwner(), [&] { use.set(shared); });
    rewriter.eraseOp(alloca);
  }
  return success();
}

LogicalResult mapBlockLoop(RewriterBase &rewriter, scf::ForallOp forall,
                           int64_t warpSize) {
  if (failed(checkWritesAreThreaded(forall)))
    return failure();
  FailureOr<SmallVector<int64_t>> blockDims = blockDimsOf(forall);
  if (failed(blockDims))
    return failure();
  Location loc = forall.getLoc();
  rewriter.setInsertionPoint(forall);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  SmallVector<Value> grid(3, one);
  SmallVector<std::pair<int, Value>> ivs;
  for (auto [index, map] : llvm::enumerate(forall.getMapping()->getValue())) {
    int dim = static_cast<int>(cast<gpu::GPUBlockMappingAttr>(map).getBlock());
    if (dim > 2 || grid[dim] != one)
      return forall.emitOpError("expected block mappings x, y, z used once");
    // CUDA's grid limits: 2^31 - 1 blocks along x, 65535 along y and z.
    int64_t limit = dim == 0 ? std::numeric_limits<int32_t>::max() : 65535;
    std::optional<int64_t> trips = staticTripCount(forall, index);
    if (trips && *trips > limit)
      return forall.emitOpError("needs ")
             << *trips << " blocks along " << "xyz"[dim]
             << "; a CUDA grid has at most " << limit;
    // trips = ceil((ub - lb) / step), on the host.
    AffineExpr lb, ub, step;
    bindSymbols(rewriter.getContext(), lb, ub, step);
    grid[dim] = affine::makeComposedAffineApply(
        rewriter, loc, (ub - lb).ceilDiv(step),
        {forall.getMixedLowerBound()[index], forall.getMixedUpperBound()[index],
         forall.getMixedStep()[index]});
    ivs.push_back({dim, forall.getInductionVar(index)});
  }
  auto launch = gpu::LaunchOp::create(
      rewriter, loc, grid[0], grid[1], grid[2],
      arith::ConstantIndexOp::create(rewriter, loc, (*blockDims)[0]),
      arith::ConstantIndexOp::create(rewriter, loc, (*blockDims)[1]),
      arith::ConstantIndexOp::create(rewriter, loc, (*blockDims)[2]));
  Block &body = launch.getBody().front();
  rewriter.setInsertionPointToEnd(&body);
  auto terminator = gpu::TerminatorOp::create(rewriter, loc);
  rewriter.setInsertionPointToStart(&body);
  gpu::KernelDim3 blockIds = launch.getBlockIds();
  Value ids[3] = {blockIds.x, blockIds.y, blockIds.z};
  SmallVector<Value> replacements(forall.getRank());
  for (auto [index, dimAndIv] : llvm::enumerate(ivs)) {
    AffineExpr lb, step, id;
    bindSymbols(rewriter.getContext(), lb, step, id);
    replacements[index] = affine::makeComposedAffineApply(
        rewriter, loc, lb + id * step,
        {forall.getMixedLowerBound()[index], forall.getMixedStep()[index],
         ids[dimAndIv.first]});
  }
  rewriter.eraseOp(forall.getTerminator());
  rewriter.inlineBlockBefore(forall.getBody(), terminator, replacements);
  rewriter.eraseOp(forall);
  if (failed(shareWorkgroupBuffers(rewriter, launch)))
    return failure();
  DiagnosedSilenceableFailure mapped =
      transform::gpu::mapNestedForallToThreadsImpl(
          rewriter, std::nullopt, launch, *blockDims, warpSize,
          /*syncAfterDistribute=*/true);
  if (!mapped.succeeded()) {
    if (mapped.isSilenceableFailure())
      (void)mapped.silence();
    return launch.emitOpError("could not map its thread loops to GPU threads");
  }
  // The linear thread mapping may create the constants it folds unused
  // thread ids to after their users: constants have no operands, so they
  // move to the start of the kernel.
  SmallVector<arith::ConstantOp> constants;
  launch.getBody().walk([&](arith::ConstantOp c) { constants.push_back(c); });
  for (arith::ConstantOp c : constants)
    rewriter.moveOpBefore(c, &launch.getBody().front(),
                          launch.getBody().front().begin());
  return success();
}

struct HMoEMapForallToGPUPass
    : public hmoe::impl::HMoEMapForallToGPUBase<HMoEMapForallToGPUPass> {
  using Base::Base;
  void runOnOperation() override {
    FunctionOpInterface func = getOperation();
    IRRewriter rewriter(&getContext());
    // Bufferizing a single-iteration loop's full-size insert leaves a copy
    // of a buffer onto a whole view of itself, outside its thread loop.
    eraseNoOpCopies(rewriter, func);
    SmallVector<scf::ForallOp> blocks;
    func->walk([&](scf::ForallOp forall) {
      if (isMappedTo<gpu::GPUBlockMappingAttr>(forall))
        blocks.push_back(forall);
      return WalkResult::advance();
    });
    for (scf::ForallOp forall : blocks) {
      if (forall.getNumResults() != 0) {
        forall.emitOpError("must be bufferized before it is mapped to a "
                           "GPU launch");
        return signalPassFailure();
      }
      if (forall->getParentOfType<gpu::LaunchOp>() ||
          forall->getParentOfType<scf::ForallOp>()) {
        forall.emitOpError("is mapped to GPU blocks but nested in another "
                           "loop or launch; expected it at the top level");
        return signalPassFailure();
      }
      if (failed(mapBlockLoop(rewriter, forall, warpSize)))
        return signalPassFailure();
    }
    // What stays on the host may allocate device memory, nothing more.
    SmallVector<Operation *> hostOps;
    WalkResult walk = func->walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      // A copy between whole buffers (bufferization's, when an op could not
      // write in place) is a device-to-device memcpy.
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        auto from = cast<MemRefType>(copy.getSource().getType());
        auto to = cast<MemRefType>(copy.getTarget().getType());
        if (from.getLayout().isIdentity() && to.getLayout().isIdentity()) {
          hostOps.push_back(op);
          return WalkResult::advance();
        }
      }
      if (isa<memref::AllocOp, memref::DeallocOp>(op)) {
        hostOps.push_back(op);
        return WalkResult::advance();
      }
      // A host check's assert (hmoe-generate-size-checks) declares an
      // effect to stay in order; it reads only sizes.
      if (accessesBuffers(op) && !isa<cf::AssertOp>(op)) {
        op->emitOpError("accesses a buffer on the host, outside any GPU "
                        "block loop; expected every read and write of a "
                        "layer's buffers inside a kernel");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      return signalPassFailure();
    for (Operation *op : hostOps) {
      rewriter.setInsertionPoint(op);
      if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        rewriter.replaceOp(alloc, gpu::AllocOp::create(
                                      rewriter, alloc.getLoc(), alloc.getType(),
                                      /*asyncToken=*/Type(), ValueRange{},
                                      alloc.getDynamicSizes(),
                                      alloc.getSymbolOperands())
                                      .getMemref());
        continue;
      }
      if (auto copy = dyn_cast<memref::CopyOp>(op)) {
        gpu::MemcpyOp::create(rewriter, copy.getLoc(), TypeRange{},
                              ValueRange{}, copy.getTarget(), copy.getSource());
        rewriter.eraseOp(copy);
        continue;
      }
      auto dealloc = cast<memref::DeallocOp>(op);
      gpu::DeallocOp::create(rewriter, dealloc.getLoc(), Type(), ValueRange{},
                             dealloc.getMemref());
      rewriter.eraseOp(dealloc);
    }
  }
};
} // namespace
