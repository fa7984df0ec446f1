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

#include "hmoe/Codegen/BufferAliasing.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEMARKREADONLYKERNELARGS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// Which arguments of `kernel` its threads write through (or free), or
/// nothing where an op writes memory it cannot trace to an argument or to
/// the kernel's own memory (thread-private arrays, workgroup buffers).
std::optional<SmallVector<bool>> writtenArgs(gpu::GPUFuncOp kernel) {
  SmallVector<bool> written(kernel.getNumArguments(), false);
  bool known = true;
  auto traceWrite = [&](Value target) {
    // An argument, or the kernel's own memory: an allocation, a workgroup
    // or private attribution (entry block arguments past the arguments).
    Value base = hmoe::knownBufferBase(target);
    if (!base) {
      known = false;
      return;
    }
    auto arg = dyn_cast<BlockArgument>(base);
    if (arg && arg.getOwner() == &kernel.getBody().front() &&
        arg.getArgNumber() < kernel.getNumArguments())
      written[arg.getArgNumber()] = true;
  };
  kernel.walk([&](Operation *op) {
    if (!known)
      return WalkResult::interrupt();
    if (op == kernel.getOperation())
      return WalkResult::advance();
    // Order the block's threads (nvvm.barrier: the named barriers of
    // staged tiles) or wait for their cp.async copies (whose writes the
    // copies declare); write nothing themselves. mma.sync works on
    // registers.
    if (isa<gpu::BarrierOp, NVVM::BarrierOp, NVVM::CpAsyncCommitGroupOp,
            NVVM::CpAsyncWaitGroupOp, NVVM::MmaOp>(op))
      return WalkResult::advance();
    // An op's own effects first (a linalg op declares its writes and has
    // recursive effects too); the trait alone: its body's ops, walked.
    auto effecting = dyn_cast<MemoryEffectOpInterface>(op);
    if (!effecting) {
      if (!op->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        known = false;
      return known ? WalkResult::advance() : WalkResult::interrupt();
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
                !hmoe::disjointBuffers(launch.getKernelOperand(i),
                                       launch.getKernelOperand(j)))
              readOnly[i] = false;
      }
      // hmoe-carry-llvm-attributes makes every llvm.readonly pointer of a
      // marked kernel noalias: a kernel that came with llvm.readonly on an
      // argument this pass did not find read-only is left unmarked.
      StringRef readonlyName = LLVM::LLVMDialect::getReadonlyAttrName();
      if (llvm::any_of(llvm::seq(n), [&](unsigned i) {
            return !readOnly[i] && kernel.getArgAttr(i, readonlyName);
          }))
        continue;
      bool any = false;
      for (unsigned i = 0; i < n; ++i) {
        if (!readOnly[i])
          continue;
        kernel.setArgAttr(i, readonlyName, UnitAttr::get(ctx));
        any = true;
      }
      if (any)
        kernel->setAttr(hmoe::HMoEDialect::ReadOnlyArgsAttrHelper::getNameStr(),
                        UnitAttr::get(ctx));
    }
  }
};
} // namespace
