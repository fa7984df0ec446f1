//===- InitAllDialects.h - register the hmoe dialect ------------*- C++ -*-===//
//
// What a tool that embeds hmoe calls to parse, verify and transform hmoe IR
// (compare mlir/InitAllDialects.h).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_INITALLDIALECTS_H
#define HMOE_INITALLDIALECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::hmoe {

/// Adds the hmoe dialect and the external models of its ops (bufferization,
/// tiling, run-time verification) to `registry`.
void registerAllDialects(DialectRegistry &registry);

/// Adds, beyond registerAllDialects, the upstream dialects and interface
/// models that hmoe's pipelines create and lower (linalg, bufferization,
/// vector, OpenMP, LLVM, ...). A tool that registers all of MLIR's dialects
/// and extensions (mlir-opt) already has them.
void registerPipelineDialects(DialectRegistry &registry);

} // namespace mlir::hmoe

#endif // HMOE_INITALLDIALECTS_H
