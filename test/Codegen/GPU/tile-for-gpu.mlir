// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu))' %s | FileCheck %s

// A contraction: blocks of 16 rows over the dynamic tokens, then 16 x 16
// threads over its two parallel loops, each thread a tile of the block's.
// CHECK-LABEL: func.func @contraction
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[INIT:.*]]: tensor<?x32xf32>)
// CHECK: %[[T:.*]] = tensor.dim %[[X]]
// CHECK: %[[R:.*]] = scf.forall (%[[ROW:.*]]) = (0) to (%[[T]]) step (16) shared_outs(%[[BOUT:.*]] = %[[INIT]])
// CHECK:   %[[XB:.*]] = tensor.extract_slice %[[X]][%[[ROW]], 0]
// CHECK:   %[[OB:.*]] = tensor.extract_slice %[[BOUT]][%[[ROW]], 0]
// CHECK:   %[[TR:.*]] = scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16) shared_outs(%[[TOUT:.*]] = %[[OB]])
// CHECK:     %[[XT:.*]] = tensor.extract_slice %[[XB]]
// CHECK:     %[[OT:.*]] = tensor.extract_slice %[[TOUT]]
// CHECK:     %[[G:.*]] = linalg.generic {{.*}} ins(%[[XT]], %{{.*}} : tensor<?x16xf32>, tensor<2x16xf32>) outs(%[[OT]] : tensor<?x2xf32>)
// CHECK:     tensor.parallel_insert_slice %[[G]] into %[[TOUT]]
// CHECK:   } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK:   tensor.parallel_insert_slice %[[TR]] into %[[BOUT]][%[[ROW]], 0]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: return %[[R]]
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @contraction(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>,
                       %init: tensor<?x32xf32>) -> tensor<?x32xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x16xf32>, tensor<32x16xf32>)
      outs(%init : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Routing: blocks of 256 tokens, one token per thread (a linear mapping),
// through hmoe.route's TilingInterface; dispatch stays at the top level
// (hmoe-distribute-dispatch takes it after bufferization); ops that are not
// destination-passing
// (tensor.generate) become linalg first and tile like the rest.
// CHECK-LABEL: func.func @routing
// CHECK: scf.forall (%[[TOK:.*]]) = (0) to (%{{.*}}) step (256) shared_outs(
// CHECK:   scf.forall (%{{.*}}) in (256) shared_outs(
// CHECK:     hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %{{.*}} : tensor<?x4xf32>)
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NEXT: %[[SLOTS:.*]] = arith.muli
// CHECK-NEXT: tensor.empty(%[[SLOTS]])
// CHECK-NEXT: tensor.empty
// CHECK-NEXT: tensor.empty
// CHECK-NEXT: hmoe.dispatch
// CHECK-NOT: tensor.generate
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (256)
// CHECK:   scf.forall (%{{.*}}) in (256)
// CHECK:     linalg.generic
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @routing(%logits: tensor<?x4xf32>)
    -> (tensor<?x2xf32>, tensor<?xi32>, tensor<5xi32>, tensor<?xi32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %logits, %c0 : tensor<?x4xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x4xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %logits : tensor<?x4xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>
  %c2 = arith.constant 2 : index
  %slots = arith.muli %t, %c2 : index
  %st0 = tensor.empty(%slots) : tensor<?xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<5xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 4
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
  %ids = tensor.generate %t {
  ^bb0(%i: index):
    %v = arith.index_cast %i : index to i32
    tensor.yield %v : i32
  } : tensor<?xi32>
  return %w, %st, %off, %ids : tensor<?x2xf32>, tensor<?xi32>, tensor<5xi32>, tensor<?xi32>
}

// -----

// The loop over experts becomes the block loop (one block per expert), its
// ops distributed over the block's threads; statistics whose outputs CSE
// merged into one tensor.empty get one each again (one value bound to two
// outputs would be bufferized into one buffer), and stay at the top level
// for hmoe-distribute-stats.
// CHECK-LABEL: func.func @experts_and_stats
// CHECK: scf.forall (%[[E:.*]]) in (4) shared_outs(
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// CHECK:     linalg.fill
// CHECK:   } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: %[[A:.*]] = tensor.empty() : tensor<f32>
// CHECK: %[[B:.*]] = tensor.empty() : tensor<f32>
// CHECK-NOT: scf.forall
// CHECK: hmoe.stats [load, r_intra, r_inter] {{.*}} outs(%{{.*}}, %[[A]], %[[B]] :
func.func @experts_and_stats(%init: tensor<8x16xf32>, %probs: tensor<?x4xf32>,
                             %experts: tensor<?x2xi32>)
    -> (tensor<8x16xf32>, tensor<f32>, tensor<f32>) {
  %cst = arith.constant 0.0 : f32
  %y = scf.forall (%e) in (4) shared_outs(%acc = %init) -> (tensor<8x16xf32>) {
    %c2 = arith.constant 2 : index
    %lo = arith.muli %e, %c2 : index
    %rows = tensor.extract_slice %acc[%lo, 0] [2, 16] [1, 1]
        : tensor<8x16xf32> to tensor<2x16xf32>
    %z = linalg.fill ins(%cst : f32) outs(%rows : tensor<2x16xf32>) -> tensor<2x16xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %z into %acc[%lo, 0] [2, 16] [1, 1]
          : tensor<2x16xf32> into tensor<8x16xf32>
    }
  }
  %s = tensor.empty() : tensor<f32>
  %load0 = tensor.empty() : tensor<4xi64>
  %l, %ri, %re = hmoe.stats [load, r_intra, r_inter] probs %probs : tensor<?x4xf32>,
      experts %experts : tensor<?x2xi32> outs(%load0, %s, %s : tensor<4xi64>, tensor<f32>, tensor<f32>)
      {groups = 2 : i64, lambda_inter = 5.000000e-02 : f64, lambda_intra = 1.000000e-01 : f64}
      -> tensor<4xi64>, tensor<f32>, tensor<f32>
  return %y, %ri, %re : tensor<8x16xf32>, tensor<f32>, tensor<f32>
}

// -----

// An op whose iteration space is empty (0 columns) leaves its destination
// as it is: no loops (upstream's tiling by a number of threads crashed on
// it).
// CHECK-LABEL: func.func @empty_columns
// CHECK-SAME: (%{{.*}}: tensor<5x0xf32>, %[[INIT:.*]]: tensor<5x0xf32>)
// CHECK-NOT: scf.forall
// CHECK-NOT: linalg.generic
// CHECK: return %[[INIT]]
func.func @empty_columns(%x: tensor<5x0xf32>, %init: tensor<5x0xf32>)
    -> tensor<5x0xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                        affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<5x0xf32>) outs(%init : tensor<5x0xf32>) {
  ^bb0(%a: f32, %b: f32):
    linalg.yield %a : f32
  } -> tensor<5x0xf32>
  return %r : tensor<5x0xf32>
}
