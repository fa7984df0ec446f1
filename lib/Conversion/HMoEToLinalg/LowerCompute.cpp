//===- LowerCompute.cpp - score, experts and combine to linalg ------------===//

#include "EmitUtils.h"
#include "Lowerings.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::hmoe;
using namespace mlir::hmoe::lowering;

namespace {
using utils::IteratorType;

/// Size of `dim` of tensor `v` as an index value.
Value dimOf(ImplicitLocOpBuilder &b, Value v, int64_t dim) {
  return tensor::DimOp::create(b, v, dim);
}

/// `t` filled with 0 (a linalg.fill, so that it can be written in place).
Value zeroFilled(ImplicitLocOpBuilder &b, Value t) {
  Type elem = cast<RankedTensorType>(t.getType()).getElementType();
  Value zero = arith::ConstantOp::create(b, b.getZeroAttr(elem));
  return linalg::FillOp::create(b, zero, t).getResult(0);
}

/// An f32 tensor of `shape` (dynamic dims from `dynSizes`) filled with 0.
Value zeros(ImplicitLocOpBuilder &b, ArrayRef<int64_t> shape,
            ValueRange dynSizes, Type elem = nullptr) {
  elem = elem ? elem : b.getF32Type();
  return zeroFilled(b, tensor::EmptyOp::create(b, shape, elem, dynSizes));
}

/// `c[i, j] += sum_k f(a[i, k], w[j, k])` for a [n, K] and w [M, K]: f is
/// a * w (a matmul with w transposed) or (a - w)^2 (squared distances),
/// computed in c's element type (f32, or f64 for distances that must not
/// overflow).
Value contractRows(ImplicitLocOpBuilder &b, Value a, Value w, Value c,
                   bool squaredDistance) {
  MLIRContext *ctx = b.getContext();
  AffineExpr i, j, k;
  bindDims(ctx, i, j, k);
  SmallVector<AffineMap> maps = {AffineMap::get(3, 0, {i, k}, ctx),
                                 AffineMap::get(3, 0, {j, k}, ctx),
                                 AffineMap::get(3, 0, {i, j}, ctx)};
  return linalg::GenericOp::create(
             b, c.getType(), ValueRange{a, w}, ValueRange{c}, maps,
             ArrayRef<IteratorType>{IteratorType::parallel,
                                    IteratorType::parallel,
                                    IteratorType::reduction},
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder nb(loc, nested);
               Emitter e{nb};
               bool wide = args[2].getType().isF64();
               Value x = wide ? e.extToF64(args[0]) : e.extToF32(args[0]);
               Value y = wide ? e.extToF64(args[1]) : e.extToF32(args[1]);
               Value term = squaredDistance ? e.mulf(e.subf(x, y), e.subf(x, y))
                                            : e.mulf(x, y);
               linalg::YieldOp::create(nb, e.addf(args[2], term));
             })
      .getResult(0);
}

/// A 2-D all-parallel linalg.generic that writes `init` (identity map) from
/// `ins`, each read through the map `(i, j) -> inMaps[k]`; `body` gets the
/// block arguments (the inputs' elements, then init's) and returns the value
/// to yield.
Value parallel2D(ImplicitLocOpBuilder &b, Value init, ValueRange ins,
                 ArrayRef<SmallVector<AffineExpr, 2>> inMaps,
                 function_ref<Value(Emitter &, ValueRange)> body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (ArrayRef<AffineExpr> exprs : inMaps)
    maps.push_back(AffineMap::get(2, 0, exprs, ctx));
  maps.push_back(AffineMap::getMultiDimIdentityMap(2, ctx));
  return linalg::GenericOp::create(
             b, init.getType(), ins, ValueRange{init}, maps,
             ArrayRef<IteratorType>{IteratorType::parallel,
                                    IteratorType::parallel},
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder nb(loc, nested);
               Emitter e{nb};
               linalg::YieldOp::create(nb, body(e, args));
             })
      .getResult(0);
}

/// Element-wise `c[i, j] = f(c[i, j], bias[j])` over an f32 [n, M] tensor;
/// `bias` may be null (f gets a null bias then).
Value mapRows(ImplicitLocOpBuilder &b, Value c, Value bias,
              function_ref<Value(Emitter &, Value, Value)> fn) {
  AffineExpr j = getAffineDimExpr(1, b.getContext());
  SmallVector<Value> ins;
  SmallVector<SmallVector<AffineExpr, 2>> maps;
  if (bias) {
    ins.push_back(bias);
    maps.push_back({j});
  }
  return parallel2D(b, c, ins, maps, [&](Emitter &e, ValueRange args) {
    Value biasValue = bias ? e.extToF32(args[0]) : Value();
    return fn(e, args.back(), biasValue);
  });
}

/// Collapses all dims of `v` but the last into one: [P..., N, D] -> [M, D].
Value collapseLeading(ImplicitLocOpBuilder &b, Value v, int64_t keepTrailing) {
  auto type = cast<RankedTensorType>(v.getType());
  int64_t rank = type.getRank();
  if (rank <= keepTrailing + 1)
    return v;
  ReassociationIndices lead;
  for (int64_t d = 0; d < rank - keepTrailing; ++d)
    lead.push_back(d);
  SmallVector<ReassociationIndices> reassoc = {lead};
  for (int64_t d = rank - keepTrailing; d < rank; ++d)
    reassoc.push_back({d});
  return tensor::CollapseShapeOp::create(b, v, reassoc);
}

/// `[1, A, B]` slice `e` of a static [E, A, B] (or [E, A]) weight, rank
/// reduced.
Value expertSlice(ImplicitLocOpBuilder &b, Value weight, Value e) {
  auto type = cast<RankedTensorType>(weight.getType());
  SmallVector<OpFoldResult> offsets = {e};
  SmallVector<OpFoldResult> sizes = {b.getIndexAttr(1)};
  SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
  for (int64_t d = 1; d < type.getRank(); ++d) {
    offsets.push_back(b.getIndexAttr(0));
    sizes.push_back(b.getIndexAttr(type.getDimSize(d)));
  }
  auto sliceType = RankedTensorType::get(type.getShape().drop_front(),
                                         type.getElementType());
  return tensor::ExtractSliceOp::create(b, sliceType, weight, offsets, sizes,
                                        strides);
}

/// `out[i] = sum_k v[i, k]^2` in f32 for a 2-D tensor `v`.
Value rowSquaredNorms(ImplicitLocOpBuilder &b, Value v) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(dimOf(b, v, 0));
  AffineExpr i, k;
  bindDims(ctx, i, k);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {i, k}, ctx),
                                 AffineMap::get(2, 0, {i}, ctx)};
  return linalg::GenericOp::create(
             b,
             TypeRange{
                 RankedTensorType::get({type.getDimSize(0)}, b.getF32Type())},
             ValueRange{v}, ValueRange{zeros(b, {type.getDimSize(0)}, dyn)},
             maps,
             ArrayRef<IteratorType>{IteratorType::parallel,
                                    IteratorType::reduction},
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder nb(loc, nested);
               Emitter e{nb};
               Value x = e.extToF32(args[0]);
               linalg::YieldOp::create(nb, e.addf(args[1], e.mulf(x, x)));
             })
      .getResult(0);
}

/// `||w_j||^2` of the rows of `w` ([M, D]): a constant when `w` is one
/// (folded here, summed in f64), else a reduction computed once per call.
Value weightSquaredNorms(ImplicitLocOpBuilder &b, Value w) {
  DenseElementsAttr dense;
  auto type = cast<RankedTensorType>(w.getType());
  Value source = w;
  if (auto collapse = source.getDefiningOp<tensor::CollapseShapeOp>())
    source = collapse.getSrc();
  if (matchPattern(source, m_Constant(&dense)) &&
      type.getElementType().isF32() && type.hasStaticShape()) {
    int64_t rows = type.getDimSize(0), d = type.getDimSize(1);
    auto normType = RankedTensorType::get({rows}, b.getF32Type());
    // A splat may stand for any number of elements: one norm, no loop.
    if (dense.isSplat()) {
      double x = dense.getSplatValue<float>();
      return arith::ConstantOp::create(
          b, DenseElementsAttr::get(normType, static_cast<float>(d * x * x)));
    }
    SmallVector<float> norms(rows, 0.0f);
    auto values = dense.getValues<float>();
    for (int64_t r = 0; r < rows; ++r) {
      double sum = 0.0;
      for (int64_t k = 0; k < d; ++k) {
        double x = values[r * d + k];
        sum += x * x;
      }
      norms[r] = static_cast<float>(sum);
    }
    return arith::ConstantOp::create(
        b, DenseElementsAttr::get(normType, ArrayRef<float>(norms)));
  }
  return rowSquaredNorms(b, w);
}

/// The GEMM form is exact enough only while ||x||^2 + ||w||^2 is a normal,
/// finite f32: past ~3.4e38 it overflows (inf - inf = NaN, or inf for a
/// distance that is finite), below 2^-100 the squares underflow. Those
/// (token, row) pairs, and any with NaN, are recomputed in the direct form in
/// f64, so GEMM form and direct form agree on every input. One scalar pass
/// over the [T, M] logits; the direct sum runs only where needed.
Value recomputeUnsafeDistances(
    ImplicitLocOpBuilder &b, Value logits, Value x, Value w, Value xNorms,
    Value wNorms, Value bias,
    function_ref<Value(Emitter &, Value, Value)> distanceScore) {
  AffineExpr i, j;
  bindDims(b.getContext(), i, j);
  SmallVector<Value> ins = {xNorms, wNorms};
  SmallVector<SmallVector<AffineExpr, 2>> maps = {{i}, {j}};
  if (bias) {
    ins.push_back(bias);
    maps.push_back({j});
  }
  int64_t d = cast<RankedTensorType>(w.getType()).getDimSize(1);
  return parallel2D(b, logits, ins, maps, [&](Emitter &e, ValueRange args) {
    Value norms = e.addf(args[0], args[1]);
    Value safe =
        e.andi(e.cmpf(arith::CmpFPredicate::OLT, norms, e.f32(INFINITY)),
               e.cmpf(arith::CmpFPredicate::OGE, norms, e.f32(0x1p-100)));
    // linalg.index must sit directly in the generic's body.
    Value t = linalg::IndexOp::create(e.b, 0);
    Value c = linalg::IndexOp::create(e.b, 1);
    auto ifOp = scf::IfOp::create(e.b, TypeRange{e.b.getF32Type()}, safe,
                                  /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(ifOp.thenBlock());
    scf::YieldOp::create(e.b, args.back());
    e.b.setInsertionPointToStart(ifOp.elseBlock());
    Value squared = e.loop(
        e.idx(0), e.idx(d), {e.f64(0.0)},
        [&](Value k, ValueRange acc) -> SmallVector<Value> {
          Value xv =
              e.extToF64(tensor::ExtractOp::create(e.b, x, ValueRange{t, k}));
          Value wv =
              e.extToF64(tensor::ExtractOp::create(e.b, w, ValueRange{c, k}));
          Value diff = e.subf(xv, wv);
          return {e.addf(acc[0], e.mulf(diff, diff))};
        })[0];
    Value bv = bias ? e.extToF32(args[2]) : Value();
    scf::YieldOp::create(e.b, distanceScore(e, squared, bv));
    return ifOp.getResult(0);
  });
}
} // namespace

LogicalResult lowering::lowerScore(RewriterBase &rewriter, ScoreOp op,
                                   bool expandDistances) {
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Value x = op.getInput();
  Value w = collapseLeading(b, op.getWeight(), 1);
  Value bias = op.getBias() ? collapseLeading(b, op.getBias(), 0) : Value();
  int64_t m = cast<RankedTensorType>(w.getType()).getDimSize(0);
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<Value> dyn;
  if (xType.isDynamicDim(0))
    dyn.push_back(dimOf(b, x, 0));
  ScoreKind kind = op.getKind();
  bool distance = kind == ScoreKind::Laplace || kind == ScoreKind::Gaussian;
  // GEMM form: ||x - w||^2 = ||x||^2 - 2 x.w + ||w||^2, so the contraction
  // is a plain matmul that hmoe-vectorize-contractions makes fast. The
  // direct form sums (x - w)^2 in f64: no f32 input overflows or underflows
  // there (a distance up to ~1e38 has a square up to ~1e77).
  bool expanded = distance && expandDistances;
  bool direct = distance && !expanded;
  Value acc = contractRows(b, x, w,
                           zeros(b, {xType.getDimSize(0), m}, dyn,
                                 direct ? b.getF64Type() : b.getF32Type()),
                           direct);
  Value xNorms, wNorms;
  if (expanded) {
    xNorms = rowSquaredNorms(b, x);
    wNorms = weightSquaredNorms(b, w);
  }
  std::optional<Activation> fn;
  if (op.getActivation())
    fn = *op.getActivation();
  // -||x - w|| or -||x - w||^2 from a squared distance (f32 or f64), with
  // the bias (or null).
  auto distanceScore = [&](Emitter &e, Value squared, Value bv) {
    Value s = kind == ScoreKind::Laplace ? e.sqrt(squared) : squared;
    s = e.negf(e.truncTo(e.b.getF32Type(), s));
    return bv ? e.addf(s, bv) : s;
  };
  AffineExpr i, j;
  bindDims(b.getContext(), i, j);
  SmallVector<Value> ins;
  SmallVector<SmallVector<AffineExpr, 2>> maps;
  if (bias) {
    ins.push_back(bias);
    maps.push_back({j});
  }
  if (expanded) {
    ins.append({xNorms, wNorms});
    maps.append({{i}, {j}});
  }
  // The direct form's f64 sums are read, not written over.
  Value init = acc;
  if (direct) {
    ins.push_back(acc);
    maps.push_back({i, j});
    init = tensor::EmptyOp::create(b, ArrayRef<int64_t>{xType.getDimSize(0), m},
                                   b.getF32Type(), dyn);
  }
  Value logits =
      parallel2D(b, init, ins, maps, [&](Emitter &e, ValueRange args) {
        Value s = direct ? args[args.size() - 2] : args.back();
        Value bv = bias ? e.extToF32(args[0]) : Value();
        if (expanded) {
          // Rounding can make the expanded form slightly negative: clamp at 0
          // before the square root (SPEC.md). NaN stays NaN (maximumf).
          Value xx = args[bias ? 1 : 0], ww = args[bias ? 2 : 1];
          s = e.subf(e.addf(xx, ww), e.mulf(e.f32(2.0), s));
          s = e.maxf(s, e.f32(0.0));
        }
        switch (kind) {
        case ScoreKind::Linear:
          break;
        case ScoreKind::Laplace:
        case ScoreKind::Gaussian:
          return distanceScore(e, s, bv);
        case ScoreKind::Activation:
          return e.activation(*fn, bv ? e.addf(s, bv) : s);
        }
        return bv ? e.addf(s, bv) : s;
      });
  if (expanded)
    logits = recomputeUnsafeDistances(b, logits, x, w, xNorms, wNorms, bias,
                                      distanceScore);
  auto resultType = cast<RankedTensorType>(op.getLogits().getType());
  if (resultType.getRank() > 2) {
    SmallVector<ReassociationIndices> reassoc = {{0}, {}};
    for (int64_t d = 1; d < resultType.getRank(); ++d)
      reassoc[1].push_back(d);
    logits = tensor::ExpandShapeOp::create(b, resultType, logits, reassoc);
  }
  rewriter.replaceOp(op, logits);
  return success();
}

LogicalResult lowering::lowerExperts(RewriterBase &rewriter, ExpertsOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  Emitter e{b};
  Value x = op.getInput();
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  int64_t dOut = outType.getDimSize(1);
  int64_t d = cast<RankedTensorType>(x.getType()).getDimSize(1);
  int64_t numExperts =
      cast<RankedTensorType>(op.getW1().getType()).getDimSize(0);
  SmallVector<Value> dyn;
  if (outType.isDynamicDim(0))
    dyn.push_back(dimOf(b, op.getSlotToken(), 0));
  // Every slot row is written by exactly one expert (offsets partition the
  // slots), so the output needs no initial fill.
  Value out = tensor::EmptyOp::create(b, outType.getShape(),
                                      outType.getElementType(), dyn);
  ExpertKind kind = op.getExpert().getKind();
  std::optional<Activation> fn = op.getExpert().getActivation();
  MLIRContext *ctx = b.getContext();

  // One expert at a time: gather its tokens, run its network on them as
  // [n, D] x [D, H] contractions, and write its slots.
  Value result = e.loop(
      e.idx(0), e.idx(numExperts), {out},
      [&](Value ex, ValueRange acc) -> SmallVector<Value> {
        Value begin =
            e.toIndex(tensor::ExtractOp::create(b, op.getOffsets(), ex));
        Value end = e.toIndex(tensor::ExtractOp::create(b, op.getOffsets(),
                                                        e.addi(ex, e.idx(1))));
        Value n = e.subi(end, begin);
        Value tokens = tensor::ExtractSliceOp::create(
            b, op.getSlotToken(), ArrayRef<OpFoldResult>{begin},
            ArrayRef<OpFoldResult>{n},
            ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
        // xs[i, :] = x[tokens[i], :] in f32.
        AffineExpr i, j;
        bindDims(ctx, i, j);
        Value gatherInit = tensor::EmptyOp::create(
            b, ArrayRef<int64_t>{ShapedType::kDynamic, d}, b.getF32Type(),
            ValueRange{n});
        Value xs =
            parallel2D(b, gatherInit, ValueRange{tokens}, {{i}},
                       [&](Emitter &ne, ValueRange args) {
                         Value col = linalg::IndexOp::create(ne.b, 1);
                         Value v = tensor::ExtractOp::create(
                             ne.b, x, ValueRange{ne.toIndex(args[0]), col});
                         return ne.extToF32(v);
                       });
        // `in . weight_ex^T` accumulated from 0 into `init`.
        auto project = [&](Value in, Value weight, Value init) {
          // Sequenced so that the IR's op order does not depend on the
          // compiler's argument evaluation order.
          Value acc = zeroFilled(b, init);
          Value w = expertSlice(b, weight, ex);
          return contractRows(b, in, w, acc, /*squaredDistance=*/false);
        };
        auto hiddenInit = [&](int64_t cols) -> Value {
          return tensor::EmptyOp::create(
              b, ArrayRef<int64_t>{ShapedType::kDynamic, cols}, b.getF32Type(),
              ValueRange{n});
        };
        // The last projection accumulates straight into this expert's rows
        // of the output (bufferized in place: no copy of its result).
        SmallVector<OpFoldResult> rowsOfOut = {begin, b.getIndexAttr(0)};
        SmallVector<OpFoldResult> rowsSize = {n, b.getIndexAttr(dOut)};
        SmallVector<OpFoldResult> unitStrides = {b.getIndexAttr(1),
                                                 b.getIndexAttr(1)};
        auto outRows = [&]() -> Value {
          return tensor::ExtractSliceOp::create(b, acc[0], rowsOfOut, rowsSize,
                                                unitStrides);
        };
        auto addBias = [&](Value v, Value bias) {
          if (!bias)
            return v;
          return mapRows(
              b, v, expertSlice(b, bias, ex),
              [](Emitter &me, Value s, Value bv) { return me.addf(s, bv); });
        };
        Value y;
        if (kind == ExpertKind::Linear) {
          y = addBias(project(xs, op.getW1(), outRows()), op.getB1());
        } else {
          int64_t h = op.getExpert().getHidden();
          Value hidden =
              addBias(project(xs, op.getW1(), hiddenInit(h)), op.getB1());
          if (kind == ExpertKind::FFN) {
            hidden =
                mapRows(b, hidden, Value(), [&](Emitter &me, Value s, Value) {
                  return me.activation(*fn, s);
                });
          } else {
            Value up = project(xs, op.getWUp(), hiddenInit(h));
            hidden = parallel2D(b, hidden, ValueRange{up}, {{i, j}},
                                [](Emitter &ne, ValueRange args) {
                                  Value gate =
                                      ne.activation(Activation::Silu, args[1]);
                                  return ne.mulf(gate, args[0]);
                                });
          }
          y = addBias(project(hidden, op.getW2(), outRows()), op.getB2());
        }
        Value updated = tensor::InsertSliceOp::create(b, y, acc[0], rowsOfOut,
                                                      rowsSize, unitStrides);
        return {updated};
      })[0];
  rewriter.replaceOp(op, result);
  return success();
}

LogicalResult lowering::lowerCombine(RewriterBase &rewriter, CombineOp op) {
  ImplicitLocOpBuilder b(op.getLoc(), rewriter);
  b.setInsertionPoint(op);
  auto outType = cast<RankedTensorType>(op.getOutput().getType());
  int64_t k = cast<RankedTensorType>(op.getSlotOf().getType()).getDimSize(1);
  SmallVector<Value> dyn;
  if (outType.isDynamicDim(0))
    dyn.push_back(dimOf(b, op.getSlotOf(), 0));
  Value init = tensor::EmptyOp::create(b, outType.getShape(),
                                       outType.getElementType(), dyn);
  // A gather per output element: no scatter, no atomics, and the sum runs
  // in selection order, so results are deterministic.
  Value y = parallel2D(b, init, {}, {}, [&](Emitter &e, ValueRange) {
    ImplicitLocOpBuilder &nb = e.b;
    Value token = linalg::IndexOp::create(nb, 0);
    Value col = linalg::IndexOp::create(nb, 1);
    Value acc = e.f32(0.0);
    for (int64_t j = 0; j < k; ++j) {
      Value slot = tensor::ExtractOp::create(nb, op.getSlotOf(),
                                             ValueRange{token, e.idx(j)});
      Value weight = tensor::ExtractOp::create(nb, op.getWeights(),
                                               ValueRange{token, e.idx(j)});
      Value kept = e.cmpi(arith::CmpIPredicate::sge, slot, e.i32(0));
      // A dropped assignment reads nothing: there may be no rows.
      auto ifKept = scf::IfOp::create(nb, TypeRange{nb.getF32Type()}, kept,
                                      /*withElseRegion=*/true);
      {
        OpBuilder::InsertionGuard guard(nb);
        nb.setInsertionPointToStart(ifKept.thenBlock());
        Value v = tensor::ExtractOp::create(nb, op.getExpertOutput(),
                                            ValueRange{e.toIndex(slot), col});
        scf::YieldOp::create(nb, e.addf(acc, e.mulf(weight, v)));
        nb.setInsertionPointToStart(ifKept.elseBlock());
        scf::YieldOp::create(nb, acc);
      }
      acc = ifKept.getResult(0);
    }
    return e.truncTo(outType.getElementType(), acc);
  });
  rewriter.replaceOp(op, y);
  return success();
}
