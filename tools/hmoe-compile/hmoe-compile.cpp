//===- hmoe-compile.cpp - a layer ahead of time: shared library + header --===//
//
// hmoe-compile layer.mlir -o out/liblayer.so [--function=NAME]
//     [--target=cpu|cuda] [--pipeline-options="target-cpu=znver3"]
//
// --target=cpu: lowers the layer with hmoe-lower-to-cpu, compiles it for the
// CPU the pipeline recorded, and links a shared library that needs neither
// LLVM nor MLIR at run time: the layer, a C wrapper per layer function
// (_mlir_ciface_NAME), a packed entry (_mlir_NAME, ExecutionEngine's
// convention, which `hmoe-run --library` calls), memrefCopy and
// hmoe_check_failed; libomp.so.5 (for the parallel loops) is copied beside
// it and found through $ORIGIN.
//
// --target=cuda: lowers with hmoe-lower-to-nvvm (its options in
// --pipeline-options: chip, toolkit, ...); the library holds the host code
// and the kernels' fatbin, and needs only libhmoe_cuda_runtime.so (copied
// beside it) and the CUDA driver's libcuda.so.1. Its buffers (arguments and
// results) are device memory.
//
// The C header (out/liblayer.h, or --header) declares the memref
// descriptors and the entry point.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/CPUTarget.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"
#include "hmoe/Pipelines/Pipelines.h"
#include "hmoe/Runtime/JitLayer.h"
#include "hmoe/Runtime/MPI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Target/LLVMIR/Export.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("hmoe-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<layer.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("the shared library"),
                                       cl::value_desc("lib.so"), cl::Required,
                                       cl::cat(category));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("the C header (default: the library's "
                        "path with .h)"),
               cl::cat(category));
static cl::opt<std::string>
    functionName("function",
                 cl::desc("the layer function (default: the one public one)"),
                 cl::cat(category));
static cl::opt<std::string> pipelineOptions(
    "pipeline-options",
    cl::desc("options of the target's pipeline: hmoe-lower-to-cpu (e.g. "
             "\"target-cpu=znver3\") or hmoe-lower-to-nvvm (e.g. "
             "\"chip=sm_90a\")"),
    cl::init(""), cl::cat(category));
static cl::opt<bool> keepIntermediates(
    "keep-intermediates",
    cl::desc("keep the object file and the runtime C source beside the "
             "library (removed once it is linked, by default)"),
    cl::init(false), cl::cat(category));
static cl::opt<std::string>
    target("target",
           cl::desc("cpu (the host, through hmoe-lower-to-cpu) or cuda (an "
                    "NVIDIA GPU, through hmoe-lower-to-nvvm)"),
           cl::init("cpu"), cl::cat(category));

[[noreturn]] static void fatal(const llvm::Twine &message) {
  llvm::errs() << "hmoe-compile: error: " << message << "\n";
  std::exit(1);
}

/// Every layer library's report of a failed run-time check (CPU and CUDA;
/// with HMOE_MPI, an experts_on layer's, which also aborts the MPI job).
static constexpr const char *kCheckFailedSource = R"c(
#include <stdio.h>
#include <stdlib.h>
#ifdef HMOE_MPI
#include <mpi.h>
#include <time.h>
#endif
void hmoe_check_failed(const char *message) {
  fprintf(stderr, "hmoe: error: run-time check failed: %s\n", message);
  fflush(stderr);
#ifdef HMOE_MPI
  // An experts_on layer: the job ends (the other processes would wait in
  // the all-reduce for ever).
  int started = 0, finished = 0;
  MPI_Initialized(&started);
  MPI_Finalized(&finished);
  if (started && !finished) {
    // Time for mpiexec to pass the message on before the abort ends the
    // job (it can end the process first).
    struct timespec pause = {0, 200000000};
    nanosleep(&pause, NULL);
    MPI_Abort(MPI_COMM_WORLD, 1);
  }
#endif
  _Exit(1);
}
)c";

/// What the layer's code calls besides libc, libm and libomp: copies of
/// strided buffers (MLIR's memrefCopy); with kCheckFailedSource, the
/// run-time checks' report.
static constexpr const char *kRuntimeSource = R"c(
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
typedef struct { int64_t rank; void *descriptor; } hmoe_unranked;
void memrefCopy(int64_t elemSize, hmoe_unranked *src, hmoe_unranked *dst) {
  int64_t rank = src->rank;
  char *const *sp = (char *const *)src->descriptor;
  char *const *dp = (char *const *)dst->descriptor;
  const int64_t *s = (const int64_t *)(sp + 2), *d = (const int64_t *)(dp + 2);
  for (int64_t i = 0; i < rank; ++i)
    if (s[1 + i] == 0) return;
  char *from = sp[1] + s[0] * elemSize, *to = dp[1] + d[0] * elemSize;
  if (rank == 0) { memcpy(to, from, elemSize); return; }
  int64_t index[rank];
  memset(index, 0, sizeof(index));
  for (;;) {
    int64_t so = 0, dof = 0;
    for (int64_t i = 0; i < rank; ++i) {
      so += index[i] * s[1 + rank + i];
      dof += index[i] * d[1 + rank + i];
    }
    memcpy(to + dof * elemSize, from + so * elemSize, elemSize);
    int64_t i = rank - 1;
    while (i >= 0 && ++index[i] == s[1 + i]) index[i--] = 0;
    if (i < 0) return;
  }
}
/* The layer's malloc/free (renamed in its object file). Temporaries of
   64 KiB and more that it frees are kept for its next call instead of
   going back to the system, which maps them anew each time: the page faults
   were a tenth of W2's library time (T = 4096). At most 64 idle blocks, 1
   GiB in all; hmoe_<layer>_release_buffers() returns them. Results are the
   caller's: hmoe_free is free() (the caller's hmoe_free may bind to
   another hmoe library's). The entry a result leaves in the live table is
   replaced when malloc hands its address out for a large block again, and
   a freed block is kept only if malloc_usable_size holds the capacity
   listed, so a stale entry never overstates a block; small blocks need no
   bookkeeping (none holds a large capacity). */
#include <malloc.h>
#include <pthread.h>
#define HMOE_LARGE ((size_t)64 << 10)
#define HMOE_SLOTS 64
#define HMOE_IDLE_BUDGET ((size_t)1 << 30)
typedef struct { void *block; size_t capacity; } hmoe_slot;
static hmoe_slot hmoe_live[HMOE_SLOTS], hmoe_idle[HMOE_SLOTS];
static size_t hmoe_idle_bytes;
static unsigned hmoe_next_live, hmoe_next_idle; /* round robin when full */
static pthread_mutex_t hmoe_lock = PTHREAD_MUTEX_INITIALIZER;
static int hmoe_slot_of(const hmoe_slot *slots, const void *block) {
  for (int i = 0; i < HMOE_SLOTS; ++i)
    if (slots[i].block == block) return i;
  return -1;
}
/* Lists a large block. An entry already there for its address is stale:
   replaced. */
static void hmoe_track(void *block, size_t capacity) {
  pthread_mutex_lock(&hmoe_lock);
  int slot = hmoe_slot_of(hmoe_live, block);
  if (slot < 0) slot = hmoe_slot_of(hmoe_live, NULL);
  /* Full: a live block dropped from the table just goes to free(). */
  if (slot < 0) slot = hmoe_next_live++ % HMOE_SLOTS;
  hmoe_live[slot] = (hmoe_slot){block, capacity};
  pthread_mutex_unlock(&hmoe_lock);
}
/* A buffer that could not be allocated: a run-time error (the layer's
   code would write through NULL). */
static void *hmoe_allocated(void *block, size_t bytes) {
  if (!block && bytes) {
    char message[128];
    snprintf(message, sizeof message,
             "out of memory: a buffer of %zu bytes could not be allocated",
             bytes);
    hmoe_check_failed(message);
  }
  return block;
}
__attribute__((visibility("hidden"))) void *hmoe_malloc(size_t bytes) {
  if (bytes < HMOE_LARGE) return hmoe_allocated(malloc(bytes), bytes);
  void *block = NULL;
  size_t capacity = bytes;
  pthread_mutex_lock(&hmoe_lock);
  /* The smallest idle block that fits and wastes at most half of itself. */
  int best = -1;
  for (int i = 0; i < HMOE_SLOTS; ++i)
    if (hmoe_idle[i].block && hmoe_idle[i].capacity >= bytes &&
        hmoe_idle[i].capacity / 2 <= bytes &&
        (best < 0 || hmoe_idle[i].capacity < hmoe_idle[best].capacity))
      best = i;
  if (best >= 0) {
    block = hmoe_idle[best].block;
    capacity = hmoe_idle[best].capacity;
    hmoe_idle[best].block = NULL;
    hmoe_idle_bytes -= capacity;
  }
  pthread_mutex_unlock(&hmoe_lock);
  if (!block && !(block = malloc(bytes))) return hmoe_allocated(NULL, bytes);
  hmoe_track(block, capacity);
  return block;
}
__attribute__((visibility("hidden"))) void hmoe_buffer_free(void *block) {
  if (!block) return;
  if (malloc_usable_size(block) < HMOE_LARGE) { /* never kept */
    free(block);
    return;
  }
  pthread_mutex_lock(&hmoe_lock);
  int slot = hmoe_slot_of(hmoe_live, block);
  void *evicted = NULL;
  size_t capacity = slot >= 0 ? hmoe_live[slot].capacity : 0;
  if (slot >= 0) hmoe_live[slot].block = NULL;
  /* Kept only if malloc's block really holds the capacity listed. */
  if (slot >= 0 && malloc_usable_size(block) >= capacity) {
    int idle = hmoe_slot_of(hmoe_idle, NULL);
    if (idle < 0) { /* full: the next in turn goes back to the system */
      idle = hmoe_next_idle++ % HMOE_SLOTS;
      evicted = hmoe_idle[idle].block;
      hmoe_idle_bytes -= hmoe_idle[idle].capacity;
      hmoe_idle[idle].block = NULL;
    }
    if (hmoe_idle_bytes + capacity <= HMOE_IDLE_BUDGET) {
      hmoe_idle[idle] = (hmoe_slot){block, capacity};
      hmoe_idle_bytes += capacity;
      block = NULL;
    }
  }
  pthread_mutex_unlock(&hmoe_lock);
  free(evicted);
  free(block);
}
void hmoe_free(void *buffer) { free(buffer); }
__attribute__((visibility("hidden"), destructor)) void hmoe_release_all(void) {
  pthread_mutex_lock(&hmoe_lock);
  for (int i = 0; i < HMOE_SLOTS; ++i) {
    free(hmoe_idle[i].block);
    hmoe_idle[i].block = NULL;
  }
  hmoe_idle_bytes = 0;
  pthread_mutex_unlock(&hmoe_lock);
}
)c";

/// A CUDA layer's library: results are device memory.
static constexpr const char *kCUDARuntimeSource = R"c(
void hmoe_cuda_free(void *buffer);
void hmoe_free(void *buffer) { hmoe_cuda_free(buffer); }
)c";

/// libhmoe_cuda_runtime.so beside this tool's lib/ (build tree or install).
static std::string cudaRuntimeLibrary(const char *argv0) {
  std::string exe =
      llvm::sys::fs::getMainExecutable(argv0, (void *)&cudaRuntimeLibrary);
  SmallString<256> path(exe);
  llvm::sys::path::remove_filename(path); // bin
  llvm::sys::path::remove_filename(path); // prefix
  llvm::sys::path::append(path, "lib", "libhmoe_cuda_runtime.so");
  return std::string(path);
}

/// The C element type of a tensor element type.
static std::string cType(Type type) {
  if (type.isF32())
    return "float";
  if (type.isF64())
    return "double";
  if (type.isF16() || type.isBF16())
    return "uint16_t";
  if (type.isSignlessInteger(32))
    return "int32_t";
  return "int64_t";
}

static std::string descriptorName(RankedTensorType type) {
  std::string elem = cType(type.getElementType());
  return "hmoe_memref_" + elem + "_" + std::to_string(type.getRank()) + "d";
}

/// The header: one descriptor struct per (element type, rank), the results
/// struct, the entry points (`into`: the destination-passing one; `shapes`:
/// the results' shapes) and hmoe_free.
static std::string makeHeader(StringRef name, FunctionType signature, bool cuda,
                              bool into, bool shapes, bool checked) {
  std::string text;
  llvm::raw_string_ostream os(text);
  std::string guard = ("HMOE_LAYER_" + name.upper() + "_H");
  os << "/* Generated by hmoe-compile: the C interface of layer @" << name
     << ". */\n#ifndef " << guard << "\n#define " << guard
     << "\n\n#include <stdint.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n"
        "#endif\n\n";
  llvm::StringSet<> declared;
  auto declare = [&](RankedTensorType type) {
    std::string d = descriptorName(type);
    if (!declared.insert(d).second)
      return;
    std::string elem = cType(type.getElementType());
    os << "/* A strided buffer (MLIR's memref descriptor): element (i, j, ...) "
          "is aligned[offset + i * strides[0] + j * strides[1] + ...]. The "
          "layer's\n   arguments must be contiguous and row-major: offset 0, "
          "strides[d] the product\n   of the sizes after d (checked at the "
          "call, with the static sizes). */\n"
       << "typedef struct " << d << " {\n  " << elem << " *allocated;\n  "
       << elem << " *aligned;\n  int64_t offset;\n";
    if (type.getRank() > 0)
      os << "  int64_t sizes[" << type.getRank() << "];\n  int64_t strides["
         << type.getRank() << "];\n";
    os << "} " << d << ";\n\n";
  };
  for (Type t :
       llvm::concat<const Type>(signature.getInputs(), signature.getResults()))
    declare(cast<RankedTensorType>(t));
  if (shapes) // the result shapes' buffer
    declare(RankedTensorType::get(
        {ShapedType::kDynamic}, IntegerType::get(signature.getContext(), 64)));
  std::string results = "hmoe_" + name.str() + "_results";
  if (cuda)
    os << "/* A CUDA layer: every buffer, argument or result, is device "
          "memory of the\n   current device, starting at an address aligned "
          "to 8 bytes (with the\n   tensor-cores option, pairs of elements "
          "are read as one access). */\n\n";
  os << "/* What @" << name
     << " returns; free each result's 'allocated' with hmoe_free. */\n"
     << "typedef struct " << results << " {\n";
  for (auto [i, t] : llvm::enumerate(signature.getResults()))
    os << "  " << descriptorName(cast<RankedTensorType>(t)) << " result" << i
       << ";\n";
  os << "} " << results << ";\n\n/* @" << name << signature
     << " */\nvoid _mlir_ciface_" << name << "(" << results << " *results";
  for (auto [i, t] : llvm::enumerate(signature.getInputs()))
    os << ", " << descriptorName(cast<RankedTensorType>(t)) << " *arg" << i;
  os << ");\n";
  if (into) {
    os << "\n/* The same, writing each result into a buffer of the caller's "
          "(result i\n   in out<i>, of the result's sizes, overlapping no "
          "other buffer; "
       << (checked ? "checked\n   at the call"
                   : "NOT checked:\n   compiled with runtime-checks=0")
       << "): no allocation, no copy. */\nvoid _mlir_ciface_" << name
       << "_into(";
    for (auto [i, t] : llvm::enumerate(signature.getInputs()))
      os << descriptorName(cast<RankedTensorType>(t)) << " *arg" << i << ", ";
    for (auto [i, t] : llvm::enumerate(signature.getResults()))
      os << (i ? ", " : "") << descriptorName(cast<RankedTensorType>(t))
         << " *out" << i;
    os << ");\n";
  }
  if (shapes) {
    os << "\n/* Each result's sizes for these inputs, in order (the sizes "
          "of result 0, then\n   result 1's, ...), into shapes (int64_t "
          "values, host memory): what the\n   buffers of "
       << "_mlir_ciface_" << name << "_into must hold. */\nvoid _mlir_ciface_"
       << name << "_result_shapes(";
    for (auto [i, t] : llvm::enumerate(signature.getInputs()))
      os << descriptorName(cast<RankedTensorType>(t)) << " *arg" << i << ", ";
    os << "hmoe_memref_int64_t_1d *shapes);\n";
  }
  os << "\nvoid hmoe_free(void *buffer);\n";
  os << "\n/* The signature above, as MLIR prints it: what hmoe-run and "
        "hmoe.load compare\n   with the module they are given. */\nextern "
        "const char "
     << hmoe::signatureSymbol(name) << "[];\n";
  os << "/* A hash of the layer it was compiled from (hmoe::layerFingerprint), "
        "which\n   they compare too. */\nextern const char "
     << hmoe::fingerprintSymbol(name) << "[];\n";
  if (!cuda)
    os << "\n/* The library keeps large temporaries it freed (at most 1 GiB) "
          "for its next\n   call; this returns them to the system (so does "
          "unloading it). */\nvoid hmoe_"
       << name << "_release_buffers(void);\n";
  os << "\n#ifdef __cplusplus\n}\n#endif\n\n#endif\n";
  return text;
}

/// `void _mlir_<name>(void **args)`: args[i] points to the i-th argument of
/// the lowered @name (descriptor fields one by one) and args[n] to where its
/// results go: the convention of MLIR's ExecutionEngine, so hmoe-run (and
/// JitLayer) call a library's layer as they call a JIT-compiled one.
static void addPackedEntry(llvm::Module &module, StringRef name) {
  llvm::Function *layer = module.getFunction(name);
  if (!layer)
    fatal("@" + name + " is missing from the LLVM module");
  llvm::LLVMContext &ctx = module.getContext();
  llvm::Type *ptr = llvm::PointerType::getUnqual(ctx);
  auto *entry = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(ctx), {ptr}, false),
      llvm::GlobalValue::ExternalLinkage, "_mlir_" + name, module);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(ctx, "entry", entry));
  llvm::Value *args = entry->getArg(0);
  SmallVector<llvm::Value *> values;
  for (auto [i, param] : llvm::enumerate(layer->args())) {
    llvm::Value *slot = b.CreateLoad(
        ptr, b.CreateConstGEP1_64(ptr, args, static_cast<uint64_t>(i)));
    values.push_back(b.CreateLoad(param.getType(), slot));
  }
  llvm::Value *result = b.CreateCall(layer, values);
  if (!result->getType()->isVoidTy()) {
    llvm::Value *slot =
        b.CreateLoad(ptr, b.CreateConstGEP1_64(ptr, args, layer->arg_size()));
    b.CreateStore(result, slot);
  }
  b.CreateRetVoid();
}

/// Copies `from` to `to` through a new file renamed over `to`. A process
/// may have the previous `to` loaded (the library beside a layer compiled
/// into the same folder earlier); copying in place rewrote the pages it
/// had mapped, and its next call or dlopen crashed.
static llvm::Error copyReplacing(StringRef from, StringRef to) {
  llvm::Expected<llvm::sys::fs::TempFile> temporary =
      llvm::sys::fs::TempFile::create(to + ".tmp-%%%%%%");
  if (!temporary)
    return temporary.takeError();
  if (std::error_code ec = llvm::sys::fs::copy_file(from, temporary->FD))
    return llvm::joinErrors(llvm::errorCodeToError(ec), temporary->discard());
  return temporary->keep(to);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  hmoe::registerAllPasses();
  hmoe::registerAllPipelines();
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "hmoe ahead-of-time compiler\n");
  bool cuda = target == "cuda";
  if (target != "cpu" && !cuda)
    fatal("--target=" + target + ": expected cpu or cuda");
  std::string cudaRuntime;
  if (cuda) {
    cudaRuntime = cudaRuntimeLibrary(argv[0]);
    if (!llvm::sys::fs::exists(cudaRuntime))
      fatal("--target=cuda needs " + cudaRuntime +
            ", which is built only where the CUDA toolkit was found when "
            "hmoe was configured");
  }

  // What it writes: the object file, runtime source and header beside the
  // library, and libomp (CPU) or the CUDA runtime, found through $ORIGIN.
  SmallString<128> outDir(outputFile);
  llvm::sys::path::remove_filename(outDir);
  if (outDir.empty())
    outDir = ".";
  SmallString<128> object(outputFile), runtime(outputFile);
  llvm::sys::path::replace_extension(object, "o");
  llvm::sys::path::replace_extension(runtime, "runtime.c");
  SmallString<128> header(headerFile.empty() ? outputFile.getValue()
                                             : headerFile.getValue());
  if (headerFile.empty())
    llvm::sys::path::replace_extension(header, "h");
  SmallString<128> dependency(outDir);
  llvm::sys::path::append(dependency,
                          cuda ? "libhmoe_cuda_runtime.so" : "libomp.so.5");
  // None may be another or the input: one would overwrite the other (the
  // header the library, --header the layer's source) and report success.
  {
    std::pair<StringRef, StringRef> files[] = {
        {"the input", inputFile},
        {"the library (-o)", outputFile},
        {"the header", header},
        {"the object file", object},
        {"the runtime source", runtime},
        {"the runtime beside the library", dependency}};
    auto canonical = [](StringRef path) {
      SmallString<256> full(path);
      llvm::sys::fs::make_absolute(full);
      llvm::sys::path::remove_dots(full, /*remove_dot_dot=*/true);
      return std::string(full);
    };
    for (size_t i = 0; i < std::size(files); ++i)
      for (size_t j = 0; j < i; ++j)
        // ("-" is standard input or output, not a file.)
        if (files[i].second != "-" && files[j].second != "-" &&
            (canonical(files[i].second) == canonical(files[j].second) ||
             llvm::sys::fs::equivalent(files[i].second, files[j].second))) {
          std::string names = (files[i].first + " would overwrite " +
                               files[j].first + " ('" + files[i].second + "')")
                                  .str();
          fatal(names + "; name another with -o or --header");
        }
  }

  DialectRegistry registry;
  hmoe::registerPipelineDialects(registry);
  hmoe::registerJitTranslations(registry);
  MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  std::string error;
  auto file = openInputFile(inputFile, &error);
  if (!file)
    fatal(error);
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1;

  // The layer function gets a C wrapper taking descriptors by pointer.
  SmallVector<func::FuncOp> layers;
  for (auto func : module->getOps<func::FuncOp>())
    if (func.isPublic() && !func.isExternal() &&
        (functionName.empty() || func.getName() == functionName))
      layers.push_back(func);
  if (layers.size() != 1)
    fatal(functionName.empty()
              ? "the module has " + llvm::Twine(layers.size()) +
                    " public functions; name one with --function"
              : "no function @" + functionName + " in the module");
  std::string name = layers[0].getName().str();
  // The library's entries, symbols and header are named after the layer.
  if (name.empty() || !(llvm::isAlpha(name[0]) || name[0] == '_') ||
      !llvm::all_of(name,
                    [](char c) { return llvm::isAlnum(c) || c == '_'; })) {
    layers[0].emitError()
        << "hmoe-compile: the layer's name must be a C identifier "
           "([A-Za-z_][A-Za-z0-9_]*): the library's entries and header are "
           "named after it (@"
        << name << ", hmoe_" << name << "_signature, ...)";
    return 1;
  }
  std::string fingerprint = hmoe::layerFingerprint(layers[0]);
  layers[0]->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                     UnitAttr::get(&context));

  PassManager pm(&context);
  bool into = false, checked = true;
  if (cuda) {
    auto options = hmoe::LowerToNVVMOptions::createFromString(pipelineOptions);
    if (!options)
      fatal("invalid --pipeline-options '" + pipelineOptions + "'");
    // The destination-passing entry unless asked not to.
    if (!options->intoEntries.hasValue())
      options->intoEntries = true;
    into = options->intoEntries;
    checked = options->runtimeChecks;
    hmoe::buildLowerToNVVMPipeline(pm, *options);
  } else {
    auto options = hmoe::LowerToCPUOptions::createFromString(pipelineOptions);
    if (!options)
      fatal("invalid --pipeline-options '" + pipelineOptions + "'");
    if (!options->intoEntries.hasValue())
      options->intoEntries = true;
    into = options->intoEntries;
    checked = options->runtimeChecks;
    hmoe::buildLowerToCPUPipeline(pm, *options);
  }
  if (failed(pm.run(*module)))
    return 1; // The pipeline reported the error.
  auto lowered = module->lookupSymbol<LLVM::LLVMFuncOp>(name);
  auto abi = lowered ? lowered->getAttrOfType<TypeAttr>(
                           hmoe::HMoEDialect::AbiAttrHelper::getNameStr())
                     : TypeAttr();
  if (!abi)
    fatal("@" + name + " has no hmoe.abi after lowering");
  auto signature = cast<FunctionType>(abi.getValue());
  // Sizes ahead of the call: where the results are the layer's allocations
  // (hmoe-add-into-entries).
  // The entries hmoe-add-into-entries made for it: a layer without results
  // has none, one whose result sizes depend on its data no _result_shapes.
  hmoe::IntoEntries entries = hmoe::intoEntriesOf(*module, name, signature);
  into = into && entries.into;
  bool shapes = into && entries.resultShapes;

  // The CPU the pipeline compiled for (a CUDA layer's host code: any
  // x86-64).
  auto cpu = (*module)->getAttrOfType<StringAttr>(hmoe::kTargetCpuAttr);
  auto features =
      (*module)->getAttrOfType<StringAttr>(hmoe::kTargetFeaturesAttr);
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  const llvm::Target *llvmTarget =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!llvmTarget)
    fatal(error);
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(llvmTarget->createTargetMachine(
      triple, cpu ? cpu.getValue() : "x86-64",
      features ? features.getValue() : "", targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));

  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(*module, llvmContext, name);
  if (!llvmModule)
    fatal("translation to LLVM IR failed");
  llvmModule->setTargetTriple(triple);
  llvmModule->setDataLayout(machine->createDataLayout());
  addPackedEntry(*llvmModule, name);
  if (into)
    addPackedEntry(*llvmModule, name + "_into");
  if (shapes)
    addPackedEntry(*llvmModule, name + "_result_shapes");
  // The CPU layer's buffers come from the runtime's cache (kRuntimeSource).
  if (!cuda)
    for (auto [from, to] :
         {std::pair<StringRef, StringRef>{"malloc", "hmoe_malloc"},
          {"free", "hmoe_buffer_free"}})
      if (llvm::Function *f = llvmModule->getFunction(from);
          f && f->isDeclaration()) {
        f->setName(to);
        // What LLVM knows of malloc/free by name, so that the optimizer
        // still treats them as an allocator.
        bool alloc = from == "malloc";
        f->addFnAttr(llvm::Attribute::getWithAllocKind(
            llvmContext,
            alloc ? llvm::AllocFnKind::Alloc | llvm::AllocFnKind::Uninitialized
                  : llvm::AllocFnKind::Free));
        f->addFnAttr("alloc-family", "malloc");
        if (alloc) {
          f->addFnAttr(llvm::Attribute::getWithAllocSizeArgs(llvmContext, 0,
                                                             std::nullopt));
          f->addRetAttr(llvm::Attribute::NoAlias);
        } else {
          f->addParamAttr(0, llvm::Attribute::AllocatedPointer);
        }
      }
  if (llvm::Error err =
          makeOptimizingTransformer(3, 0, machine.get())(llvmModule.get()))
    fatal(llvm::toString(std::move(err)));

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    fatal("cannot create '" + outDir + "': " + ec.message());
  {
    std::error_code ec;
    llvm::ToolOutputFile out(object, ec, llvm::sys::fs::OF_None);
    if (ec)
      fatal("cannot write '" + object + "': " + ec.message());
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, out.os(), nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      fatal("the target cannot emit object files");
    codegen.run(*llvmModule);
    out.keep();
  }
  auto writeText = [&](StringRef path, StringRef text) {
    std::error_code ec;
    llvm::raw_fd_ostream out(path, ec);
    if (ec)
      fatal("cannot write '" + path + "': " + ec.message());
    out << text;
  };
  // The signature the library is for, which hmoe-run and hmoe.load
  // compare with the module they are given (printed types hold no quote or
  // backslash).
  // An experts_on layer calls MPI: the library links the MPI library hmoe
  // was configured with (the program initialises MPI before the first
  // call), and its check handler aborts the job.
  bool mpi = hmoe::runtime::callsMPI(*module);
  if (mpi && hmoe::runtime::mpiLibraryPath().empty())
    fatal("@" + name +
          " calls MPI (experts_on), but hmoe was configured without an "
          "MPI library (install libmpich-dev and reconfigure)");
  std::string runtimeSource =
      std::string(kCheckFailedSource) +
      (cuda ? std::string(kCUDARuntimeSource)
            : std::string(kRuntimeSource) + "void hmoe_" + name +
                  "_release_buffers(void) { hmoe_release_all(); }\n") +
      "const char " + hmoe::signatureSymbol(name) + "[] = \"" +
      hmoe::printSignature(signature) + "\";\n" + "const char " +
      hmoe::fingerprintSymbol(name) + "[] = \"" + fingerprint + "\";\n";
  writeText(runtime, runtimeSource);
  writeText(header, makeHeader(name, signature, cuda, into, shapes, checked));

  if (llvm::Error error = copyReplacing(
          cuda ? cudaRuntime.c_str() : HMOE_LIBOMP_PATH, dependency))
    fatal("cannot copy " + dependency + ": " +
          llvm::toString(std::move(error)));
  std::string driver = HMOE_LINK_DRIVER;
  // -Bsymbolic: the library's calls between its own entries bind to its
  // own (another layer's library with the same function name, loaded
  // first, took them).
  SmallVector<std::string> args = {driver,
                                   "-shared",
                                   "-fPIC",
                                   "-O2",
                                   "-o",
                                   outputFile,
                                   std::string(object),
                                   std::string(runtime),
                                   std::string(dependency),
                                   HMOE_BUILTINS_ARCHIVE,
                                   "-lm",
                                   "-Wl,-rpath,$ORIGIN",
                                   "-Wl,--no-undefined",
                                   "-Wl,-Bsymbolic"};
  if (mpi) {
    args.push_back("-DHMOE_MPI");
    args.push_back("-I" + hmoe::runtime::mpiIncludePath().str());
    args.push_back(hmoe::runtime::mpiLibraryPath().str());
  }
  SmallVector<StringRef> argRefs(args.begin(), args.end());
  std::string linkError;
  int rc = llvm::sys::ExecuteAndWait(driver, argRefs, std::nullopt, {}, 0, 0,
                                     &linkError);
  if (!keepIntermediates) {
    llvm::sys::fs::remove(object);
    llvm::sys::fs::remove(runtime);
  }
  if (rc != 0) {
    // No header for a library that is not there.
    llvm::sys::fs::remove(header);
    fatal("linking with " + driver + " failed" +
          (linkError.empty() ? "" : ": " + linkError));
  }
  llvm::outs() << "hmoe-compile: " << outputFile << " (@" << name << " for "
               << (cuda  ? "cuda"
                   : cpu ? cpu.getValue()
                         : "x86-64")
               << "), header " << header << "\n";
  return 0;
}
