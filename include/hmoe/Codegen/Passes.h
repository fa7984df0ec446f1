//===- Passes.h - CPU code generation on upstream IR ------------*- C++ -*-===//

#ifndef HMOE_CODEGEN_PASSES_H
#define HMOE_CODEGEN_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/X86Vector/X86VectorDialect.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

namespace mlir::hmoe {

/// The function a failed run-time check calls with its message
/// (hmoe-lower-runtime-checks); it must not return.
constexpr llvm::StringLiteral kCheckFailedFunction = "hmoe_check_failed";

#define GEN_PASS_DECL
#include "hmoe/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hmoe/Codegen/Passes.h.inc"

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_PASSES_H
