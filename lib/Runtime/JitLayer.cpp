//===- JitLayer.cpp - a lowered layer, JIT-compiled and callable ----------===//

#include "hmoe/Runtime/JitLayer.h"
#include "hmoe/Codegen/CPUTarget.h"
#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Runtime/BufferCache.h"
#include "hmoe/Runtime/MPI.h"
#include "hmoe/Support/MemRefDescriptor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/DynamicLibrary.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/xxhash.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <set>

using namespace mlir;
using namespace mlir::hmoe;

namespace {
std::atomic<void (*)(const char *)> checkFailedHandler{nullptr};

/// What a failed run-time check of the layer calls with its message. It may
/// run on an OpenMP worker: leave without running destructors or atexit
/// handlers under the other threads' feet.
extern "C" [[noreturn]] void hmoeCheckFailed(const char *message) {
  StringRef text(message);
  text.consume_front("ERROR: Runtime op verification failed\n");
  // (text is a suffix of the C string: no copy, the heap may be exhausted.)
  if (auto handler = checkFailedHandler.load())
    handler(text.data());
  llvm::errs() << "error: run-time check failed: " << text << "\n";
  llvm::errs().flush();
  runtime::abortMPIIfRunning(1);
  std::_Exit(1);
}

/// The layer's malloc: the runtime's buffer cache, and a buffer that could
/// not be allocated a run-time error (the layer's code would write through
/// NULL).
extern "C" void *hmoeMalloc(size_t bytes) {
  void *block = runtime::cachedMalloc(bytes);
  if (!block && bytes) {
    // (On the stack: the heap has just failed.)
    char message[128];
    std::snprintf(message, sizeof message,
                  "out of memory: a buffer of %zu bytes could not be "
                  "allocated",
                  bytes);
    hmoeCheckFailed(message);
  }
  return block;
}

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

std::string str(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// The layer function (named, or the module's one public function) and its
/// tensor signature.
llvm::Expected<std::pair<std::string, FunctionType>>
findFunction(ModuleOp module, StringRef name) {
  StringRef abiName = HMoEDialect::AbiAttrHelper::getNameStr();
  if (name.empty()) {
    SmallVector<Operation *> candidates;
    for (auto func : module.getOps<LLVM::LLVMFuncOp>())
      if (func->hasAttr(abiName))
        candidates.push_back(func);
    if (candidates.size() != 1)
      return error("the module has " + llvm::Twine(candidates.size()) +
                   " layer functions; name one");
    name = SymbolTable::getSymbolName(candidates[0]);
  }
  Operation *func = module.lookupSymbol(name);
  if (!func)
    return error("no function @" + name + " in the module");
  auto abi = func->getAttrOfType<TypeAttr>(abiName);
  if (!isa<LLVM::LLVMFuncOp>(func) || !abi ||
      !isa<FunctionType>(abi.getValue()))
    return error("@" + name +
                 " is not a lowered layer (an llvm.func with hmoe.abi); "
                 "lower the module with hmoe-lower-to-cpu first");
  auto signature = cast<FunctionType>(abi.getValue());
  for (Type type : llvm::concat<const Type>(signature.getInputs(),
                                            signature.getResults())) {
    auto tensor = dyn_cast<RankedTensorType>(type);
    if (!tensor || !elementBytes(tensor.getElementType()))
      return error("@" + name + " has a " + str(type) +
                   "; a layer takes and returns ranked tensors of f32, f64, "
                   "f16, bf16, i32 or i64");
  }
  return std::make_pair(name.str(), signature);
}

/// A target machine for the CPU the module was compiled for (hmoe-set-cpu-
/// target), or null for the host's. A host that lacks one of its features
/// would die on an illegal instruction: refuse it with the reason instead.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
targetMachine(ModuleOp module, unsigned optLevel) {
  auto cpu = module->getAttrOfType<StringAttr>(kTargetCpuAttr);
  auto features = module->getAttrOfType<StringAttr>(kTargetFeaturesAttr);
  if (!cpu || !features)
    return nullptr;
  std::string missing = missingHostFeatures(features.getValue());
  if (!missing.empty())
    return error("the module was compiled for " + cpu.getValue() +
                 ", and this host lacks " + missing +
                 "; compile it with target-cpu=native (the default) or for "
                 "a CPU this host has");
  auto builder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!builder)
    return builder.takeError();
  builder->setCPU(cpu.getValue().str());
  builder->setFeatures(features.getValue());
  builder->setCodeGenOptLevel(static_cast<llvm::CodeGenOptLevel>(optLevel));
  return builder->createTargetMachine();
}

/// The memref descriptor words of a dense tensor: allocated, aligned,
/// offset, sizes, strides.
void appendDescriptor(const TensorRef &tensor, std::vector<int64_t> &words) {
  int64_t rank = tensor.shape.size();
  words.push_back(reinterpret_cast<int64_t>(tensor.data));
  words.push_back(reinterpret_cast<int64_t>(tensor.data));
  words.push_back(0);
  words.insert(words.end(), tensor.shape.begin(), tensor.shape.end());
  size_t strides = words.size();
  words.resize(strides + rank);
  int64_t stride = 1;
  for (int64_t i = rank - 1; i >= 0; --i) {
    words[strides + i] = stride;
    stride *= tensor.shape[i];
  }
}

/// The arguments of a packed entry: a pointer to each descriptor word.
SmallVector<void *> packedArgs(std::vector<int64_t> &words) {
  SmallVector<void *> args;
  for (int64_t &word : words)
    args.push_back(&word);
  return args;
}

/// The bytes of a dense buffer of this shape and the tensor type's element.
int64_t denseBytes(Type type, ArrayRef<int64_t> shape) {
  int64_t bytes = elementBytes(cast<RankedTensorType>(type).getElementType());
  for (int64_t d : shape)
    bytes *= d;
  return bytes;
}

/// Copies a result memref (any strides) into dense memory.
void copyOut(const int64_t *words, int64_t rank, int64_t elemSize, char *out) {
  const char *base =
      reinterpret_cast<const char *>(words[1]) + words[2] * elemSize;
  int64_t n = 1;
  for (int64_t d = 0; d < rank; ++d)
    n *= words[3 + d];
  std::vector<int64_t> index(rank, 0);
  for (int64_t flat = 0; flat < n; ++flat) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      offset += index[d] * words[3 + rank + d];
    std::memcpy(out + flat * elemSize, base + offset * elemSize, elemSize);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++index[d] < words[3 + d])
        break;
      index[d] = 0;
    }
  }
}
} // namespace

void hmoe::registerJitTranslations(DialectRegistry &registry) {
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

int64_t hmoe::elementBytes(Type type) {
  if (type.isF32() || type.isSignlessInteger(32))
    return 4;
  if (type.isF64() || type.isSignlessInteger(64))
    return 8;
  if (type.isF16() || type.isBF16())
    return 2;
  return 0;
}

llvm::Expected<std::unique_ptr<JitLayer>>
JitLayer::create(ModuleOp module, StringRef function,
                 const JitOptions &options) {
  if (options.optLevel > 3)
    return error("the optimisation level must be 0 to 3");
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  auto found = findFunction(module, function);
  if (!found)
    return found.takeError();
  auto machine = targetMachine(module, options.optLevel);
  if (!machine)
    return machine.takeError();

  // libomp runs the parallel loops; memrefCopy comes from the C runner
  // utils.
  SmallVector<StringRef> libs = {HMOE_LIBOMP_PATH, HMOE_C_RUNNER_UTILS_PATH};
  // An experts_on layer: MPI loaded and initialised before the JIT links
  // the layer's calls into it.
  int mpiRank = -1;
  if (runtime::callsMPI(module)) {
    auto rank = runtime::initializeMPI();
    if (!rank)
      return rank.takeError();
    mpiRank = *rank;
    libs.push_back(runtime::mpiLibraryPath());
  }
  auto transformer = makeOptimizingTransformer(options.optLevel, 0, nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  engineOptions.jitCodeGenOptLevel =
      static_cast<llvm::CodeGenOptLevel>(options.optLevel);
  engineOptions.sharedLibPaths = libs;
  auto engine =
      ExecutionEngine::create(module, engineOptions, std::move(*machine));
  if (!engine)
    return engine.takeError();
  checkFailedHandler.store(options.checkFailed);
  (*engine)->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner(kCheckFailedFunction)] = {
        llvm::orc::ExecutorAddr::fromPtr(&hmoeCheckFailed),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("malloc")] = {
        llvm::orc::ExecutorAddr::fromPtr(&hmoeMalloc),
        llvm::JITSymbolFlags::Exported};
    symbols[interner("free")] = {
        llvm::orc::ExecutorAddr::fromPtr(&runtime::cachedFree),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });

  std::unique_ptr<JitLayer> layer(new JitLayer);
  layer->mpiRank = mpiRank;
  layer->engine = std::move(*engine);
  layer->functionName = found->first;
  layer->signature = found->second;
  // The module's constructors first (invokePacked ran them on its first
  // call), then the entries' addresses once (this compiles the module): a
  // lookup by name per call costs a symbol search, several microseconds of
  // a small layer's call (two lookups a call with _result_shapes).
  layer->engine->initialize();
  auto entry = [&](StringRef suffix, void (*&address)(void **)) {
    auto found =
        layer->engine->lookupPacked(layer->functionName + suffix.str());
    if (found)
      address = *found;
    return found.takeError();
  };
  if (llvm::Error err = entry("", layer->packed))
    return std::move(err);
  IntoEntries entries = intoEntriesOf(module, found->first, found->second);
  if (entries.into && entries.resultShapes) {
    if (llvm::Error err = entry("_into", layer->packedInto))
      return std::move(err);
    if (llvm::Error err = entry("_result_shapes", layer->packedShapes))
      return std::move(err);
  }
  return layer;
}

IntoEntries mlir::hmoe::intoEntriesOf(ModuleOp module, StringRef layer,
                                      FunctionType signature) {
  auto generated = [&](StringRef suffix, StringRef attr) {
    Operation *op = module.lookupSymbol((layer + suffix).str());
    auto of = op ? op->getAttrOfType<TypeAttr>(attr) : TypeAttr();
    return of && of.getValue() == signature;
  };
  return {generated("_into", HMoEDialect::IntoAbiAttrHelper::getNameStr()),
          generated("_result_shapes",
                    HMoEDialect::ShapesOfAttrHelper::getNameStr())};
}

std::string mlir::hmoe::printSignature(FunctionType signature) {
  std::string text;
  llvm::raw_string_ostream os(text);
  signature.print(os);
  return text;
}

std::string mlir::hmoe::signatureSymbol(StringRef function) {
  return ("hmoe_" + function + "_signature").str();
}

std::string mlir::hmoe::layerFingerprint(func::FuncOp layer) {
  // A copy without what does not change the numbers: the name, visibility,
  // attributes hmoe-compile adds (the C wrapper's) and argument names.
  OwningOpRef<func::FuncOp> copy = layer.clone();
  copy->setName("layer");
  Operation *op = copy->getOperation();
  for (NamedAttribute attr : llvm::to_vector(op->getAttrs()))
    if (attr.getName() != copy->getFunctionTypeAttrName() &&
        attr.getName() != copy->getSymNameAttrName())
      op->removeAttr(attr.getName());
  // Every flag set, whatever the command line's --mlir-print-* say (the
  // default flags read them where a tool registers them): custom forms
  // (which elide attributes at their defaults, as a parse of the printed IR
  // does), no locations, constants in full (hex past 100 elements: exact).
  // A dense_resource's data is not printed with the op, so not hashed.
  OpPrintingFlags flags;
  flags.enableDebugInfo(false)
      .printGenericOpForm(false)
      .useLocalScope()
      .skipRegions(false)
      .assumeVerified(false)
      .printValueUsers(false)
      .printUniqueSSAIDs(false)
      .printNameLocAsPrefix(false)
      .printLargeElementsAttrWithHex(100)
      .elideLargeElementsAttrs(std::numeric_limits<int64_t>::max());
  std::string text;
  llvm::raw_string_ostream os(text);
  op->print(os, flags);
  return llvm::utohexstr(llvm::xxh3_64bits(text), /*LowerCase=*/true,
                         /*Width=*/16);
}

std::string mlir::hmoe::fingerprintSymbol(StringRef function) {
  return ("hmoe_" + function + "_fingerprint").str();
}

llvm::Expected<std::unique_ptr<JitLayer>>
JitLayer::loadLibrary(StringRef path, StringRef function,
                      FunctionType signature, StringRef fingerprint,
                      bool cuda) {
  // A file name without a directory is the file here, as for every other
  // path argument (dlopen would search the system's library paths instead).
  SmallString<256> file(path);
  if (llvm::sys::fs::exists(file))
    llvm::sys::fs::make_absolute(file);
  std::string error;
  auto library =
      llvm::sys::DynamicLibrary::getPermanentLibrary(file.c_str(), &error);
  if (!library.isValid())
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "cannot load '" + path + "': " + error);
  std::string entry = ("_mlir_" + function).str();
  void *address = library.getAddressOfSymbol(entry.c_str());
  if (!address)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "' has no " + entry +
            "; is it a library hmoe-compile made for @" + function + "?");
  // A library for another signature reads and writes its buffers at the
  // sizes it was compiled for.
  auto *compiledFor = static_cast<const char *>(
      library.getAddressOfSymbol(signatureSymbol(function).c_str()));
  std::string expected = printSignature(signature);
  if (!compiledFor || expected != compiledFor)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "' was compiled for @" + function + " : " +
            (compiledFor ? std::string(compiledFor)
                         : std::string("(no signature: not made by this "
                                       "hmoe-compile)")) +
            ", not the given module's " + expected);
  auto *compiledFrom = static_cast<const char *>(
      library.getAddressOfSymbol(fingerprintSymbol(function).c_str()));
  if (!compiledFrom || fingerprint != compiledFrom)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "' was compiled from " +
            (compiledFrom
                 ? "another @" + function.str() +
                       " of the same signature (layer fingerprint " +
                       compiledFrom + ", the given module's " +
                       fingerprint.str() +
                       ": another layer, this one by another hmoe, or an "
                       "older copy of this file already loaded in this "
                       "process)"
                 : "a layer without a fingerprint (an hmoe-compile "
                   "older than this one)") +
            "; compile the given module with hmoe-compile");
  std::unique_ptr<JitLayer> layer(new JitLayer);
  // A library of an experts_on layer links the MPI library (hmoe-compile):
  // MPI started as for a JIT-compiled one.
  if (library.getAddressOfSymbol("MPI_Init_thread")) {
    auto rank = runtime::initializeMPI();
    if (!rank)
      return rank.takeError();
    layer->mpiRank = *rank;
  }
  layer->packed = reinterpret_cast<void (*)(void **)>(address);
  // Results written in place where the library has the entries (a CUDA
  // library's buffers are device memory: it keeps the copying path).
  if (!cuda) {
    layer->packedInto = reinterpret_cast<void (*)(void **)>(
        library.getAddressOfSymbol((entry + "_into").c_str()));
    layer->packedShapes = reinterpret_cast<void (*)(void **)>(
        library.getAddressOfSymbol((entry + "_result_shapes").c_str()));
  }
  layer->functionName = function.str();
  layer->signature = signature;
  layer->freeResult = reinterpret_cast<void (*)(void *)>(
      library.getAddressOfSymbol("hmoe_free"));
  if (!layer->freeResult)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path + "' has no hmoe_free; is it a library hmoe-compile made?");
  // Its buffers are device memory: host pointers would be passed to its
  // kernels.
  if (!cuda && library.getAddressOfSymbol("hmoe_cuda_alloc"))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "'" + path +
            "' is a CUDA layer library (hmoe-compile --target=cuda): run "
            "it with --target=cuda");
  if (cuda) {
    // The library's runtime (a dependency: dlsym on the library finds it).
    auto symbol = [&](const char *name) -> void * {
      return library.getAddressOfSymbol(name);
    };
    auto functions = std::make_unique<CUDAFunctions>();
    functions->alloc =
        reinterpret_cast<void *(*)(size_t)>(symbol("hmoe_cuda_alloc"));
    functions->free =
        reinterpret_cast<void (*)(void *)>(symbol("hmoe_cuda_free"));
    functions->copy = reinterpret_cast<void (*)(void *, const void *, size_t)>(
        symbol("hmoe_cuda_copy"));
    functions->timerStart =
        reinterpret_cast<void (*)()>(symbol("hmoe_cuda_timer_start"));
    functions->timerStop =
        reinterpret_cast<float (*)()>(symbol("hmoe_cuda_timer_stop"));
    if (!functions->alloc || !functions->free || !functions->copy ||
        !functions->timerStart || !functions->timerStop)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "'" + path +
              "' is not a CUDA layer library (no hmoe_cuda_* functions from "
              "libhmoe_cuda_runtime.so); was it made with hmoe-compile "
              "--target=cuda?");
    layer->cuda = std::move(functions);
  }
  return layer;
}

SmallVector<TensorRef> JitLayer::upload(ArrayRef<TensorRef> inputs) {
  SmallVector<TensorRef> device;
  for (auto [input, type] : llvm::zip(inputs, signature.getInputs())) {
    int64_t bytes = denseBytes(type, input.shape);
    TensorRef copy{cuda->alloc(bytes), input.shape};
    if (bytes)
      cuda->copy(copy.data, input.data, bytes);
    device.push_back(copy);
  }
  return device;
}

void JitLayer::freeDevice(ArrayRef<TensorRef> buffers) {
  for (const TensorRef &buffer : buffers)
    cuda->free(buffer.data);
}

JitLayer::~JitLayer() = default;

llvm::Error JitLayer::checkInputs(ArrayRef<TensorRef> inputs) {
  if (inputs.size() != signature.getNumInputs())
    return error("@" + functionName + " takes " +
                 llvm::Twine(signature.getNumInputs()) + " arguments; got " +
                 llvm::Twine(inputs.size()));
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(inputs, signature.getInputs()))) {
    auto [input, type] = pair;
    auto tensor = cast<RankedTensorType>(type);
    bool ok = input.shape.size() == static_cast<size_t>(tensor.getRank());
    for (int64_t d = 0; ok && d < tensor.getRank(); ++d)
      ok = input.shape[d] >= 0 &&
           (tensor.isDynamicDim(d) || tensor.getDimSize(d) == input.shape[d]);
    if (!ok) {
      std::string shape;
      llvm::raw_string_ostream os(shape);
      llvm::interleaveComma(input.shape, os);
      return error("argument #" + llvm::Twine(i) + " has shape [" + shape +
                   "]; @" + functionName + " expects " + str(tensor));
    }
  }
  return llvm::Error::success();
}

llvm::Error JitLayer::invoke(ArrayRef<TensorRef> inputs,
                             std::vector<int64_t> &resultWords) {
  if (llvm::Error err = checkInputs(inputs))
    return err;
  std::vector<int64_t> inputWords;
  for (const TensorRef &input : inputs)
    appendDescriptor(input, inputWords);
  SmallVector<void *> args = packedArgs(inputWords);
  resultWords.clear();
  for (Type type : signature.getResults())
    resultWords.resize(resultWords.size() + 3 +
                       2 * cast<RankedTensorType>(type).getRank());
  if (!resultWords.empty())
    args.push_back(resultWords.data());
  packed(args.data());
  return llvm::Error::success();
}

llvm::Expected<SmallVector<SmallVector<int64_t>>>
JitLayer::resultShapes(ArrayRef<TensorRef> inputs) {
  if (!writesInPlace())
    return error("@" + functionName + " has no @" + functionName +
                 "_result_shapes (hmoe-add-into-entries)");
  if (llvm::Error err = checkInputs(inputs))
    return std::move(err);
  int64_t count = 0;
  for (Type type : signature.getResults())
    count += cast<RankedTensorType>(type).getRank();
  std::vector<int64_t> sizes(std::max<int64_t>(count, 1));
  std::vector<int64_t> words;
  for (const TensorRef &input : inputs)
    appendDescriptor(input, words);
  appendDescriptor(TensorRef{sizes.data(), {count}}, words);
  SmallVector<void *> args = packedArgs(words);
  packedShapes(args.data());
  SmallVector<SmallVector<int64_t>> shapes;
  int64_t at = 0;
  for (Type type : signature.getResults()) {
    int64_t rank = cast<RankedTensorType>(type).getRank();
    shapes.emplace_back(sizes.begin() + at, sizes.begin() + at + rank);
    at += rank;
  }
  return shapes;
}

llvm::Error JitLayer::callInto(ArrayRef<TensorRef> inputs,
                               ArrayRef<TensorRef> outputs) {
  auto shapes = resultShapes(inputs);
  if (!shapes)
    return shapes.takeError();
  return invokeInto(inputs, outputs, *shapes);
}

llvm::Error JitLayer::invokeInto(ArrayRef<TensorRef> inputs,
                                 ArrayRef<TensorRef> outputs,
                                 ArrayRef<SmallVector<int64_t>> shapes) {
  if (outputs.size() != shapes.size())
    return error("@" + functionName + " has " + llvm::Twine(shapes.size()) +
                 " results; got " + llvm::Twine(outputs.size()) +
                 " buffers for them");
  for (auto [i, pair] : llvm::enumerate(llvm::zip(outputs, shapes))) {
    auto [output, shape] = pair;
    if (ArrayRef<int64_t>(output.shape) != ArrayRef<int64_t>(shape)) {
      std::string given, expected;
      llvm::raw_string_ostream g(given), e(expected);
      llvm::interleaveComma(output.shape, g);
      llvm::interleaveComma(shape, e);
      return error("the buffer for result #" + llvm::Twine(i) + " has shape [" +
                   given + "]; @" + functionName + " gives [" + expected +
                   "] for these inputs");
    }
  }
  // An output that shares memory with another buffer: the layer's own
  // check would end the process; an error here instead.
  auto range = [&](const TensorRef &t, Type type) {
    auto begin = reinterpret_cast<uintptr_t>(t.data);
    return std::make_pair(begin, begin + denseBytes(type, t.shape));
  };
  SmallVector<std::pair<uintptr_t, uintptr_t>> ranges;
  for (auto [input, type] : llvm::zip(inputs, signature.getInputs()))
    ranges.push_back(range(input, type));
  for (auto [i, pair] :
       llvm::enumerate(llvm::zip(outputs, signature.getResults()))) {
    auto [begin, end] = range(std::get<0>(pair), std::get<1>(pair));
    for (auto [j, other] : llvm::enumerate(ranges))
      if (begin < end && other.first < other.second && begin < other.second &&
          other.first < end)
        return error("the buffer for result #" + llvm::Twine(i) +
                     " shares memory with " +
                     (j < inputs.size() ? "argument #" + llvm::Twine(j)
                                        : "the buffer for result #" +
                                              llvm::Twine(j - inputs.size())) +
                     "; a result's buffer must not overlap any other buffer");
    ranges.push_back({begin, end});
  }
  std::vector<int64_t> words;
  for (const TensorRef &buffer : llvm::concat<const TensorRef>(inputs, outputs))
    appendDescriptor(buffer, words);
  SmallVector<void *> args = packedArgs(words);
  packedInto(args.data());
  return llvm::Error::success();
}

void JitLayer::releaseResults(ArrayRef<TensorRef> inputs,
                              const std::vector<int64_t> &resultWords) {
  // Frees the buffers one call returned (never the caller's own inputs,
  // which a layer may return as they are).
  std::set<int64_t> keep, freed;
  for (const TensorRef &input : inputs)
    keep.insert(reinterpret_cast<int64_t>(input.data));
  size_t at = 0;
  for (Type type : signature.getResults()) {
    int64_t allocated = resultWords[at];
    if (allocated && !keep.count(allocated) && freed.insert(allocated).second) {
      if (freeResult)
        freeResult(reinterpret_cast<void *>(allocated));
      else
        runtime::cachedFree(reinterpret_cast<void *>(allocated));
    }
    at += memrefDescriptorWords(cast<RankedTensorType>(type).getRank());
  }
}

llvm::Error JitLayer::call(
    ArrayRef<TensorRef> inputs,
    llvm::function_ref<void *(unsigned, ArrayRef<int64_t>)> allocateResult) {
  if (writesInPlace()) {
    // The results' shapes first, then the layer writes into the caller's
    // memory: no buffer of its own, no copy (a result the caller does not
    // want still needs memory to be written to).
    auto shapes = resultShapes(inputs);
    if (!shapes)
      return shapes.takeError();
    SmallVector<TensorRef> outputs;
    std::vector<std::unique_ptr<char[]>> dropped;
    for (auto [i, shape] : llvm::enumerate(*shapes)) {
      void *out = allocateResult(i, shape);
      if (!out) {
        int64_t bytes = denseBytes(signature.getResult(i), shape);
        dropped.emplace_back(new char[std::max<int64_t>(bytes, 1)]);
        out = dropped.back().get();
      }
      outputs.push_back(TensorRef{out, SmallVector<int64_t>(shape)});
    }
    return invokeInto(inputs, outputs, *shapes);
  }
  std::vector<int64_t> resultWords;
  SmallVector<TensorRef> device;
  if (cuda)
    device = upload(inputs);
  ArrayRef<TensorRef> args = cuda ? ArrayRef<TensorRef>(device) : inputs;
  if (llvm::Error err = invoke(args, resultWords))
    return err;
  size_t at = 0;
  for (auto [i, type] : llvm::enumerate(signature.getResults())) {
    auto tensor = cast<RankedTensorType>(type);
    int64_t rank = tensor.getRank();
    int64_t elemSize = elementBytes(tensor.getElementType());
    ArrayRef<int64_t> shape(resultWords.data() + at + 3, rank);
    void *out = allocateResult(i, shape);
    if (out && cuda) {
      // Device results: a host copy of the span the strides cover, then
      // the strided copy out of it.
      const int64_t *words = resultWords.data() + at;
      int64_t span = 1;
      for (int64_t d = 0; d < rank; ++d)
        span += shape[d] ? (shape[d] - 1) * words[3 + rank + d] : 0;
      bool empty = llvm::is_contained(shape, 0);
      std::vector<char> host(empty ? 0 : span * elemSize);
      if (!empty)
        cuda->copy(host.data(),
                   reinterpret_cast<char *>(words[1]) + words[2] * elemSize,
                   host.size());
      std::vector<int64_t> hostWords(words,
                                     words + memrefDescriptorWords(rank));
      hostWords[0] = hostWords[1] = reinterpret_cast<int64_t>(host.data());
      hostWords[2] = 0;
      copyOut(hostWords.data(), rank, elemSize, static_cast<char *>(out));
    } else if (out) {
      copyOut(resultWords.data() + at, rank, elemSize,
              static_cast<char *>(out));
    }
    at += memrefDescriptorWords(rank);
  }
  releaseResults(args, resultWords);
  if (cuda)
    freeDevice(device);
  return llvm::Error::success();
}

llvm::Expected<SmallVector<double>> JitLayer::time(ArrayRef<TensorRef> inputs,
                                                   unsigned repetitions) {
  std::vector<int64_t> resultWords;
  SmallVector<double> seconds;
  // A CUDA layer's inputs go to the device once, and calls are timed with
  // events on the stream it launches on.
  SmallVector<TensorRef> device;
  if (cuda)
    device = upload(inputs);
  ArrayRef<TensorRef> args = cuda ? ArrayRef<TensorRef>(device) : inputs;
  for (unsigned r = 0; r <= repetitions; ++r) {
    if (cuda)
      cuda->timerStart();
    auto start = std::chrono::steady_clock::now();
    if (llvm::Error err = invoke(args, resultWords))
      return std::move(err);
    auto stop = std::chrono::steady_clock::now();
    double elapsed = cuda ? cuda->timerStop() * 1e-3
                          : std::chrono::duration<double>(stop - start).count();
    releaseResults(args, resultWords);
    if (r > 0) // the first call warms up
      seconds.push_back(elapsed);
  }
  if (cuda)
    freeDevice(device);
  return seconds;
}
