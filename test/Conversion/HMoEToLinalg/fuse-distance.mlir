// RUN: hmoe-opt --hmoe-fuse-distance --split-input-file %s | FileCheck %s

// Laplace: x.W^T as a plain multiply-add contraction (no subtraction in the
// loop), ||x||^2 per token, ||w||^2 per gate row, one epilogue that clamps
// at 0 before the square root, then negates and adds the bias.
// CHECK-LABEL: func.func @laplace
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[DOT:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg0, %arg1 : tensor<?x16xf32>, tensor<4x16xf32>)
// CHECK-NOT: arith.subf
// CHECK:   arith.mulf
// CHECK:   arith.addf
// CHECK: %[[XX:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg0 : tensor<?x16xf32>)
// CHECK: %[[WW:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%arg1 : tensor<4x16xf32>)
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%arg2, %[[XX]], %[[WW]] : {{.*}}) outs(%[[DOT]] : tensor<?x4xf32>)
// CHECK:   %[[SUM:.*]] = arith.addf
// CHECK:   %[[TWICE:.*]] = arith.mulf %[[TWO]]
// CHECK:   %[[D2:.*]] = arith.subf %[[SUM]], %[[TWICE]]
// CHECK:   %[[CLAMPED:.*]] = arith.maximumf %[[D2]], %[[ZERO]]
// CHECK:   %[[DIST:.*]] = math.sqrt %[[CLAMPED]]
// CHECK:   %[[NEG:.*]] = arith.negf %[[DIST]]
// CHECK:   arith.addf %[[NEG]]
// Pairs whose ||x||^2 + ||w||^2 is not a normal finite f32 (overflow, inf,
// NaN, underflow) are recomputed in the direct form, summed in f64.
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]{{.*}} ins(%[[XX]], %[[WW]], %arg2 : {{.*}}) outs(
// CHECK:   %[[NORMS:.*]] = arith.addf
// CHECK:   arith.cmpf olt, %[[NORMS]]
// CHECK:   arith.cmpf oge, %[[NORMS]]
// CHECK:   scf.if {{.*}} -> (f32) {
// CHECK-NEXT: scf.yield
// CHECK:   } else {
// CHECK:     scf.for {{.*}} -> (f64) {
// CHECK:       arith.subf {{.*}} : f64
// CHECK:     math.sqrt {{.*}} : f64
// CHECK:     arith.truncf {{.*}} : f64 to f32
func.func @laplace(%x: tensor<?x16xf32>, %w: tensor<4x16xf32>,
                   %b: tensor<4xf32>) -> tensor<?x4xf32> {
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<4x16xf32>,
      bias %b : tensor<4xf32> -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// -----

// Gaussian with constant weights: ||w||^2 is folded (3^2 + 4^2 = 25 and
// 1 + 1 = 2), there is no square root, and batched gates [P, N, D] are
// collapsed for the contraction and expanded back.
// CHECK-LABEL: func.func @gaussian_constant
// CHECK: %[[WW:.*]] = arith.constant dense<[2.500000e+01, 2.000000e+00]> : tensor<2xf32>
// CHECK: %[[DOT:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]
// CHECK: %[[XX:.*]] = linalg.generic {{.*}}["parallel", "reduction"]
// CHECK-NOT: linalg.generic {{.*}}["parallel", "reduction"]
// CHECK: linalg.generic {{.*}} ins(%[[XX]], %[[WW]] : tensor<?xf32>, tensor<2xf32>) outs(%[[DOT]]
// CHECK:   arith.maximumf
// CHECK-NOT: math.sqrt
// CHECK:   arith.negf
// CHECK: tensor.expand_shape {{.*}} into tensor<?x1x2xf32>
func.func @gaussian_constant(%x: tensor<?x2xf32>) -> tensor<?x1x2xf32> {
  %w = arith.constant dense<[[[3.0, 4.0], [1.0, 1.0]]]> : tensor<1x2x2xf32>
  %s = hmoe.score gaussian %x : tensor<?x2xf32>, %w : tensor<1x2x2xf32>
      -> tensor<?x1x2xf32>
  return %s : tensor<?x1x2xf32>
}

// -----

// A splat constant folds to one norm whatever its size (no loop over its
// 2^36 elements): 2^20 * 2^2 = 4194304 = 0x4A800000.
// CHECK-LABEL: func.func @splat_constant
// CHECK: arith.constant dense<0x4A800000> : tensor<65536xf32>
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
// CHECK-COUNT-2: math.sqrt
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
