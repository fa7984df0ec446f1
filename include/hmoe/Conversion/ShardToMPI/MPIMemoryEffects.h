//===- MPIMemoryEffects.h - what mpi.allreduce reads and writes -*- C++ -*-===//

#ifndef HMOE_CONVERSION_SHARDTOMPI_MPIMEMORYEFFECTS_H
#define HMOE_CONVERSION_SHARDTOMPI_MPIMEMORYEFFECTS_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace mlir::hmoe {

/// Declares that `mpi.allreduce` reads its send buffer, writes its receive
/// buffer and has a side effect of its own. MLIR 22's mpi ops declare no memory
/// effects, and the ownership-based buffer deallocation of hmoe's pipelines
/// refuses ops with unknown ones.
void registerMPIMemoryEffectsExternalModels(DialectRegistry &registry);

} // namespace mlir::hmoe

#endif // HMOE_CONVERSION_SHARDTOMPI_MPIMEMORYEFFECTS_H
