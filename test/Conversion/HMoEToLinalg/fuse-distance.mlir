// RUN: hmoe-opt --hmoe-fuse-distance --canonicalize --split-input-file %s | FileCheck %s

// Laplace in the centred GEMM form: the mean gate row m (finite elements,
// each scaled by 1/rows) and the rows w' = w - m; per row ||w'||^2 and m.w';
// per token ||x - m||^2; x.w'^T as a plain multiply-add contraction (no
// subtraction in the loop). One epilogue forms
// d^2 = ||x - m||^2 + ||w'||^2 + 2 m.w' - 2 x.w', keeps it (square root,
// negation, bias) only where it is at least 1/16 of the magnitude of its
// terms, which are finite and above 2^-100, and writes NaN elsewhere.
// CHECK-LABEL: func.func @laplace
// CHECK-DAG: %[[NAN:.*]] = arith.constant 0x7FC00000 : f32
// CHECK-DAG: %[[TINY:.*]] = arith.constant 7.88860905E-31 : f32
// CHECK-DAG: %[[LIMIT:.*]] = arith.constant 6.250000e-02 : f32
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[QUARTER:.*]] = arith.constant 2.500000e-01 : f32
// CHECK-DAG: %[[INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[M:.*]] = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} ins(%arg1 : tensor<4x16xf32>)
// CHECK:   %[[ABS:.*]] = math.absf %[[IN:.*]] : f32
// CHECK:   %[[FINITE:.*]] = arith.cmpf olt, %[[ABS]], %[[INF]]
// CHECK:   %[[PART:.*]] = arith.mulf %[[IN]], %[[QUARTER]]
// CHECK:   arith.select %[[FINITE]], %[[PART]]
// CHECK: %[[SHIFTED:.*]] = linalg.generic {{.*}}["parallel", "parallel"]} ins(%arg1, %[[M]] : tensor<4x16xf32>, tensor<16xf32>)
// CHECK:   arith.subf
// The gate rows' terms are summed in f64 and rounded once.
// CHECK: %[[SQ64:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%[[SHIFTED]], %[[M]] : {{.*}}) outs({{.*}} : tensor<4xf64>)
// CHECK:   %[[S64:.*]] = arith.extf {{.*}} : f32 to f64
// CHECK:   arith.mulf %[[S64]], %[[S64]] : f64
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}["parallel"]} ins(%[[SQ64]] : tensor<4xf64>) outs({{.*}} : tensor<4xf32>)
// CHECK:   arith.truncf {{.*}} : f64 to f32
// CHECK: %[[CROSS64:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%[[SHIFTED]], %[[M]] : {{.*}}) outs({{.*}} : tensor<4xf64>)
// CHECK: %[[CROSS:.*]] = linalg.generic {{.*}}["parallel"]} ins(%[[CROSS64]] : tensor<4xf64>) outs({{.*}} : tensor<4xf32>)
// CHECK: %[[XX:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%arg0, %[[M]] : tensor<?x16xf32>, tensor<16xf32>)
// CHECK:   arith.subf
// CHECK: %[[DOT:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]} ins(%arg0, %[[SHIFTED]] : tensor<?x16xf32>, tensor<4x16xf32>)
// CHECK-NOT: arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}}["parallel", "parallel"]} ins(%arg2, %[[XX]], %[[SQ]], %[[CROSS]] : {{.*}}) outs(%[[DOT]] : tensor<?x4xf32>)
// CHECK:   ^bb0(%[[B:.*]]: f32, %[[X2:.*]]: f32, %[[S2:.*]]: f32, %[[C:.*]]: f32, %[[G:.*]]: f32):
// CHECK:   %[[TWOC:.*]] = arith.mulf %[[C]], %[[TWO]]
// CHECK:   %[[TWOG:.*]] = arith.mulf %[[G]], %[[TWO]]
// CHECK:   %[[ROW:.*]] = arith.addf %[[S2]], %[[TWOC]]
// CHECK:   %[[SUM:.*]] = arith.addf %[[X2]], %[[ROW]]
// CHECK:   %[[D2:.*]] = arith.subf %[[SUM]], %[[TWOG]]
// CHECK:   %[[SCALED:.*]] = arith.mulf %[[MAG:.*]], %[[LIMIT]] : f32
// CHECK:   %[[BIG:.*]] = arith.cmpf oge, %[[D2]], %[[SCALED]]
// CHECK:   %[[FIN:.*]] = arith.cmpf olt, %[[MAG]], %[[INF]]
// CHECK:   %[[K1:.*]] = arith.andi %[[BIG]], %[[FIN]]
// CHECK:   %[[NORMAL:.*]] = arith.cmpf oge, %[[MAG]], %[[TINY]]
// CHECK:   %[[KEEP:.*]] = arith.andi %[[K1]], %[[NORMAL]]
// CHECK:   %[[DIST:.*]] = math.sqrt %[[D2]]
// CHECK:   %[[NEG:.*]] = arith.negf %[[DIST]]
// CHECK:   %[[SCORE:.*]] = arith.addf %[[NEG]], %[[B]]
// CHECK:   arith.select %[[KEEP]], %[[SCORE]], %[[NAN]]
// The NaN-marked pairs (and NaN inputs) are recomputed in the direct form,
// summed in f64, 8 lanes at a time over the rows (16 = 2 chunks, no tail).
// CHECK: linalg.generic {{.*}}["parallel", "parallel"]} ins(%arg2 : tensor<4xf32>) outs(%[[EPI]] : tensor<?x4xf32>)
// CHECK:   %[[T:.*]] = linalg.index 0
// CHECK:   %[[R:.*]] = linalg.index 1
// CHECK:   %[[MARKED:.*]] = arith.cmpf uno
// CHECK:   scf.if %[[MARKED]] -> (f32) {
// CHECK:     scf.for {{.*}} -> (vector<8xf64>) {
// CHECK:       vector.transfer_read %arg0[%[[T]], {{.*}} : tensor<?x16xf32>, vector<8xf32>
// CHECK:       vector.transfer_read %arg1[%[[R]], {{.*}} : tensor<4x16xf32>, vector<8xf32>
// CHECK:       %[[DIFF:.*]] = arith.subf {{.*}} : vector<8xf64>
// CHECK:       vector.fma %[[DIFF]], %[[DIFF]]
// CHECK-NOT:   scf.for
// CHECK:     vector.reduction <add>
// CHECK:     math.sqrt {{.*}} : f64
// CHECK:     arith.truncf {{.*}} : f64 to f32
// CHECK:   } else {
func.func @laplace(%x: tensor<?x16xf32>, %w: tensor<4x16xf32>,
                   %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<4x16xf32>,
      bias %b : tensor<4xf32> -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// -----

// Gaussian with constant weights: the centred rows fold (m = [2, 2.5],
// w' = [[1, 1.5], [-1, -1.5]], ||w'||^2 = 3.25, m.w' = +-5.75), only the
// token norms are computed per call, there is no square root, batched gates
// [P, N, D] are collapsed for the contraction and expanded back, and a tail
// of D % 8 elements is summed one by one in the recomputation.
// CHECK-LABEL: func.func @gaussian_constant
// CHECK-DAG: %[[M:.*]] = arith.constant dense<[2.000000e+00, 2.500000e+00]> : tensor<2xf32>
// CHECK-DAG: %[[SHIFTED:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 1.500000e+00], [-1.000000e+00, -1.500000e+00]]> : tensor<2x2xf32>
// CHECK-DAG: %[[SQ:.*]] = arith.constant dense<3.250000e+00> : tensor<2xf32>
// CHECK-DAG: %[[CROSS:.*]] = arith.constant dense<[5.750000e+00, -5.750000e+00]> : tensor<2xf32>
// CHECK: %[[XX:.*]] = linalg.generic {{.*}}["parallel", "reduction"]} ins(%arg0, %[[M]] :
// CHECK: %[[DOT:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]} ins(%arg0, %[[SHIFTED]] :
// CHECK-NOT: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: linalg.generic {{.*}} ins(%[[XX]], %[[SQ]], %[[CROSS]] : tensor<?xf32>, tensor<2xf32>, tensor<2xf32>) outs(%[[DOT]]
// CHECK-NOT: math.sqrt
// CHECK:   arith.negf
// CHECK:   scf.if
// CHECK-NOT: vector.transfer_read
// CHECK:     scf.for {{.*}} -> (f64)
// CHECK: tensor.expand_shape {{.*}} into tensor<?x1x2xf32>
func.func @gaussian_constant(%x: tensor<?x2xf32>) -> tensor<?x1x2xf32> {
  %w = arith.constant dense<[[[3.0, 4.0], [1.0, 1.0]]]> : tensor<1x2x2xf32>
  %s = hmoe.score gaussian %x : tensor<?x2xf32>, %w : tensor<1x2x2xf32>
      -> tensor<?x1x2xf32>
  return %s : tensor<?x1x2xf32>
}

// -----

// A splat constant folds whatever its size (no loop over its 2^36
// elements): every row is the centre.
// CHECK-LABEL: func.func @splat_constant
// CHECK-DAG: arith.constant dense<2.000000e+00> : tensor<1048576xf32>
// CHECK-DAG: arith.constant dense<0.000000e+00> : tensor<65536x1048576xf32>
// CHECK-DAG: arith.constant dense<0.000000e+00> : tensor<65536xf32>
func.func @splat_constant(%x: tensor<?x1048576xf32>) -> tensor<?x65536xf32> {
  %w = arith.constant dense<2.0> : tensor<65536x1048576xf32>
  %s = hmoe.score gaussian %x : tensor<?x1048576xf32>,
      %w : tensor<65536x1048576xf32> -> tensor<?x65536xf32>
  return %s : tensor<?x65536xf32>
}

// -----

// Linear and activation scores are not distances: left for
// convert-hmoe-to-linalg.
// CHECK-LABEL: func.func @linear_untouched
// CHECK: hmoe.score linear
// CHECK-NOT: linalg.generic
func.func @linear_untouched(%x: tensor<?x16xf32>, %w: tensor<4x16xf32>)
    -> tensor<?x4xf32> {
  %s = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<4x16xf32>
      -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// -----

// A whole layer is decomposed first; both Laplace levels take the GEMM form
// and the other stages stay hmoe ops.
// CHECK-LABEL: func.func @layer
// CHECK-NOT: hmoe.score
// CHECK-NOT: hmoe.moe
// CHECK-COUNT-2: math.sqrt {{.*}} : f32
// CHECK: hmoe.route
// CHECK: hmoe.dispatch
// CHECK: hmoe.experts
// CHECK: hmoe.combine
func.func @layer(%x: tensor<?x8xf32>, %g1: tensor<2x8xf32>,
                 %g2: tensor<2x3x8xf32>, %w1: tensor<6x8x8xf32>)
    -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 1>, weight %g1 : tensor<2x8xf32>)
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g2 : tensor<2x3x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<6x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
