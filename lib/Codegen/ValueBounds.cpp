//===- ValueBounds.cpp - bounds of index values for hmoe's passes ---------===//

#include "hmoe/Codegen/ValueBounds.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Affine/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

#include <limits>

using namespace mlir;

namespace {
/// min(a, b) <= a and <= b; max(a, b) >= a and >= b: the bounds on one
/// side (which operand it equals is a disjunction the constraint set
/// cannot hold).
template <typename OpTy, bool isMin>
struct MinMaxOpBounds
    : public ValueBoundsOpInterface::ExternalModel<MinMaxOpBounds<OpTy, isMin>,
                                                   OpTy> {
  void populateBoundsForIndexValue(Operation *op, Value value,
                                   ValueBoundsConstraintSet &cstr) const {
    auto minMax = cast<OpTy>(op);
    for (Value operand : {minMax.getLhs(), minMax.getRhs()}) {
      if (isMin)
        cstr.bound(value) <= cstr.getExpr(operand);
      else
        cstr.bound(value) >= cstr.getExpr(operand);
    }
  }
};
} // namespace

void hmoe::registerValueBoundsExternalModels(DialectRegistry &registry) {
  affine::registerValueBoundsOpInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    arith::MinSIOp::attachInterface<MinMaxOpBounds<arith::MinSIOp, true>>(*ctx);
    arith::MaxSIOp::attachInterface<MinMaxOpBounds<arith::MaxSIOp, false>>(
        *ctx);
  });
}

FailureOr<int64_t> hmoe::constantUpperBound(Value v) {
  auto bound = [](const ValueBoundsConstraintSet::Variable &var) {
    return ValueBoundsConstraintSet::computeConstantBound(
        presburger::BoundType::UB, var, /*stopCondition=*/nullptr,
        /*closedUB=*/true);
  };
  SmallVector<ValueBoundsConstraintSet::Variable> alternatives;
  if (auto max = v.getDefiningOp<affine::AffineMaxOp>()) {
    AffineMap map = max.getAffineMap();
    for (unsigned i = 0; i < map.getNumResults(); ++i)
      alternatives.emplace_back(map.getSubMap({i}), max.getOperands());
  } else if (auto max = v.getDefiningOp<arith::MaxSIOp>()) {
    alternatives.emplace_back(max.getLhs());
    alternatives.emplace_back(max.getRhs());
  } else {
    return bound(v);
  }
  int64_t most = std::numeric_limits<int64_t>::min();
  for (const ValueBoundsConstraintSet::Variable &var : alternatives) {
    FailureOr<int64_t> b = bound(var);
    if (failed(b))
      return failure();
    most = std::max(most, *b);
  }
  return most;
}
