//===- hmoe-opt.cpp - opt-style driver for the hmoe dialect ---------------===//
//
// Parses, verifies and transforms hmoe IR with the project's passes and
// pipelines, and the upstream dialects and passes those pipelines use.
//
//===----------------------------------------------------------------------===//

#include "hmoe/InitAllDialects.h"
#include "hmoe/InitAllPasses.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::hmoe::registerPipelineDialects(registry);

  // Upstream passes, so that any step of the pipelines can be run alone.
  mlir::registerTransformsPasses();
  mlir::registerConversionPasses();
  mlir::bufferization::registerBufferizationPasses();
  mlir::bufferization::registerBufferizationPipelines();
  mlir::registerLinalgPasses();
  mlir::memref::registerMemRefPasses();
  mlir::registerSCFPasses();

  mlir::hmoe::registerAllPasses();
  mlir::hmoe::registerAllPipelines();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "hmoe optimizer driver\n", registry));
}
