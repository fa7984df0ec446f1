//===- ValueBounds.cpp - bounds of index values for hmoe's passes ---------===//

#include "hmoe/Codegen/ValueBounds.h"

#include "mlir/Dialect/Affine/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/Dialect/SCF/IR/ValueBoundsOpInterfaceImpl.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Interfaces/ValueBoundsOpInterface.h"

using namespace mlir;

namespace {
/// min(a, b) <= a and <= b: the upper bounds (which of the two it equals
/// is a disjunction the constraint set cannot hold).
struct MinSIOpBounds
    : public ValueBoundsOpInterface::ExternalModel<MinSIOpBounds,
                                                   arith::MinSIOp> {
  void populateBoundsForIndexValue(Operation *op, Value value,
                                   ValueBoundsConstraintSet &cstr) const {
    auto min = cast<arith::MinSIOp>(op);
    cstr.bound(value) <= cstr.getExpr(min.getLhs());
    cstr.bound(value) <= cstr.getExpr(min.getRhs());
  }
};

/// max(a, b) >= a and >= b.
struct MaxSIOpBounds
    : public ValueBoundsOpInterface::ExternalModel<MaxSIOpBounds,
                                                   arith::MaxSIOp> {
  void populateBoundsForIndexValue(Operation *op, Value value,
                                   ValueBoundsConstraintSet &cstr) const {
    auto max = cast<arith::MaxSIOp>(op);
    cstr.bound(value) >= cstr.getExpr(max.getLhs());
    cstr.bound(value) >= cstr.getExpr(max.getRhs());
  }
};
} // namespace

void hmoe::registerValueBoundsExternalModels(DialectRegistry &registry) {
  affine::registerValueBoundsOpInterfaceExternalModels(registry);
  arith::registerValueBoundsOpInterfaceExternalModels(registry);
  scf::registerValueBoundsOpInterfaceExternalModels(registry);
  registry.addExtension(+[](MLIRContext *ctx, arith::ArithDialect *) {
    arith::MinSIOp::attachInterface<MinSIOpBounds>(*ctx);
    arith::MaxSIOp::attachInterface<MaxSIOpBounds>(*ctx);
  });
}
