//===- MarkReadOnlyKernelArgs.cpp - hmoe-mark-read-only-kernel-args -------===//
//
// A kernel's memref argument whose memory no thread of the kernel writes,
// through it or through any other argument that may share its memory, is
// read-only for the whole launch: marked so, LLVM may keep its loads in
// registers across the kernel's stores (a gather's row index read once per
// row, not once per element) and NVPTX reads it through the non-coherent
// cache (ld.global.nc), as CUDA C does for `const __restrict__` pointers.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEMARKREADONLYKERNELARGS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// `v` without its views (subviews, casts, reshapes).
Value viewRoot(Value v) {
  while (auto view = v.getDefiningOp<ViewLikeOpInterface>()) {
    if (view.getViewDest() != v)
      break;
    v = view.getViewSource();
  }
  return v;
}

/// Which arguments of `kernel` its threads write through (or free), or
/// nothing where an op writes memory it cannot trace to an argument or to
/// the kernel's own memory (thread-private arrays, workgroup buffers).
std::optional<SmallVector<bool>> writtenArgs(gpu::GPUFuncOp kernel) {
  Block &entry = kernel.getBody().front();
  SmallVector<bool> written(kernel.getNumArguments(), false);
  bool known = true;
  auto traceWrite = [&](Value target) {
    Value root = viewRoot(target);
    if (auto arg = dyn_cast<BlockArgument>(root)) {
      if (arg.getOwner() == &entry &&
          arg.getArgNumber() < kernel.getNumArguments()) {
        written[arg.getArgNumber()] = true;
        return;
      }
      // Workgroup and private attributions: the kernel's own memory.
      if (arg.getOwner() == &entry)
        return;
    }
    if (root.getDefiningOp<memref::AllocaOp>())
      return;
    known = false;
  };
  kernel.walk([&](Operation *op) {
    if (!known)
      return WalkResult::interrupt();
    if (op == kernel.getOperation())
      return WalkResult::advance();
    // Orders the block's threads; writes nothing itself. mma.sync works on
    // registers.
    if (isa<gpu::BarrierOp, NVVM::MmaOp>(op) || isMemoryEffectFree(op) ||
        op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
      return WalkResult::advance();
    auto effecting = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effecting) {
      known = false;
      return WalkResult::interrupt();
    }
    SmallVector<MemoryEffects::EffectInstance> effects;
    effecting.getEffects(effects);
    for (const MemoryEffects::EffectInstance &effect : effects) {
      if (!isa<MemoryEffects::Write, MemoryEffects::Free>(effect.getEffect()))
        continue;
      if (Value target = effect.getValue())
        traceWrite(target);
      else if (!isa<SideEffects::AutomaticAllocationScopeResource>(
                   effect.getResource()))
        known = false;
    }
    return WalkResult::advance();
  });
  if (!known)
    return std::nullopt;
  return written;
}

/// Whether two memrefs passed to a launch may share memory: not if they
/// are views of two different allocations, or of an allocation and a
/// function argument (a caller's buffer); a caller may pass one buffer as
/// two arguments, and anything else is unknown.
bool mayAlias(Value a, Value b) {
  Value ra = viewRoot(a), rb = viewRoot(b);
  if (ra == rb)
    return true;
  auto fresh = [](Value v) {
    return isa_and_nonnull<memref::AllocOp, memref::AllocaOp, gpu::AllocOp>(
        v.getDefiningOp());
  };
  return !fresh(ra) && !fresh(rb);
}

struct HMoEMarkReadOnlyKernelArgsPass
    : public hmoe::impl::HMoEMarkReadOnlyKernelArgsBase<
          HMoEMarkReadOnlyKernelArgsPass> {
  using Base::Base;
  void runOnOperation() override {
    SymbolTableCollection symbols;
    llvm::MapVector<Operation *, SmallVector<gpu::LaunchFuncOp>> launches;
    getOperation()->walk([&](gpu::LaunchFuncOp launch) {
      if (auto kernel = symbols.lookupNearestSymbolFrom<gpu::GPUFuncOp>(
              launch, launch.getKernel()))
        launches[kernel].push_back(launch);
    });
    MLIRContext *ctx = &getContext();
    // Index buffers (token indices, offsets, slots): a few loads per row
    // or token. Float buffers only when asked: LLVM then hoisted whole
    // weight tiles out of the thread-schedule GEMMs' row loops.
    auto eligible = [&](Value arg) {
      auto type = dyn_cast<MemRefType>(arg.getType());
      return type && (floats || type.getElementType().isIntOrIndex());
    };
    for (auto &[op, sites] : launches) {
      auto kernel = cast<gpu::GPUFuncOp>(op);
      std::optional<SmallVector<bool>> written = writtenArgs(kernel);
      if (!written)
        continue;
      unsigned n = kernel.getNumArguments();
      SmallVector<bool> readOnly(n);
      for (unsigned i = 0; i < n; ++i)
        readOnly[i] = !(*written)[i] && eligible(kernel.getArgument(i));
      // Memory another argument writes is not read-only, whichever
      // argument reads it.
      for (gpu::LaunchFuncOp launch : sites) {
        if (launch.getNumKernelOperands() != n) {
          llvm::fill(readOnly, false);
          break;
        }
        for (unsigned i = 0; i < n; ++i)
          for (unsigned j = 0; j < n && readOnly[i]; ++j)
            if (j != i && (*written)[j] &&
                mayAlias(launch.getKernelOperand(i),
                         launch.getKernelOperand(j)))
              readOnly[i] = false;
      }
      bool any = false;
      for (unsigned i = 0; i < n; ++i) {
        if (!readOnly[i])
          continue;
        kernel.setArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName(),
                          UnitAttr::get(ctx));
        any = true;
      }
      if (any)
        kernel->setAttr(hmoe::HMoEDialect::ReadOnlyArgsAttrHelper::getNameStr(),
                        UnitAttr::get(ctx));
    }
  }
};
} // namespace
