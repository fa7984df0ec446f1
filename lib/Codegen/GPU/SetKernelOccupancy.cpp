//===- SetKernelOccupancy.cpp - the hmoe-set-kernel-occupancy pass --------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

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
    for (auto [name, value] :
         {std::pair<StringRef, int64_t>{"min-blocks-per-sm", minBlocksPerSM},
          {"mma-min-blocks-per-sm", mmaMinBlocksPerSM},
          {"local-array-min-blocks-per-sm", localArrayMinBlocksPerSM}})
      if (value < 0 || value > 32) {
        getOperation().emitError() << "hmoe-set-kernel-occupancy: " << name
                                   << " must be in [0, 32], got " << value;
        return signalPassFailure();
      }
    Builder b(&getContext());
    for (auto func : getOperation().getOps<gpu::GPUFuncOp>()) {
      if (!func.isKernel())
        continue;
      int64_t blocks = minBlocksPerSM;
      if (blocks == 0) {
        // Kernels with much state per thread: tensor-core accumulators, or
        // arrays in local memory (a route's per-token scratch).
        func.walk([&](Operation *op) {
          if (isa<NVVM::MmaOp, NVVM::WgmmaMmaAsyncOp>(op))
            blocks = std::max<int64_t>(blocks, mmaMinBlocksPerSM);
          else if (isa<memref::AllocaOp>(op))
            blocks = std::max<int64_t>(blocks, localArrayMinBlocksPerSM);
        });
      }
      if (blocks != 0)
        func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                      b.getI32IntegerAttr(blocks));
    }
  }
};
} // namespace
