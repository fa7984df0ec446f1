//===- VerifyHelpers.h - shared by verifiers and directives ----*- C++ -*-===//
//
// Private to the IR library: shape strings for diagnostics, size checks,
// and the named operand lists the verifiers and custom directives share.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_LIB_DIALECT_HMOE_IR_VERIFYHELPERS_H
#define HMOE_LIB_DIALECT_HMOE_IR_VERIFYHELPERS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeRange.h"
#include "mlir/IR/Value.h"
#include "mlir/IR/ValueRange.h"
#include "mlir/Support/LLVM.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::hmoe::detail {

inline std::string dimStr(int64_t dim) {
  return ShapedType::isDynamic(dim) ? "?" : std::to_string(dim);
}

inline std::string shapeStr(ArrayRef<int64_t> shape) {
  std::string str;
  llvm::raw_string_ostream os(str);
  os << "[";
  llvm::interleaveComma(shape, os, [&](int64_t dim) { os << dimStr(dim); });
  os << "]";
  return str;
}

inline bool compatibleDim(int64_t a, int64_t b) {
  return ShapedType::isDynamic(a) || ShapedType::isDynamic(b) || a == b;
}

/// `a * b` for non-negative sizes, or failure past `limit`.
inline FailureOr<int64_t> checkedProduct(int64_t a, int64_t b, int64_t limit) {
  if (a < 0 || b < 0 || (b != 0 && a > limit / b))
    return failure();
  return a * b;
}

/// Expert weight operands in ODS order, as named in the assembly.
inline constexpr StringRef kExpertOperandNames[] = {"w1", "w_up", "b1", "w2",
                                                    "b2"};

/// The operand of `operands` for level `level` (`levels` gives each
/// operand's level), or null.
inline Value levelOperand(ValueRange operands, ArrayRef<int64_t> levels,
                          int64_t level) {
  const int64_t *it = llvm::find(levels, level);
  if (it == levels.end())
    return nullptr;
  return operands[it - levels.begin()];
}

} // namespace mlir::hmoe::detail

#endif // HMOE_LIB_DIALECT_HMOE_IR_VERIFYHELPERS_H
