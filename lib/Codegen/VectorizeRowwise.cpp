//===- VectorizeRowwise.cpp - vector code for row-wise linalg.generic -----===//
//
// The element-wise stages around the GEMMs (activations, bias, the distance
// epilogue, the gather of an expert's rows, the combine), the row norms of
// hmoe-fuse-distance and a Laplace or Gaussian gate's per-call centring of
// its rows (a column mean, f64 row sums) are 2-D generics whose inner
// dimension is static. Their bodies are re-emitted op by op on vectors
// along that dimension, with a scalar copy of the body for the remainder:
// what is the same for the whole row (a token, a slot, a loop counter)
// stays scalar, the rest becomes lanes. Operands may be f32, bf16 or f16 (a
// narrow layer's activations are rounded to bf16 in the same loop), and
// sums f64.
//
//===----------------------------------------------------------------------===//

#include "hmoe/Codegen/Passes.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/Utils/MemRefUtils.h"
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

/// Whether two memrefs are (views of) the same buffer.
bool sameBuffer(Value a, Value b) {
  return memref::skipViewLikeOps(cast<MemrefValue>(a)) ==
         memref::skipViewLikeOps(cast<MemrefValue>(b));
}

/// Values the body may compute on in lanes: f32 (and bf16/f16, which the
/// layer's narrow operands are extended from or rounded to), f64 (sums kept
/// in f64, such as a Laplace gate's row norms), and i1.
bool isScalarType(Type t) {
  return t.isF32() || t.isF64() || t.isBF16() || t.isF16() || t.isInteger(1);
}

/// Values of a body that are the same in every lane of a row ("uniform": an
/// (i)-indexed operand, linalg.index 0, loads at uniform indices, loop
/// counters, and what is computed from those) are kept as scalars, computed
/// per row; the rest ("varying") become vectors along j. A varying value is
/// computed from a (j)- or (i, j)-indexed operand, from a row gather
/// `memref.load %buf[<uniform>..., linalg.index 1]` (a contiguous vector
/// load: expert rows gathered by token, the combine's reads of expert
/// outputs) or is carried by an scf.for / yielded by an scf.if.
class LaneAnalysis {
public:
  /// Classifies `op`'s body given whether each block argument varies;
  /// fails on anything the emitter cannot re-emit on lanes.
  LogicalResult analyze(linalg::GenericOp op, ArrayRef<bool> argVaries) {
    for (auto [arg, varies] :
         llvm::zip(op.getRegion().front().getArguments(), argVaries))
      if (varies)
        varying.insert(arg);
    return analyze(op.getRegion().front(), op);
  }

  bool varies(Value v) const { return varying.contains(v); }
  bool isLaneIndex(Value v) const { return laneIndices.contains(v); }

private:
  LogicalResult analyze(Block &block, linalg::GenericOp generic) {
    for (Operation &op : block) {
      if (failed(analyze(op, generic)))
        return failure();
    }
    return success();
  }

  LogicalResult analyze(Operation &op, linalg::GenericOp generic) {
    auto anyVaries = [&](ValueRange vs) {
      return llvm::any_of(vs, [&](Value v) { return varies(v); });
    };
    // The lane index is only an address: the last index of a load.
    for (OpOperand &use : op.getOpOperands()) {
      if (!isLaneIndex(use.get()))
        continue;
      auto load = dyn_cast<memref::LoadOp>(op);
      if (!load || use.getOperandNumber() != op.getNumOperands() - 1)
        return failure();
    }
    if (auto index = dyn_cast<linalg::IndexOp>(op)) {
      if (index.getDim() == 1)
        laneIndices.insert(index);
      return success();
    }
    if (isa<linalg::YieldOp, scf::YieldOp>(op))
      return success();
    if (auto load = dyn_cast<memref::LoadOp>(op)) {
      // From a buffer the generic does not write, at uniform indices but
      // possibly the last, which may be the lane index.
      Value buffer = load.getMemRef();
      if (generic->isAncestor(buffer.getParentBlock()->getParentOp()) ||
          // Not what the op writes, even through a view.
          llvm::any_of(generic.getDpsInits(),
                       [&](Value init) { return sameBuffer(init, buffer); }))
        return failure();
      ValueRange indices = load.getIndices();
      if (indices.empty() || anyVaries(indices))
        return failure();
      if (!isLaneIndex(indices.back()))
        return success();
      MemRefType type = load.getMemRefType();
      SmallVector<int64_t> strides;
      int64_t offset;
      if (!isScalarType(type.getElementType()) ||
          type.getElementType().isInteger(1) ||
          failed(type.getStridesAndOffset(strides, offset)) ||
          strides.back() != 1)
        return failure();
      varying.insert(load.getResult());
      return success();
    }
    auto varyingResults = [&]() {
      for (Value r : op.getResults()) {
        if (!isScalarType(r.getType()))
          return failure();
        varying.insert(r);
      }
      return success();
    };
    if (auto loop = dyn_cast<scf::ForOp>(op)) {
      // Uniform bounds; what the loop carries varies.
      if (anyVaries(
              {loop.getLowerBound(), loop.getUpperBound(), loop.getStep()}) ||
          failed(varyingResults()))
        return failure();
      for (Value arg : loop.getRegionIterArgs())
        varying.insert(arg);
      return analyze(*loop.getBody(), generic);
    }
    if (auto branch = dyn_cast<scf::IfOp>(op)) {
      // A uniform condition: the whole row takes the same side.
      if (varies(branch.getCondition()) || failed(varyingResults()) ||
          failed(analyze(*branch.thenBlock(), generic)))
        return failure();
      return branch.elseBlock() ? analyze(*branch.elseBlock(), generic)
                                : success();
    }
    if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) ||
        op.getNumRegions() != 0 ||
        (!op.hasTrait<OpTrait::Elementwise>() && !isa<arith::ConstantOp>(op)))
      return failure();
    if (!anyVaries(op.getOperands()))
      return success(); // uniform: any scalar type (indices, i32 tokens)
    for (Value v : op.getOperands())
      if (!isScalarType(v.getType()))
        return failure();
    return varyingResults();
  }

  DenseSet<Value> varying;
  DenseSet<Value> laneIndices;
};

/// What a matched generic computes over its (i, j) iterations.
enum class Form {
  /// out[i, j] = f(...): rows in parallel.
  Elementwise,
  /// out[i] += f(in[i, j]) over the inner dimension: lanes, then one sum.
  RowSum,
  /// out[j] += f(in[i, j]) over the outer dimension (a column sum such as
  /// the mean of a gate's rows): rows in order, each adding its lanes into
  /// out's; every element sums in the order of the loops it replaces.
  ColumnSum,
};

struct RowwiseOp {
  linalg::GenericOp op;
  Form form;
  int64_t inner;              // static size of the inner dimension
  SmallVector<Access> access; // per operand (inputs, then the init)
  LaneAnalysis lanes;
};

std::optional<RowwiseOp> matchRowwise(linalg::GenericOp op,
                                      int64_t vectorWidth) {
  if (!op.hasPureBufferSemantics() || op.getNumLoops() != 2 ||
      op.getNumDpsInits() != 1)
    return std::nullopt;
  auto iters = op.getIteratorTypesArray();
  bool outerParallel = iters[0] == utils::IteratorType::parallel;
  bool innerParallel = iters[1] == utils::IteratorType::parallel;
  if (!outerParallel && !innerParallel)
    return std::nullopt;
  Form form = !innerParallel   ? Form::RowSum
              : !outerParallel ? Form::ColumnSum
                               : Form::Elementwise;
  RowwiseOp m{op, form, 0, {}, {}};
  MLIRContext *ctx = op.getContext();
  AffineExpr i, j;
  bindDims(ctx, i, j);
  AffineMap element = AffineMap::get(2, 0, {i, j}, ctx);
  AffineMap row = AffineMap::get(2, 0, {i}, ctx);
  AffineMap column = AffineMap::get(2, 0, {j}, ctx);
  SmallVector<bool> argVaries;
  for (OpOperand &operand : op->getOpOperands()) {
    auto type = dyn_cast<MemRefType>(operand.get().getType());
    if (!type)
      return std::nullopt;
    SmallVector<int64_t> strides;
    int64_t offset;
    if (failed(type.getStridesAndOffset(strides, offset)) ||
        strides.back() != 1)
      return std::nullopt;
    AffineMap map = op.getMatchingIndexingMap(&operand);
    Type elem = type.getElementType();
    // Lanes hold floats; a row's operand (a token index) may be anything.
    if (map == row && elem.isIntOrIndexOrFloat())
      m.access.push_back(Access::Row);
    else if (!isScalarType(elem) || elem.isInteger(1))
      return std::nullopt;
    else if (map == element)
      m.access.push_back(Access::Element);
    else if (map == column)
      m.access.push_back(Access::Column);
    else
      return std::nullopt;
    argVaries.push_back(m.access.back() != Access::Row);
  }
  // Element-wise: the init is written element by element. Row sums: the
  // init is the row accumulator and the body is `acc + f(inputs)`. Column
  // sums: the init is read and written at (j), so lanes are independent
  // and any body is a column sum's (the iterator says it reduces over i).
  Access initAccess = m.access.back();
  switch (m.form) {
  case Form::RowSum: {
    if (initAccess != Access::Row)
      return std::nullopt;
    auto yield = cast<linalg::YieldOp>(op.getRegion().front().getTerminator());
    auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
    Value acc = op.getRegion().front().getArguments().back();
    if (!add || add->getBlock() != &op.getRegion().front() ||
        (add.getLhs() != acc && add.getRhs() != acc) || !acc.hasOneUse() ||
        !(add.getType().isF32() || add.getType().isF64()))
      return std::nullopt;
    argVaries.back() = true; // the lanes' partial sums
    break;
  }
  case Form::ColumnSum: {
    if (initAccess != Access::Column)
      return std::nullopt;
    // A row's lanes are loaded before any is stored: no input may be (a
    // view of) out, which the loops would read as updated.
    Value out = op.getDpsInits()[0];
    if (llvm::any_of(op.getDpsInputs(),
                     [&](Value in) { return sameBuffer(in, out); }))
      return std::nullopt;
    break;
  }
  case Form::Elementwise:
    if (initAccess != Access::Element)
      return std::nullopt;
    break;
  }
  if (failed(m.lanes.analyze(op, argVaries)))
    return std::nullopt;
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
    if (m.form == Form::ColumnSum) {
      // Every row adds into the same out[j]: rows in order.
      scf::ForOp::create(
          b, zero, rows, one, ValueRange{},
          [&](OpBuilder &nested, Location loc, Value i, ValueRange) {
            ImplicitLocOpBuilder nb(loc, nested);
            emitRow(nb, i);
            scf::YieldOp::create(nb);
          });
      return;
    }
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
    Value out = m.op.getDpsInits()[0];
    if (m.form != Form::RowSum) {
      // [lo, hi) in steps of `lanes` (0: scalars), each result stored at
      // (i, j), or at (j) for a column sum.
      SmallVector<Value, 2> at;
      if (m.form == Form::Elementwise)
        at.push_back(i);
      auto elementLoop = [&](Value lo, Value hi, Value stepValue,
                             int64_t lanes) {
        scf::ForOp::create(
            b, lo, hi, stepValue, ValueRange{},
            [&](OpBuilder &nested, Location loc, Value j, ValueRange) {
              ImplicitLocOpBuilder nb(loc, nested);
              Value v = emitBody(nb, i, j, Value(), lanes);
              SmallVector<Value, 2> indices(at);
              indices.push_back(j);
              if (lanes)
                vector::StoreOp::create(nb, v, out, indices);
              else
                memref::StoreOp::create(nb, v, out, indices);
              scf::YieldOp::create(nb);
            });
      };
      elementLoop(c0, fullEnd, step, width);
      elementLoop(fullEnd, innerEnd, one, 0);
      return;
    }
    // Row sum: lanes accumulate from 0 (in the accumulator's type: f32, or
    // f64), then one reassociating lane sum is added to the initial value,
    // then the scalar remainder.
    Type accType = cast<MemRefType>(out.getType()).getElementType();
    auto vecType = VectorType::get({width}, accType);
    Value zeros = arith::ConstantOp::create(
        b, DenseElementsAttr::get(vecType, b.getFloatAttr(accType, 0.0)));
    auto lanes = scf::ForOp::create(
        b, c0, fullEnd, step, ValueRange{zeros},
        [&](OpBuilder &nested, Location loc, Value j, ValueRange acc) {
          ImplicitLocOpBuilder nb(loc, nested);
          scf::YieldOp::create(nb, emitBody(nb, i, j, acc[0], width));
        });
    Value init = memref::LoadOp::create(b, out, i);
    Value sum = vector::ReductionOp::create(b, vector::CombiningKind::ADD,
                                            lanes.getResult(0), init,
                                            arith::FastMathFlags::reassoc);
    auto tail = scf::ForOp::create(
        b, fullEnd, innerEnd, one, ValueRange{sum},
        [&](OpBuilder &nested, Location loc, Value j, ValueRange acc) {
          ImplicitLocOpBuilder nb(loc, nested);
          scf::YieldOp::create(nb, emitBody(nb, i, j, acc[0], 0));
        });
    memref::StoreOp::create(b, tail.getResult(0), out, i);
  }

  /// Values of the body re-emitted at one (i, j): what each maps to, and
  /// the splats of uniform values used in lanes. A nested region gets a
  /// copy, so that nothing defined inside it is used outside.
  struct Scope {
    IRMapping map;
    DenseMap<Value, Value> splats;
  };

  /// The body at (i, j..j+w) on vectors of `w` lanes (w = 0: scalars).
  /// `acc` replaces the init's block argument for reductions.
  Value emitBody(ImplicitLocOpBuilder &b, Value i, Value j, Value acc,
                 int64_t w) {
    Block &body = m.op.getRegion().front();
    Scope scope;
    for (auto [arg, operand, access] :
         llvm::zip(body.getArguments(), m.op->getOpOperands(), m.access)) {
      if (acc && &operand == &m.op.getDpsInitsMutable()[0]) {
        scope.map.map(arg, acc);
        continue;
      }
      if (arg.use_empty())
        continue; // an output only written, not read
      Value src = operand.get();
      Value v;
      if (access == Access::Row) {
        v = memref::LoadOp::create(b, src, i);
      } else {
        SmallVector<Value> at;
        if (access == Access::Element)
          at.push_back(i);
        at.push_back(j);
        v = w ? vector::LoadOp::create(b, vec(arg.getType(), w), src, at)
                    .getResult()
              : memref::LoadOp::create(b, src, at).getResult();
      }
      scope.map.map(arg, v);
    }
    emitOps(b, body, scope, i, j, w);
    return lanes(b, cast<linalg::YieldOp>(body.getTerminator()).getValues()[0],
                 scope, w);
  }

  static VectorType vec(Type t, int64_t w) { return VectorType::get({w}, t); }

  /// `v` as lanes: uniform values are splat (once per scope).
  Value lanes(ImplicitLocOpBuilder &b, Value v, Scope &scope, int64_t w) {
    Value mapped = scope.map.lookupOrDefault(v);
    if (!w || m.lanes.varies(v))
      return mapped;
    Value &splat = scope.splats[v];
    if (!splat)
      splat = vector::BroadcastOp::create(b, vec(v.getType(), w), mapped);
    return splat;
  }

  /// Re-emits `block`'s ops (not its terminator) into `b`'s insertion point.
  void emitOps(ImplicitLocOpBuilder &b, Block &block, Scope &scope, Value i,
               Value j, int64_t w) {
    // Results are vectors when they vary and there are lanes.
    auto resultTypes = [&](Operation &op) {
      SmallVector<Type> types;
      for (Value r : op.getResults())
        types.push_back(w && m.lanes.varies(r) ? vec(r.getType(), w)
                                               : r.getType());
      return types;
    };
    // A nested region: its ops, then its yield with lanes as the parent's
    // results are.
    auto emitRegion = [&](Block &from, Block &to) {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToEnd(&to);
      Scope inner = scope;
      for (auto [fromArg, toArg] :
           llvm::zip(from.getArguments(), to.getArguments()))
        inner.map.map(fromArg, toArg);
      emitOps(b, from, inner, i, j, w);
      SmallVector<Value> yielded;
      for (Value v : from.getTerminator()->getOperands())
        yielded.push_back(lanes(b, v, inner, w));
      scf::YieldOp::create(b, yielded);
    };
    for (Operation &op : block.without_terminator()) {
      if (auto index = dyn_cast<linalg::IndexOp>(op)) {
        scope.map.map(index.getResult(), index.getDim() == 0 ? i : j);
        continue;
      }
      if (auto load = dyn_cast<memref::LoadOp>(op);
          load && w && m.lanes.varies(load.getResult())) {
        // A row gather: w consecutive elements at the lane index.
        SmallVector<Value> at;
        for (Value index : load.getIndices())
          at.push_back(scope.map.lookupOrDefault(index));
        scope.map.map(load.getResult(),
                      vector::LoadOp::create(b, vec(load.getType(), w),
                                             load.getMemRef(), at));
        continue;
      }
      if (auto loop = dyn_cast<scf::ForOp>(op)) {
        SmallVector<Value> inits;
        for (Value init : loop.getInitArgs())
          inits.push_back(lanes(b, init, scope, w));
        auto copy = scf::ForOp::create(
            b, scope.map.lookupOrDefault(loop.getLowerBound()),
            scope.map.lookupOrDefault(loop.getUpperBound()),
            scope.map.lookupOrDefault(loop.getStep()), inits);
        copy.setUnsignedCmp(loop.getUnsignedCmp());
        copy.getBody()->clear();
        emitRegion(*loop.getBody(), *copy.getBody());
        scope.map.map(loop.getResults(), copy.getResults());
        continue;
      }
      if (auto branch = dyn_cast<scf::IfOp>(op)) {
        auto copy =
            scf::IfOp::create(b, resultTypes(op),
                              scope.map.lookupOrDefault(branch.getCondition()),
                              /*withElseRegion=*/branch.elseBlock() != nullptr);
        copy.thenBlock()->clear();
        emitRegion(*branch.thenBlock(), *copy.thenBlock());
        if (branch.elseBlock()) {
          copy.elseBlock()->clear();
          emitRegion(*branch.elseBlock(), *copy.elseBlock());
        }
        scope.map.map(branch.getResults(), copy.getResults());
        continue;
      }
      // Uniform ops (and every op without lanes) are cloned as scalars;
      // varying arith/math ops take vector operands.
      if (!w || llvm::none_of(op.getResults(),
                              [&](Value r) { return m.lanes.varies(r); })) {
        b.clone(op, scope.map);
        continue;
      }
      OperationState state(op.getLoc(), op.getName());
      for (Value v : op.getOperands())
        state.operands.push_back(lanes(b, v, scope, w));
      state.types = resultTypes(op);
      state.attributes = op.getAttrs();
      Operation *clone = b.create(state);
      scope.map.map(op.getResults(), clone->getResults());
    }
  }

  RowwiseOp &m;
  int64_t width;
};

struct VectorizeRowwisePass
    : public hmoe::impl::HMoEVectorizeRowwiseBase<VectorizeRowwisePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorWidth < 1 || vectorWidth > 64 ||
        !llvm::isPowerOf2_64(vectorWidth)) {
      getOperation()->emitError("hmoe-vectorize-rowwise: vector-width (")
          << vectorWidth.getValue() << ") must be a power of two from 1 to 64";
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
