//===- SetKernelOccupancy.cpp - the hmoe-set-kernel-occupancy pass --------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/Matchers.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESETKERNELOCCUPANCY
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// An SM's workgroup memory on `chip` (sm_XY[a]), bytes; 0 if unknown.
int64_t sharedBytesPerSM(StringRef chip) {
  int64_t version = 0;
  if (!chip.consume_front("sm_") ||
      chip.take_while(llvm::isDigit).getAsInteger(10, version))
    return 0;
  if (version == 80 || version == 87)
    return 164 * 1024;
  if (version == 86 || version == 89)
    return 100 * 1024;
  if (version == 90)
    return 228 * 1024;
  return 0;
}

/// The smallest SM workgroup memory among `module`'s NVVM targets (0 if
/// none is known).
int64_t sharedBytesPerSM(gpu::GPUModuleOp module) {
  int64_t least = 0;
  for (Attribute target : module.getTargetsAttr()
                              ? module.getTargetsAttr().getValue()
                              : ArrayRef<Attribute>()) {
    auto nvvm = dyn_cast<NVVM::NVVMTargetAttr>(target);
    int64_t bytes = nvvm ? sharedBytesPerSM(nvvm.getChip()) : 0;
    if (bytes == 0)
      return 0;
    least = least == 0 ? bytes : std::min(least, bytes);
  }
  return least;
}

struct HMoESetKernelOccupancyPass
    : public hmoe::impl::HMoESetKernelOccupancyBase<
          HMoESetKernelOccupancyPass> {
  using Base::Base;
  void runOnOperation() override {
    // An SM holds at most 32 blocks on sm_80 and sm_90.
    for (auto [name, value] :
         {std::pair<StringRef, int64_t>{"min-blocks-per-sm", minBlocksPerSM},
          {"mma-min-blocks-per-sm", mmaMinBlocksPerSM},
          {"local-array-min-blocks-per-sm", localArrayMinBlocksPerSM}})
      if (value < 0 || value > 32) {
        getOperation().emitError() << "hmoe-set-kernel-occupancy: " << name
                                   << " must be in [0, 32], got " << value;
        return signalPassFailure();
      }
    // Each kernel's largest constant dynamic workgroup memory over its
    // launches; -1 where a launch's is not a constant.
    llvm::StringMap<int64_t> dynamicBytes;
    getOperation().walk([&](gpu::LaunchFuncOp launch) {
      std::string kernel = (launch.getKernelModuleName().getValue() +
                            "::" + launch.getKernelName().getValue())
                               .str();
      int64_t bytes = 0;
      if (Value size = launch.getDynamicSharedMemorySize()) {
        APInt value;
        bytes = matchPattern(size, m_ConstantInt(&value)) ? value.getSExtValue()
                                                          : -1;
      }
      auto [it, inserted] = dynamicBytes.try_emplace(kernel, bytes);
      if (!inserted && (it->second < 0 || bytes < 0))
        it->second = -1;
      else if (!inserted)
        it->second = std::max(it->second, bytes);
    });
    Builder b(&getContext());
    for (auto module : getOperation().getOps<gpu::GPUModuleOp>()) {
      int64_t perSM = sharedBytesPerSM(module);
      for (auto func : module.getOps<gpu::GPUFuncOp>()) {
        if (!func.isKernel())
          continue;
        int64_t blocks = minBlocksPerSM;
        if (blocks == 0) {
          // Kernels with much state per thread: tensor-core accumulators,
          // or arrays in local memory (a route's per-token scratch).
          func.walk([&](Operation *op) {
            if (isa<NVVM::MmaOp, NVVM::WgmmaMmaAsyncOp>(op))
              blocks = std::max<int64_t>(blocks, mmaMinBlocksPerSM);
            else if (isa<memref::AllocaOp>(op))
              blocks = std::max<int64_t>(blocks, localArrayMinBlocksPerSM);
          });
        }
        // No more blocks than the workgroup memory lets an SM hold (each
        // block reserves 1 KB besides).
        auto found =
            dynamicBytes.find((module.getName() + "::" + func.getName()).str());
        if (blocks > 1 && perSM > 0 && found != dynamicBytes.end() &&
            found->second > 0)
          blocks =
              std::clamp<int64_t>(perSM / (found->second + 1024), 1, blocks);
        if (blocks != 0)
          func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                        b.getI32IntegerAttr(blocks));
      }
    }
  }
};
} // namespace
