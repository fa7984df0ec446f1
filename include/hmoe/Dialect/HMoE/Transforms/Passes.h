//===- Passes.h - hmoe dialect transformations ------------------*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::hmoe {

#define GEN_PASS_DECL
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"

} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_PASSES_H
