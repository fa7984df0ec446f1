//===- MPI.cpp - the MPI library an experts_on layer calls ----------------===//

#include "hmoe/Runtime/MPI.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

#include <chrono>
#include <cstdlib>
#include <dlfcn.h>
#include <mutex>
#include <thread>
#include <type_traits>

#ifdef HMOE_MPI_INCLUDE
#include <mpi.h>
#endif

using namespace mlir;

bool hmoe::runtime::callsMPI(ModuleOp module) {
  for (auto func : module.getOps<LLVM::LLVMFuncOp>())
    if (func.isExternal() && func.getName().starts_with("MPI_"))
      return true;
  return false;
}

llvm::StringRef hmoe::runtime::mpiLibraryPath() { return HMOE_LIBMPI_PATH; }

llvm::StringRef hmoe::runtime::mpiIncludePath() {
#ifdef HMOE_MPI_INCLUDE
  return HMOE_MPI_INCLUDE_DIR;
#else
  return "";
#endif
}

#ifdef HMOE_MPI_INCLUDE
namespace {
/// The library's functions hmoe calls itself (the layer calls its own).
struct MPIFunctions {
  decltype(&MPI_Initialized) initialized;
  decltype(&MPI_Finalized) finalized;
  decltype(&MPI_Init_thread) initThread;
  decltype(&MPI_Finalize) finalize;
  decltype(&MPI_Comm_rank) commRank;
  decltype(&MPI_Abort) abort;
};
MPIFunctions *functions = nullptr;

void finalizeAtExit() {
  int done = 0;
  functions->finalized(&done);
  if (!done)
    functions->finalize();
}
} // namespace
#endif

llvm::Expected<int> hmoe::runtime::initializeMPI() {
  auto fail = [](const llvm::Twine &message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  };
#ifndef HMOE_MPI_INCLUDE
  return fail("the layer calls MPI (experts_on), but hmoe was configured "
              "without an MPI library (install libmpich-dev and reconfigure)");
#else
  // Layers may be compiled on several threads (Python's) at once.
  static std::mutex starting;
  std::lock_guard<std::mutex> lock(starting);
  if (!functions) {
    // RTLD_GLOBAL: the JIT resolves the layer's MPI calls in this very
    // library (its own load of the path finds it loaded).
    void *library = dlopen(HMOE_LIBMPI_PATH, RTLD_NOW | RTLD_GLOBAL);
    if (!library)
      return fail("cannot load the MPI library " +
                  llvm::Twine(HMOE_LIBMPI_PATH) + ": " + dlerror());
    auto *loaded = new MPIFunctions;
    bool missing = false;
    auto symbol = [&](auto &slot, const char *name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(
          dlsym(library, name));
      missing |= !slot;
    };
    symbol(loaded->initialized, "MPI_Initialized");
    symbol(loaded->finalized, "MPI_Finalized");
    symbol(loaded->initThread, "MPI_Init_thread");
    symbol(loaded->finalize, "MPI_Finalize");
    symbol(loaded->commRank, "MPI_Comm_rank");
    symbol(loaded->abort, "MPI_Abort");
    if (missing) {
      delete loaded;
      return fail("the MPI library " + llvm::Twine(HMOE_LIBMPI_PATH) +
                  " lacks MPI_Init_thread or another MPI function");
    }
    functions = loaded;
  }
  int initialized = 0;
  functions->initialized(&initialized);
  if (!initialized) {
    // SERIALIZED: a program (Python's threads) may call its layers from
    // any thread, one call at a time.
    int provided = 0;
    if (functions->initThread(nullptr, nullptr, MPI_THREAD_SERIALIZED,
                              &provided) != MPI_SUCCESS)
      return fail("MPI_Init_thread failed");
    std::atexit(finalizeAtExit);
    if (provided < MPI_THREAD_SERIALIZED)
      return fail("the MPI library gives thread level " +
                  llvm::Twine(provided) + "; an experts_on layer needs " +
                  llvm::Twine(MPI_THREAD_SERIALIZED) +
                  " (MPI_THREAD_SERIALIZED)");
  }
  int rank = 0;
  if (functions->commRank(MPI_COMM_WORLD, &rank) != MPI_SUCCESS)
    return fail("MPI_Comm_rank failed");
  return rank;
#endif
}

void hmoe::runtime::abortMPIIfRunning(int code) {
#ifdef HMOE_MPI_INCLUDE
  // (Read without the lock: set once, before any layer that calls MPI
  // runs.)
  if (!functions)
    return;
  int initialized = 0, finalized = 0;
  functions->initialized(&initialized);
  functions->finalized(&finalized);
  if (initialized && !finalized) {
    // The caller has just written why to stderr: give mpiexec's forwarder
    // time to pass it on before the abort tears the job down (under load
    // Hydra ended the process first and the message was lost).
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    functions->abort(MPI_COMM_WORLD, code);
  }
#else
  (void)code;
#endif
}
