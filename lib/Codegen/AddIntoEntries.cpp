//===- AddIntoEntries.cpp - destination-passing twins of layer functions --===//
//
// @<layer>_into(inputs..., outs...) writes the layer's results into the
// caller's buffers. Where every result is a top-level allocation sized from
// the arguments, the layer's body moves into it (the allocations become
// the caller's buffers), @<layer> allocates and calls it, and
// @<layer>_result_shapes gives the sizes first; otherwise @<layer>_into
// calls @<layer> and copies.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEADDINTOENTRIES
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The allocation of a returned buffer that the caller's buffer can take
/// the place of: a memref.alloc, or a synchronous gpu.alloc, with no
/// symbol operands.
Operation *replaceableAllocation(Value returned, Block &entry) {
  Operation *def = returned.getDefiningOp();
  if (!def || def->getBlock() != &entry)
    return nullptr;
  if (auto alloc = dyn_cast<memref::AllocOp>(def))
    return alloc.getSymbolOperands().empty() ? def : nullptr;
  if (auto alloc = dyn_cast<gpu::AllocOp>(def))
    return alloc.getSymbolOperands().empty() &&
                   alloc.getAsyncDependencies().empty() &&
                   !alloc.getAsyncToken()
               ? def
               : nullptr;
  return nullptr;
}

ValueRange dynamicSizes(Operation *alloc) {
  if (auto m = dyn_cast<memref::AllocOp>(alloc))
    return m.getDynamicSizes();
  return cast<gpu::AllocOp>(alloc).getDynamicSizes();
}

/// Whether `op` computes a size without a way to fail: index arithmetic
/// (a division only by a nonzero constant), casts, constants, a buffer's
/// dimension. Run before the layer's own checks (at _into's top, in
/// _result_shapes), a division by an input's size could trap first.
bool isSafeSizeOp(Operation *op) {
  if (isa<memref::DimOp, arith::ConstantOp, arith::AddIOp, arith::SubIOp,
          arith::MulIOp, arith::IndexCastOp, arith::IndexCastUIOp,
          arith::MaxSIOp, arith::MinSIOp, arith::MaxUIOp, arith::MinUIOp,
          affine::AffineApplyOp, affine::AffineMaxOp, affine::AffineMinOp>(op))
    return true; // (affine maps divide by constants only)
  if (isa<arith::DivSIOp, arith::DivUIOp, arith::CeilDivSIOp,
          arith::CeilDivUIOp, arith::FloorDivSIOp, arith::RemSIOp,
          arith::RemUIOp>(op)) {
    APInt divisor;
    return matchPattern(op->getOperand(1), m_ConstantInt(&divisor)) &&
           !divisor.isZero();
  }
  return false;
}

/// Whether `value` is computed from the function's arguments alone by safe
/// size ops of its entry block; collects those ops.
bool fromArguments(Value value, Block &entry, SetVector<Operation *> &ops) {
  if (auto arg = dyn_cast<BlockArgument>(value))
    return arg.getOwner() == &entry;
  Operation *def = value.getDefiningOp();
  if (def->getBlock() != &entry || !isSafeSizeOp(def))
    return false;
  if (ops.contains(def))
    return true;
  for (Value operand : def->getOperands())
    if (!fromArguments(operand, entry, ops))
      return false;
  ops.insert(def);
  return true;
}

/// Whether the body frees `alloc` (a returned buffer it also deallocates
/// on some path): the caller's buffer must not be freed.
bool freedInBody(Operation *alloc) {
  return llvm::any_of(alloc->getResult(0).getUsers(), [&](Operation *user) {
    auto effects = dyn_cast<MemoryEffectOpInterface>(user);
    return effects &&
           effects.getEffectOnValue<MemoryEffects::Free>(alloc->getResult(0))
               .has_value();
  });
}

/// The message of a failed size check of the buffer for result `result`
/// (argument `argument` of `into`); `computed`: the layer computes the size
/// from its inputs' sizes (else it is the size of the result it returned).
std::string sizeMessage(StringRef into, unsigned result, unsigned argument,
                        int64_t dim, bool computed) {
  std::string message;
  llvm::raw_string_ostream os(message);
  os << "@" << into << ": the buffer for result #" << result << " (argument #"
     << argument << ") differs in dimension " << dim
     << " from the result's size"
     << (computed ? ", which the layer computes from its inputs' sizes"
                  : ", which the layer returned for these inputs");
  return message;
}

struct AddIntoEntriesPass
    : public hmoe::impl::HMoEAddIntoEntriesBase<AddIntoEntriesPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> layers;
    for (auto func : module.getOps<func::FuncOp>()) {
      auto results = func.getFunctionType().getResults();
      if (func.isPublic() && !func.isExternal() &&
          hmoe::HMoEDialect::AbiAttrHelper(&getContext()).isAttrPresent(func) &&
          !results.empty() && llvm::all_of(results, llvm::IsaPred<MemRefType>))
        layers.push_back(func);
    }
    for (func::FuncOp layer : layers)
      if (failed(addInto(layer)))
        return signalPassFailure();
  }

  LogicalResult addInto(func::FuncOp layer) {
    ModuleOp module = getOperation();
    std::string name = (layer.getName() + "_into").str();
    std::string shapesName = (layer.getName() + "_result_shapes").str();
    for (StringRef taken : {StringRef(name), StringRef(shapesName)})
      if (module.lookupSymbol(taken))
        return layer.emitOpError()
               << "cannot get a destination-passing entry: @" << taken
               << " is already defined; rename it (or lower without the "
                  "entries: into-entries=0)";
    FunctionType type = layer.getFunctionType();
    SmallVector<Type> inputs(type.getInputs());
    llvm::append_range(inputs, type.getResults());
    OpBuilder b(layer);
    b.setInsertionPointAfter(layer);
    Location loc = layer.getLoc();
    auto into = func::FuncOp::create(b, loc, name,
                                     b.getFunctionType(inputs, TypeRange{}));
    // What the layer carries (the C interface's request, ...) but its
    // signature, which hmoe.into_abi takes the place of.
    auto abi = hmoe::HMoEDialect::AbiAttrHelper(&getContext());
    for (NamedAttribute attr : layer->getDiscardableAttrs())
      if (attr.getName() != abi.getName())
        into->setAttr(attr.getName(), attr.getValue());
    hmoe::HMoEDialect::IntoAbiAttrHelper(&getContext())
        .setAttr(into, abi.getAttr(layer));
    unsigned numInputs = type.getNumInputs();
    for (unsigned i = 0; i < numInputs; ++i)
      into.setArgAttrs(i, layer.getArgAttrDict(i));

    Block &entry = layer.getBody().front();
    func::ReturnOp ret;
    unsigned returns = 0;
    layer.walk([&](func::ReturnOp r) {
      ret = r;
      ++returns;
    });
    // Each returned buffer's allocation and what its sizes need.
    SmallVector<Operation *> allocs;
    SetVector<Operation *> sizeOps;
    bool replaceable = returns == 1 && ret->getBlock() == &entry;
    for (Value v : replaceable ? ret.getOperands() : ValueRange{}) {
      Operation *alloc = replaceableAllocation(v, entry);
      if (!alloc || llvm::is_contained(allocs, alloc) || freedInBody(alloc) ||
          !llvm::all_of(dynamicSizes(alloc), [&](Value size) {
            return fromArguments(size, entry, sizeOps);
          })) {
        replaceable = false;
        break;
      }
      allocs.push_back(alloc);
    }
    if (!replaceable) {
      callAndCopy(layer, into);
      return success();
    }
    addResultShapes(layer, into, shapesName, allocs, sizeOps);
    moveBody(layer, into, allocs, sizeOps, ret);
    return success();
  }

  /// @<layer>_result_shapes(inputs..., shapes): each result's sizes for
  /// these inputs, in order, into `shapes` (memref<N x i64>, N the sum of
  /// the results' ranks), so that a caller can make the buffers @into
  /// takes. It runs the sizes' ops alone.
  void addResultShapes(func::FuncOp layer, func::FuncOp into, StringRef name,
                       ArrayRef<Operation *> allocs,
                       const SetVector<Operation *> &sizeOps) {
    int64_t count = 0;
    for (Operation *alloc : allocs)
      count += cast<MemRefType>(alloc->getResult(0).getType()).getRank();
    OpBuilder b(into);
    b.setInsertionPointAfter(into);
    Location loc = layer.getLoc();
    SmallVector<Type> inputs(layer.getArgumentTypes());
    inputs.push_back(MemRefType::get({count}, b.getI64Type()));
    auto shapes =
        func::FuncOp::create(b, loc, name, b.getFunctionType(inputs, {}));
    if (layer->hasAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName()))
      shapes->setAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName(),
                      b.getUnitAttr());
    hmoe::HMoEDialect::ShapesOfAttrHelper(&getContext())
        .setAttr(
            shapes,
            hmoe::HMoEDialect::AbiAttrHelper(&getContext()).getAttr(layer));
    Block *body = shapes.addEntryBlock();
    b.setInsertionPointToEnd(body);
    IRMapping map;
    for (auto [from, to] :
         llvm::zip(layer.getArguments(), body->getArguments().drop_back()))
      map.map(from, to);
    for (Operation &op : layer.getBody().front())
      if (sizeOps.contains(&op))
        b.clone(op, map);
    Value out = body->getArguments().back();
    int64_t at = 0;
    for (Operation *alloc : allocs) {
      auto type = cast<MemRefType>(alloc->getResult(0).getType());
      ValueRange sizes = dynamicSizes(alloc);
      for (int64_t d = 0, j = 0; d < type.getRank(); ++d) {
        Value size =
            type.isDynamicDim(d)
                ? arith::IndexCastOp::create(b, loc, b.getI64Type(),
                                             map.lookup(sizes[j++]))
                      .getResult()
                : arith::ConstantIntOp::create(b, loc, type.getDimSize(d), 64)
                      .getResult();
        memref::StoreOp::create(
            b, loc, size, out,
            ValueRange{arith::ConstantIndexOp::create(b, loc, at++)});
      }
    }
    func::ReturnOp::create(b, loc);
  }

  /// @into takes the layer's body, its allocations replaced by the
  /// caller's buffers; the layer allocates and calls it.
  void moveBody(func::FuncOp layer, func::FuncOp into,
                ArrayRef<Operation *> allocs,
                const SetVector<Operation *> &sizeOps, func::ReturnOp ret) {
    Block &entry = layer.getBody().front();
    Location loc = layer.getLoc();
    // The wrapper: the sizes' ops (in their order in the body), the
    // allocations, the call.
    auto *wrapper = new Block();
    IRMapping map;
    for (BlockArgument arg : entry.getArguments())
      map.map(arg, wrapper->addArgument(arg.getType(), arg.getLoc()));
    // (The block is in no region yet: the builder's context given.)
    OpBuilder b(&getContext());
    b.setInsertionPointToEnd(wrapper);
    for (Operation &op : entry)
      if (sizeOps.contains(&op))
        b.clone(op, map);
    SmallVector<Value> operands(wrapper->getArguments());
    SmallVector<Value> buffers;
    for (Operation *alloc : allocs)
      buffers.push_back(b.clone(*alloc, map)->getResult(0));
    llvm::append_range(operands, buffers);
    func::CallOp::create(b, loc, into, operands);
    func::ReturnOp::create(b, loc, buffers);

    into.getBody().takeBody(layer.getBody());
    layer.getBody().push_back(wrapper);
    // The checks first, before any other work (on the GPU, a host check
    // between launches would split their stream): the sizes' ops again at
    // the top.
    IRMapping top;
    b.setInsertionPointToStart(&entry);
    if (runtimeChecks)
      for (Operation &op : llvm::make_early_inc_range(entry))
        if (sizeOps.contains(&op))
          b.clone(op, top);
    for (auto [i, alloc] : llvm::enumerate(allocs)) {
      Value buffer = entry.addArgument(alloc->getResult(0).getType(), loc);
      auto type = cast<MemRefType>(buffer.getType());
      ValueRange sizes = dynamicSizes(alloc);
      for (int64_t d = 0, j = 0; runtimeChecks && d < type.getRank(); ++d) {
        if (!type.isDynamicDim(d))
          continue;
        Value given = memref::DimOp::create(b, alloc->getLoc(), buffer, d);
        Value same =
            arith::CmpIOp::create(b, alloc->getLoc(), arith::CmpIPredicate::eq,
                                  given, top.lookupOrDefault(sizes[j++]));
        cf::AssertOp::create(b, alloc->getLoc(), same,
                             sizeMessage(into.getName(), i,
                                         layer.getNumArguments() + i, d,
                                         /*computed=*/true));
      }
      alloc->getResult(0).replaceAllUsesWith(buffer);
      alloc->erase();
    }
    b.setInsertionPoint(ret);
    func::ReturnOp::create(b, ret.getLoc());
    ret.erase();
  }

  /// @into calls the layer, copies each result into the caller's buffer and
  /// frees it, as a caller of the layer would: each buffer once, however
  /// many results it is.
  void callAndCopy(func::FuncOp layer, func::FuncOp into) {
    Location loc = layer.getLoc();
    Block *body = into.addEntryBlock();
    auto b = OpBuilder::atBlockEnd(body);
    unsigned numInputs = layer.getNumArguments();
    auto call = func::CallOp::create(
        b, loc, layer, body->getArguments().take_front(numInputs));
    SmallVector<Value> pointers;
    for (auto [i, result] : llvm::enumerate(call.getResults())) {
      Value buffer = body->getArgument(numInputs + i);
      auto type = cast<MemRefType>(result.getType());
      for (int64_t d = 0; runtimeChecks && d < type.getRank(); ++d) {
        if (!type.isDynamicDim(d))
          continue;
        Value same =
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                  memref::DimOp::create(b, loc, buffer, d),
                                  memref::DimOp::create(b, loc, result, d));
        cf::AssertOp::create(b, loc, same,
                             sizeMessage(into.getName(), i, numInputs + i, d,
                                         /*computed=*/false));
      }
      if (deviceBuffers)
        gpu::MemcpyOp::create(b, loc, TypeRange{}, ValueRange{}, buffer,
                              result);
      else
        memref::CopyOp::create(b, loc, result, buffer);
      pointers.push_back(
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, result));
    }
    auto free = [&](Value result) {
      if (deviceBuffers)
        gpu::DeallocOp::create(b, loc, Type(), ValueRange{}, result);
      else
        memref::DeallocOp::create(b, loc, result);
    };
    for (auto [i, result] : llvm::enumerate(call.getResults())) {
      if (i == 0) {
        free(result);
        continue;
      }
      Value first;
      for (unsigned j = 0; j < i; ++j) {
        Value other = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                            pointers[i], pointers[j]);
        first = first ? arith::AndIOp::create(b, loc, first, other) : other;
      }
      auto once = scf::IfOp::create(b, loc, first, /*withElseRegion=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(once.thenBlock());
      free(result);
    }
    func::ReturnOp::create(b, loc);
  }
};
} // namespace
