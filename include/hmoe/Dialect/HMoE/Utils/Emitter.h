//===- Emitter.h - scalar IR building helpers -------------------*- C++ -*-===//
//
// Short names for the arith, math, memref and scf ops that hmoe's lowerings
// emit: the element-wise bodies of the linalg conversion and the scalar
// implementations of the routing ops (Dialect/HMoE/Transforms).
//
//===----------------------------------------------------------------------===//

#ifndef HMOE_DIALECT_HMOE_UTILS_EMITTER_H
#define HMOE_DIALECT_HMOE_UTILS_EMITTER_H

#include "hmoe/Dialect/HMoE/IR/HMoEOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::hmoe {

/// Wraps an ImplicitLocOpBuilder with one-line helpers.
struct Emitter {
  ImplicitLocOpBuilder &b;

  Value idx(int64_t v) { return arith::ConstantIndexOp::create(b, v); }
  Value f32(double v) {
    return arith::ConstantOp::create(b, b.getF32FloatAttr(v));
  }
  Value f64(double v) {
    return arith::ConstantOp::create(b, b.getF64FloatAttr(v));
  }
  Value i32(int64_t v) {
    return arith::ConstantOp::create(b, b.getI32IntegerAttr(v));
  }
  Value i64(int64_t v) {
    return arith::ConstantOp::create(b, b.getI64IntegerAttr(v));
  }
  Value i1(bool v) { return arith::ConstantOp::create(b, b.getBoolAttr(v)); }

  Value addf(Value x, Value y) { return arith::AddFOp::create(b, x, y); }
  Value subf(Value x, Value y) { return arith::SubFOp::create(b, x, y); }
  Value mulf(Value x, Value y) { return arith::MulFOp::create(b, x, y); }
  Value divf(Value x, Value y) { return arith::DivFOp::create(b, x, y); }
  Value negf(Value x) { return arith::NegFOp::create(b, x); }
  Value maxf(Value x, Value y) { return arith::MaximumFOp::create(b, x, y); }
  Value exp(Value x) { return math::ExpOp::create(b, x); }
  Value log(Value x) { return math::LogOp::create(b, x); }
  Value sqrt(Value x) { return math::SqrtOp::create(b, x); }
  Value addi(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value subi(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value muli(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value divui(Value x, Value y) { return arith::DivUIOp::create(b, x, y); }
  Value remui(Value x, Value y) { return arith::RemUIOp::create(b, x, y); }
  Value andi(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
  Value ori(Value x, Value y) { return arith::OrIOp::create(b, x, y); }
  Value xori(Value x, Value y) { return arith::XOrIOp::create(b, x, y); }
  Value shli(Value x, Value y) { return arith::ShLIOp::create(b, x, y); }
  Value shrui(Value x, Value y) { return arith::ShRUIOp::create(b, x, y); }
  Value noti(Value x) { return arith::XOrIOp::create(b, x, i1(true)); }
  Value cmpf(arith::CmpFPredicate p, Value x, Value y) {
    return arith::CmpFOp::create(b, p, x, y);
  }
  Value cmpi(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, p, x, y);
  }
  Value isNaN(Value x) { return cmpf(arith::CmpFPredicate::UNO, x, x); }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y);
  }
  Value toIndex(Value v) {
    return arith::IndexCastOp::create(b, b.getIndexType(), v);
  }
  Value toI32(Value v) {
    return arith::IndexCastOp::create(b, b.getI32Type(), v);
  }
  Value toI64(Value v) {
    return arith::IndexCastOp::create(b, b.getI64Type(), v);
  }
  Value indexToF64(Value v) {
    return arith::SIToFPOp::create(b, b.getF64Type(), toI64(v));
  }
  Value extToF32(Value v) {
    if (v.getType().isF32())
      return v;
    return arith::ExtFOp::create(b, b.getF32Type(), v);
  }
  Value extToF64(Value v) {
    if (v.getType().isF64())
      return v;
    return arith::ExtFOp::create(b, b.getF64Type(), v);
  }
  Value truncTo(Type type, Value v) {
    if (v.getType() == type)
      return v;
    return arith::TruncFOp::create(b, type, v);
  }

  Value load(Value m, ValueRange ivs) {
    return memref::LoadOp::create(b, m, ivs);
  }
  void store(Value v, Value m, ValueRange ivs) {
    memref::StoreOp::create(b, v, m, ivs);
  }
  Value allocaOf(int64_t n, Type elem) {
    return memref::AllocaOp::create(b, MemRefType::get({n}, elem));
  }

  /// scf.for from `lb` to `ub` carrying `inits`; `body(iv, args)` returns
  /// the values to yield. Returns the loop results.
  ValueRange loop(Value lb, Value ub, ValueRange inits,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return loop(lb, ub, idx(1), inits, body);
  }
  /// The same in steps of `step`.
  ValueRange loop(Value lb, Value ub, Value step, ValueRange inits,
                  function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    auto forOp = scf::ForOp::create(b, lb, ub, step, inits);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forOp.getBody());
    SmallVector<Value> yields =
        body(forOp.getInductionVar(), forOp.getRegionIterArgs());
    if (forOp.getBody()->empty() || !isa<scf::YieldOp>(forOp.getBody()->back()))
      scf::YieldOp::create(b, yields);
    return forOp.getResults();
  }
  void loop(int64_t lb, int64_t ub, function_ref<void(Value)> body) {
    loop(idx(lb), idx(ub), {}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>{};
    });
  }
  void loop(Value lb, Value ub, function_ref<void(Value)> body) {
    loop(lb, ub, {}, [&](Value iv, ValueRange) {
      body(iv);
      return SmallVector<Value>{};
    });
  }
  /// scf.if without results.
  void ifThen(Value cond, function_ref<void()> then) {
    auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    then();
  }
  /// scf.if without results, with an else.
  void ifThenElse(Value cond, function_ref<void()> then,
                  function_ref<void()> otherwise) {
    auto ifOp = scf::IfOp::create(b, cond, /*withElseRegion=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    then();
    b.setInsertionPointToStart(ifOp.elseBlock());
    otherwise();
  }

  /// Applies activation `fn` to the f32 value `x`. GELU is the exact (erf)
  /// form, PyTorch's default.
  Value activation(Activation fn, Value x) {
    switch (fn) {
    case Activation::Tanh:
      return math::TanhOp::create(b, x);
    case Activation::Sigmoid:
      return sigmoid(x);
    case Activation::Relu:
      // maximumf propagates NaN, as relu(NaN) = NaN.
      return maxf(x, f32(0.0));
    case Activation::Gelu: {
      Value erf = math::ErfOp::create(b, mulf(x, f32(M_SQRT1_2)));
      return mulf(mulf(f32(0.5), x), addf(f32(1.0), erf));
    }
    case Activation::Silu:
      return mulf(x, sigmoid(x));
    }
    llvm_unreachable("unknown activation");
  }
  Value sigmoid(Value x) {
    return divf(f32(1.0), addf(f32(1.0), exp(negf(x))));
  }
};

} // namespace mlir::hmoe

#endif // HMOE_DIALECT_HMOE_UTILS_EMITTER_H
