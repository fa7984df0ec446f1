//===- Passes.h - hmoe conversions ------------------------------*- C++ -*-===//

#ifndef HMOE_CONVERSION_PASSES_H
#define HMOE_CONVERSION_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::hmoe {

#define GEN_PASS_DECL
#include "hmoe/Conversion/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "hmoe/Conversion/Passes.h.inc"

} // namespace mlir::hmoe

#endif // HMOE_CONVERSION_PASSES_H
