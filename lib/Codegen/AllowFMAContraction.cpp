//===- AllowFMAContraction.cpp - the hmoe-allow-fma-contraction pass ------===//
//
// Floating-point arithmetic may be contracted (a multiply and an add into
// one fused multiply-add, rounded once): the GEMM loops' `mulf` + `addf`
// become one FMA instruction each instead of two roundings and two
// instructions.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEALLOWFMACONTRACTION
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoEAllowFMAContractionPass
    : public hmoe::impl::HMoEAllowFMAContractionBase<
          HMoEAllowFMAContractionPass> {
  void runOnOperation() override {
    getOperation()->walk([](arith::ArithFastMathInterface op) {
      arith::FastMathFlagsAttr flags = op.getFastMathFlagsAttr();
      arith::FastMathFlags value =
          (flags ? flags.getValue() : arith::FastMathFlags::none) |
          arith::FastMathFlags::contract;
      op->setAttr(op.getFastMathAttrName(),
                  arith::FastMathFlagsAttr::get(op->getContext(), value));
    });
  }
};
} // namespace
