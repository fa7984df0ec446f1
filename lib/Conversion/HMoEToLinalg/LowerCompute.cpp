//===- LowerCompute.cpp - score, experts and combine to linalg ------------===//

#include "Lowerings.h"

#include "hmoe/Dialect/HMoE/Utils/Emitter.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::hmoe;
using namespace mlir::hmoe::lowering;

namespace {
using utils::IteratorType;

/// The GEMM form keeps a distance when d^2 is at least this fraction of the
/// magnitude of the terms that cancel in it.
constexpr float kCancellationLimit = 1.0f / 16.0f;

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

/// `out[i] = sum_k f(v[i, k], c[k])` in f32 for a 2-D tensor `v` and a
/// vector `c` over its columns: a row reduction that hmoe-vectorize-rowwise
/// runs on vectors. With `inF64`, the terms and their sum are f64 and the
/// f32 result is that sum rounded once (f64 lanes, half as many a vector;
/// for the O(M D) sums of the gate rows, not the O(T D) ones of the tokens).
Value rowSums(ImplicitLocOpBuilder &b, Value v, Value c,
              function_ref<Value(Emitter &, Value, Value)> f,
              bool inF64 = false) {
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(v.getType());
  SmallVector<Value> dyn;
  if (type.isDynamicDim(0))
    dyn.push_back(dimOf(b, v, 0));
  Type sumType = inF64 ? b.getF64Type() : b.getF32Type();
  AffineExpr i, k;
  bindDims(ctx, i, k);
  SmallVector<AffineMap> maps = {AffineMap::get(2, 0, {i, k}, ctx),
                                 AffineMap::get(2, 0, {k}, ctx),
                                 AffineMap::get(2, 0, {i}, ctx)};
  Value sums =
      linalg::GenericOp::create(
          b, TypeRange{RankedTensorType::get({type.getDimSize(0)}, sumType)},
          ValueRange{v, c},
          ValueRange{zeros(b, {type.getDimSize(0)}, dyn, sumType)}, maps,
          ArrayRef<IteratorType>{IteratorType::parallel,
                                 IteratorType::reduction},
          [&](OpBuilder &nested, Location loc, ValueRange args) {
            ImplicitLocOpBuilder nb(loc, nested);
            Emitter e{nb};
            Value term = inF64 ? f(e, e.extToF64(args[0]), e.extToF64(args[1]))
                               : f(e, e.extToF32(args[0]), args[1]);
            linalg::YieldOp::create(nb, e.addf(args[2], term));
          })
          .getResult(0);
  if (!inF64)
    return sums;
  AffineMap identity = AffineMap::getMultiDimIdentityMap(1, ctx);
  return linalg::GenericOp::create(
             b,
             TypeRange{
                 RankedTensorType::get({type.getDimSize(0)}, b.getF32Type())},
             ValueRange{sums},
             ValueRange{tensor::EmptyOp::create(b, type.getDimSize(0),
                                                b.getF32Type(), dyn)},
             SmallVector<AffineMap>{identity, identity},
             ArrayRef<IteratorType>{IteratorType::parallel},
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder nb(loc, nested);
               Emitter e{nb};
               linalg::YieldOp::create(nb, e.truncTo(nb.getF32Type(), args[0]));
             })
      .getResult(0);
}

/// The gate rows `w` ([M, D]) re-centred for the GEMM form of distances:
/// `||x - w_j||^2 = ||x - m||^2 - 2 x.w'_j + ||w'_j||^2 + 2 m.w'_j` with
/// `w' = w - m`. Any centre `m` gives the same distance; the mean of the
/// rows makes the terms that cancel small when tokens and centres sit in a
/// cluster away from the origin (a Laplace gate's centres are pulled towards
/// the tokens). Per row: `squares = ||w'_j||^2`, `cross = m.w'_j`.
struct CentredRows {
  Value centre, shifted, squares, cross;
};

/// Folds the centred rows of constant f32 weights (in f64): no per-call work
/// for weights baked into the layer.
std::optional<CentredRows> foldCentredRows(ImplicitLocOpBuilder &b, Value w) {
  DenseElementsAttr dense;
  auto type = cast<RankedTensorType>(w.getType());
  Value source = w;
  if (auto collapse = source.getDefiningOp<tensor::CollapseShapeOp>())
    source = collapse.getSrc();
  if (!matchPattern(source, m_Constant(&dense)) ||
      !type.getElementType().isF32() || !type.hasStaticShape())
    return std::nullopt;
  int64_t rows = type.getDimSize(0), d = type.getDimSize(1);
  Type f32 = b.getF32Type();
  auto rowType = RankedTensorType::get({rows}, f32);
  auto centreType = RankedTensorType::get({d}, f32);
  auto constant = [&](ShapedType t, ArrayRef<float> values) -> Value {
    return arith::ConstantOp::create(b, DenseElementsAttr::get(t, values));
  };
  auto splat = [&](ShapedType t, float v) -> Value {
    return arith::ConstantOp::create(b, DenseElementsAttr::get(t, v));
  };
  // A splat may stand for any number of elements: every row is the centre.
  if (dense.isSplat()) {
    float v = dense.getSplatValue<float>();
    return CentredRows{splat(centreType, v), splat(type, 0.0f),
                       splat(rowType, 0.0f), splat(rowType, 0.0f)};
  }
  auto values = dense.getValues<float>();
  std::vector<double> centre(d, 0.0);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < d; ++k)
      if (std::isfinite(values[r * d + k]))
        centre[k] += values[r * d + k];
  std::vector<float> m(d), shifted(rows * d), squaresOf(rows), crossOf(rows);
  for (int64_t k = 0; k < d; ++k)
    m[k] = static_cast<float>(centre[k] / rows);
  for (int64_t r = 0; r < rows; ++r) {
    double squares = 0.0, cross = 0.0;
    for (int64_t k = 0; k < d; ++k) {
      float s = values[r * d + k] - m[k];
      shifted[r * d + k] = s;
      squares += double(s) * s;
      cross += double(m[k]) * s;
    }
    squaresOf[r] = static_cast<float>(squares);
    crossOf[r] = static_cast<float>(cross);
  }
  return CentredRows{constant(centreType, m), constant(type, shifted),
                     constant(rowType, squaresOf), constant(rowType, crossOf)};
}

/// The centred rows of `w`, folded when constant, else computed once per call
/// (O(M D), against the O(T M D) GEMM).
CentredRows centredRows(ImplicitLocOpBuilder &b, Value w) {
  if (std::optional<CentredRows> folded = foldCentredRows(b, w))
    return *folded;
  MLIRContext *ctx = b.getContext();
  auto type = cast<RankedTensorType>(w.getType());
  int64_t rows = type.getDimSize(0), d = type.getDimSize(1);
  // m = (sum of the finite elements of each column) / rows, each term
  // divided first so that the sum cannot overflow; an inf or NaN row then
  // spoils only its own distances (which are recomputed), not every row's.
  AffineExpr r, k;
  bindDims(ctx, r, k);
  float inverse = 1.0f / static_cast<float>(rows);
  Value centre =
      linalg::GenericOp::create(
          b, TypeRange{RankedTensorType::get({d}, b.getF32Type())},
          ValueRange{w}, ValueRange{zeros(b, {d}, {})},
          SmallVector<AffineMap>{AffineMap::get(2, 0, {r, k}, ctx),
                                 AffineMap::get(2, 0, {k}, ctx)},
          ArrayRef<IteratorType>{IteratorType::reduction,
                                 IteratorType::parallel},
          [&](OpBuilder &nested, Location loc, ValueRange args) {
            ImplicitLocOpBuilder nb(loc, nested);
            Emitter e{nb};
            Value v = e.extToF32(args[0]);
            Value finite = e.cmpf(arith::CmpFPredicate::OLT,
                                  math::AbsFOp::create(nb, v), e.f32(INFINITY));
            Value term = e.select(finite, e.mulf(v, e.f32(inverse)), e.f32(0));
            linalg::YieldOp::create(nb, e.addf(args[1], term));
          })
          .getResult(0);
  AffineExpr i, j;
  bindDims(ctx, i, j);
  Value shifted = parallel2D(
      b, tensor::EmptyOp::create(b, type.getShape(), b.getF32Type()),
      ValueRange{w, centre}, {{i, j}, {j}}, [](Emitter &e, ValueRange args) {
        return e.subf(e.extToF32(args[0]), args[1]);
      });
  // Each row's squares and cross term in f64, rounded once: they differ
  // from row to row, so their rounding moves one child's logit against
  // another's (a token's own ||x - m||^2 shifts all of its logits alike).
  // Summed in f32 over D = 512 they missed the 1e-5 tolerance on tokens
  // far from every centre at temperature 0.5 (logits ~ -200).
  Value squares = rowSums(
      b, shifted, centre,
      [](Emitter &e, Value s, Value) { return e.mulf(s, s); },
      /*inF64=*/true);
  Value cross = rowSums(
      b, shifted, centre,
      [](Emitter &e, Value s, Value m) { return e.mulf(m, s); },
      /*inF64=*/true);
  return {centre, shifted, squares, cross};
}

/// Where the GEMM form left NaN (its marker for a distance it could not
/// give to f32 accuracy, or a NaN input), the distance is recomputed in the
/// direct form summed in f64: `sum_k (x_k - w_k)^2` cannot overflow or
/// underflow there, so both forms agree on every input. One scalar pass
/// over the [T, M] logits; the direct sum runs only where needed.
Value recomputeMarkedDistances(
    ImplicitLocOpBuilder &b, Value logits, Value x, Value w, Value bias,
    function_ref<Value(Emitter &, Value, Value)> distanceScore) {
  AffineExpr j = getAffineDimExpr(1, b.getContext());
  SmallVector<Value> ins;
  SmallVector<SmallVector<AffineExpr, 2>> maps;
  if (bias) {
    ins.push_back(bias);
    maps.push_back({j});
  }
  int64_t d = cast<RankedTensorType>(w.getType()).getDimSize(1);
  return parallel2D(b, logits, ins, maps, [&](Emitter &e, ValueRange args) {
    // linalg.index must sit directly in the generic's body.
    Value t = linalg::IndexOp::create(e.b, 0);
    Value c = linalg::IndexOp::create(e.b, 1);
    auto ifOp = scf::IfOp::create(e.b, TypeRange{e.b.getF32Type()},
                                  e.isNaN(args.back()),
                                  /*addThenBlock=*/true,
                                  /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(e.b);
    e.b.setInsertionPointToStart(ifOp.elseBlock());
    scf::YieldOp::create(e.b, args.back());
    e.b.setInsertionPointToStart(ifOp.thenBlock());
    // sum_k (x_k - w_k)^2 in f64: kLanes at a time over the full chunks of
    // the contiguous rows (reads known in bounds), then the tail one by one.
    constexpr int64_t kLanes = 8;
    auto f64Lanes = VectorType::get({kLanes}, e.b.getF64Type());
    int64_t full = d / kLanes * kLanes;
    Value lanes;
    if (full > 0)
      lanes = e.loop(
          e.idx(0), e.idx(full / kLanes),
          {arith::ConstantOp::create(e.b,
                                     DenseElementsAttr::get(f64Lanes, 0.0))},
          [&](Value chunk, ValueRange acc) -> SmallVector<Value> {
            Value k = e.muli(chunk, e.idx(kLanes));
            auto read = [&](Value tensor, Value row) -> Value {
              Type elem =
                  cast<RankedTensorType>(tensor.getType()).getElementType();
              Value padding =
                  arith::ConstantOp::create(e.b, e.b.getZeroAttr(elem));
              Value v = vector::TransferReadOp::create(
                  e.b, VectorType::get({kLanes}, elem), tensor,
                  ValueRange{row, k}, padding, ArrayRef<bool>{true});
              return arith::ExtFOp::create(e.b, f64Lanes, v);
            };
            Value diff = arith::SubFOp::create(e.b, read(x, t), read(w, c));
            return {vector::FMAOp::create(e.b, diff, diff, acc[0])};
          })[0];
    Value tail;
    if (full < d)
      tail = e.loop(e.idx(full), e.idx(d), {e.f64(0.0)},
                    [&](Value k, ValueRange acc) -> SmallVector<Value> {
                      Value xv = e.extToF64(
                          tensor::ExtractOp::create(e.b, x, ValueRange{t, k}));
                      Value wv = e.extToF64(
                          tensor::ExtractOp::create(e.b, w, ValueRange{c, k}));
                      Value diff = e.subf(xv, wv);
                      return {e.addf(acc[0], e.mulf(diff, diff))};
                    })[0];
    Value squared = tail;
    if (lanes)
      squared = vector::ReductionOp::create(e.b, vector::CombiningKind::ADD,
                                            lanes, tail);
    Value bv = bias ? e.extToF32(args[0]) : Value();
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
  // GEMM form, centred on the mean gate row m (CentredRows):
  // ||x - w||^2 = ||x - m||^2 - 2 x.w' + rowTerm, so the contraction is a
  // plain matmul that hmoe-vectorize-contractions makes fast. The direct
  // form sums (x - w)^2 in f64: no f32 input overflows or underflows there
  // (a distance up to ~1e38 has a square up to ~1e77).
  bool expanded = distance && expandDistances;
  bool direct = distance && !expanded;
  std::optional<CentredRows> centred;
  Value xNorms;
  if (expanded) {
    centred = centredRows(b, w);
    xNorms = rowSums(b, x, centred->centre, [](Emitter &e, Value v, Value c) {
      Value diff = e.subf(v, c);
      return e.mulf(diff, diff);
    });
  }
  Value acc = contractRows(b, x, expanded ? centred->shifted : w,
                           zeros(b, {xType.getDimSize(0), m}, dyn,
                                 direct ? b.getF64Type() : b.getF32Type()),
                           direct);
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
    ins.append({xNorms, centred->squares, centred->cross});
    maps.append({{i}, {j}, {j}});
  }
  // The direct form's f64 sums are read, not written over.
  Value init = acc;
  if (direct) {
    ins.push_back(acc);
    maps.push_back({i, j});
    init = tensor::EmptyOp::create(b, ArrayRef<int64_t>{xType.getDimSize(0), m},
                                   b.getF32Type(), dyn);
  }
  // A linear score without a bias is the GEMM itself, not a pass over it
  // that changes nothing.
  Value logits = acc;
  if (kind != ScoreKind::Linear || bias)
    logits = parallel2D(b, init, ins, maps, [&](Emitter &e, ValueRange args) {
      Value s = direct ? args[args.size() - 2] : args.back();
      Value bv = bias ? e.extToF32(args[0]) : Value();
      if (expanded) {
        Value xx = args[bias ? 1 : 0], squares = args[bias ? 2 : 1],
              twoCross = e.mulf(e.f32(2.0), args[bias ? 3 : 2]);
        Value twoDot = e.mulf(e.f32(2.0), s);
        s = e.subf(e.addf(xx, e.addf(squares, twoCross)), twoDot);
        // Each term rounds with ~f32 epsilon times its magnitude, and their
        // sum of magnitudes is what cancels: keep the distance only when
        // it is at least 1/16 of that sum (relative error of d^2 a few
        // ulps of it, times 16), the magnitudes neither overflow nor
        // underflow, and nothing is NaN; mark the rest NaN for the direct
        // form. (An estimate of the rounding, not a bound: the dot
        // products' rounding is far below its worst case; the precision
        // tests sweep distances of 1e-4..1 at D = 4..1024.)
        Value magnitude = e.addf(
            e.addf(xx, e.addf(squares, math::AbsFOp::create(e.b, twoCross))),
            math::AbsFOp::create(e.b, twoDot));
        Value keep = e.andi(
            e.andi(
                e.cmpf(arith::CmpFPredicate::OGE, s,
                       e.mulf(e.f32(kCancellationLimit), magnitude)),
                e.cmpf(arith::CmpFPredicate::OLT, magnitude, e.f32(INFINITY))),
            e.cmpf(arith::CmpFPredicate::OGE, magnitude, e.f32(0x1p-100)));
        // s >= 0 wherever it is kept; the clamp at 0 (docs/numerics.md) is
        // implied.
        return e.select(keep, distanceScore(e, s, bv), e.f32(NAN));
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
    logits = recomputeMarkedDistances(b, logits, x, w, bias, distanceScore);
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

namespace {
/// An expert's temporaries: its gathered input rows, the hidden rows in f32
/// (FFN, SwiGLU gate), SwiGLU's up projection, and the activated hidden rows
/// when the layer's element type is not f32.
enum class ScratchKind { Gathered, Hidden, Up, Activated };
} // namespace

LogicalResult lowering::lowerExperts(RewriterBase &rewriter, ExpertsOp op,
                                     bool stageScratch, int64_t rowTile) {
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
  Type elem = cast<RankedTensorType>(x.getType()).getElementType();
  Type f32 = b.getF32Type();

  // Experts are independent: a forall over them, each gathering its tokens,
  // running its network on them as [n, D] x [D, H] contractions and writing
  // its own slots (rows offsets[e] to offsets[e + 1] of the output, disjoint
  // by construction). Code generation decides whether experts or the rows
  // inside their contractions go to threads (the target's schedule).
  //
  // With `stageScratch`, an expert's temporaries (gathered rows, hidden
  // activations) are its rows of stage-wide [slots, cols] tensors, carried
  // as further shared outputs, instead of tensors sized by its own count:
  // no allocation inside the loop (a GPU kernel cannot allocate), at the
  // price of memory for all slots at once.
  ScratchKind scratchKinds[] = {ScratchKind::Gathered, ScratchKind::Hidden,
                                ScratchKind::Up, ScratchKind::Activated};
  SmallVector<Value> sharedInits = {out};
  SmallVector<ScratchKind> sharedKinds;
  // Columns and element type of each temporary; none for those this
  // expert kind does not have.
  auto scratchShape =
      [&](ScratchKind s) -> std::optional<std::pair<int64_t, Type>> {
    bool hidden = kind != ExpertKind::Linear;
    int64_t h = hidden ? op.getExpert().getHidden() : 0;
    switch (s) {
    case ScratchKind::Gathered:
      return std::pair<int64_t, Type>{d, elem};
    case ScratchKind::Hidden:
      return hidden ? std::optional(std::pair<int64_t, Type>{h, f32})
                    : std::nullopt;
    case ScratchKind::Up:
      return kind == ExpertKind::SwiGLU
                 ? std::optional(std::pair<int64_t, Type>{h, f32})
                 : std::nullopt;
    case ScratchKind::Activated:
      return hidden && !elem.isF32()
                 ? std::optional(std::pair<int64_t, Type>{h, elem})
                 : std::nullopt;
    }
    llvm_unreachable("scratch kind");
  };
  if (stageScratch) {
    for (ScratchKind s : scratchKinds) {
      std::optional<std::pair<int64_t, Type>> shape = scratchShape(s);
      if (!shape)
        continue;
      auto [cols, type] = *shape;
      sharedInits.push_back(tensor::EmptyOp::create(
          b, ArrayRef<int64_t>{outType.getDimSize(0), cols}, type, dyn));
      sharedKinds.push_back(s);
    }
  }
  // With `rowTile`, a second loop splits each expert's rows into tiles of
  // `rowTile` (ceil(slots / rowTile) of them: any expert may hold every
  // slot; the tiles past an expert's rows are empty), so that a GPU gets
  // one block per tile rather than one per expert.
  SmallVector<OpFoldResult> upperBounds = {b.getIndexAttr(numExperts)};
  if (rowTile > 0) {
    AffineExpr slots;
    bindSymbols(ctx, slots);
    upperBounds.push_back(affine::makeComposedFoldedAffineApply(
        b, b.getLoc(), slots.ceilDiv(rowTile),
        {tensor::getMixedSize(b, b.getLoc(), op.getSlotToken(), 0)}));
  }
  SmallVector<OpFoldResult> zeros(upperBounds.size(), b.getIndexAttr(0));
  SmallVector<OpFoldResult> ones(upperBounds.size(), b.getIndexAttr(1));
  auto forall = scf::ForallOp::create(b, zeros, upperBounds, ones, sharedInits,
                                      /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(forall.getBody());
    Value ex = forall.getInductionVar(0);
    Value sharedOut = forall.getRegionIterArgs()[0];
    // The last value written into each scratch slice, inserted back into
    // its shared output so that bufferization keeps the writes in place.
    Value lastWrite[std::size(scratchKinds)] = {};
    [&] {
      Value begin =
          e.toIndex(tensor::ExtractOp::create(b, op.getOffsets(), ex));
      Value end = e.toIndex(
          tensor::ExtractOp::create(b, op.getOffsets(), e.addi(ex, e.idx(1))));
      if (rowTile > 0) {
        // Rows [begin + tile * rowTile, ...) of this expert, at most
        // rowTile, none past its end (the start clamped to it).
        Value start =
            e.addi(begin, e.muli(forall.getInductionVar(1), e.idx(rowTile)));
        begin = arith::MinSIOp::create(b, start, end);
        end = arith::MinSIOp::create(b, e.addi(begin, e.idx(rowTile)), end);
      }
      Value n = e.subi(end, begin);
      Value tokens = tensor::ExtractSliceOp::create(
          b, op.getSlotToken(), ArrayRef<OpFoldResult>{begin},
          ArrayRef<OpFoldResult>{n}, ArrayRef<OpFoldResult>{b.getIndexAttr(1)});
      // xs[i, :] = x[tokens[i], :], in the layer's element type: the
      // contractions extend to f32 (or take bf16 pairs) as they load.
      AffineExpr i, j;
      bindDims(ctx, i, j);
      // This expert's rows of a stage-wide scratch tensor, or a new tensor.
      auto scratchInit = [&](ScratchKind s) -> Value {
        auto [cols, type] = *scratchShape(s);
        if (!stageScratch)
          return tensor::EmptyOp::create(
              b, ArrayRef<int64_t>{ShapedType::kDynamic, cols}, type,
              ValueRange{n});
        auto *it = llvm::find(sharedKinds, s);
        Value stage =
            forall.getRegionIterArgs()[1 + (it - sharedKinds.begin())];
        Value slice = tensor::ExtractSliceOp::create(
            b, stage, ArrayRef<OpFoldResult>{begin, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{n, b.getIndexAttr(cols)},
            ArrayRef<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1)});
        return slice;
      };
      Value gatherInit = scratchInit(ScratchKind::Gathered);
      Value xs =
          parallel2D(b, gatherInit, ValueRange{tokens}, {{i}},
                     [&](Emitter &ne, ValueRange args) {
                       Value col = linalg::IndexOp::create(ne.b, 1);
                       return tensor::ExtractOp::create(
                           ne.b, x, ValueRange{ne.toIndex(args[0]), col});
                     });
      // `in . weight_ex^T` accumulated from 0 into `init`.
      auto project = [&](Value in, Value weight, Value init) {
        // Sequenced so that the IR's op order does not depend on the
        // compiler's argument evaluation order.
        Value acc = zeroFilled(b, init);
        Value w = expertSlice(b, weight, ex);
        return contractRows(b, in, w, acc, /*squaredDistance=*/false);
      };
      // The last projection accumulates straight into this expert's rows
      // of the output (bufferized in place: no copy of its result).
      SmallVector<OpFoldResult> rowsOfOut = {begin, b.getIndexAttr(0)};
      SmallVector<OpFoldResult> rowsSize = {n, b.getIndexAttr(dOut)};
      SmallVector<OpFoldResult> unitStrides = {b.getIndexAttr(1),
                                               b.getIndexAttr(1)};
      auto outRows = [&]() -> Value {
        return tensor::ExtractSliceOp::create(b, sharedOut, rowsOfOut, rowsSize,
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
        Value hidden =
            addBias(project(xs, op.getW1(), scratchInit(ScratchKind::Hidden)),
                    op.getB1());
        lastWrite[int(ScratchKind::Hidden)] = hidden;
        // The activation computes in f32 and writes the hidden rows in
        // the layer's element type: a bf16 layer's output projection
        // takes bf16 x bf16 (as PyTorch's bf16 layers do), accumulating
        // in f32.
        // In f32 the activation updates the hidden rows in place, reading
        // them as its output's elements (not also as an input: a tiled
        // loop reading the tensor it writes would be bufferized with a
        // copy).
        bool inPlace = elem.isF32();
        Value activated =
            inPlace ? hidden : scratchInit(ScratchKind::Activated);
        SmallVector<Value> ins;
        SmallVector<SmallVector<AffineExpr, 2>> inMaps;
        if (!inPlace) {
          ins.push_back(hidden);
          inMaps.push_back({i, j});
        }
        Value up;
        if (kind == ExpertKind::SwiGLU) {
          up = project(xs, op.getWUp(), scratchInit(ScratchKind::Up));
          lastWrite[int(ScratchKind::Up)] = up;
          ins.push_back(up);
          inMaps.push_back({i, j});
        }
        hidden = parallel2D(
            b, activated, ins, inMaps, [&](Emitter &ne, ValueRange args) {
              Value h = inPlace ? args.back() : args[0];
              if (kind == ExpertKind::FFN)
                return ne.truncTo(elem, ne.activation(*fn, h));
              Value gate = ne.activation(Activation::Silu, h);
              return ne.truncTo(elem, ne.mulf(gate, args[inPlace ? 0 : 1]));
            });
        lastWrite[int(inPlace ? ScratchKind::Hidden : ScratchKind::Activated)] =
            hidden;
        y = addBias(project(hidden, op.getW2(), outRows()), op.getB2());
      }
      lastWrite[int(ScratchKind::Gathered)] = xs;
      b.setInsertionPointToStart(forall.getTerminator().getBody());
      for (auto [index, s] : llvm::enumerate(sharedKinds)) {
        int64_t cols = scratchShape(s)->first;
        tensor::ParallelInsertSliceOp::create(
            b, lastWrite[int(s)], forall.getRegionIterArgs()[1 + index],
            ArrayRef<OpFoldResult>{begin, b.getIndexAttr(0)},
            ArrayRef<OpFoldResult>{n, b.getIndexAttr(cols)}, unitStrides);
      }
      tensor::ParallelInsertSliceOp::create(b, y, sharedOut, rowsOfOut,
                                            rowsSize, unitStrides);
    }();
  }
  Value result = forall.getResult(0);
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
    // A loop over the K choices, not K copies of its body (K may be
    // large; LLVM unrolls the usual few).
    Value acc = e.loop(
        e.idx(0), e.idx(k), {e.f32(0.0)},
        [&](Value j, ValueRange sum) -> SmallVector<Value> {
          Value slot = tensor::ExtractOp::create(nb, op.getSlotOf(),
                                                 ValueRange{token, j});
          Value weight = tensor::ExtractOp::create(nb, op.getWeights(),
                                                   ValueRange{token, j});
          Value kept = e.cmpi(arith::CmpIPredicate::sge, slot, e.i32(0));
          // A dropped assignment reads nothing: there may be no rows.
          auto ifKept = scf::IfOp::create(nb, TypeRange{nb.getF32Type()}, kept,
                                          /*withElseRegion=*/true);
          OpBuilder::InsertionGuard guard(nb);
          nb.setInsertionPointToStart(ifKept.thenBlock());
          Value v = tensor::ExtractOp::create(nb, op.getExpertOutput(),
                                              ValueRange{e.toIndex(slot), col});
          scf::YieldOp::create(nb, e.addf(sum[0], e.mulf(weight, v)));
          nb.setInsertionPointToStart(ifKept.elseBlock());
          scf::YieldOp::create(nb, sum[0]);
          return {ifKept.getResult(0)};
        })[0];
    return e.truncTo(outType.getElementType(), acc);
  });
  rewriter.replaceOp(op, y);
  return success();
}
