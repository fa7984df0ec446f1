//===- LinkFatbin.cpp - the hmoe-link-fatbin pass -------------------------===//
//
// gpu-module-to-binary makes one object per target, and the host code embeds
// only one of them; a library for several GPU generations needs them in one
// fatbin, which the driver picks the right image from.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/GPU/Passes.h"

#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOELINKFATBIN
#include "hmoe/Codegen/GPU/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;
using namespace mlir::hmoe;

namespace {
/// Removes its files when it goes out of scope.
struct TempFiles {
  SmallVector<std::string> paths;
  ~TempFiles() {
    for (const std::string &path : paths)
      llvm::sys::fs::remove(path);
  }
  FailureOr<std::string> create(StringRef suffix) {
    SmallString<128> path;
    if (llvm::sys::fs::createTemporaryFile("hmoe-fatbin", suffix, path))
      return failure();
    paths.push_back(std::string(path));
    return paths.back();
  }
};

/// Runs `tool` with `args`; on failure reports its output at `op`.
LogicalResult runTool(Operation *op, StringRef tool, ArrayRef<StringRef> args,
                      TempFiles &temps) {
  FailureOr<std::string> log = temps.create("log");
  if (failed(log))
    return op->emitError("cannot create a temporary file");
  std::optional<StringRef> redirects[] = {std::nullopt, StringRef(*log),
                                          StringRef(*log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(tool, args, std::nullopt, redirects, 0, 0,
                                     &message);
  if (rc == 0)
    return success();
  auto output = llvm::MemoryBuffer::getFile(*log);
  return emitError(op->getLoc())
         << "'" << tool << "' failed (exit " << rc << ")"
         << (message.empty() ? "" : ": " + message)
         << (output ? ":\n" + (*output)->getBuffer().str() : "");
}

struct HMoELinkFatbinPass
    : public hmoe::impl::HMoELinkFatbinBase<HMoELinkFatbinPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallString<256> ptxas(toolkit), fatbinary(toolkit);
    llvm::sys::path::append(ptxas, "bin", "ptxas");
    llvm::sys::path::append(fatbinary, "bin", "fatbinary");
    WalkResult walk = getOperation()->walk([&](gpu::BinaryOp binary) {
      SmallVector<gpu::ObjectAttr> ptxObjects;
      for (Attribute attr : binary.getObjects()) {
        auto object = dyn_cast<gpu::ObjectAttr>(attr);
        if (object && isa<NVVM::NVVMTargetAttr>(object.getTarget()) &&
            object.getFormat() == gpu::CompilationTarget::Assembly)
          ptxObjects.push_back(object);
      }
      if (ptxObjects.empty())
        return WalkResult::advance();
      TempFiles temps;
      SmallVector<std::string> images;
      for (gpu::ObjectAttr object : ptxObjects) {
        StringRef chip =
            cast<NVVM::NVVMTargetAttr>(object.getTarget()).getChip();
        FailureOr<std::string> ptx = temps.create("ptx");
        FailureOr<std::string> cubin = temps.create("cubin");
        if (failed(ptx) || failed(cubin)) {
          binary.emitError("cannot create a temporary file");
          return WalkResult::interrupt();
        }
        {
          std::error_code ec;
          llvm::raw_fd_ostream out(*ptx, ec);
          if (ec) {
            binary.emitError("cannot write '") << *ptx << "': " << ec.message();
            return WalkResult::interrupt();
          }
          out << object.getObject().getValue();
        }
        std::string arch = ("-arch=" + chip).str();
        if (failed(runTool(binary, ptxas,
                           {ptxas, arch, "-O3", *ptx, "-o", *cubin}, temps)))
          return WalkResult::interrupt();
        StringRef sm = chip;
        sm.consume_front("sm_");
        images.push_back(
            ("--image3=kind=elf,sm=" + sm + ",file=" + *cubin).str());
        // Architecture-specific PTX (sm_90a) runs on that chip only.
        if (!sm.ends_with("a"))
          images.push_back(
              ("--image3=kind=ptx,sm=" + sm + ",file=" + *ptx).str());
      }
      FailureOr<std::string> fatbin = temps.create("fatbin");
      if (failed(fatbin)) {
        binary.emitError("cannot create a temporary file");
        return WalkResult::interrupt();
      }
      std::string create = "--create=" + *fatbin;
      SmallVector<StringRef> args = {fatbinary, "-64", create};
      for (const std::string &image : images)
        args.push_back(image);
      if (failed(runTool(binary, fatbinary, args, temps)))
        return WalkResult::interrupt();
      auto bytes = llvm::MemoryBuffer::getFile(*fatbin, /*IsText=*/false);
      if (!bytes) {
        binary.emitError("cannot read the fatbin fatbinary wrote");
        return WalkResult::interrupt();
      }
      auto linked = gpu::ObjectAttr::get(
          &getContext(), ptxObjects.front().getTarget(),
          gpu::CompilationTarget::Fatbin,
          StringAttr::get(&getContext(), (*bytes)->getBuffer()),
          /*properties=*/nullptr, /*kernels=*/nullptr);
      binary.setObjectsAttr(ArrayAttr::get(&getContext(), {linked}));
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
