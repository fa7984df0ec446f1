//===- Lowerings.h - score, experts and combine to linalg -------*- C++ -*-===//
//
// Private to the HMoEToLinalg conversion. Each function replaces one op by
// linalg on tensors (so later passes can tile and vectorise it).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_CONVERSION_HMOETOLINALG_LOWERINGS_H
#define HMOE_LIB_CONVERSION_HMOETOLINALG_LOWERINGS_H

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::hmoe::lowering {

/// Laplace and Gaussian scores take the GEMM form (with norms, clamped at 0)
/// when `expandDistances`, else the direct sum of squared differences.
LogicalResult lowerScore(RewriterBase &rewriter, ScoreOp op,
                         bool expandDistances);
/// With `stageScratch`, each expert's temporaries are its rows of
/// stage-wide tensors (no allocation inside the loop over experts); with
/// `rowTile` > 0 the loop is over (expert, tile of `rowTile` of its rows).
LogicalResult lowerExperts(RewriterBase &rewriter, ExpertsOp op,
                           bool stageScratch, int64_t rowTile);
LogicalResult lowerCombine(RewriterBase &rewriter, CombineOp op);

} // namespace mlir::hmoe::lowering

#endif // HMOE_LIB_CONVERSION_HMOETOLINALG_LOWERINGS_H
