//===- CheckDescriptors.cpp - a layer's argument descriptors checked ------===//
//
// The lowered layer reads its arguments as identity-layout memrefs: only
// the base pointer and the dynamic sizes of each descriptor are read. The
// rest must be what the code assumes, or a C caller's buffer is misread;
// checked once per call at the function's entry.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Support/MemRefDescriptor.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOECHECKDESCRIPTORS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// The arguments a lowered signature's input of type `type` takes: a
/// memref descriptor (allocated, aligned, offset, sizes, strides) for a
/// tensor, one otherwise.
unsigned loweredArguments(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return hmoe::memrefDescriptorWords(tensor.getRank());
  return 1;
}

/// Whether the descriptor in `args` (offset, sizes, strides) is a
/// contiguous row-major buffer of `type`.
Value describesTensor(OpBuilder &b, Location loc, RankedTensorType type,
                      ValueRange args) {
  Type i64 = b.getI64Type();
  auto constant = [&](int64_t v) -> Value {
    return LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(v));
  };
  auto equal = [&](Value x, Value y) -> Value {
    return LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, x, y);
  };
  int64_t rank = type.getRank();
  Value offset = args[2];
  ValueRange sizes = args.slice(3, rank), strides = args.slice(3 + rank, rank);
  Value ok = equal(offset, constant(0));
  for (int64_t d = 0; d < rank; ++d)
    if (!type.isDynamicDim(d))
      ok = LLVM::AndOp::create(b, loc, ok,
                               equal(sizes[d], constant(type.getDimSize(d))));
  // Row-major from the innermost dimension out: each stride the product of
  // the sizes inside it, where the dimension has more than one element.
  Value inner = constant(1);
  for (int64_t d = rank - 1; d >= 0; --d) {
    Value single = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::sle,
                                        sizes[d], constant(1));
    Value strideOk =
        LLVM::OrOp::create(b, loc, single, equal(strides[d], inner));
    ok = LLVM::AndOp::create(b, loc, ok, strideOk);
    inner = LLVM::MulOp::create(b, loc, inner, sizes[d]);
  }
  return ok;
}

struct CheckDescriptorsPass
    : public hmoe::impl::HMoECheckDescriptorsBase<CheckDescriptorsPass> {
  void runOnOperation() override {
    StringRef abiName = hmoe::HMoEDialect::AbiAttrHelper::getNameStr();
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      auto abi = func->getAttrOfType<TypeAttr>(abiName);
      if (!abi || func.isExternal())
        continue;
      auto signature = dyn_cast<FunctionType>(abi.getValue());
      if (!signature)
        continue;
      unsigned expected = 0;
      for (Type input : signature.getInputs())
        expected += loweredArguments(input);
      // Not the expanded form (a C interface's own calling convention).
      if (expected != func.getNumArguments())
        continue;
      Block &entry = func.getBody().front();
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      unsigned at = 0;
      for (auto [i, input] : llvm::enumerate(signature.getInputs())) {
        unsigned count = loweredArguments(input);
        auto tensor = dyn_cast<RankedTensorType>(input);
        if (tensor) {
          ValueRange args = entry.getArguments().slice(at, count);
          Value ok = describesTensor(b, func.getLoc(), tensor, args);
          std::string message;
          llvm::raw_string_ostream os(message);
          os << "@" << func.getName() << ": argument #" << i
             << "'s descriptor is not a contiguous row-major " << tensor
             << " (static sizes as the signature says, offset 0, row-major "
                "strides)";
          cf::AssertOp::create(b, func.getLoc(), ok, message);
        }
        at += count;
      }
    }
  }
};
} // namespace
