//===- ApproximateMath.cpp - f32 polynomial math approximations -----------===//

#include "hmoe/Transforms/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEAPPROXIMATEMATH
#include "hmoe/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public hmoe::impl::HMoEApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation()->emitError(
          "hmoe-approximate-math: the rewrite did not converge");
      signalPassFailure();
    }
  }
};
} // namespace
