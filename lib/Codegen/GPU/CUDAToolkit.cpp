//===- CUDAToolkit.cpp - finding the CUDA toolkit -------------------------===//

#include "hmoe/Codegen/GPU/CUDAToolkit.h"
#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <cstdlib>

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEREQUIRECUDATOOLKIT
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

std::string hmoe::resolveCUDAToolkit(llvm::StringRef option) {
  if (!option.empty())
    return option.str();
  SmallVector<std::string> candidates;
  for (const char *var : {"CUDA_HOME", "CUDA_ROOT", "CUDA_PATH"})
    if (const char *value = std::getenv(var); value && *value)
      candidates.push_back(value);
  candidates.push_back("/usr/local/cuda");
  for (const std::string &dir : candidates) {
    SmallString<256> ptxas(dir);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (llvm::sys::fs::can_execute(ptxas))
      return dir;
  }
  return "";
}

bool hmoe::parseSMName(StringRef name, unsigned long long &version,
                       bool &archSpecific) {
  if (!name.consume_front("sm_") ||
      llvm::consumeUnsignedInteger(name, 10, version))
    return false;
  archSpecific = name == "a";
  return name.empty() || archSpecific;
}

namespace {
struct HMoERequireCUDAToolkitPass
    : public hmoe::impl::HMoERequireCUDAToolkitBase<
          HMoERequireCUDAToolkitPass> {
  using Base::Base;
  void runOnOperation() override {
    // The chips first: they need no toolkit to be checked.
    SmallVector<StringRef> names;
    StringRef(chips).split(names, ',', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
    for (StringRef name : names) {
      StringRef chip = name.trim();
      unsigned long long version = 0;
      bool archSpecific = false;
      // Architecture-specific targets (the `a` suffix) start at sm_90a.
      if (hmoe::parseSMName(chip, version, archSpecific) && version >= 80 &&
          (!archSpecific || version >= 90))
        continue;
      // At the location only: the module would be printed with the error.
      mlir::emitError(getOperation().getLoc())
          << "chip '" << chip
          << "' is not one the kernels can target: expected sm_80 or later "
             "(sm_<number>, or sm_<number>a from sm_90a), which their "
             "mma.sync on bf16/f16 and cp.async need";
      return signalPassFailure();
    }
    std::string dir = hmoe::resolveCUDAToolkit(toolkit);
    SmallString<256> ptxas(dir);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    if (!dir.empty() && llvm::sys::fs::can_execute(ptxas))
      return;
    // At the location only: the module would be printed with the error.
    mlir::emitError(getOperation().getLoc())
        << "no CUDA toolkit found"
        << (toolkit.empty() ? std::string(" (looked in $CUDA_HOME, "
                                          "$CUDA_ROOT, $CUDA_PATH and "
                                          "/usr/local/cuda)")
                            : " at '" + toolkit + "' (no bin/ptxas there)")
        << ": the NVVM pipeline needs ptxas and libdevice; pass toolkit=<dir> "
           "or set CUDA_HOME";
    signalPassFailure();
  }
};
} // namespace
