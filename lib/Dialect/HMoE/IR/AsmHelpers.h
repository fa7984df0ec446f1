//===- AsmHelpers.h - assembly pieces shared by attrs and ops ---*- C++ -*-===//
//
// Private to the IR library.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H
#define HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/IR/OpImplementation.h"

namespace mlir::hmoe {

/// `linear`, `laplace`, `gaussian` or `activation<f>`.
ParseResult parseScoreSpec(AsmParser &parser, ScoreKind &kind,
                           std::optional<Activation> &activation);
void printScoreSpec(AsmPrinter &printer, ScoreKind kind,
                    std::optional<Activation> activation);

/// A float parameter: a float literal, or a decimal integer (`2` for 2.0),
/// which MLIR's own float parser rejects but which cannot mean anything else
/// where a float is expected.
ParseResult parseFloatParameter(AsmParser &parser, double &value);

} // namespace mlir::hmoe

#endif // HMOE_LIB_DIALECT_HMOE_IR_ASMHELPERS_H
