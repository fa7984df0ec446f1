//===- HMoEDialect.cpp - the hmoe dialect and its discardable attributes --===//
//
// The attributes' parsers, printers and verifiers are HMoEAttrs.cpp's.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

using namespace mlir;
using namespace mlir::hmoe;

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.cpp.inc"

void HMoEDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "hmoe/Dialect/HMoE/IR/HMoEOps.cpp.inc"
      >();
}

LogicalResult HMoEDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  Attribute value = attr.getValue();
  // hmoe.abi and hmoe.into_abi: a function type on a function.
  auto signatureOn = [&](StringRef what)
      -> FailureOr<std::pair<FunctionType, FunctionOpInterface>> {
    auto type = dyn_cast<TypeAttr>(value);
    auto signature = type ? dyn_cast<FunctionType>(type.getValue()) : nullptr;
    if (!signature)
      return op->emitError() << "'" << name << "' must be a function type ("
                             << what << "), got " << value;
    auto func = dyn_cast<FunctionOpInterface>(op);
    if (!func)
      return op->emitError()
             << "'" << name << "' belongs on a function, not on "
             << op->getName();
    return std::make_pair(signature, func);
  };
  if (name == AbiAttrHelper::getNameStr()) {
    auto on = signatureOn("the layer function's signature");
    if (failed(on))
      return failure();
    auto [signature, func] = *on;
    // Lowering to LLVM expands arguments; before that they correspond.
    auto ownType = dyn_cast<FunctionType>(func.getFunctionType());
    if (ownType && (ownType.getNumInputs() != signature.getNumInputs() ||
                    ownType.getNumResults() != signature.getNumResults()))
      return op->emitError()
             << "'" << name << "' has " << signature.getNumInputs()
             << " arguments and " << signature.getNumResults()
             << " results, the function " << ownType.getNumInputs() << " and "
             << ownType.getNumResults();
    return success();
  }
  if (name == IntoAbiAttrHelper::getNameStr()) {
    auto on = signatureOn(
        "the signature of the layer whose results the function writes");
    if (failed(on))
      return failure();
    auto [signature, func] = *on;
    // Before lowering: the layer's inputs, then a buffer per result.
    auto ownType = dyn_cast<FunctionType>(func.getFunctionType());
    unsigned expected = signature.getNumInputs() + signature.getNumResults();
    if (ownType &&
        (ownType.getNumInputs() != expected || ownType.getNumResults() != 0))
      return op->emitError()
             << "'" << name << "' describes a layer of "
             << signature.getNumInputs() << " arguments and "
             << signature.getNumResults() << " results, so the function takes "
             << expected << " arguments (inputs, then result buffers) and "
             << "returns nothing; it has " << ownType.getNumInputs()
             << " arguments and " << ownType.getNumResults() << " results";
    return success();
  }
  if (name == ShapesOfAttrHelper::getNameStr()) {
    auto on = signatureOn(
        "the signature of the layer whose result sizes the function writes");
    if (failed(on))
      return failure();
    auto [signature, func] = *on;
    // Before lowering: the layer's inputs, then the sizes' buffer.
    auto ownType = dyn_cast<FunctionType>(func.getFunctionType());
    if (ownType && (ownType.getNumInputs() != signature.getNumInputs() + 1 ||
                    ownType.getNumResults() != 0))
      return op->emitError()
             << "'" << name << "' describes a layer of "
             << signature.getNumInputs() << " arguments, so the function takes "
             << signature.getNumInputs() + 1
             << " arguments (inputs, then the sizes' buffer) and returns "
                "nothing; it has "
             << ownType.getNumInputs() << " arguments and "
             << ownType.getNumResults() << " results";
    return success();
  }
  if (name == TargetCpuAttrHelper::getNameStr() ||
      name == TargetFeaturesAttrHelper::getNameStr()) {
    if (!isa<StringAttr>(value))
      return op->emitError()
             << "'" << name << "' must be a string, got " << value;
    if (!isa<ModuleOp>(op))
      return op->emitError() << "'" << name << "' belongs on a module, not on "
                             << op->getName();
    return success();
  }
  if (name == DynamicTasksAttrHelper::getNameStr()) {
    if (!isa<UnitAttr>(value))
      return op->emitError()
             << "'" << name << "' is a unit attribute, got " << value;
    if (op->getName().getStringRef() != "scf.parallel")
      return op->emitError()
             << "'" << name << "' belongs on an scf.parallel, not on "
             << op->getName();
    return success();
  }
  if (name == ReadOnlyArgsAttrHelper::getNameStr()) {
    if (!isa<UnitAttr>(value))
      return op->emitError()
             << "'" << name << "' is a unit attribute, got " << value;
    if (!isa<FunctionOpInterface>(op))
      return op->emitError()
             << "'" << name << "' belongs on a GPU kernel function, not on "
             << op->getName();
    return success();
  }
  return op->emitError()
         << "unknown attribute '" << name
         << "': the hmoe dialect defines 'hmoe.abi', 'hmoe.into_abi', "
            "'hmoe.shapes_of', 'hmoe.target_cpu', 'hmoe.target_features', "
            "'hmoe.dynamic_tasks' "
            "and "
            "'hmoe.read_only_args'";
}
