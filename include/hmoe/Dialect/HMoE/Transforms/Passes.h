//===- Passes.h - hmoe dialect transformations ------------------*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace mlir::hmoe {

#define GEN_PASS_DECL
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"

/// Adds the patterns that split `hmoe.moe` into its stages. With
/// `checkProcesses`, an `experts_on` layer first checks at run time that its
/// processes were given the same tokens and routing parameters (cf.assert:
/// a pass using it depends on the cf dialect; hmoe-decompose does).
void populateHMoEDecomposePatterns(RewritePatternSet &patterns,
                                   bool checkProcesses = false);

#define GEN_PASS_REGISTRATION
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"

} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H
