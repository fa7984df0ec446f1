//===- RejectPipelineOptions.cpp - a pipeline's error about its options ---===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/IR/BuiltinOps.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEREJECTPIPELINEOPTIONS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct RejectPipelineOptionsPass
    : public hmoe::impl::HMoERejectPipelineOptionsBase<
          RejectPipelineOptionsPass> {
  using Base::Base;
  void runOnOperation() override {
    // At the location only: the module would be printed with the error.
    mlir::emitError(getOperation().getLoc()) << message;
    signalPassFailure();
  }
};
} // namespace
