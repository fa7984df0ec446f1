//===- GreedyRewrite.h - greedy rewriting that fails loudly ----*- C++ -*-===//
//
// The hmoe passes rewrite with the greedy driver; when it does not converge
// the pass must fail with an error at the op, not silently.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_SUPPORT_GREEDYREWRITE_H
#define HMOE_SUPPORT_GREEDYREWRITE_H

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::hmoe {

/// Applies `patterns` to `op` greedily; if the driver does not converge,
/// reports it at `op`, naming `pass`, and fails.
inline LogicalResult
applyPatternsOrReport(Operation *op, const FrozenRewritePatternSet &patterns,
                      GreedyRewriteConfig config, StringRef pass) {
  if (succeeded(applyPatternsGreedily(op, patterns, config)))
    return success();
  return op->emitError() << pass << ": the rewrite did not converge";
}

} // namespace mlir::hmoe

#endif // HMOE_SUPPORT_GREEDYREWRITE_H
