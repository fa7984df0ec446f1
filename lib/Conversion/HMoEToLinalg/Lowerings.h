//===- Lowerings.h - per-op lowerings of hmoe to upstream dialects -*- C++
//-*-===//
//
// Private to the HMoEToLinalg conversion. Each function replaces one op.
//
// score, experts and combine become linalg on tensors (so later passes can
// tile and vectorise them); route, dispatch and stats, whose per-token
// selection logic is branchy and sequential, become scf loops over buffers
// wrapped in bufferization.to_buffer / to_tensor.
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
LogicalResult lowerExperts(RewriterBase &rewriter, ExpertsOp op);
LogicalResult lowerCombine(RewriterBase &rewriter, CombineOp op);
LogicalResult lowerRoute(RewriterBase &rewriter, RouteOp op);
LogicalResult lowerDispatch(RewriterBase &rewriter, DispatchOp op);
LogicalResult lowerStats(RewriterBase &rewriter, StatsOp op);

} // namespace mlir::hmoe::lowering

#endif // HMOE_LIB_CONVERSION_HMOETOLINALG_LOWERINGS_H
