//===- JitLayer.h - a lowered layer, JIT-compiled and callable --*- C++ -*-===//
//
// What hmoe-run and the Python package call a layer through: a module that
// hmoe-lower-to-cpu lowered (an llvm.func carrying the layer's tensor
// signature as hmoe.abi) compiled with MLIR's ExecutionEngine for the CPU
// the module was compiled for, called on dense row-major buffers.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_RUNTIME_JITLAYER_H
#define HMOE_RUNTIME_JITLAYER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/Error.h"

#include <memory>
#include <string>

namespace mlir {
class DialectRegistry;
class ExecutionEngine;
} // namespace mlir

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace mlir::hmoe {

/// A dense, row-major tensor in the caller's memory.
struct TensorRef {
  void *data = nullptr;
  llvm::SmallVector<int64_t> shape;
};

struct JitOptions {
  /// LLVM optimisation level, 0 to 3.
  unsigned optLevel = 3;
  /// Called with the message of a failed run-time check (the layer's
  /// hmoe_check_failed, possibly on an OpenMP worker thread); it must not
  /// return. One handler per process: the last layer created sets it. Null:
  /// print "error: run-time check failed: ..." to stderr and exit with 1.
  /// Where an experts_on layer runs MPI, a handler must end the job with
  /// hmoe::runtime::abortMPIIfRunning (hmoe/Runtime/MPI.h), as the default
  /// does: the other processes would wait for this one for ever.
  void (*checkFailed)(const char *message) = nullptr;
};

class JitLayer {
public:
  /// Compiles `function` of `module` (empty: its one public function), a
  /// module lowered by hmoe-lower-to-cpu. The module is only read.
  static llvm::Expected<std::unique_ptr<JitLayer>>
  create(ModuleOp module, llvm::StringRef function, const JitOptions &options);

  /// The layer `function` (with tensor signature `signature`) of a shared
  /// library made by hmoe-compile, called through its packed entry
  /// `_mlir_<function>`. The library must have been compiled for that
  /// signature (its `signatureSymbol` string): buffers are sized by it; and
  /// from a layer with that `fingerprint` (`layerFingerprint` of the
  /// function before lowering: another layer of the same signature, say
  /// top-1 instead of top-2, would compute other numbers). With
  /// `cuda`, a library made with --target=cuda: inputs are copied to device
  /// memory for each call (once for `time`), results back, and `time` measures
  /// with CUDA events.
  static llvm::Expected<std::unique_ptr<JitLayer>>
  loadLibrary(llvm::StringRef path, llvm::StringRef function,
              FunctionType signature, llvm::StringRef fingerprint,
              bool cuda = false);
  ~JitLayer();

  /// This process's rank in MPI_COMM_WORLD when the layer calls MPI (an
  /// experts_on layer: create() initialised MPI); -1 otherwise.
  int getMPIRank() const { return mpiRank; }
  /// The layer's tensor signature (from hmoe.abi).
  FunctionType getSignature() const { return signature; }
  llvm::StringRef getFunctionName() const { return functionName; }

  /// Calls the layer on `inputs` (one per argument, shapes matching the
  /// signature: an error otherwise); result i goes to the dense memory
  /// `allocateResult(i, shape)` returns (null: dropped). With
  /// writesInPlace(), `allocateResult` is called before the layer runs (the
  /// shapes from @<layer>_result_shapes) and the layer writes there;
  /// otherwise after, and each result is copied there.
  llvm::Error call(llvm::ArrayRef<TensorRef> inputs,
                   llvm::function_ref<void *(unsigned, llvm::ArrayRef<int64_t>)>
                       allocateResult);

  /// Whether the layer writes its results into the caller's memory: it has
  /// hmoe-add-into-entries' @<layer>_into and @<layer>_result_shapes (a
  /// JIT-compiled layer or a CPU library from hmoe-compile, when its results
  /// are allocations sized from the inputs). `call` then makes no copy.
  bool writesInPlace() const { return packedInto && packedShapes; }

  /// Each result's shape for `inputs` (writesInPlace() only).
  llvm::Expected<llvm::SmallVector<llvm::SmallVector<int64_t>>>
  resultShapes(llvm::ArrayRef<TensorRef> inputs);

  /// Calls the layer on `inputs`, writing result i into `outputs[i]` (dense,
  /// row-major, of the result's shape for these inputs: an error otherwise,
  /// before the call; it must overlap no input or other output, which the
  /// layer's run-time checks check). writesInPlace() only.
  llvm::Error callInto(llvm::ArrayRef<TensorRef> inputs,
                       llvm::ArrayRef<TensorRef> outputs);

  /// Calls the layer `repetitions` times (after one warm-up call) and
  /// returns each call's seconds; results are dropped.
  llvm::Expected<llvm::SmallVector<double>>
  time(llvm::ArrayRef<TensorRef> inputs, unsigned repetitions);

private:
  JitLayer() = default;
  llvm::Error checkInputs(llvm::ArrayRef<TensorRef> inputs);
  /// callInto with the results' shapes known.
  llvm::Error invokeInto(llvm::ArrayRef<TensorRef> inputs,
                         llvm::ArrayRef<TensorRef> outputs,
                         llvm::ArrayRef<llvm::SmallVector<int64_t>> shapes);
  llvm::Error invoke(llvm::ArrayRef<TensorRef> inputs,
                     std::vector<int64_t> &resultWords);
  void releaseResults(llvm::ArrayRef<TensorRef> inputs,
                      const std::vector<int64_t> &resultWords);
  /// Copies of `inputs` in device memory (a CUDA library's layer).
  llvm::SmallVector<TensorRef> upload(llvm::ArrayRef<TensorRef> inputs);
  void freeDevice(llvm::ArrayRef<TensorRef> buffers);

  /// A CUDA library's device functions (libhmoe_cuda_runtime), or null.
  struct CUDAFunctions {
    void *(*alloc)(size_t);
    void (*free)(void *);
    void (*copy)(void *, const void *, size_t);
    void (*timerStart)();
    float (*timerStop)();
  };
  std::unique_ptr<CUDAFunctions> cuda;
  /// A library layer's hmoe_free, which frees its results as its runtime
  /// allocated them (device memory for a CUDA library); null for a
  /// JIT-compiled layer.
  void (*freeResult)(void *) = nullptr;

  int mpiRank = -1;
  std::unique_ptr<ExecutionEngine> engine;
  /// The packed entries (the library's, or the engine's looked up once):
  /// the layer, its _into and _result_shapes (null where it has none).
  void (*packed)(void **) = nullptr;
  void (*packedInto)(void **) = nullptr;
  void (*packedShapes)(void **) = nullptr;
  FunctionType signature;
  std::string functionName;
};

/// Adds the translations to LLVM IR that JIT compilation needs (builtin,
/// LLVM, OpenMP) to a registry.
void registerJitTranslations(DialectRegistry &registry);

/// The element size in bytes of the types a layer's tensors may have (f32,
/// f64, f16, bf16, i32, i64), or 0.
int64_t elementBytes(Type type);

/// Which of hmoe-add-into-entries' functions `module` (lowered or not) has
/// for the layer `layer` of tensor signature `signature`: @<layer>_into
/// (hmoe.into_abi) and @<layer>_result_shapes (hmoe.shapes_of), not a
/// function of the user's that happens to have the name.
struct IntoEntries {
  bool into = false;
  bool resultShapes = false;
};
IntoEntries intoEntriesOf(ModuleOp module, llvm::StringRef layer,
                          FunctionType signature);

/// The C string hmoe-compile puts in a layer's library: the signature it
/// was compiled for, as MLIR prints it; and the symbol that holds it.
std::string printSignature(FunctionType signature);
std::string signatureSymbol(llvm::StringRef function);

/// A hash of what `layer` (a function before lowering) computes: its body
/// and signature as MLIR prints them, without its name, attributes or
/// locations. hmoe-compile puts it in the library (`fingerprintSymbol`);
/// loading the library for a module compares it with the module's.
std::string layerFingerprint(func::FuncOp layer);
std::string fingerprintSymbol(llvm::StringRef function);

} // namespace mlir::hmoe

#endif // HMOE_RUNTIME_JITLAYER_H
