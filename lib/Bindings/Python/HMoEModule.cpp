//===- HMoEModule.cpp - the hmoe._hmoe Python extension -------------------===//
//
// hmoe's Python package over its C++ API (nanobind): a context with every
// dialect hmoe's pipelines need, layers built through hmoe::buildLayerFunction
// (not IR text), modules parsed, printed and lowered, and lowered layers
// JIT-compiled (hmoe::JitLayer) and called on NumPy arrays or anything that
// speaks DLPack (PyTorch tensors), without copies. MLIR diagnostics become
// hmoe.MLIRError with the message and location.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Utils/LayerBuilder.h"
#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"
#include "hmoe/Pipelines/Pipelines.h"
#include "hmoe/Runtime/JitLayer.h"
#include "hmoe/Runtime/MPI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <memory>
#include <mutex>

namespace nb = nanobind;
using namespace mlir;
using namespace mlir::hmoe;

namespace {

//===----------------------------------------------------------------------===//
// Context and diagnostics
//===----------------------------------------------------------------------===//

/// One MLIR context with hmoe's dialects, its pipelines' dialects and the
/// JIT translations; shared by the modules made in it.
struct Context {
  MLIRContext context;
  Context() : context(makeRegistry()) {
    context.loadDialect<HMoEDialect, func::FuncDialect>();
    // Errors say what is wrong at the op; the op's generic form after it
    // (MLIR's default) is noise for a Python user.
    context.printOpOnDiagnostic(false);
  }
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    registerPipelineDialects(registry);
    registerJitTranslations(registry);
    return registry;
  }
};

std::shared_ptr<Context> defaultContext() {
  static std::shared_ptr<Context> context = std::make_shared<Context>();
  return context;
}

/// `file:line:col` for a file location (what compilers print), MLIR's own
/// form for any other.
std::string locationString(Location loc) {
  if (auto file = dyn_cast<FileLineColLoc>(loc))
    return (file.getFilename().getValue() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << loc;
  return text;
}

// Raised as hmoe.MLIRError (set up in the module initialiser).
nb::object mlirError;

[[noreturn]] void raise(const std::string &message) {
  PyErr_SetString(mlirError.ptr(), message.c_str());
  throw nb::python_error();
}

/// Runs `body` with diagnostics collected; on failure raises hmoe.MLIRError
/// with them (or `fallback` when nothing was emitted).
template <typename T, typename Fn>
T withDiagnostics(MLIRContext &context, const std::string &fallback, Fn body) {
  std::vector<std::string> messages;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() != DiagnosticSeverity::Error)
      return success();
    std::string text;
    llvm::raw_string_ostream os(text);
    os << locationString(diag.getLocation()) << ": error: " << diag;
    for (Diagnostic &note : diag.getNotes())
      os << "\n  " << locationString(note.getLocation()) << ": note: " << note;
    messages.push_back(text);
    return success();
  });
  FailureOr<T> result = body();
  if (succeeded(result))
    return std::move(*result);
  std::string text;
  for (const std::string &message : messages)
    text += (text.empty() ? "" : "\n") + message;
  raise(text.empty() ? fallback : text);
}

//===----------------------------------------------------------------------===//
// Modules
//===----------------------------------------------------------------------===//

struct Module {
  std::shared_ptr<Context> context;
  mutable OwningOpRef<ModuleOp> module; // printing and cloning read it

  std::string str() const {
    std::string text;
    llvm::raw_string_ostream os(text);
    module->print(os);
    return text;
  }
};

Module parseModule(const std::string &text) {
  auto context = defaultContext();
  OwningOpRef<ModuleOp> module = withDiagnostics<OwningOpRef<ModuleOp>>(
      context->context, "the text does not parse as an MLIR module",
      [&]() -> FailureOr<OwningOpRef<ModuleOp>> {
        auto parsed =
            parseSourceString<ModuleOp>(text, &context->context, "<python>");
        if (!parsed)
          return failure();
        return parsed;
      });
  return Module{context, std::move(module)};
}

/// Lowers a copy of the module with hmoe-lower-to-cpu{options}.
Module lowerModule(const Module &source, const std::string &options) {
  auto parsed = LowerToCPUOptions::createFromString(options);
  if (!parsed)
    raise("invalid hmoe-lower-to-cpu options: '" + options + "'");
  MLIRContext &context = source.context->context;
  OwningOpRef<ModuleOp> module = withDiagnostics<OwningOpRef<ModuleOp>>(
      context, "hmoe-lower-to-cpu failed",
      [&]() -> FailureOr<OwningOpRef<ModuleOp>> {
        OwningOpRef<ModuleOp> copy = source.module->clone();
        PassManager pm(&context);
        buildLowerToCPUPipeline(pm, *parsed);
        if (failed(pm.run(*copy)))
          return failure();
        return copy;
      });
  return Module{source.context, std::move(module)};
}

//===----------------------------------------------------------------------===//
// Building a layer from Python values
//===----------------------------------------------------------------------===//

template <typename EnumT>
EnumT enumValue(nb::handle object, const char *key,
                std::optional<EnumT> (*symbolize)(llvm::StringRef),
                const char *expected) {
  std::string name = nb::cast<std::string>(object[key]);
  std::optional<EnumT> value = symbolize(name);
  if (!value)
    raise(std::string("unknown ") + key + " '" + name + "'; expected one of " +
          expected);
  return *value;
}

std::optional<Activation> activationValue(nb::handle object, const char *key) {
  if (object[key].is_none())
    return std::nullopt;
  return enumValue<Activation>(object, key, symbolizeActivation,
                               "tanh, sigmoid, relu, gelu, silu");
}

Module buildLayer(nb::dict spec) {
  auto context = defaultContext();
  MLIRContext &ctx = context->context;
  OwningOpRef<ModuleOp> module = withDiagnostics<OwningOpRef<ModuleOp>>(
      ctx, "the layer does not verify",
      [&]() -> FailureOr<OwningOpRef<ModuleOp>> {
        // The Python line that built the layer, for the attributes' errors
        // too (they were at loc(unknown)).
        Location loc = FileLineColLoc::get(&ctx, "<python>", 1, 1);
        if (spec.contains("location")) {
          nb::handle where = spec["location"];
          loc = FileLineColLoc::get(&ctx, nb::cast<std::string>(where[0]),
                                    nb::cast<unsigned>(where[1]), 1);
        }
        auto emit = [&] { return emitError(loc); };
        LayerSpec layer;
        layer.name = nb::cast<std::string>(spec["name"]);
        std::string dtype = nb::cast<std::string>(spec["dtype"]);
        Builder b(&ctx);
        if (dtype == "f32")
          layer.elementType = b.getF32Type();
        else if (dtype == "bf16")
          layer.elementType = b.getBF16Type();
        else if (dtype == "f16")
          layer.elementType = b.getF16Type();
        else
          raise("dtype '" + dtype + "' is not one of f32, bf16, f16");
        layer.tokens = spec["tokens"].is_none()
                           ? ShapedType::kDynamic
                           : nb::cast<int64_t>(spec["tokens"]);
        layer.dim = nb::cast<int64_t>(spec["dim"]);

        nb::handle strategy = spec["strategy"];
        layer.strategy = StrategyAttr::getChecked(
            emit, &ctx,
            enumValue<StrategyKind>(strategy, "kind", symbolizeStrategyKind,
                                    "nested, group_limited, per_group"),
            nb::cast<int64_t>(strategy["groups"]),
            nb::cast<int64_t>(strategy["k_groups"]),
            enumValue<GroupScore>(strategy, "group_score", symbolizeGroupScore,
                                  "max, sum_top"),
            nb::cast<int64_t>(strategy["top_m"]));
        if (!layer.strategy)
          return failure();

        for (nb::handle level : nb::cast<nb::list>(spec["levels"])) {
          nb::handle gate = level["gate"];
          GateAttr attr = GateAttr::getChecked(
              emit, &ctx,
              enumValue<ScoreKind>(gate, "score", symbolizeScoreKind,
                                   "linear, laplace, gaussian, activation"),
              activationValue(gate, "activation"),
              enumValue<Normalization>(gate, "normalization",
                                       symbolizeNormalization,
                                       "softmax, sigmoid"),
              nb::cast<int64_t>(gate["k"]),
              APFloat(nb::cast<double>(gate["temperature"])),
              nb::cast<bool>(gate["renormalize"]),
              APFloat(nb::cast<double>(gate["scale"])));
          if (!attr)
            return failure();
          layer.levels.push_back({attr, nb::cast<int64_t>(level["fanout"]),
                                  nb::cast<bool>(level["shared_gate"]),
                                  nb::cast<bool>(level["gate_bias"]),
                                  nb::cast<bool>(level["selection_bias"]),
                                  nb::cast<bool>(level["penalty"])});
        }

        auto expertAttr = [&](nb::handle expert) {
          return ExpertAttr::getChecked(
              emit, &ctx,
              enumValue<ExpertKind>(expert, "kind", symbolizeExpertKind,
                                    "ffn, swiglu, linear"),
              activationValue(expert, "activation"),
              nb::cast<int64_t>(expert["hidden"]));
        };
        layer.expert = expertAttr(spec["expert"]);
        if (!layer.expert)
          return failure();
        if (!spec["shared_expert"].is_none()) {
          layer.sharedExpert = expertAttr(spec["shared_expert"]);
          if (!layer.sharedExpert)
            return failure();
          layer.sharedCount = nb::cast<int64_t>(spec["shared_count"]);
          layer.sharedGate = nb::cast<bool>(spec["shared_gate"]);
        }
        layer.b1 = nb::cast<bool>(spec["b1"]);
        layer.b2 = nb::cast<bool>(spec["b2"]);
        layer.routerScale = nb::cast<bool>(spec["router_scale"]);
        if (!spec["capacity_factor"].is_none())
          layer.capacityFactor = nb::cast<double>(spec["capacity_factor"]);
        layer.fillOrder =
            enumValue<FillOrder>(spec, "fill_order", symbolizeFillOrder,
                                 "token_order, choice_rank, score");
        layer.capacityRounding = enumValue<CapacityRounding>(
            spec, "capacity_rounding", symbolizeCapacityRounding,
            "ceil, hi_moe");
        for (nb::handle stat : nb::cast<nb::list>(spec["stats"])) {
          std::string name = nb::cast<std::string>(stat);
          std::optional<StatKind> kind = symbolizeStatKind(name);
          if (!kind)
            raise("unknown statistic '" + name +
                  "'; expected load, importance, group_load, "
                  "group_importance, dropped, balance_loss, cv2_loss, "
                  "z_loss, r_intra or r_inter");
          layer.stats.push_back(*kind);
        }
        layer.lambdaIntra = nb::cast<double>(spec["lambda_intra"]);
        layer.lambdaInter = nb::cast<double>(spec["lambda_inter"]);
        layer.expertProcesses = nb::cast<int64_t>(spec["expert_processes"]);

        OwningOpRef<ModuleOp> module(ModuleOp::create(loc));
        OpBuilder builder = OpBuilder::atBlockEnd(module->getBody());
        if (failed(buildLayerFunction(builder, loc, layer)))
          return failure();
        return module;
      });
  return Module{context, std::move(module)};
}

//===----------------------------------------------------------------------===//
// Compiled layers
//===----------------------------------------------------------------------===//

/// A layer's inputs, which it only reads (read-only arrays too: a memory
/// map, np.frombuffer), and the result buffers it writes.
using Input = nb::ndarray<nb::ro, nb::device::cpu, nb::c_contig>;
using Output = nb::ndarray<nb::device::cpu, nb::c_contig>;

std::string dtypeName(Type type) {
  if (type.isF32())
    return "f32";
  if (type.isF64())
    return "f64";
  if (type.isF16())
    return "f16";
  if (type.isBF16())
    return "bf16";
  if (type.isSignlessInteger(32))
    return "i32";
  return "i64";
}

/// Whether an array's DLPack dtype holds the element type (bf16 also as
/// uint16 bit patterns, the NumPy convention of hmoe-run).
bool dtypeMatches(const nb::dlpack::dtype &dtype, Type type) {
  using Code = nb::dlpack::dtype_code;
  if (dtype.lanes != 1)
    return false;
  auto is = [&](Code code, int bits) {
    return dtype.code == static_cast<uint8_t>(code) && dtype.bits == bits;
  };
  if (type.isF32())
    return is(Code::Float, 32);
  if (type.isF64())
    return is(Code::Float, 64);
  if (type.isF16())
    return is(Code::Float, 16);
  if (type.isBF16())
    return is(Code::Bfloat, 16) || is(Code::UInt, 16);
  if (type.isSignlessInteger(32))
    return is(Code::Int, 32);
  return is(Code::Int, 64);
}

nb::dlpack::dtype dlpackOf(Type type) {
  if (type.isF32())
    return nb::dtype<float>();
  if (type.isF64())
    return nb::dtype<double>();
  if (type.isF16() || type.isBF16())
    return nb::dtype<uint16_t>(); // bits; the Python side views them
  if (type.isSignlessInteger(32))
    return nb::dtype<int32_t>();
  return nb::dtype<int64_t>();
}

class Compiled {
public:
  Compiled(const Module &lowered, const std::string &function,
           unsigned optLevel)
      : context(lowered.context) {
    JitOptions options;
    options.optLevel = optLevel;
    auto created = JitLayer::create(*lowered.module, function, options);
    if (!created)
      raise("JIT compilation failed: " + llvm::toString(created.takeError()));
    layer = std::move(*created);
  }

  /// The layer `function` of a library made by hmoe-compile; `source` (the
  /// layer before lowering) gives its signature.
  Compiled(const std::string &library, const Module &source,
           const std::string &function)
      : context(source.context) {
    auto func = source.module->lookupSymbol<func::FuncOp>(function);
    if (!func)
      raise("no function @" + function + " in the module");
    auto created = JitLayer::loadLibrary(
        library, function, func.getFunctionType(), layerFingerprint(func));
    if (!created)
      raise(llvm::toString(created.takeError()));
    layer = std::move(*created);
  }

  /// [(shape with -1 for a dynamic dim, dtype)] of the arguments.
  nb::list arguments() const {
    return describe(layer->getSignature().getInputs());
  }
  nb::list results() const {
    return describe(layer->getSignature().getResults());
  }
  std::string name() const { return layer->getFunctionName().str(); }
  int mpiRank() const { return layer->getMPIRank(); }

  /// Keeps `weights` (every argument after the first) for bound calls.
  void bind(std::vector<Input> weights) {
    FunctionType signature = layer->getSignature();
    if (weights.size() + 1 != signature.getNumInputs())
      raise("@" + name() + " takes " +
            std::to_string(signature.getNumInputs() - 1) +
            " weights after the tokens; got " + std::to_string(weights.size()));
    for (auto [i, weight] : llvm::enumerate(weights))
      checkArray(weight, i + 1);
    bound = std::move(weights);
  }

  /// Calls with every argument given.
  nb::list call(std::vector<Input> inputs) {
    for (auto [i, input] : llvm::enumerate(inputs))
      if (i < layer->getSignature().getNumInputs())
        checkArray(input, i);
    return invoke(inputs);
  }

  /// Calls with the tokens and the bound weights.
  nb::list callBound(Input x) {
    if (bound.size() + 1 != layer->getSignature().getNumInputs())
      raise("no weights are bound; call bind(...) first");
    checkArray(x, 0);
    std::vector<Input> inputs{x};
    inputs.insert(inputs.end(), bound.begin(), bound.end());
    return invoke(inputs);
  }

  /// Calls with every argument given, writing result i into outs[i].
  void callInto(std::vector<Input> inputs, std::vector<Output> outs) {
    for (auto [i, input] : llvm::enumerate(inputs))
      if (i < layer->getSignature().getNumInputs())
        checkArray(input, i);
    invokeInto(inputs, outs);
  }

  /// Calls with the tokens and the bound weights, into outs.
  void callBoundInto(Input x, std::vector<Output> outs) {
    if (bound.size() + 1 != layer->getSignature().getNumInputs())
      raise("no weights are bound; call bind(...) first");
    checkArray(x, 0);
    std::vector<Input> inputs{x};
    inputs.insert(inputs.end(), bound.begin(), bound.end());
    invokeInto(inputs, outs);
  }

  bool writesInPlace() const { return layer->writesInPlace(); }

  std::vector<double> time(std::vector<Input> inputs, unsigned repetitions) {
    for (auto [i, input] : llvm::enumerate(inputs))
      if (i < layer->getSignature().getNumInputs())
        checkArray(input, i);
    std::vector<TensorRef> refs = refsOf(inputs);
    llvm::Expected<SmallVector<double>> seconds = [&] {
      nb::gil_scoped_release release;
      return layer->time(refs, repetitions);
    }();
    if (!seconds)
      raise(llvm::toString(seconds.takeError()));
    return std::vector<double>(seconds->begin(), seconds->end());
  }

private:
  static nb::list describe(TypeRange types) {
    nb::list list;
    for (Type type : types) {
      auto tensor = cast<RankedTensorType>(type);
      nb::list shape;
      for (int64_t d : tensor.getShape())
        shape.append(ShapedType::isDynamic(d) ? -1 : d);
      list.append(
          nb::make_tuple(nb::tuple(shape), dtypeName(tensor.getElementType())));
    }
    return list;
  }

  void checkArray(const Input &array, size_t index) const {
    auto tensor = cast<RankedTensorType>(layer->getSignature().getInput(index));
    if (!dtypeMatches(array.dtype(), tensor.getElementType()))
      raise("argument #" + std::to_string(index) + " has the wrong dtype; @" +
            name() + " expects " + dtypeName(tensor.getElementType()) +
            (tensor.getElementType().isBF16() ? " (or uint16 bit patterns)"
                                              : ""));
  }

  template <typename Array>
  static std::vector<TensorRef> refsOf(const std::vector<Array> &arrays) {
    std::vector<TensorRef> refs;
    for (const Array &array : arrays) {
      TensorRef ref;
      ref.data = const_cast<void *>(array.data());
      for (size_t d = 0; d < array.ndim(); ++d)
        ref.shape.push_back(array.shape(d));
      refs.push_back(ref);
    }
    return refs;
  }

  void invokeInto(const std::vector<Input> &inputs,
                  const std::vector<Output> &outs) {
    if (!layer->writesInPlace())
      raise("@" + name() + " cannot write into given buffers: it has no @" +
            name() + "_into and @" + name() +
            "_result_shapes (its result sizes depend on its data; or it "
            "was lowered with into-entries=0, or is a library from an older "
            "hmoe-compile)");
    TypeRange resultTypes = layer->getSignature().getResults();
    for (auto [i, out] : llvm::enumerate(outs)) {
      if (i >= resultTypes.size())
        break; // the count is callInto's error
      Type elem = cast<RankedTensorType>(resultTypes[i]).getElementType();
      if (!dtypeMatches(out.dtype(), elem))
        raise("the buffer for result #" + std::to_string(i) +
              " has the wrong dtype; @" + name() + " gives " + dtypeName(elem) +
              (elem.isBF16() ? " (or uint16 bit patterns)" : ""));
    }
    std::vector<TensorRef> inRefs = refsOf(inputs), outRefs = refsOf(outs);
    llvm::Error error = [&] {
      nb::gil_scoped_release release;
      return layer->callInto(inRefs, outRefs);
    }();
    if (error)
      raise(llvm::toString(std::move(error)));
  }

  nb::list invoke(const std::vector<Input> &inputs) {
    std::vector<TensorRef> refs = refsOf(inputs);
    TypeRange resultTypes = layer->getSignature().getResults();
    std::vector<std::unique_ptr<char[]>> buffers(resultTypes.size());
    std::vector<std::vector<size_t>> shapes(resultTypes.size());
    llvm::Error error = [&] {
      nb::gil_scoped_release release;
      return layer->call(refs, [&](unsigned i, ArrayRef<int64_t> shape) {
        int64_t elements = 1;
        for (int64_t d : shape)
          elements *= d;
        shapes[i].assign(shape.begin(), shape.end());
        auto type = cast<RankedTensorType>(resultTypes[i]);
        buffers[i].reset(new char[std::max<int64_t>(
            1, elements * elementBytes(type.getElementType()))]);
        return static_cast<void *>(buffers[i].get());
      });
    }();
    if (error)
      raise(llvm::toString(std::move(error)));
    nb::list results;
    for (auto [i, type] : llvm::enumerate(resultTypes)) {
      char *data = buffers[i].release();
      nb::capsule owner(data, [](void *p) noexcept { delete[] (char *)p; });
      results.append(nb::ndarray<nb::numpy>(
          data, shapes[i].size(), shapes[i].data(), owner, nullptr,
          dlpackOf(cast<RankedTensorType>(type).getElementType())));
    }
    return results;
  }

  std::shared_ptr<Context> context;
  std::unique_ptr<JitLayer> layer;
  std::vector<Input> bound;
};

} // namespace

NB_MODULE(_hmoe, m) {
  m.doc() = "hmoe's compiler, in-process (see the hmoe package)";
  registerAllPasses();
  registerAllPipelines();

  mlirError = nb::borrow(PyErr_NewExceptionWithDoc(
      "hmoe.MLIRError",
      "An MLIR diagnostic: the message with its location (and notes).",
      PyExc_ValueError, nullptr));
  m.attr("MLIRError") = mlirError;

  nb::class_<Module>(m, "Module")
      .def("__str__", &Module::str)
      .def("lower", &lowerModule, nb::arg("options") = "",
           "A copy lowered by hmoe-lower-to-cpu{options} (LLVM dialect).")
      .def(
          "layer_stats",
          [](const Module &module, const std::string &function) {
            // The statistics of the function's hmoe.moe, when its results
            // are the function's results in order.
            nb::list names;
            auto func = module.module->lookupSymbol<func::FuncOp>(function);
            if (!func)
              return names;
            MoEOp layer;
            func.walk([&](MoEOp op) { layer = op; });
            if (!layer)
              return names;
            for (Attribute stat : layer.getStats())
              names.append(
                  stringifyStatKind(cast<StatKindAttr>(stat).getValue()).str());
            return names;
          },
          nb::arg("function"));

  m.def(
      "abort_mpi", [](int code) { runtime::abortMPIIfRunning(code); },
      nb::arg("code"),
      "MPI_Abort(MPI_COMM_WORLD, code) where an experts_on layer started "
      "MPI (or found it started); nothing otherwise.");
  m.def("parse", &parseModule, nb::arg("text"),
        "Parses and verifies an MLIR module (hmoe and upstream dialects).");
  m.def("build_layer", &buildLayer, nb::arg("spec"),
        "Builds a verified layer function from a spec dictionary.");

  nb::class_<Compiled>(m, "JitLayer")
      .def(nb::init<const Module &, const std::string &, unsigned>(),
           nb::arg("lowered"), nb::arg("function") = "",
           nb::arg("opt_level") = 3)
      .def_prop_ro("name", &Compiled::name)
      .def_prop_ro("mpi_rank", &Compiled::mpiRank,
                   "The process's MPI rank for an experts_on layer, else -1.")
      .def_prop_ro("arguments", &Compiled::arguments)
      .def_prop_ro("results", &Compiled::results)
      .def_static(
          "load",
          [](const std::string &library, const Module &source,
             const std::string &function) {
            return new Compiled(library, source, function);
          },
          nb::arg("library"), nb::arg("source"), nb::arg("function"),
          "The layer of a library made by hmoe-compile.")
      .def("bind", &Compiled::bind, nb::arg("weights"))
      .def("call", &Compiled::call, nb::arg("inputs"))
      .def("call_bound", &Compiled::callBound, nb::arg("x"))
      // No conversion of the buffers: the layer would write into a copy.
      .def("call_into", &Compiled::callInto, nb::arg("inputs"),
           nb::arg("outs").noconvert())
      .def("call_bound_into", &Compiled::callBoundInto, nb::arg("x"),
           nb::arg("outs").noconvert())
      .def_prop_ro("writes_in_place", &Compiled::writesInPlace)
      .def("time", &Compiled::time, nb::arg("inputs"), nb::arg("repetitions"));
}
