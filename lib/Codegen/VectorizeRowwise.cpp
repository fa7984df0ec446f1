//===- VectorizeRowwise.cpp - vector code for row-wise linalg.generic -----===//
//
// The element-wise stages around the GEMMs (activations, bias, the distance
// epilogue) and the row norms of hmoe-fuse-distance are 2-D generics whose
// inner dimension is static. Their bodies are arith/math only, so each can
// be re-emitted op by op on vectors along that dimension, with a scalar
// copy of the body for the remainder. Operands may be f32, bf16 or f16 (a
// narrow layer's activations are rounded to bf16 in the same loop).
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir::hmoe {
#define GEN_PASS_DEF_HMOEVECTORIZEROWWISE
#include "hmoe/Codegen/Passes.h.inc"
} // namespace mlir::hmoe

using namespace mlir;

namespace {

/// How an operand is read at (i, j).
enum class Access { Element, Row, Column };

struct RowwiseOp {
  linalg::GenericOp op;
  bool isReduction;           // out[i] += f(in[i, k]) over the inner dimension
  int64_t inner;              // static size of the inner dimension
  SmallVector<Access> access; // per operand (inputs, then the init)
};

/// Values the body may compute on: f32 (and bf16/f16, which the layer's
/// narrow operands are extended from or rounded to), and i1.
bool isScalarType(Type t) {
  return t.isF32() || t.isBF16() || t.isF16() || t.isInteger(1);
}

/// A body of arith/math ops on f32/i1 whose values come from block arguments
/// or from outside the generic.
bool hasVectorizableBody(linalg::GenericOp op) {
  for (Operation &inner : op.getRegion().front().without_terminator()) {
    if (!isa<arith::ArithDialect, math::MathDialect>(inner.getDialect()) ||
        inner.getNumRegions() != 0 ||
        (!inner.hasTrait<OpTrait::Elementwise>() &&
         !isa<arith::ConstantOp>(inner)))
      return false;
    for (Type t : inner.getResultTypes())
      if (!isScalarType(t))
        return false;
    for (Value v : inner.getOperands())
      if (!isScalarType(v.getType()))
        return false;
  }
  return true;
}

std::optional<RowwiseOp> matchRowwise(linalg::GenericOp op,
                                      int64_t vectorWidth) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 2 ||
      op.getNumDpsInits() != 1 || !hasVectorizableBody(op))
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  if (iters[0] != utils::IteratorType::parallel)
    return std::nullopt;
  RowwiseOp m{op, iters[1] == utils::IteratorType::reduction, 0, {}};
  MLIRContext *ctx = op.getContext();
  AffineExpr i, j;
  bindDims(ctx, i, j);
  AffineMap element = AffineMap::get(2, 0, {i, j}, ctx);
  AffineMap row = AffineMap::get(2, 0, {i}, ctx);
  AffineMap column = AffineMap::get(2, 0, {j}, ctx);
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type || !isScalarType(type.getElementType()) ||
        type.getElementType().isInteger(1))
      return std::nullopt;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    if (map == element)
      m.access.push_back(Access::Element);
    else if (map == row)
      m.access.push_back(Access::Row);
    else if (map == column)
      m.access.push_back(Access::Column);
    else
      return std::nullopt;
  }
  // Element-wise: the init is written element by element. Reduction: the
  // init is the row accumulator and the body is `acc + f(inputs)`.
  Access initAccess = m.access.back();
  if (m.isReduction) {
    if (initAccess != Access::Row)
      return std::nullopt;
    auto yield = cast<linalg::YieldOp>(op.getRegion().front().getTerminator());
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    Value acc = op.getRegion().front().getArguments().back();
    if (!add || add->getBlock() != &op.getRegion().front() ||
        (add.getLhs() != acc && add.getRhs() != acc) || !acc.hasOneUse() ||
        !add.getType().isF32())
      return std::nullopt;
  } else if (initAccess != Access::Element) {
    return std::nullopt;
  }
  // The inner size comes from an operand indexed by j.
  for (auto [operand, access] : llvm::zip(op->getOpOperands(), m.access)) {
    if (access == Access::Row)
      continue;
    auto type = cast<MemRefType>(operand.get().getType());
    int64_t size = type.getDimSize(type.getRank() - 1);
    if (ShapedType::isDynamic(size))
      return std::nullopt;
    m.inner = size;
  }
  if (m.inner < vectorWidth)
    return std::nullopt;
  return m;
}

class RowwiseEmitter {
public:
  RowwiseEmitter(RowwiseOp &m, int64_t width) : m(m), width(width) {}

  void emit(ImplicitLocOpBuilder &b) {
    // The row count: the first operand indexed by i.
    Value rows;
    for (auto [operand, access] : llvm::zip(m.op->getOpOperands(), m.access))
      if (access != Access::Column) {
        rows = memref::DimOp::create(b, operand.get(), 0);
        break;
      }
    Value zero = arith::ConstantIndexOp::create(b, 0);
    Value one = arith::ConstantIndexOp::create(b, 1);
    scf::ParallelOp::create(
        b, ValueRange{zero}, ValueRange{rows}, ValueRange{one},
        [&](OpBuilder &nested, Location loc, ValueRange ivs) {
          ImplicitLocOpBuilder nb(loc, nested);
          emitRow(nb, ivs[0]);
          scf::ReduceOp::create(nb);
        });
  }

private:
  /// One row: full vectors, then a scalar remainder.
  void emitRow(ImplicitLocOpBuilder &b, Value i) {
    int64_t full = m.inner / width * width;
    Value c0 = arith::ConstantIndexOp::create(b, 0);
    Value fullEnd = arith::ConstantIndexOp::create(b, full);
    Value innerEnd = arith::ConstantIndexOp::create(b, m.inner);
    Value step = arith::ConstantIndexOp::create(b, width);
    Value one = arith::ConstantIndexOp::create(b, 1);
    auto vecType = VectorType::get({width}, b.getF32Type());
    if (!m.isReduction) {
      // [lo, hi) in steps of `lanes` (0: scalars), each result stored.
      auto elementLoop = [&](Value lo, Value hi, Value stepValue,
                             int64_t lanes) {
        scf::ForOp::create(
            b, lo, hi, stepValue, ValueRange{},
            [&](OpBuilder &nested, Location loc, Value j, ValueRange) {
              ImplicitLocOpBuilder nb(loc, nested);
              Value v = emitBody(nb, i, j, Value(), lanes);
              Value out = m.op.getDpsInits()[0];
              if (lanes)
                vector::StoreOp::create(nb, v, out, ValueRange{i, j});
              else
                memref::StoreOp::create(nb, v, out, ValueRange{i, j});
              scf::YieldOp::create(nb);
            });
      };
      elementLoop(c0, fullEnd, step, width);
      elementLoop(fullEnd, innerEnd, one, 0);
      return;
    }
    // Reduction: lanes accumulate from 0, then one reassociating lane sum
    // is added to the initial value, then the scalar remainder.
    Value zeros = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getF32FloatAttr(0.0f)));
    auto lanes = scf::ForOp::create(
        b, c0, fullEnd, step, ValueRange{zeros},
        [&](OpBuilder &nested, Location loc, Value j, ValueRange acc) {
          ImplicitLocOpBuilder nb(loc, nested);
          scf::YieldOp::create(nb, emitBody(nb, i, j, acc[0], width));
        });
    Value init = memref::LoadOp::create(b, m.op.getDpsInits()[0], i);
    Value sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                            lanes.getResult(0), init,
                                            arith::FastMathFlags::reassoc);
    auto tail = scf::ForOp::create(
        b, fullEnd, innerEnd, one, ValueRange{sum},
        [&](OpBuilder &nested, Location loc, Value j, ValueRange acc) {
          ImplicitLocOpBuilder nb(loc, nested);
          scf::YieldOp::create(nb, emitBody(nb, i, j, acc[0], 0));
        });
    memref::StoreOp::create(b, tail.getResult(0), m.op.getDpsInits()[0], i);
  }

  /// The body at (i, j..j+w) on vectors of `w` lanes (w = 0: scalars).
  /// `acc` replaces the init's block argument for reductions.
  Value emitBody(ImplicitLocOpBuilder &b, Value i, Value j, Value acc,
                 int64_t w) {
    Block &body = m.op.getRegion().front();
    auto vec = [&](Type t) -> Type { return w ? VectorType::get({w}, t) : t; };
    IRMapping map;
    for (auto [arg, operand, access] :
         llvm::zip(body.getArguments(), m.op->getOpOperands(), m.access)) {
      if (acc && &operand == &m.op.getDpsInitsMutable()[0]) {
        map.map(arg, acc);
        continue;
      }
      Value src = operand.get();
      Value v;
      if (access == Access::Row) {
        v = memref::LoadOp::create(b, src, i);
        if (w)
          v = vector::BroadcastOp::create(b, vec(arg.getType()), v);
      } else {
        SmallVector<Value> at;
        if (access == Access::Element)
          at.push_back(i);
        at.push_back(j);
        v = w ? vector::LoadOp::create(b, cast<VectorType>(vec(arg.getType())),
                                       src, at)
                    .getResult()
              : memref::LoadOp::create(b, src, at).getResult();
      }
      map.map(arg, v);
    }
    auto lookup = [&](Value v) -> Value {
      if (Value mapped = map.lookupOrNull(v))
        return mapped;
      // Defined outside the generic: the same scalar in every lane.
      if (!w)
        return v;
      Value splat = vector::BroadcastOp::create(b, vec(v.getType()), v);
      map.map(v, splat);
      return splat;
    };
    for (Operation &op : body.without_terminator()) {
      if (auto cst = dyn_cast<arith::ConstantOp>(op)) {
        Value scalar = b.clone(op)->getResult(0);
        map.map(cst.getResult(), w ? vector::BroadcastOp::create(
                                         b, vec(scalar.getType()), scalar)
                                         .getResult()
                                   : scalar);
        continue;
      }
      OperationState state(op.getLoc(), op.getName());
      for (Value v : op.getOperands())
        state.operands.push_back(lookup(v));
      for (Type t : op.getResultTypes())
        state.types.push_back(vec(t));
      state.attributes = op.getAttrs();
      Operation *clone = b.create(state);
      for (auto [from, to] : llvm::zip(op.getResults(), clone->getResults()))
        map.map(from, to);
    }
    return lookup(cast<linalg::YieldOp>(body.getTerminator()).getValues()[0]);
  }

  RowwiseOp &m;
  int64_t width;
};

struct VectorizeRowwisePass
    : public hmoe::impl::HMoEVectorizeRowwiseBase<VectorizeRowwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1 || vectorWidth > 64) {
      getOperation()->emitError("hmoe-vectorize-rowwise: vector-width (")
          << vectorWidth.getValue() << ") must be between 1 and 64";
      return signalPassFailure();
    }
    SmallVector<RowwiseOp> matches;
    getOperation()->walk([&](linalg::GenericOp op) {
      if (auto m = matchRowwise(op, vectorWidth))
        matches.push_back(*m);
    });
    for (RowwiseOp &m : matches) {
      ImplicitLocOpBuilder b(m.op.getLoc(), m.op);
      RowwiseEmitter(m, vectorWidth).emit(b);
      m.op.erase();
    }
  }
};
} // namespace
