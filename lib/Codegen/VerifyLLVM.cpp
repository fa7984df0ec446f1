//===- VerifyLLVM.cpp - nothing but the LLVM dialect is left --------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVERIFYLLVM
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct VerifyLLVMPass : public hmoe::impl::HMoEVerifyLLVMBase<VerifyLLVMPass> {
  void runOnOperation() override {
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (isa<ModuleOp>(op) ||
          isa<LLVM::LLVMDialect, omp::OpenMPDialect>(op->getDialect()))
        return WalkResult::advance();
      op->emitOpError("was not lowered to the LLVM dialect; the module "
                      "would not translate to LLVM IR");
      return WalkResult::interrupt();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
