//===- RecordABI.cpp - keep the tensor signature for hmoe-run -------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

#include "llvm/ADT/StringSet.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOERECORDABI
#include "hmoe/Dialect/HMoE/Transforms/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// Names the lowered code calls or links against: the C library (the
/// generated code calls malloc, free and memset, LLVM turns intrinsics into
/// memcpy, expf, fmaf, ... and `cf.assert` into puts and abort), MLIR's and
/// hmoe's runtime functions. A module that defines one of them would call
/// itself instead (a layer named @memset recursed until the stack overflowed).
const llvm::StringSet<> &reservedNames() {
  static const llvm::StringSet<> names = [] {
    llvm::StringSet<> set;
    // <math.h>, each also with the f and l suffixes.
    for (StringRef base :
         {"acos",      "asin",   "atan",      "atan2",      "cos",
          "sin",       "tan",    "acosh",     "asinh",      "atanh",
          "cosh",      "sinh",   "tanh",      "exp",        "exp2",
          "expm1",     "exp10",  "frexp",     "ilogb",      "ldexp",
          "log",       "log10",  "log1p",     "log2",       "logb",
          "modf",      "scalbn", "scalbln",   "cbrt",       "fabs",
          "hypot",     "pow",    "sqrt",      "erf",        "erfc",
          "lgamma",    "tgamma", "ceil",      "floor",      "nearbyint",
          "rint",      "lrint",  "llrint",    "round",      "lround",
          "llround",   "trunc",  "fmod",      "remainder",  "remquo",
          "copysign",  "nan",    "nextafter", "nexttoward", "fdim",
          "fmax",      "fmin",   "fma",       "sincos",     "sincospi",
          "roundeven", "powi"}) {
      set.insert(base);
      set.insert((base + "f").str());
      set.insert((base + "l").str());
    }
    for (StringRef name :
         {// <string.h> and the variants LLVM emits
          "memcpy", "memmove", "memset", "memcmp", "memchr", "bcmp", "bzero",
          "memccpy", "mempcpy", "strcpy", "strncpy", "strcat", "strncat",
          "strcmp", "strncmp", "strcoll", "strxfrm", "strchr", "strrchr",
          "strspn", "strcspn", "strpbrk", "strstr", "strtok", "strlen",
          "strerror",
          // <stdlib.h>
          "malloc", "calloc", "realloc", "free", "aligned_alloc",
          "posix_memalign", "abort", "exit", "atexit", "quick_exit",
          "at_quick_exit", "getenv", "system", "atof", "atoi", "atol", "atoll",
          "strtod", "strtof", "strtold", "strtol", "strtoll", "strtoul",
          "strtoull", "rand", "srand", "qsort", "bsearch", "abs", "labs",
          "llabs", "div", "ldiv", "lldiv",
          // <stdio.h>
          "printf", "fprintf", "sprintf", "snprintf", "puts", "fputs",
          "putchar", "fputc", "putc", "fwrite", "fread", "fopen", "fclose",
          "fflush", "perror",
          // MLIR's C runner utilities (memrefCopy is called for copies)
          "memrefCopy", "printF32", "printF64", "printI64", "printU64",
          "printOpen", "printClose", "printComma", "printNewline",
          "printString", "printFlops", "rtclock",
          // hmoe's runtime, and what hmoe-compile's runtime source calls
          // (its buffer cache's lock and sizes, the check's stderr)
          "hmoe_check_failed", "pthread_mutex_lock", "pthread_mutex_unlock",
          "malloc_usable_size", "stderr"})
      set.insert(name);
    return set;
  }();
  return names;
}

/// What hmoe-compile's libraries define beside the layer: their runtime's
/// functions and each layer's hmoe_<layer>_signature, _fingerprint and
/// _release_buffers. (The JIT would run a module defining one; its library
/// would not link.)
bool isLibraryName(StringRef name) {
  if (!name.consume_front("hmoe_"))
    return false;
  return llvm::is_contained({"free", "malloc", "buffer_free", "release_all"},
                            name) ||
         name.starts_with("cuda_") || name.ends_with("_signature") ||
         name.ends_with("_fingerprint") || name.ends_with("_release_buffers");
}

/// Why `name` cannot be a function of the module, or an empty string.
std::string reservedBecause(StringRef name) {
  // The JIT and the C wrappers take names as C strings (a layer so named
  // failed to link, then corrupted the heap).
  if (name.contains('\0'))
    return "it contains a NUL character";
  if (name.starts_with("_"))
    return "names starting with '_' are reserved to the C implementation "
           "(compiler runtime, OpenMP, MLIR's _mlir_ wrappers)";
  if (name.starts_with("omp_") || name.starts_with("kmp_"))
    return "it is an OpenMP runtime name";
  if (name.starts_with("mgpu"))
    return "mgpu* are the GPU runtime's functions";
  if (reservedNames().contains(name))
    return "the generated code calls the C library or runtime function of "
           "that name";
  if (isLibraryName(name))
    return "hmoe-compile's libraries define it (their runtime, and each "
           "layer's hmoe_<layer>_signature, _fingerprint and "
           "_release_buffers)";
  return "";
}

struct HMoERecordABIPass
    : public hmoe::impl::HMoERecordABIBase<HMoERecordABIPass> {
  void runOnOperation() override {
    hmoe::HMoEDialect::AbiAttrHelper abi(&getContext());
    // A layer lowered already (its llvm.func keeps hmoe.abi): lowering it
    // again would find only the lowering's own declarations and helpers.
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>())
      if (abi.isAttrPresent(func)) {
        func.emitOpError()
            << "is a layer lowered already (an llvm.func with hmoe.abi): a "
               "module is lowered once (hmoe-run runs a lowered module as it "
               "is)";
        return signalPassFailure();
      }
    // Definitions only (functions with a body, globals with a value): a
    // declaration of the real memset is fine.
    bool bad = false;
    getOperation().walk([&](SymbolOpInterface symbol) {
      auto function = dyn_cast<FunctionOpInterface>(symbol.getOperation());
      if (symbol.isDeclaration() || (function && function.isExternal()) ||
          isa<ModuleOp>(symbol))
        return;
      StringRef name = symbol.getName();
      std::string why = reservedBecause(name);
      if (why.empty())
        return;
      symbol->emitOpError()
          << "defines " << FlatSymbolRefAttr::get(&getContext(), name)
          << ", a name the lowered code cannot have: " << why << "; rename it";
      bad = true;
    });
    if (bad)
      return signalPassFailure();
    // Any function op with a builtin signature (func.func or another
    // compiler's); an llvm.func is already past the tensor signature.
    for (auto func : getOperation().getOps<FunctionOpInterface>()) {
      if (func.isPrivate() || func.isExternal() || abi.isAttrPresent(func) ||
          !isa<FunctionType>(func.getFunctionType()))
        continue;
      abi.setAttr(func, TypeAttr::get(func.getFunctionType()));
      // The arguments are the caller's inputs (value semantics): a tensor
      // written in place is bufferized as a copy, not into the caller's
      // array (IR text's `tensor.insert %v into %x` wrote into x, or
      // faulted on a read-only one).
      auto readOnly = BoolAttr::get(&getContext(), false);
      for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
        if (isa<TensorType>(type) &&
            !func.getArgAttr(
                i, bufferization::BufferizationDialect::kWritableAttrName))
          func.setArgAttr(
              i, bufferization::BufferizationDialect::kWritableAttrName,
              readOnly);
    }
  }
};
} // namespace
