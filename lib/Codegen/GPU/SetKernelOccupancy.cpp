//===- SetKernelOccupancy.cpp - the hmoe-set-kernel-occupancy pass --------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESETKERNELOCCUPANCY
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoESetKernelOccupancyPass
    : public hmoe::impl::HMoESetKernelOccupancyBase<
          HMoESetKernelOccupancyPass> {
  using Base::Base;
  void runOnOperation() override {
    // An SM holds at most 32 blocks on sm_80 and sm_90.
    if (minBlocksPerSM < 0 || minBlocksPerSM > 32) {
      getOperation().emitError()
          << "hmoe-set-kernel-occupancy: min-blocks-per-sm must be in "
             "[0, 32], got "
          << static_cast<int64_t>(minBlocksPerSM);
      return signalPassFailure();
    }
    if (minBlocksPerSM == 0)
      return;
    Builder b(&getContext());
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>())
      if (func.isKernel())
        func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      b.getI32IntegerAttr(minBlocksPerSM));
  }
};
} // namespace
