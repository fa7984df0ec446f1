//===- SetCPUTarget.cpp - record the CPU a module is compiled for ---------===//

#include "hmoe/Codegen/CPUTarget.h"
#include "hmoe/Codegen/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESETCPUTARGET
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct SetCPUTargetPass
    : public hmoe::impl::HMoESetCPUTargetBase<SetCPUTargetPass> {
  using Base::Base;
  void runOnOperation() override {
    std::string error;
    FailureOr<hmoe::CPUTarget> target = hmoe::resolveCPUTarget(cpu, error);
    if (failed(target)) {
      // At the module's location, without the whole module as a note: the
      // option is what is wrong.
      emitError(getOperation().getLoc()) << error;
      return signalPassFailure();
    }
    Builder b(&getContext());
    getOperation()->setAttr(hmoe::kTargetCpuAttr, b.getStringAttr(target->cpu));
    getOperation()->setAttr(hmoe::kTargetFeaturesAttr,
                            b.getStringAttr(target->features));
  }
};
} // namespace
