//===- SetNVPTXShortPointers.cpp - hmoe-set-nvptx-short-pointers ----------===//
//
// NVPTX's address width for the shared, local and constant spaces is a
// process-wide LLVM option, read when gpu-module-to-binary makes its target
// machine; this pass, run just before, sets it for the pipeline's kernels.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "llvm/Support/CommandLine.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOESETNVPTXSHORTPOINTERS
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {
struct HMoESetNVPTXShortPointersPass
    : public hmoe::impl::HMoESetNVPTXShortPointersBase<
          HMoESetNVPTXShortPointersPass> {
  using Base::Base;
  void runOnOperation() override {
    constexpr llvm::StringLiteral kOption = "nvptx-short-ptr";
    auto &registered = llvm::cl::getRegisteredOptions();
    auto found = registered.find(kOption);
    if (found == registered.end()) {
      // Without the NVPTX back end the addresses are whatever the
      // compiler that has it makes them; only asking for 32 bits fails.
      if (enable) {
        getOperation().emitError()
            << "hmoe-set-nvptx-short-pointers: this tool has no NVPTX back "
               "end option '"
            << kOption << "'; expected one linked with LLVM's NVPTX target";
        signalPassFailure();
      }
      return;
    }
    // Once per pipeline run: reset() clears the occurrence a previous run
    // (or the command line) left, which addOccurrence would refuse.
    llvm::cl::Option *option = found->second;
    option->reset();
    if (option->addOccurrence(0, kOption, enable ? "true" : "false")) {
      getOperation().emitError()
          << "hmoe-set-nvptx-short-pointers: could not set '" << kOption << "'";
      signalPassFailure();
    }
  }
};
} // namespace
