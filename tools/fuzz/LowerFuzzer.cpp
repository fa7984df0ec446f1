//===- LowerFuzzer.cpp - fuzz hmoe's passes on IR that verifies -----------===//
//
// Inputs that parse and verify and hold only what a user's hmoe input holds
// (hmoe, func, arith, tensor ops) run through hmoe-decompose,
// hmoe-fuse-distance and convert-hmoe-to-linalg alone (each in a fresh
// context, so a dialect a pass creates but does not declare shows up), then
// hmoe-lower-to-cpu with options picked from a hash of the input so that
// each input always takes the same path. Properties:
//   - no pass crashes, asserts or trips a sanitizer;
//   - every pass leaves IR that verifies (checked after each pass, so the
//     finding names the pass that broke it);
//   - a pipeline that fails has reported an error at a location: failing
//     is allowed, failing silently is not.
//
//===----------------------------------------------------------------------===//

#include "MLIRInput.h"

#include "hmoe/Conversion/Passes.h"
#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/Support/xxhash.h"

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Verifies the IR after every pass (the pass manager's own verifier is off,
/// so a broken pass is named here rather than reported as a failure).
struct VerifyAfterEachPass : public PassInstrumentation {
  void runAfterPass(Pass *pass, Operation *op) override {
    if (succeeded(verify(op)))
      return;
    std::string ir;
    llvm::raw_string_ostream os(ir);
    op->print(os, OpPrintingFlags().printGenericOpForm());
    fuzz::finding("pass '" + pass->getArgument() +
                      "' left IR that does not "
                      "verify",
                  ir);
  }
};

bool isHMoEInput(ModuleOp module) {
  bool hmoe = false, other = false;
  module.walk([&](Operation *op) {
    Dialect *dialect = op->getDialect();
    if (isa_and_nonnull<HMoEDialect>(dialect))
      hmoe = true;
    else if (!isa<ModuleOp>(op) &&
             !isa_and_nonnull<func::FuncDialect, arith::ArithDialect,
                              tensor::TensorDialect>(dialect))
      other = true;
  });
  return hmoe && !other;
}

/// Runs `build`'s passes on a copy of `source` (printed and parsed again into
/// a fresh context, which has loaded only the dialects the input names).
void runPipeline(const std::string &source, llvm::StringRef name,
                 llvm::function_ref<void(OpPassManager &)> build) {
  fuzz::Input input;
  OwningOpRef<ModuleOp> module = input.parse(
      reinterpret_cast<const uint8_t *>(source.data()), source.size());
  if (!module)
    fuzz::finding("a module that verified does not parse again", source);
  PassManager pm(&input.context);
  pm.enableVerifier(false);
  pm.addInstrumentation(std::make_unique<VerifyAfterEachPass>());
  build(pm);
  input.errors = input.locatedErrors = 0;
  if (succeeded(pm.run(*module)))
    return;
  if (input.locatedErrors == 0)
    fuzz::finding(name + " failed without reporting an error at a location (" +
                  llvm::Twine(input.errors) + " errors in all)");
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::Input input;
  OwningOpRef<ModuleOp> module = input.parse(data, size);
  if (!module || !isHMoEInput(*module))
    return 0;

  std::string source;
  llvm::raw_string_ostream os(source);
  module->print(os);

  runPipeline(source, "hmoe-decompose",
              [](OpPassManager &pm) { pm.addPass(createHMoEDecompose()); });
  runPipeline(source, "hmoe-fuse-distance",
              [](OpPassManager &pm) { pm.addPass(createHMoEFuseDistance()); });
  runPipeline(source, "convert-hmoe-to-linalg", [](OpPassManager &pm) {
    pm.addPass(createConvertHMoEToLinalg());
  });

  uint64_t hash = llvm::xxh3_64bits(llvm::ArrayRef(data, size));
  LowerToCPUOptions options;
  options.fuseDistance = hash & 1;
  options.vectorize = hash & 2;
  options.approximateMath = hash & 4;
  options.openmp = hash & 8;
  runPipeline(source, "hmoe-lower-to-cpu",
              [&](OpPassManager &pm) { buildLowerToCPUPipeline(pm, options); });
  return 0;
}
