// RUN: hmoe-opt --convert-hmoe-to-linalg --split-input-file %s | FileCheck %s

// Scores are a contraction over D plus an element-wise epilogue; the
// Laplace distance is the direct form (sum of squared differences, then
// sqrt), which needs no clamp. It sums in f64, where no f32 input overflows
// or underflows, and rounds the distance to f32 after the square root.
// CHECK-LABEL: func.func @score_laplace
// CHECK: linalg.fill {{.*}} -> tensor<?x32xf64>
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   arith.extf {{.*}} f32 to f64
// CHECK:   arith.subf {{.*}} : f64
// CHECK:   arith.mulf {{.*}} : f64
// CHECK:   arith.addf {{.*}} : f64
// CHECK: linalg.generic
// CHECK:   math.sqrt {{.*}} : f64
// CHECK:   arith.truncf
// CHECK:   arith.negf
// CHECK: } -> tensor<?x32xf32>
// CHECK: tensor.expand_shape
// CHECK-NOT: hmoe.
func.func @score_laplace(%x: tensor<?x16xf32>, %w: tensor<4x8x16xf32>)
    -> tensor<?x4x8xf32> {
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<4x8x16xf32>
      -> tensor<?x4x8xf32>
  return %s : tensor<?x4x8xf32>
}

// -----

// Routing is a parallel loop over tokens with per-token stack scratch.
// CHECK-LABEL: func.func @route_group_limited
// CHECK: bufferization.to_buffer %{{.*}} read_only
// CHECK: memref.alloc
// CHECK: scf.parallel
// CHECK:   memref.alloca_scope
// CHECK:     math.exp
// CHECK:     memref.alloca
// CHECK: bufferization.to_tensor {{.*}} restrict writable
// CHECK-NOT: hmoe.
func.func @route_group_limited(%l: tensor<?x12xf32>, %o16: tensor<?x3xf32>, %o17: tensor<?x3xi32>, %o18: tensor<?x12xf32>)
    -> (tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x12xf32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<group_limited, groups = 3,
                                         k_groups = 2, group_score = max>
      level(#hmoe.gate<linear, softmax, k = 3>, logits %l : tensor<?x12xf32>) outs(%o16, %o17, %o18 : tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x12xf32>) -> tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x12xf32>
  return %w, %e, %p : tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x12xf32>
}

// -----

// Dispatch is a stable counting sort; the capacity is ceil(c * T * K / E).
// CHECK-LABEL: func.func @dispatch_capacity
// CHECK: math.ceil
// CHECK: scf.for
// CHECK:   scf.for
// CHECK:     scf.if
// CHECK-NOT: hmoe.
func.func @dispatch_capacity(%e: tensor<?x2xi32>, %o19: tensor<?xi32>, %o20: tensor<?x2xi32>, %o21: tensor<9xi32>)
    -> (tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) {
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 capacity_factor 1.25 outs(%o19, %o20, %o21 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  return %st, %so, %off : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
}

// -----

// Combine gathers each token's kept expert outputs in selection order.
// CHECK-LABEL: func.func @combine
// CHECK: linalg.generic
// CHECK:   scf.if
// CHECK:     tensor.extract
// CHECK-NOT: hmoe.
func.func @combine(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>,
                   %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
