//===- HMoEOps.h - hmoe operations ------------------------------*- C++ -*-===//

#ifndef HMOE_DIALECT_HMOE_IR_HMOEOPS_H
#define HMOE_DIALECT_HMOE_IR_HMOEOPS_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include <cstdint>

namespace mlir::hmoe {

/// Expert indices are i32, and so are slot indices (one slot per (token,
/// choice) assignment): at most this many experts, and T x K slots.
constexpr int64_t kMaxExperts = INT32_MAX;
constexpr int64_t kMaxSlots = INT32_MAX;

/// The shape of a routing tree, derived from (and checked against) the gate
/// operands of `hmoe.moe` or `hmoe.route`.
struct RoutingTree {
  /// Children per node at each level (N_1, ..., N_L); a single entry E for
  /// the single-gate strategies.
  SmallVector<int64_t> fanout;
  /// Leaves of the tree: the experts.
  int64_t numExperts = 0;
  /// Experts a token uses (K).
  int64_t numChosen = 0;
  /// Groups for group statistics: N_1 for nested, the strategy's groups
  /// otherwise.
  int64_t numGroups = 0;
};

/// What the per-level operands of a routing op are.
enum class LevelOperand {
  /// Gate weights `[nodes..., D]` (hmoe.moe).
  GateWeight,
  /// Gate logits `[T, nodes...]` (hmoe.route).
  Logits,
};

/// Checks that `levelTypes` (one per level) describe a routing tree for
/// `strategy` and `gates`, and returns it. `extent` is D for gate weights
/// and T (possibly dynamic) for logits. Otherwise fails, with an error at
/// `op` unless it is null (the ops' getRoutingTree()).
FailureOr<RoutingTree> verifyRoutingTree(Operation *op, StrategyAttr strategy,
                                         ArrayRef<GateAttr> gates,
                                         TypeRange levelTypes,
                                         LevelOperand operand, int64_t extent);

} // namespace mlir::hmoe

#define GET_OP_CLASSES
#include "hmoe/Dialect/HMoE/IR/HMoEOps.h.inc"

#endif // HMOE_DIALECT_HMOE_IR_HMOEOPS_H
