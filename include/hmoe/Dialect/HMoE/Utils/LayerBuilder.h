//===- LayerBuilder.h - build an HMoE layer function from a spec -*- C++
//-*-===//
//
// One description of a layer (strategy, levels with their gates, experts,
// statistics) and the function that holds it: arguments in a fixed order
// (below), one hmoe.moe, its results returned. The C API and the Python
// package build layers through this, not through IR text.
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_UTILS_LAYERBUILDER_H
#define HMOE_DIALECT_HMOE_UTILS_LAYERBUILDER_H

#include "hmoe/Dialect/HMoE/IR/HMoEDialect.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/SmallVector.h"

#include <optional>
#include <string>

namespace mlir {
class ModuleOp;
namespace func {
class FuncOp;
} // namespace func
} // namespace mlir

namespace mlir::hmoe {

/// One routing level.
struct LevelSpec {
  GateAttr gate;
  /// Children per node: N_l for a nested level; all E experts for the one
  /// level of group_limited and per_group.
  int64_t fanout = 0;
  /// Nested levels below the first: one gate shared by every node of the
  /// level ([N_l, D]) instead of one per node ([N_1, ..., N_l, D]).
  bool sharedGate = false;
  bool gateBias = false;
  bool selectionBias = false;
  /// Hi-MoE's load penalty operand (f32, shaped like the bias), subtracted
  /// from the logits for choosing and weighting only.
  bool penalty = false;
};

/// A whole layer. The function's arguments, in order: x [T, D]; per level
/// its gate weight, gate bias (if any), selection bias (if any, f32),
/// penalty (if any, f32); the
/// router scale [E] (if any, f32); the expert weights w1, w_up, b1, w2, b2
/// that the expert kind takes; then the shared experts' (if any) and their
/// gate [D] (if any). Results: y [T, D], then the statistics in
/// the order asked.
struct LayerSpec {
  std::string name = "layer";
  /// f32, bf16 or f16 (null: f32) for x, the gate and expert weights and y.
  Type elementType;
  /// T, or ShapedType::kDynamic for any number of tokens.
  int64_t tokens = ShapedType::kDynamic;
  int64_t dim = 0;
  StrategyAttr strategy;
  llvm::SmallVector<LevelSpec> levels;
  ExpertAttr expert;
  bool b1 = false;
  bool b2 = false;
  bool routerScale = false;
  /// Shared experts: `sharedCount` experts of `sharedExpert`'s kind and
  /// hidden size that every token uses (none when null).
  ExpertAttr sharedExpert;
  int64_t sharedCount = 1;
  bool sharedB1 = false;
  bool sharedB2 = false;
  bool sharedGate = false;
  std::optional<double> capacityFactor;
  /// Which choices an expert keeps, and its capacity's rounding (both need
  /// a capacity factor unless they are the defaults).
  FillOrder fillOrder = FillOrder::TokenOrder;
  CapacityRounding capacityRounding = CapacityRounding::Ceil;
  llvm::SmallVector<StatKind> stats;
  double lambdaIntra = 1.0;
  double lambdaInter = 1.0;
  /// Expert parallelism: above 1, the layer's routed experts are spread
  /// over this many MPI processes (`experts_on` a `shard.grid
  /// @experts_<R>(shape = R)`, made beside the function unless the module
  /// has it), and the expert weights are one process's E / R experts.
  int64_t expertProcesses = 1;
};

/// Builds the layer's function at the builder's insertion point (a module
/// body) and verifies it. On failure the diagnostics are emitted at `loc`
/// (or at the op) and nothing is left behind.
FailureOr<func::FuncOp> buildLayerFunction(OpBuilder &builder, Location loc,
                                           const LayerSpec &spec);

} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_UTILS_LAYERBUILDER_H
