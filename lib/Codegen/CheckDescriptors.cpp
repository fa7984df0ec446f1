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

/// The first byte of the buffer `args` describes and the one past its last
/// (offset 0, row-major: checked before); none for elements without a
/// fixed size here (complex, vectors: no layer takes them, and JitLayer
/// says so; index is the lowering's i64).
std::pair<Value, Value> byteRange(OpBuilder &b, Location loc,
                                  RankedTensorType type, ValueRange args) {
  Type element = type.getElementType();
  if (!element.isIntOrIndexOrFloat())
    return {};
  Type i64 = b.getI64Type();
  int64_t elementBits =
      element.isIndex() ? 64 : element.getIntOrFloatBitWidth();
  Value bytes = LLVM::ConstantOp::create(
      b, loc, i64, b.getI64IntegerAttr(llvm::divideCeil(elementBits, 8)));
  for (Value size : args.slice(3, type.getRank()))
    bytes = LLVM::MulOp::create(b, loc, bytes, size);
  Value begin = LLVM::PtrToIntOp::create(b, loc, i64, args[1]);
  return {begin, LLVM::AddOp::create(b, loc, begin, bytes)};
}

/// The buffers a lowered function takes, in order, and how many of them are
/// inputs: a layer's arguments (hmoe.abi), a layer's _into twin's inputs
/// and then the buffers for its results (hmoe.into_abi), or its
/// _result_shapes' inputs and then the sizes' buffer (hmoe.shapes_of).
std::optional<std::pair<SmallVector<Type>, unsigned>>
describedBuffers(LLVM::LLVMFuncOp func) {
  MLIRContext *ctx = func.getContext();
  TypeAttr abi = hmoe::HMoEDialect::AbiAttrHelper(ctx).getAttr(func);
  TypeAttr into = hmoe::HMoEDialect::IntoAbiAttrHelper(ctx).getAttr(func);
  TypeAttr shapes = hmoe::HMoEDialect::ShapesOfAttrHelper(ctx).getAttr(func);
  TypeAttr which = abi ? abi : (into ? into : shapes);
  auto signature =
      dyn_cast_or_null<FunctionType>(which ? which.getValue() : Type());
  if (!signature)
    return std::nullopt;
  SmallVector<Type> buffers(signature.getInputs());
  if (into)
    llvm::append_range(buffers, signature.getResults());
  if (shapes && !abi && !into) {
    int64_t count = 0;
    for (Type result : signature.getResults())
      count += cast<ShapedType>(result).getRank();
    buffers.push_back(
        RankedTensorType::get({count}, IntegerType::get(ctx, 64)));
    return std::make_pair(buffers, static_cast<unsigned>(buffers.size()));
  }
  return std::make_pair(buffers, signature.getNumInputs());
}

struct CheckDescriptorsPass
    : public hmoe::impl::HMoECheckDescriptorsBase<CheckDescriptorsPass> {
  void runOnOperation() override {
    for (auto func : getOperation().getOps<LLVM::LLVMFuncOp>()) {
      auto described =
          func.isExternal() ? std::nullopt : describedBuffers(func);
      if (!described)
        continue;
      SmallVector<Type> &buffers = described->first;
      unsigned inputs = described->second;
      unsigned expected = 0;
      for (Type buffer : buffers)
        expected += loweredArguments(buffer);
      // Not the expanded form (a C interface's own calling convention).
      if (expected != func.getNumArguments())
        continue;
      Block &entry = func.getBody().front();
      OpBuilder b = OpBuilder::atBlockBegin(&entry);
      Location loc = func.getLoc();
      auto describe = [&](unsigned i, raw_ostream &os) {
        if (i < inputs)
          os << "argument #" << i;
        else
          os << "the buffer for result #" << i - inputs << " (argument #" << i
             << ")";
      };
      auto check = [&](Value ok, llvm::function_ref<void(raw_ostream &)> say) {
        std::string message;
        llvm::raw_string_ostream os(message);
        os << "@" << func.getName() << ": ";
        say(os);
        cf::AssertOp::create(b, loc, ok, message);
      };
      unsigned at = 0;
      SmallVector<std::pair<Value, Value>> ranges(buffers.size());
      for (unsigned i = 0; i < buffers.size(); ++i) {
        Type buffer = buffers[i];
        unsigned count = loweredArguments(buffer);
        if (auto tensor = dyn_cast<RankedTensorType>(buffer)) {
          ValueRange args = entry.getArguments().slice(at, count);
          check(describesTensor(b, loc, tensor, args), [&](raw_ostream &os) {
            describe(i, os);
            os << "'s descriptor is not a contiguous row-major " << tensor
               << " (static sizes as the signature says, offset 0, row-major "
                  "strides)";
          });
          ranges[i] = byteRange(b, loc, tensor, args);
        }
        at += count;
      }
      // A result's buffer that overlaps another buffer would be written
      // while it is read, or written twice: wrong numbers. An empty buffer
      // overlaps nothing.
      auto cmp = [&](LLVM::ICmpPredicate p, Value x, Value y) -> Value {
        return LLVM::ICmpOp::create(b, loc, p, x, y);
      };
      auto any = [&](Value x, Value y) -> Value {
        return LLVM::OrOp::create(b, loc, x, y);
      };
      for (unsigned i = inputs; i < buffers.size(); ++i)
        for (unsigned j = 0; j < i; ++j) {
          auto [iBegin, iEnd] = ranges[i];
          auto [jBegin, jEnd] = ranges[j];
          if (!iBegin || !jBegin)
            continue;
          Value apart = any(cmp(LLVM::ICmpPredicate::ule, iEnd, jBegin),
                            cmp(LLVM::ICmpPredicate::ule, jEnd, iBegin));
          Value empty = any(cmp(LLVM::ICmpPredicate::eq, iBegin, iEnd),
                            cmp(LLVM::ICmpPredicate::eq, jBegin, jEnd));
          check(any(apart, empty), [&](raw_ostream &os) {
            describe(i, os);
            os << " shares memory with ";
            describe(j, os);
            os << "; a result's buffer must not overlap any other buffer";
          });
        }
    }
  }
};
} // namespace
