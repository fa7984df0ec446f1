//===- HMoEPlugin.cpp - hmoe as a dialect and pass plugin -----------------===//
//
// Lets a stock MLIR 22 tool load hmoe:
//
//   mlir-opt-22 --load-dialect-plugin=HMoEPlugin.so \
//               --load-pass-plugin=HMoEPlugin.so --hmoe-lower-to-cpu layer.mlir
//
// One library carries both entry points on purpose: the passes must see the
// dialect's own TypeIDs, so the dialect and the passes live in one copy of
// hmoe's code (two libraries would each link a copy, and the passes would
// not recognise the other copy's ops). Loading it twice maps it once.
//
//===----------------------------------------------------------------------===//

#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"

extern "C" LLVM_ATTRIBUTE_WEAK mlir::DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "HMoE", LLVM_VERSION_STRING,
          [](mlir::DialectRegistry *registry) {
            mlir::hmoe::registerAllDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK mlir::PassPluginLibraryInfo
mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "HMoEPasses", LLVM_VERSION_STRING, []() {
            mlir::hmoe::registerAllPasses();
            mlir::hmoe::registerAllPipelines();
          }};
}
