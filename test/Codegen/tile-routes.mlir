// RUN: hmoe-opt %s --hmoe-tile-routes=tile-size=32 --split-input-file | FileCheck %s
// RUN: not hmoe-opt %s --hmoe-tile-routes=tile-size=0 --split-input-file 2>&1 | FileCheck %s --check-prefix=ZERO

// ZERO: error: hmoe-tile-routes: tile-size must be at least 1, got 0

// Routing tiles over tokens through TilingInterface: a forall over tiles of
// 32 tokens whose destinations are the forall's shared outputs; each tile
// routes its rows of every level's logits (rank 2 and per-node rank 3) into
// its rows of the destinations; the selection bias is shared by all tokens
// and passed whole.
// CHECK-LABEL: func.func @tile_nested
// CHECK-SAME: (%[[L1:.*]]: tensor<?x4xf32>, %[[L2:.*]]: tensor<?x4x8xf32>, %[[B2:.*]]: tensor<4x8xf32>, %[[W0:.*]]: tensor<?x4xf32>, %[[E0:.*]]: tensor<?x4xi32>, %[[P0:.*]]: tensor<?x32xf32>)
// CHECK: %[[T:.*]] = tensor.dim %[[W0]], %{{.*}} : tensor<?x4xf32>
// CHECK: %[[R:.*]]:3 = scf.forall (%[[I:.*]]) = (0) to (%[[T]]) step (32) shared_outs(%[[WS:.*]] = %[[W0]], %[[ES:.*]] = %[[E0]], %[[PS:.*]] = %[[P0]])
// CHECK:   %[[N:.*]] = affine.min #{{.*}}(%[[I]])[%[[T]]]
// CHECK:   %[[L1T:.*]] = tensor.extract_slice %[[L1]][%[[I]], 0] [%[[N]], 4] [1, 1]
// CHECK:   %[[L2T:.*]] = tensor.extract_slice %[[L2]][%[[I]], 0, 0] [%[[N]], 4, 8] [1, 1, 1]
// CHECK:   %[[WT:.*]] = tensor.extract_slice %[[WS]][%[[I]], 0] [%[[N]], 4] [1, 1]
// CHECK:   %[[ET:.*]] = tensor.extract_slice %[[ES]][%[[I]], 0] [%[[N]], 4] [1, 1]
// CHECK:   %[[PT:.*]] = tensor.extract_slice %[[PS]][%[[I]], 0] [%[[N]], 32] [1, 1]
// CHECK:   %[[TILE:.*]]:3 = hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, logits %[[L1T]] : tensor<?x4xf32>)
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, logits %[[L2T]] : tensor<?x4x8xf32>, selection_bias %[[B2]] : tensor<4x8xf32>) outs(%[[WT]], %[[ET]], %[[PT]] :
// CHECK:   scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[TILE]]#0 into %[[WS]][%[[I]], 0] [%[[N]], 4] [1, 1]
// CHECK-NEXT: tensor.parallel_insert_slice %[[TILE]]#1 into %[[ES]][%[[I]], 0] [%[[N]], 4] [1, 1]
// CHECK-NEXT: tensor.parallel_insert_slice %[[TILE]]#2 into %[[PS]][%[[I]], 0] [%[[N]], 32] [1, 1]
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @tile_nested(%l1: tensor<?x4xf32>, %l2: tensor<?x4x8xf32>, %b2: tensor<4x8xf32>,
                       %w0: tensor<?x4xf32>, %e0: tensor<?x4xi32>, %p0: tensor<?x32xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %l1 : tensor<?x4xf32>)
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %l2 : tensor<?x4x8xf32>, selection_bias %b2 : tensor<4x8xf32>)
      outs(%w0, %e0, %p0 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>)
      -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>
  return %w, %e, %p : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x32xf32>
}

// -----

// Static token counts: the last tile is partial (100 = 3 x 32 + 4), so tiles
// have a dynamic token count; the router scale is passed whole.
// CHECK-LABEL: func.func @static_tokens
// CHECK-SAME: (%[[L:.*]]: tensor<100x8xf32>, %[[S:.*]]: tensor<8xf32>,
// CHECK: scf.forall (%[[I:.*]]) = (0) to (100) step (32)
// CHECK:   %[[N:.*]] = affine.min #{{.*}}(%[[I]])
// CHECK:   %[[LT:.*]] = tensor.extract_slice %[[L]][%[[I]], 0] [%[[N]], 8] [1, 1] : tensor<100x8xf32> to tensor<?x8xf32>
// CHECK:   hmoe.route #hmoe.strategy<per_group, groups = 2>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %[[LT]] : tensor<?x8xf32>)
// CHECK-SAME: router_scale %[[S]] : tensor<8xf32> outs({{.*}}) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
func.func @static_tokens(%l: tensor<100x8xf32>, %s: tensor<8xf32>, %w0: tensor<100x4xf32>, %e0: tensor<100x4xi32>, %p0: tensor<100x8xf32>)
    -> (tensor<100x4xf32>, tensor<100x4xi32>, tensor<100x8xf32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<100x8xf32>)
      router_scale %s : tensor<8xf32>
      outs(%w0, %e0, %p0 : tensor<100x4xf32>, tensor<100x4xi32>, tensor<100x8xf32>)
      -> tensor<100x4xf32>, tensor<100x4xi32>, tensor<100x8xf32>
  return %w, %e, %p : tensor<100x4xf32>, tensor<100x4xi32>, tensor<100x8xf32>
}

// -----

// Routing on buffers is left to hmoe-lower-routing-to-loops.
// CHECK-LABEL: func.func @memref_form_untouched
// CHECK-NOT: scf.forall
// CHECK: hmoe.route
func.func @memref_form_untouched(%l: memref<?x8xf32>, %w0: memref<?x2xf32>, %e0: memref<?x2xi32>, %p0: memref<?x8xf32>) {
  hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x8xf32>)
      outs(%w0, %e0, %p0 : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>)
  return
}
