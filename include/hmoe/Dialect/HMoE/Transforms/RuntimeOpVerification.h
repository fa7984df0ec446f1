//===- RuntimeOpVerification.h - run-time checks of hmoe ops ----*- C++ -*-===//
//
// RuntimeVerifiableOpInterface models for the hmoe stage ops: the checks that
// `generate-runtime-verification` inserts (token counts that are dynamic and
// must agree, index operands a user passed in).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_TRANSFORMS_RUNTIMEOPVERIFICATION_H
#define HMOE_DIALECT_HMOE_TRANSFORMS_RUNTIMEOPVERIFICATION_H

namespace mlir {
class DialectRegistry;

namespace hmoe {
void registerRuntimeVerifiableOpInterfaceExternalModels(
    DialectRegistry &registry);
} // namespace hmoe
} // namespace mlir

#endif // HMOE_DIALECT_HMOE_TRANSFORMS_RUNTIMEOPVERIFICATION_H
