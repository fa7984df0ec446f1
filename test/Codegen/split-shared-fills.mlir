// RUN: hmoe-opt --hmoe-split-shared-fills %s | FileCheck %s

// One zero accumulator (what CSE makes of two equal empty + fill pairs)
// written by two contractions and read by an add: each contraction gets an
// empty and a fill of its own, the add keeps the original fill.
// CHECK-LABEL: func.func @shared
// CHECK-SAME: (%[[A:.*]]: tensor<?x8xf32>, %[[W:.*]]: tensor<8x4xf32>, %[[U:.*]]: tensor<8x4xf32>)
// CHECK: %[[E0:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK: %[[E1:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<?x4xf32>)
// CHECK: %[[E2:.*]] = tensor.empty(%{{.*}}) : tensor<?x4xf32>
// CHECK: %[[F2:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E2]] : tensor<?x4xf32>)
// CHECK: %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<?x4xf32>)
// CHECK: %[[G1:.*]] = linalg.matmul ins(%[[A]], %[[W]] : {{.*}}) outs(%[[F1]] : tensor<?x4xf32>)
// CHECK: %[[G2:.*]] = linalg.matmul ins(%[[A]], %[[U]] : {{.*}}) outs(%[[F2]] : tensor<?x4xf32>)
// CHECK: linalg.add ins(%[[G1]], %[[F0]] : {{.*}}) outs(%[[G2]] : tensor<?x4xf32>)
func.func @shared(%a: tensor<?x8xf32>, %w: tensor<8x4xf32>, %u: tensor<8x4xf32>)
    -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %a, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %g1 = linalg.matmul ins(%a, %w : tensor<?x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<?x4xf32>) -> tensor<?x4xf32>
  %g2 = linalg.matmul ins(%a, %u : tensor<?x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<?x4xf32>) -> tensor<?x4xf32>
  %s = linalg.add ins(%g1, %f : tensor<?x4xf32>, tensor<?x4xf32>)
      outs(%g2 : tensor<?x4xf32>) -> tensor<?x4xf32>
  return %s : tensor<?x4xf32>
}

// Two writers and no reader: the first keeps the fill, the second gets
// its own.
// CHECK-LABEL: func.func @two_writers
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<2x4xf32>
// CHECK: %[[F1:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E1]] : tensor<2x4xf32>)
// CHECK: %[[F0:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E0]] : tensor<2x4xf32>)
// CHECK: linalg.matmul {{.*}} outs(%[[F0]] : tensor<2x4xf32>)
// CHECK: linalg.matmul {{.*}} outs(%[[F1]] : tensor<2x4xf32>)
func.func @two_writers(%a: tensor<2x8xf32>, %w: tensor<8x4xf32>)
    -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %g1 = linalg.matmul ins(%a, %w : tensor<2x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %g2 = linalg.matmul ins(%a, %w : tensor<2x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %g1, %g2 : tensor<2x4xf32>, tensor<2x4xf32>
}

// A fill written once, and one of a tensor that is not a tensor.empty
// (two fills into one tensor would conflict again): left as they are.
// CHECK-LABEL: func.func @left_alone
// CHECK-COUNT-2: linalg.fill
// CHECK-NOT: linalg.fill
// CHECK-NOT: tensor.empty
// CHECK: return
func.func @left_alone(%a: tensor<2x8xf32>, %w: tensor<8x4xf32>,
                      %d: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
  %zero = arith.constant 0.0 : f32
  %f = linalg.fill ins(%zero : f32) outs(%d : tensor<2x4xf32>) -> tensor<2x4xf32>
  %g1 = linalg.matmul ins(%a, %w : tensor<2x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %g2 = linalg.matmul ins(%a, %w : tensor<2x8xf32>, tensor<8x4xf32>)
      outs(%f : tensor<2x4xf32>) -> tensor<2x4xf32>
  %e = tensor.empty() : tensor<2x4xf32>
  %f2 = linalg.fill ins(%zero : f32) outs(%e : tensor<2x4xf32>) -> tensor<2x4xf32>
  %g3 = linalg.matmul ins(%a, %w : tensor<2x8xf32>, tensor<8x4xf32>)
      outs(%f2 : tensor<2x4xf32>) -> tensor<2x4xf32>
  return %g1, %g2, %g3 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
}
