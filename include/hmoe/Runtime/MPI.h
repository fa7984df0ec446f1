//===- MPI.h - the MPI library an experts_on layer calls --------*- C++ -*-===//
//
// A layer with expert parallelism calls MPI (MPI_Allreduce, MPI_Comm_rank
// through MLIR's MPIToLLVM). hmoe loads the MPI library it was configured
// with (Debian's libmpich) only for such layers, so nothing else in hmoe
// needs MPI installed.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_RUNTIME_MPI_H
#define HMOE_RUNTIME_MPI_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

namespace mlir::hmoe::runtime {

/// Whether `module` (lowered to the LLVM dialect) calls MPI.
bool callsMPI(ModuleOp module);

/// The MPI library's path, empty where hmoe was configured without one.
llvm::StringRef mpiLibraryPath();
/// The directory of its mpi.h (hmoe-compile's libraries include it).
llvm::StringRef mpiIncludePath();

/// Loads the MPI library and, unless the program has done it already,
/// initialises MPI (MPI_THREAD_SERIALIZED: the layer's MPI calls come from
/// the thread that calls the layer, which may be any, one call at a time)
/// and finalises it at exit. A program that initialised MPI itself must
/// give that level too. Returns the process's rank in MPI_COMM_WORLD.
llvm::Expected<int> initializeMPI();

/// Where initializeMPI started MPI (or found it started) and it is not
/// finalised: MPI_Abort(MPI_COMM_WORLD, code), which ends every process of
/// the job. An error that ends one process must: the others would wait in
/// the layer's next all-reduce for ever. Returns where MPI is not running.
void abortMPIIfRunning(int code);

} // namespace mlir::hmoe::runtime

#endif // HMOE_RUNTIME_MPI_H
