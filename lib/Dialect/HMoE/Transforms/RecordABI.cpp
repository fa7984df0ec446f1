//===- RecordABI.cpp - keep the tensor signature for hmoe-run -------------===//

#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOERECORDABI
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoERecordABIPass
    : public hmoe::impl::HMoERecordABIBase<HMoERecordABIPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<func::FuncOp>()) {
      if (func.isPrivate() || func.isExternal() || func->hasAttr(kAbiAttr))
        continue;
      func->setAttr(kAbiAttr, TypeAttr::get(func.getFunctionType()));
    }
  }
  static constexpr StringLiteral kAbiAttr = "hmoe.abi";
};
} // namespace
