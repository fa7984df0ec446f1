//===- GPULoops.h - scf.forall on buffers mapped to GPU blocks -*- C++ -*-===//
//
// What the passes that write kernels by hand after bufferization (the
// dispatch's counting sort, the statistics' sums) build their launches
// from: scf.forall over #gpu.block<x> around scf.forall over linear
// threads, which hmoe-map-forall-to-gpu turns into gpu.launch; and what
// the passes that take such loops apart share about them.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_CODEGEN_GPU_GPULOOPS_H
#define HMOE_LIB_CODEGEN_GPU_GPULOOPS_H

#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::hmoe {

struct GPULoops {
  ImplicitLocOpBuilder &b;

  /// An scf.forall on buffers over [0, n) mapped to `mapping`; `body(iv)`
  /// fills it.
  void forall(OpFoldResult n, Attribute mapping,
              function_ref<void(Value)> body) {
    auto loop = scf::ForallOp::create(
        b, ArrayRef<OpFoldResult>{b.getIndexAttr(0)}, ArrayRef<OpFoldResult>{n},
        ArrayRef<OpFoldResult>{b.getIndexAttr(1)}, ValueRange{},
        b.getArrayAttr({mapping}));
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPoint(loop.getTerminator());
    body(loop.getInductionVar(0));
  }
  /// `n` blocks along x: one launch.
  void blocks(OpFoldResult n, function_ref<void(Value)> body) {
    forall(n,
           gpu::GPUBlockMappingAttr::get(b.getContext(), gpu::MappingId::DimX),
           body);
  }
  /// `n` threads of a block (linear).
  void threads(int64_t n, function_ref<void(Value)> body) {
    forall(b.getIndexAttr(n),
           gpu::GPUThreadMappingAttr::get(b.getContext(),
                                          gpu::MappingId::LinearDim0),
           body);
  }
  /// In a block: thread i of min(n, maxThreads) takes i, i + threads, ...
  /// below `n` (static).
  void strided(int64_t n, int64_t maxThreads, function_ref<void(Value)> body) {
    int64_t count = std::max<int64_t>(1, std::min(n, maxThreads));
    threads(count, [&](Value tid) {
      stridedFrom(tid, arith::ConstantIndexOp::create(b, n), count, body);
    });
  }
  /// `body(i)` for i = first, first + step, ... below `n`.
  void stridedFrom(Value first, Value n, int64_t step,
                   function_ref<void(Value)> body) {
    Emitter e{b};
    e.loop(first, n, e.idx(step), {}, [&](Value i, ValueRange) {
      body(i);
      return SmallVector<Value>{};
    });
  }
  /// One launch over [0, n): blocks of `perBlock` threads, one index each.
  void overRange(Value n, int64_t perBlock, function_ref<void(Value)> body) {
    Value step = arith::ConstantIndexOp::create(b, perBlock);
    blocks(
        OpFoldResult(arith::CeilDivUIOp::create(b, n, step)), [&](Value blk) {
          threads(perBlock, [&](Value i) {
            Value at = arith::AddIOp::create(
                b, arith::MulIOp::create(b, blk, step), i);
            auto inside = scf::IfOp::create(
                b, arith::CmpIOp::create(b, arith::CmpIPredicate::ult, at, n),
                /*withElseRegion=*/false);
            OpBuilder::InsertionGuard guard(b);
            b.setInsertionPointToStart(inside.thenBlock());
            body(at);
          });
        });
  }
};

/// Addresses (as indices) of a memref's elements, its metadata read once:
/// what an aligned vector access is tested against.
struct ElementAddresses {
  Value base, offset;
  ValueRange strides;
  int64_t elementBytes;

  ElementAddresses(Emitter &e, Value m) {
    auto meta = memref::ExtractStridedMetadataOp::create(e.b, m);
    base = memref::ExtractAlignedPointerAsIndexOp::create(e.b, m);
    offset = meta.getOffset();
    strides = meta.getStrides();
    elementBytes = cast<MemRefType>(m.getType()).getElementTypeBitWidth() / 8;
  }
  /// The address of element `indices` (an index).
  Value of(Emitter &e, ValueRange indices) const {
    Value element = offset;
    for (auto [index, stride] : llvm::zip(indices, strides))
      element = e.addi(element, e.muli(index, stride));
    return e.addi(base, e.muli(element, e.idx(elementBytes)));
  }
};

/// A vectorizing pass's `bytes` option: a power of two from 2 to 64 (a
/// CPU's widest register; a loop's body may be copied per element), else
/// an error naming `pass` at `op`.
inline LogicalResult checkVectorBytes(Operation *op, StringRef pass,
                                      int64_t bytes) {
  if (bytes >= 2 && bytes <= 64 && llvm::isPowerOf2_64(bytes))
    return success();
  return op->emitError() << pass
                         << ": bytes must be a power of two from 2 to 64, got "
                         << bytes;
}

/// The ops of type `OpTy` in `func` that a distribution pass takes: on
/// buffers, not yet inside a loop or launch (those are left alone). One
/// still on tensors is an error at the op.
template <typename OpTy>
FailureOr<SmallVector<OpTy>> opsToDistribute(Operation *func) {
  SmallVector<OpTy> ops;
  WalkResult walk = func->walk([&](OpTy op) {
    if (!op.hasPureBufferSemantics()) {
      op.emitOpError("must be bufferized before it is distributed over the "
                     "GPU (it still has tensor operands)");
      return WalkResult::interrupt();
    }
    if (!op->template getParentOfType<scf::ForallOp>() &&
        !op->template getParentOfType<gpu::LaunchOp>())
      ops.push_back(op);
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();
  return ops;
}

/// Whether `forall` is mapped to `MappingAttr` (#gpu.block, #gpu.thread,
/// #gpu.warp): by its first mapping, as hmoe-map-forall-to-gpu tells
/// block loops from thread loops.
template <typename MappingAttr> bool isMappedTo(scf::ForallOp forall) {
  std::optional<ArrayAttr> mapping = forall.getMapping();
  return mapping && !mapping->empty() && isa<MappingAttr>((*mapping)[0]);
}

/// The trip count of dimension `d` of `loop` when its bounds and step are
/// constants.
std::optional<int64_t> staticTripCount(scf::ForallOp loop, unsigned d);

/// Whether `copy` leaves memory as it was: onto its own source, onto a
/// whole view of it (or from one), or between two identical subviews.
/// Bufferizing loops over GPU threads and warps leaves such copies outside
/// the loops that would distribute them.
bool isNoOpCopy(memref::CopyOp copy);

/// Erases the no-op copies nested in `root`.
void eraseNoOpCopies(RewriterBase &rewriter, Operation *root);

/// Whether `buffer` is a kernel thread's own array: a memref.alloca outside
/// workgroup memory (no memory space, or the private one).
bool isThreadArray(Value buffer);

/// The buffer and indices of a memref.load or memref.store, and with
/// `vectors` of a vector.load or vector.store too; none for any other op.
std::optional<std::pair<Value, ValueRange>> bufferAccess(Operation *op,
                                                         bool vectors);

/// The discardable attribute that scf-to-cf copies from an scf.for onto its
/// latch branch.
constexpr llvm::StringLiteral kLoopAnnotationAttrName = "llvm.loop_annotation";

/// Annotates `loop` not to be unrolled (LLVM's llvm.loop.unroll.disable,
/// PTX's `.pragma "nounroll"`, which ptxas obeys too). The annotation is a
/// discardable attribute that scf-to-cf moves onto the latch branch;
/// hmoe-carry-llvm-attributes makes it the branch's own after lowering.
void keepRolled(scf::ForOp loop);

/// Annotates `loop` to be unrolled fully (LLVM's llvm.loop.unroll.full), as
/// keepRolled does its opposite.
void unrollFully(scf::ForOp loop);

/// Copies the `chunk` elements (16 bytes) of `source`'s row `fromRow` from
/// column `fromCol` into `tile`'s row `toRow` from column `toCol`: where
/// `aligned` (an i1 tested at run time; null: never) holds, as one
/// `cp.async` (`async`, the source in global memory) or a vector load and
/// store, else element by element (done before the next barrier, as the
/// copies are). A source row's elements must be adjacent.
void copyChunk(ImplicitLocOpBuilder &b, Value source, Value fromRow,
               Value fromCol, Value tile, Value toRow, Value toCol,
               int64_t chunk, Value aligned, bool async);

} // namespace mlir::hmoe

#endif // HMOE_LIB_CODEGEN_GPU_GPULOOPS_H
