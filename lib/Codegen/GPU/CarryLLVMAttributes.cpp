//===- CarryLLVMAttributes.cpp - the hmoe-carry-llvm-attributes pass ------===//
//
// What upstream's lowering of kernels to the LLVM dialect leaves where the
// translation to LLVM IR does not see it: a loop's annotation on its latch
// branch, the noalias that read-only memref arguments may carry, and the
// alignment of workgroup buffers, the linkage of dynamic workgroup memory.
//
//===----------------------------------------------------------------------===//

#include "GPULoops.h"
#include "hmoe/Codegen/GPU/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECARRYLLVMATTRIBUTES
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
template <typename BranchOp> void carryLoopAnnotation(BranchOp branch) {
  auto annotation = branch->template getAttrOfType<LLVM::LoopAnnotationAttr>(
      hmoe::kLoopAnnotationAttrName);
  if (!annotation)
    return;
  branch.setLoopAnnotationAttr(annotation);
  branch->removeAttr(hmoe::kLoopAnnotationAttrName);
}

/// A kernel's read-only pointers (memory no thread writes during the
/// launch) are noalias too: LLVM's noalias only constrains memory that is
/// modified. Upstream's lowering puts llvm.readonly on both pointers of a
/// memref's descriptor but drops llvm.noalias (the two alias each other).
void carryNoAlias(LLVM::LLVMFuncOp func) {
  StringRef marker = hmoe::HMoEDialect::ReadOnlyArgsAttrHelper::getNameStr();
  if (!func->hasAttr(marker))
    return;
  func->removeAttr(marker);
  Builder b(func.getContext());
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (isa<LLVM::LLVMPointerType>(func.getArgument(i).getType()) &&
        func.getArgAttr(i, LLVM::LLVMDialect::getReadonlyAttrName()))
      func.setArgAttr(i, LLVM::LLVMDialect::getNoAliasAttrName(),
                      b.getUnitAttr());
}

/// Workgroup buffers come from gpu.launch attributions, which outlining
/// gives no llvm.align: the global would be byte-aligned, while the staged
/// tiles of hmoe-warp-contractions-to-mma are accessed 16 bytes at a time.
///
/// The dynamic workgroup memory (gpu.dynamic_shared_memory, past 48 KB) is
/// a zero-length array that upstream's lowering makes internal: NVPTX then
/// demotes it to a one-byte `.shared` variable of the kernel, static
/// memory that the dynamic bytes follow, so the tiles would run past the
/// launch's bytes. External, it is CUDA's `extern __shared__` array
/// (`.extern .shared ... []`), which starts at the dynamic bytes.
void fixWorkgroupBuffer(LLVM::GlobalOp global) {
  constexpr uint64_t kAlignment = 16;
  if (global.getAddrSpace() !=
      static_cast<unsigned>(NVVM::NVVMMemorySpace::Shared))
    return;
  if (global.getAlignment().value_or(0) < kAlignment)
    global.setAlignment(kAlignment);
  auto array = dyn_cast<LLVM::LLVMArrayType>(global.getGlobalType());
  if (array && array.getNumElements() == 0 && !global.getValueOrNull() &&
      global.getInitializerRegion().empty())
    global.setLinkage(LLVM::Linkage::External);
}

struct HMoECarryLLVMAttributesPass
    : public hmoe::impl::HMoECarryLLVMAttributesBase<
          HMoECarryLLVMAttributesPass> {
  void runOnOperation() override {
    getOperation().walk([](Operation *op) {
      if (auto br = dyn_cast<LLVM::BrOp>(op))
        carryLoopAnnotation(br);
      else if (auto condBr = dyn_cast<LLVM::CondBrOp>(op))
        carryLoopAnnotation(condBr);
      else if (auto func = dyn_cast<LLVM::LLVMFuncOp>(op))
        carryNoAlias(func);
      else if (auto global = dyn_cast<LLVM::GlobalOp>(op))
        fixWorkgroupBuffer(global);
    });
  }
};
} // namespace
