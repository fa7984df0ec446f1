//===- ValueBounds.h - bounds of index values for hmoe's passes -*- C++ -*-===//
//
// Passes that need a constant bound on a loop's trip count (a GPU thread's
// share of a tile's rows) ask upstream's ValueBoundsConstraintSet. Its
// models for affine, arith and scf ops are external; arith's lacks the
// min/max ops that tile sizes are clamped with, which hmoe adds.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_CODEGEN_VALUEBOUNDS_H
#define HMOE_CODEGEN_VALUEBOUNDS_H

#include "mlir/IR/Value.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class DialectRegistry;
namespace hmoe {
/// A constant `v` is at most (a GPU thread's rows of a tile, a tile's
/// rows), from upstream's ValueBoundsConstraintSet. A max (a tile size
/// clamped at 0) is bounded by its operands' bounds: the constraint set
/// holds only its lower bounds.
FailureOr<int64_t> constantUpperBound(Value v);

/// Upstream's affine, arith and scf ValueBoundsOpInterface models, and
/// hmoe's for `arith.minsi` / `arith.maxsi` on index values.
void registerValueBoundsExternalModels(DialectRegistry &registry);
} // namespace hmoe
} // namespace mlir

#endif // HMOE_CODEGEN_VALUEBOUNDS_H
