//===- Passes.h - the downstream project's own pass -------------*- C++ -*-===//

#ifndef DOWNSTREAM_PASSES_H
#define DOWNSTREAM_PASSES_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/Pass/Pass.h"

namespace downstream {
#define GEN_PASS_DECL
#define GEN_PASS_REGISTRATION
#include "Downstream/Passes.h.inc"
} // namespace downstream

#endif // DOWNSTREAM_PASSES_H
