//===- InitAllPasses.h - register hmoe's passes and pipelines ---*- C++ -*-===//
//
// Passes and named pipelines are registered separately: a compiler that
// embeds hmoe may want the passes (to build its own pipeline) without the
// pipelines, or the reverse (compare mlir/InitAllPasses.h).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_INITALLPASSES_H
#define HMOE_INITALLPASSES_H

namespace mlir::hmoe {

/// Registers every hmoe pass (dialect transforms, convert-hmoe-to-linalg,
/// CPU code generation) with the global pass registry.
void registerAllPasses();

/// Registers the named pipelines (hmoe-lower-to-cpu, ...) with the global
/// pass registry.
void registerAllPipelines();

} // namespace mlir::hmoe

#endif // HMOE_INITALLPASSES_H
