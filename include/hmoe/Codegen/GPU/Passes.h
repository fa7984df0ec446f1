//===- Passes.h - GPU code generation on upstream IR ------------*- C++ -*-===//

#ifndef HMOE_CODEGEN_GPU_PASSES_H
#define HMOE_CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "mlir/Pass/Pass.h"

namespace mlir::hmoe {

#define GEN_PASS_DECL
#include "hmoe/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hmoe/Codegen/GPU/Passes.h.inc"

} // namespace mlir::hmoe

#endif // HMOE_CODEGEN_GPU_PASSES_H
