//===- ApproximateMath.cpp - f32 polynomial math approximations -----------===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Support/GreedyRewrite.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEAPPROXIMATEMATH
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct ApproximateMathPass
    : public hmoe::impl::HMoEApproximateMathBase<ApproximateMathPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns);
    if (failed(hmoe::applyPatternsOrReport(getOperation(), std::move(patterns),
                                           GreedyRewriteConfig(),
                                           getArgument())))
      signalPassFailure();
  }
};
} // namespace
