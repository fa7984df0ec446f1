//===- downstream-opt.cpp - an opt-like tool of a project that uses hmoe --===//

#include "Downstream/Passes.h"

#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::func::FuncDialect>();
  mlir::hmoe::registerPipelineDialects(registry);
  mlir::hmoe::registerAllPasses();
  mlir::hmoe::registerAllPipelines();
  downstream::registerDownstreamCountExperts();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "downstream optimizer\n", registry));
}
