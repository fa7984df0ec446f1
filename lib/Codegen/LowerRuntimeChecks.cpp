//===- LowerRuntimeChecks.cpp - cf.assert to hmoe_check_failed ------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Conversion/LLVMCommon/Pattern.h"
#include "mlir/Conversion/LLVMCommon/PrintCallHelper.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOELOWERRUNTIMECHECKS
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
/// `cf.assert %ok, "msg"` -> branch on %ok; the failure block calls
/// hmoe_check_failed("msg") and is unreachable after it.
struct AssertToCheckFailed : public ConvertOpToLLVMPattern<cf::AssertOp> {
  using ConvertOpToLLVMPattern::ConvertOpToLLVMPattern;

  LogicalResult
  matchAndRewrite(cf::AssertOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto module = op->getParentOfType<ModuleOp>();
    Block *before = rewriter.getInsertionBlock();
    Block *after = rewriter.splitBlock(before, rewriter.getInsertionPoint());
    rewriter.createBlock(before->getParent());
    if (failed(LLVM::createPrintStrCall(
            rewriter, loc, module, "hmoe_check_message", op.getMsg(),
            *getTypeConverter(), /*addNewline=*/false,
            hmoe::kCheckFailedFunction)))
      return failure();
    LLVM::UnreachableOp::create(rewriter, loc);
    Block *failed = rewriter.getInsertionBlock();
    rewriter.setInsertionPointToEnd(before);
    rewriter.replaceOpWithNewOp<LLVM::CondBrOp>(op, adaptor.getArg(), after,
                                                failed);
    return success();
  }
};

struct LowerRuntimeChecksPass
    : public hmoe::impl::HMoELowerRuntimeChecksBase<LowerRuntimeChecksPass> {
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    LLVMTypeConverter converter(ctx);
    ConversionTarget target(*ctx);
    // Asserts in a nested symbol table (a gpu.module's kernels) are left to
    // that target's lowering (__assertfail on NVVM).
    Operation *root = getOperation();
    target.addDynamicallyLegalOp<cf::AssertOp>([root](cf::AssertOp op) {
      return op->getParentWithTrait<OpTrait::SymbolTable>() != root;
    });
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });
    RewritePatternSet patterns(ctx);
    patterns.add<AssertToCheckFailed>(converter);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
