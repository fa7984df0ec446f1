//===- HMoEDialect.h - hmoe dialect, enums and attributes -------*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEDIALECT_H
#define HMOE_DIALECT_HMOE_IR_HMOEDIALECT_H

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Attributes.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h.inc"
#include "hmoe/Dialect/HMoE/IR/HMoEEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "hmoe/Dialect/HMoE/IR/HMoEAttrs.h.inc"

namespace mlir::hmoe {
/// A ranked tensor type without an encoding whose static dims multiply to at
/// most 2^62 (the operand and result types of every hmoe op).
bool isPlainTensor(Type type);
/// A memref type whose static dims multiply to at most 2^62 (the buffers of
/// the destination-passing routing ops after bufferization).
bool isPlainMemRef(Type type);
} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_IR_HMOEDIALECT_H
