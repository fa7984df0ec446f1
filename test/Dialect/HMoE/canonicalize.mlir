// RUN: hmoe-opt %s --canonicalize --split-input-file | FileCheck %s

// A level that chooses all its children (k == N) keeps its selection bias:
// the bias orders the choices (the route's output order; with capacity in
// choice_rank fill order, which choices an expert keeps). Dropping it here
// once gave wrong results for such layers.
// CHECK-LABEL: func.func @keep_selection_bias_dense_level
// CHECK: hmoe.moe
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, weight %{{.*}} : tensor<4x16xf32>, selection_bias %{{.*}} : tensor<4xf32>)
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, weight %{{.*}} : tensor<2x16xf32>, selection_bias %{{.*}} : tensor<2xf32>)
// CHECK-NEXT: experts
func.func @keep_selection_bias_dense_level(
    %x: tensor<?x16xf32>, %g1: tensor<4x16xf32>, %s1: tensor<4xf32>,
    %g2: tensor<2x16xf32>, %s2: tensor<2xf32>, %a: tensor<8x16x16xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g1 : tensor<4x16xf32>, selection_bias %s1 : tensor<4xf32>)
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g2 : tensor<2x16xf32>, selection_bias %s2 : tensor<2xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) capacity_factor 0.5 fill_order choice_rank
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Per-group routing that takes every expert of each group: the bias orders
// them.
// CHECK-LABEL: func.func @keep_selection_bias_per_group_dense
// CHECK: hmoe.route #hmoe.strategy<per_group, groups = 2>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 4>, logits %{{.*}} : tensor<?x8xf32>, selection_bias %{{.*}} : tensor<8xf32>) outs(
func.func @keep_selection_bias_per_group_dense(%l: tensor<?x8xf32>, %s: tensor<8xf32>, %o1: tensor<?x8xf32>, %o2: tensor<?x8xi32>, %o3: tensor<?x8xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 4>, logits %l : tensor<?x8xf32>, selection_bias %s : tensor<8xf32>) outs(%o1, %o2, %o3 : tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x8xf32>) -> tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x8xf32>
  return %w, %e : tensor<?x8xf32>, tensor<?x8xi32>
}

// -----

// Sparse selection keeps its bias.
// CHECK-LABEL: func.func @keep_selection_bias
// CHECK: selection_bias
func.func @keep_selection_bias(%l: tensor<?x8xf32>, %s: tensor<8xf32>, %o4: tensor<?x6xf32>, %o5: tensor<?x6xi32>, %o6: tensor<?x8xf32>)
    -> (tensor<?x6xf32>, tensor<?x6xi32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 3>, logits %l : tensor<?x8xf32>, selection_bias %s : tensor<8xf32>) outs(%o4, %o5, %o6 : tensor<?x6xf32>, tensor<?x6xi32>, tensor<?x8xf32>) -> tensor<?x6xf32>, tensor<?x6xi32>, tensor<?x8xf32>
  return %w, %e : tensor<?x6xf32>, tensor<?x6xi32>
}

// -----

// Group-limited routing that keeps every group is a flat top-k; the
// selection bias still chooses the experts, so it stays.
// CHECK-LABEL: func.func @group_limited_all_groups_is_flat
// CHECK: hmoe.moe %{{.*}} : tensor<?x16xf32>, #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, sigmoid, k = 2>, weight %{{.*}} : tensor<8x16xf32>, selection_bias %{{.*}} : tensor<8xf32>)
func.func @group_limited_all_groups_is_flat(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %s: tensor<8xf32>,
                                            %a: tensor<8x16x16xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>,
        #hmoe.strategy<group_limited, groups = 4, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 2>, weight %g : tensor<8x16xf32>, selection_bias %s : tensor<8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// One group: per-group routing is a flat top-k.
// CHECK-LABEL: func.func @per_group_single_group_is_flat
// CHECK: hmoe.route #hmoe.strategy<nested>
func.func @per_group_single_group_is_flat(%l: tensor<?x8xf32>, %o7: tensor<?x2xf32>, %o8: tensor<?x2xi32>, %o9: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<per_group, groups = 1>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>) outs(%o7, %o8, %o9 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// Group statistics are defined by the strategy's groups: no rewrite.
// CHECK-LABEL: func.func @group_stats_keep_strategy
// CHECK: #hmoe.strategy<group_limited, groups = 4, k_groups = 4, group_score = max>
func.func @group_stats_keep_strategy(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
                                     %a: tensor<8x16x16xf32>) -> tensor<4xi64> {
  %y, %gl = hmoe.moe %x : tensor<?x16xf32>,
        #hmoe.strategy<group_limited, groups = 4, k_groups = 4, group_score = max>
      level(#hmoe.gate<linear, sigmoid, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>)
      stats [group_load]
      -> tensor<?x16xf32>, tensor<4xi64>
  return %gl : tensor<4xi64>
}

// -----

// Group-limited routing that drops groups is left alone.
// CHECK-LABEL: func.func @group_limited_kept
// CHECK: #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = max>
func.func @group_limited_kept(%l: tensor<?x8xf32>, %o10: tensor<?x2xf32>, %o11: tensor<?x2xi32>, %o12: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<group_limited, groups = 4, k_groups = 2>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>) outs(%o10, %o11, %o12 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}

// -----

// Unused stage results are dead code.
// CHECK-LABEL: func.func @dead_stages
// CHECK-NEXT: return
func.func @dead_stages(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %o13: tensor<?x2xf32>, %o14: tensor<?x2xi32>, %o15: tensor<?x8xf32>) {
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %g : tensor<8x16xf32> -> tensor<?x8xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %s : tensor<?x8xf32>) outs(%o13, %o14, %o15 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return
}
