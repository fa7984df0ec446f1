//===- hmoe-opt.cpp - opt-style driver for the hmoe dialect ---------------===//
//
// Parses, verifies and transforms hmoe IR with the project's passes and the
// upstream dialects and passes its pipelines use.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"
#include "hmoe/Dialect/HMoE/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::hmoe::HMoEDialect, mlir::arith::ArithDialect,
                  mlir::func::FuncDialect, mlir::linalg::LinalgDialect,
                  mlir::math::MathDialect, mlir::memref::MemRefDialect,
                  mlir::scf::SCFDialect, mlir::tensor::TensorDialect>();
  // Generic passes: canonicalize, cse, symbol-dce, ...
  mlir::registerTransformsPasses();
  mlir::hmoe::registerHMoEPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "hmoe optimizer driver\n", registry));
}
