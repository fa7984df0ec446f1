//===- hmoe-run.cpp - JIT-compile and run an hmoe module ------------------===//
//
// hmoe-run model.mlir --function=NAME --input=@x.npy ... --output=@y.npy
//
// Lowers the module through a pass pipeline (default hmoe-lower-to-cpu;
// skipped for a module already in the LLVM dialect), JIT-compiles it with
// MLIR's ExecutionEngine, binds .npy files to the function's tensor
// arguments in order, calls it, and writes or prints its results. With
// --benchmark-repetitions=N it also times N calls. The conventions follow
// iree-run-module.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Support/Npy.h"

#include "hmoe/Runtime/JitLayer.h"
#include "hmoe/Runtime/MPI.h"

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"
#include "hmoe/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Transforms/Passes.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>

using namespace mlir;
namespace cl = llvm::cl;
namespace npy = mlir::hmoe::npy;

// hmoe-run's own options; --help hides the LLVM back-end options that
// libLLVM registers (hundreds of them), --help-hidden shows everything.
static cl::OptionCategory runCategory("hmoe-run options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<module.mlir>"),
                                      cl::init("-"), cl::cat(runCategory));
static cl::opt<std::string>
    functionName("function",
                 cl::desc("Function to call (default: the only public one)"),
                 cl::cat(runCategory));
static cl::list<std::string>
    inputs("input",
           cl::desc("Next argument, from a .npy file: @path.npy (for a layer "
                    "with experts_on, {rank} in the path is the MPI rank)"),
           cl::cat(runCategory));
static cl::list<std::string>
    outputs("output",
            cl::desc("Where the next result goes: @path.npy ({rank} as for "
                     "--input), or - to print it (results without --output "
                     "are printed)"),
            cl::cat(runCategory));
static cl::opt<std::string>
    pipeline("pipeline",
             cl::desc("Pass pipeline run before JIT compilation (any pass "
                      "or pipeline hmoe-opt knows, also as "
                      "builtin.module(...)); not run when the function is "
                      "already an llvm.func"),
             cl::init("hmoe-lower-to-cpu"), cl::cat(runCategory));
static cl::opt<std::string> runTarget(
    "target",
    cl::desc("With --library: cpu (default), or cuda for a library made by "
             "hmoe-compile --target=cuda (inputs copied to device memory, "
             "results back, --benchmark-repetitions timed with CUDA events)"),
    cl::init("cpu"));
static cl::opt<std::string> libraryPath(
    "library",
    cl::desc("Call the layer in this shared library (made by hmoe-compile "
             "from the module) instead of JIT-compiling the module; the "
             "module, before lowering, gives the layer's signature and "
             "fingerprint, which the library's must match"),
    cl::value_desc("lib.so"), cl::cat(runCategory));

static cl::opt<unsigned> optLevel("opt-level",
                                  cl::desc("LLVM optimisation level 0-3"),
                                  cl::init(3), cl::cat(runCategory));
static cl::opt<unsigned> benchmarkRepetitions(
    "benchmark-repetitions",
    cl::desc("Also time this many calls and print min/median time and "
             "throughput"),
    cl::init(0), cl::cat(runCategory));
static cl::opt<double> flopsPerCall(
    "flops-per-call",
    cl::desc("FLOPs of one call, to print GFLOP/s when benchmarking"),
    cl::init(0), cl::cat(runCategory));

namespace {
[[noreturn]] void fatal(const llvm::Twine &message) {
  llvm::errs() << "hmoe-run: error: " << message << "\n";
  llvm::errs().flush();
  // An experts_on layer's other processes would wait for this one.
  hmoe::runtime::abortMPIIfRunning(1);
  std::exit(1);
}

std::string typeString(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The .npy dtype for a tensor element type, if hmoe-run can bind it.
std::optional<npy::DType> dtypeOf(Type elem) {
  if (elem.isF32())
    return npy::DType::F32;
  if (elem.isF64())
    return npy::DType::F64;
  if (elem.isF16())
    return npy::DType::F16;
  if (elem.isBF16())
    return npy::DType::BF16;
  if (elem.isSignlessInteger(32))
    return npy::DType::I32;
  if (elem.isSignlessInteger(64))
    return npy::DType::I64;
  return std::nullopt;
}

RankedTensorType checkedTensorType(Type type, llvm::StringRef what) {
  auto tensor = dyn_cast<RankedTensorType>(type);
  if (!tensor)
    fatal(what + " has type " + typeString(type) +
          "; hmoe-run binds ranked tensors only");
  if (!dtypeOf(tensor.getElementType()))
    fatal(what + " has element type " + typeString(tensor.getElementType()) +
          "; hmoe-run binds f32, f64, f16, bf16, i32 and i64 only");
  return tensor;
}

/// Strips the leading '@' of a file argument.
llvm::StringRef filePath(llvm::StringRef arg, llvm::StringRef flag) {
  if (!arg.consume_front("@"))
    fatal("--" + flag + "=" + arg + ": expected @path.npy");
  return arg;
}

/// The module, as text or bytecode. A file that never ends (`hmoe-run
/// /dev/zero`) would otherwise be read until memory runs out: text stops at
/// a NUL byte (which MLIR text cannot hold), anything at kMaxModuleBytes.
std::unique_ptr<llvm::MemoryBuffer> readModule(llvm::StringRef path) {
  constexpr size_t kMaxModuleBytes = size_t(1) << 30;
  llvm::sys::fs::file_t fd = llvm::sys::fs::getStdinHandle();
  if (path != "-") {
    llvm::Expected<llvm::sys::fs::file_t> opened =
        llvm::sys::fs::openNativeFileForRead(path);
    if (!opened)
      fatal("cannot read '" + path +
            "': " + llvm::toString(opened.takeError()));
    fd = *opened;
  }
  std::string text;
  llvm::SmallVector<char, 0> chunk(1 << 20);
  while (true) {
    llvm::Expected<size_t> n = llvm::sys::fs::readNativeFile(fd, chunk);
    if (!n)
      fatal("cannot read '" + path + "': " + llvm::toString(n.takeError()));
    if (*n == 0)
      break;
    bool bytecode =
        StringRef(text).starts_with("ML\xefR") ||
        (text.empty() && StringRef(chunk.data(), *n).starts_with("ML\xefR"));
    if (!bytecode && StringRef(chunk.data(), *n).contains('\0'))
      fatal("'" + path + "' holds a NUL byte: it is not MLIR text");
    if (text.size() + *n > kMaxModuleBytes)
      fatal("'" + path + "' is larger than " +
            llvm::Twine(kMaxModuleBytes >> 30) +
            " GiB; is it a module (not a device or an endless stream)?");
    text.append(chunk.data(), *n);
  }
  if (path != "-")
    llvm::sys::fs::closeFile(fd);
  return llvm::MemoryBuffer::getMemBufferCopy(text,
                                              path == "-" ? "<stdin>" : path);
}

void print(llvm::raw_ostream &os, const npy::Array &array, unsigned i) {
  os << "result[" << i << "]: " << npy::name(array.dtype) << " [";
  llvm::interleave(array.shape, os, ",");
  os << "] = ";
  int64_t n = array.numElements();
  int64_t shown = std::min<int64_t>(n, 16);
  os << (array.shape.empty() ? "" : "[");
  for (int64_t j = 0; j < shown; ++j) {
    if (j)
      os << ", ";
    switch (array.dtype) {
    case npy::DType::F32:
      os << llvm::format("%.8g", static_cast<const float *>(array.data())[j]);
      break;
    case npy::DType::F64:
      os << llvm::format("%.17g", static_cast<const double *>(array.data())[j]);
      break;
    case npy::DType::F16:
    case npy::DType::BF16: {
      uint16_t bits = static_cast<const uint16_t *>(array.data())[j];
      APFloat value(array.dtype == npy::DType::F16 ? APFloat::IEEEhalf()
                                                   : APFloat::BFloat(),
                    APInt(16, bits));
      os << llvm::format("%.5g", value.convertToFloat());
      break;
    }
    case npy::DType::I32:
      os << static_cast<const int32_t *>(array.data())[j];
      break;
    case npy::DType::I64:
      os << static_cast<const int64_t *>(array.data())[j];
      break;
    }
  }
  if (n > shown)
    os << ", ... (" << n << " values)";
  os << (array.shape.empty() ? "" : "]") << "\n";
}

/// Finds the function to call and its tensor signature.
std::pair<Operation *, FunctionType> findFunction(ModuleOp module) {
  if (functionName.empty()) {
    SmallVector<Operation *> candidates;
    for (Operation &op : module.getOps())
      if (auto func = dyn_cast<func::FuncOp>(op)) {
        if (func.isPublic() && !func.isExternal())
          candidates.push_back(func);
      } else if (auto func = dyn_cast<LLVM::LLVMFuncOp>(op)) {
        if (func->hasAttr(hmoe::HMoEDialect::AbiAttrHelper::getNameStr()))
          candidates.push_back(func);
      }
    if (candidates.size() != 1)
      fatal("the module has " + llvm::Twine(candidates.size()) +
            " public functions; name one with --function");
    functionName = SymbolTable::getSymbolName(candidates[0]).str();
  }
  Operation *func = module.lookupSymbol(functionName);
  if (!func)
    fatal("no function @" + functionName + " in the module");
  if (auto f = dyn_cast<func::FuncOp>(func))
    return {f, f.getFunctionType()};
  if (isa<LLVM::LLVMFuncOp>(func)) {
    auto abi = func->getAttrOfType<TypeAttr>(
        hmoe::HMoEDialect::AbiAttrHelper::getNameStr());
    if (!abi || !isa<FunctionType>(abi.getValue()))
      fatal("@" + functionName +
            " is an llvm.func without an hmoe.abi attribute; lower the "
            "module with hmoe-opt --hmoe-lower-to-cpu, which records it");
    return {func, cast<FunctionType>(abi.getValue())};
  }
  fatal("@" + functionName + " is neither a func.func nor an llvm.func");
}
} // namespace

/// A failed run-time check of the layer (JitLayer calls this, maybe on an
/// OpenMP worker): report it as hmoe-run's error and leave at once.
[[noreturn]] static void runCheckFailed(const char *message) {
  llvm::errs() << "hmoe-run: error: run-time check failed: " << message << "\n";
  llvm::errs().flush();
  hmoe::runtime::abortMPIIfRunning(1);
  std::_Exit(1);
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  // Every pass and pipeline hmoe-opt knows can be named in --pipeline.
  registerTransformsPasses();
  registerConversionPasses();
  hmoe::registerHMoEPasses();
  hmoe::registerHMoEConversionPasses();
  hmoe::registerHMoECodegenPasses();
  hmoe::registerHMoEPipelines();
  // The MLIR options a user of a compiler driver needs (IR printing around
  // passes, timing, diagnostics), shown beside hmoe-run's own.
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(runCategory);
  static cl::OptionCategory mlirCategory("MLIR options");
  for (auto &[name, option] : cl::getRegisteredOptions())
    if (name.starts_with("mlir-")) {
      option->setHiddenFlag(cl::NotHidden);
      option->addCategory(mlirCategory);
    }
  cl::ParseCommandLineOptions(argc, argv, "hmoe JIT runner\n");
  if (optLevel > 3)
    fatal("--opt-level must be 0 to 3");
  if (runTarget != "cpu" && runTarget != "cuda")
    fatal("--target=" + runTarget + ": expected cpu or cuda");
  if (runTarget == "cuda" && libraryPath.empty())
    fatal("--target=cuda runs a library made by hmoe-compile --target=cuda: "
          "pass it with --library (hmoe-run does not JIT-compile for a GPU)");

  DialectRegistry registry;
  hmoe::registerHMoEPipelineDependencies(registry);
  hmoe::registerJitTranslations(registry);
  MLIRContext context(registry);

  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  sourceMgr.AddNewSourceBuffer(readModule(inputFile), llvm::SMLoc());
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return 1; // The parser reported the error.

  auto [func, signature] = findFunction(*module);
  // The library is checked against the layer it was compiled from.
  std::string fingerprint;
  if (!libraryPath.empty()) {
    auto source = dyn_cast<func::FuncOp>(func);
    if (!source)
      fatal("--library needs the layer before lowering (a func.func), "
            "which the library is checked against; @" +
            functionName + " is already lowered");
    fingerprint = hmoe::layerFingerprint(source);
  }
  if (isa<func::FuncOp>(func) && libraryPath.empty()) {
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      fatal("bad pass manager options");
    applyDefaultTimingPassManagerCLOptions(pm);
    // hmoe-opt's --pass-pipeline form, `builtin.module(P)`, is anchored on
    // the module the pass manager runs on: P itself (read as a list of
    // passes, it ran P on the modules nested in the module).
    StringRef text = StringRef(pipeline).trim();
    if (text.starts_with("builtin.module")) {
      FailureOr<OpPassManager> anchored = parsePassPipeline(text, llvm::errs());
      if (failed(anchored))
        fatal("bad --pipeline '" + pipeline + "'");
      static_cast<OpPassManager &>(pm) = *anchored;
    } else if (failed(parsePassPipeline(pipeline, pm, llvm::errs()))) {
      fatal("bad --pipeline '" + pipeline + "'");
    }
    if (failed(pm.run(*module)))
      fatal("lowering with '" + pipeline + "' failed");
  }

  if (inputs.size() != signature.getNumInputs())
    fatal("@" + functionName + " takes " +
          llvm::Twine(signature.getNumInputs()) + " arguments; got " +
          llvm::Twine(inputs.size()) + " --input");
  SmallVector<RankedTensorType> inputTypes, resultTypes;
  for (auto [i, type] : llvm::enumerate(signature.getInputs()))
    inputTypes.push_back(
        checkedTensorType(type, ("argument #" + llvm::Twine(i)).str()));
  for (auto [i, type] : llvm::enumerate(signature.getResults()))
    resultTypes.push_back(
        checkedTensorType(type, ("result #" + llvm::Twine(i)).str()));
  if (outputs.size() > resultTypes.size())
    fatal("@" + functionName + " has " + llvm::Twine(resultTypes.size()) +
          " results; got " + llvm::Twine(outputs.size()) + " --output");

  // JIT-compile (for the CPU the module was compiled for).
  hmoe::JitOptions options;
  options.optLevel = optLevel;
  options.checkFailed = runCheckFailed;
  auto layer =
      libraryPath.empty()
          ? hmoe::JitLayer::create(*module, functionName, options)
          : hmoe::JitLayer::loadLibrary(libraryPath, functionName, signature,
                                        fingerprint, runTarget == "cuda");
  if (!layer)
    fatal(llvm::toString(layer.takeError()));

  // An experts_on layer runs in each MPI process: "{rank}" in a file's path
  // is the process's rank (each process holds its own experts' weights).
  int rank = (*layer)->getMPIRank();
  auto forRank = [&](StringRef path) -> std::string {
    if (rank < 0)
      return path.str();
    std::string text = path.str();
    for (size_t at; (at = text.find("{rank}")) != std::string::npos;)
      text.replace(at, 6, std::to_string(rank));
    return text;
  };

  // Bind the inputs (after the JIT: an experts_on layer's rank names them).
  std::vector<npy::Array> arrays;
  for (auto [i, tensor] : llvm::enumerate(inputTypes)) {
    std::string what = ("argument #" + llvm::Twine(i)).str();
    // The process's own path in messages: which process's file is wrong.
    std::string input = forRank(inputs[i]);
    auto array = npy::read(filePath(input, "input"));
    if (!array)
      fatal(what + ": " + llvm::toString(array.takeError()));
    if (array->dtype != *dtypeOf(tensor.getElementType()))
      fatal(what + " (" + input + ") is " + npy::name(array->dtype) + "; @" +
            functionName + " expects " + typeString(tensor));
    bool shapeOk = array->shape.size() == (size_t)tensor.getRank();
    for (int64_t d = 0; shapeOk && d < tensor.getRank(); ++d)
      shapeOk =
          tensor.isDynamicDim(d) || tensor.getDimSize(d) == array->shape[d];
    if (!shapeOk)
      fatal(what + " (" + input + ") has shape [" +
            llvm::join(
                llvm::map_range(array->shape,
                                [](int64_t d) { return std::to_string(d); }),
                ", ") +
            "]; @" + functionName + " expects " + typeString(tensor));
    arrays.push_back(std::move(*array));
  }

  SmallVector<hmoe::TensorRef> refs;
  for (npy::Array &array : arrays)
    refs.push_back({array.data(), SmallVector<int64_t>(array.shape.begin(),
                                                       array.shape.end())});

  if (benchmarkRepetitions > 0) {
    auto seconds = (*layer)->time(refs, benchmarkRepetitions);
    if (!seconds)
      fatal("call failed: " + llvm::toString(seconds.takeError()));
    std::sort(seconds->begin(), seconds->end());
    double min = seconds->front(), median = (*seconds)[seconds->size() / 2];
    int64_t tokens =
        arrays.empty() || arrays[0].shape.empty() ? 0 : arrays[0].shape[0];
    llvm::outs() << llvm::format(
        "benchmark: %u repetitions, min %.3f ms, median %.3f ms, "
        "%.4g tokens/s",
        benchmarkRepetitions.getValue(), min * 1e3, median * 1e3,
        median > 0 ? tokens / median : 0.0);
    if (flopsPerCall > 0)
      llvm::outs() << llvm::format(", %.2f GFLOP/s",
                                   flopsPerCall / median * 1e-9);
    llvm::outs() << "\n";
  }

  std::vector<npy::Array> results(resultTypes.size());
  if (llvm::Error error = (*layer)->call(
          refs, [&](unsigned i, ArrayRef<int64_t> shape) -> void * {
            results[i].dtype = *dtypeOf(resultTypes[i].getElementType());
            results[i].shape.assign(shape.begin(), shape.end());
            results[i].allocate();
            return results[i].data();
          }))
    fatal("call failed: " + llvm::toString(std::move(error)));
  for (auto [i, result] : llvm::enumerate(results)) {
    if (i < outputs.size() && outputs[i] != "-") {
      if (llvm::Error error =
              npy::write(filePath(forRank(outputs[i]), "output"), result.dtype,
                         result.shape, result.data()))
        fatal(llvm::toString(std::move(error)));
    } else {
      print(llvm::outs(), result, i);
    }
  }
  return 0;
}
