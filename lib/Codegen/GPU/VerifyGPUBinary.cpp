//===- VerifyGPUBinary.cpp - the hmoe-verify-gpu-binary pass --------------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/IR/BuiltinOps.h"

#include "llvm/ADT/StringExtras.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVERIFYGPUBINARY
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// The first `__nv_*` function a PTX text declares but does not define.
std::optional<StringRef> unresolvedLibdeviceCall(StringRef ptx) {
  SmallVector<StringRef> lines;
  ptx.split(lines, '\n');
  for (StringRef line : lines) {
    line = line.trim();
    if (!line.starts_with(".extern .func"))
      continue;
    size_t at = line.find("__nv_");
    if (at == StringRef::npos)
      continue;
    return line.substr(at).take_while(
        [](char c) { return llvm::isAlnum(c) || c == '_'; });
  }
  return std::nullopt;
}

struct HMoEVerifyGPUBinaryPass
    : public hmoe::impl::HMoEVerifyGPUBinaryBase<HMoEVerifyGPUBinaryPass> {
  void runOnOperation() override {
    WalkResult walk = getOperation()->walk([&](gpu::BinaryOp binary) {
      for (Attribute attr : binary.getObjects()) {
        auto object = dyn_cast<gpu::ObjectAttr>(attr);
        if (!object || object.getFormat() != gpu::CompilationTarget::Assembly)
          continue;
        if (std::optional<StringRef> name =
                unresolvedLibdeviceCall(object.getObject().getValue())) {
          // At the location only: the op (all of its PTX) would be
          // printed with the error.
          mlir::emitError(binary.getLoc())
              << "'gpu.binary' op calls libdevice function '" << *name
              << "' but libdevice was not linked (no CUDA toolkit was found): "
                 "pass the pipeline's toolkit= option or set CUDA_HOME";
          return WalkResult::interrupt();
        }
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
