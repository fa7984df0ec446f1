// RUN: hmoe-opt %s | hmoe-opt | FileCheck %s
// RUN: hmoe-opt %s --mlir-print-op-generic | hmoe-opt | FileCheck %s
// RUN: hmoe-opt %s --verify-roundtrip | FileCheck %s

//===----------------------------------------------------------------------===//
// Attributes
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @gate_forms
// CHECK-SAME: a = #hmoe.gate<laplace, softmax, k = 2>
// CHECK-SAME: b = #hmoe.gate<linear, sigmoid, k = 8, scale = 2.500000e+00>
// CHECK-SAME: c = #hmoe.gate<gaussian, softmax, k = 1, temperature = 5.000000e-01, renormalize = false>
// CHECK-SAME: d = #hmoe.gate<activation<tanh>, softmax, k = 2>
// CHECK-SAME: e = #hmoe.gate<activation<sigmoid>, sigmoid, k = 1>
// CHECK-SAME: f = #hmoe.gate<activation<relu>, softmax, k = 1>
// CHECK-SAME: g = #hmoe.gate<activation<gelu>, softmax, k = 1>
// CHECK-SAME: h = #hmoe.gate<activation<silu>, softmax, k = 3, temperature = 2.000000e+00, renormalize = false, scale = 1.600000e+01>
// CHECK-SAME: i = #hmoe.gate<linear, softmax, k = 1>
func.func @gate_forms() attributes {
    a = #hmoe.gate<laplace, softmax, k = 2>,
    b = #hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>,
    c = #hmoe.gate<gaussian, softmax, k = 1, temperature = 0.5, renormalize = false>,
    d = #hmoe.gate<activation<tanh>, softmax, k = 2>,
    e = #hmoe.gate<activation<sigmoid>, sigmoid, k = 1>,
    f = #hmoe.gate<activation<relu>, softmax, k = 1>,
    g = #hmoe.gate<activation<gelu>, softmax, k = 1>,
    // Parameters in any order; defaults are not printed.
    h = #hmoe.gate<activation<silu>, softmax, scale = 16.0, renormalize = false, k = 3, temperature = 2.0>,
    i = #hmoe.gate<linear, softmax, k = 1, temperature = 1.0, renormalize = true, scale = 1.0>} {
  return
}

// CHECK-LABEL: func.func @strategy_and_expert_forms
// CHECK-SAME: a = #hmoe.strategy<nested>
// CHECK-SAME: b = #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = max>
// CHECK-SAME: c = #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
// CHECK-SAME: d = #hmoe.strategy<per_group, groups = 4>
// CHECK-SAME: e = #hmoe.expert<ffn, activation = gelu, hidden = 1024>
// CHECK-SAME: f = #hmoe.expert<swiglu, hidden = 256>
// CHECK-SAME: g = #hmoe.expert<linear>
// CHECK-SAME: h = #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = max>
func.func @strategy_and_expert_forms() attributes {
    a = #hmoe.strategy<nested>,
    b = #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = max>,
    c = #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>,
    d = #hmoe.strategy<per_group, groups = 4>,
    e = #hmoe.expert<ffn, activation = gelu, hidden = 1024>,
    f = #hmoe.expert<swiglu, hidden = 256>,
    g = #hmoe.expert<linear>,
    // group_score defaults to max.
    h = #hmoe.strategy<group_limited, groups = 4, k_groups = 2>} {
  return
}

//===----------------------------------------------------------------------===//
// hmoe.moe
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @moe_flat
// CHECK: hmoe.moe %{{.*}} : tensor<?x16xf32>, #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, weight %{{.*}} : tensor<8x16xf32>, bias %{{.*}} : tensor<8xf32>)
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = relu, hidden = 32>, w1 %{{.*}} : tensor<8x32x16xf32>, w2 %{{.*}} : tensor<8x16x32xf32>) -> tensor<?x16xf32>
func.func @moe_flat(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %gb: tensor<8xf32>,
                    %w1: tensor<8x32x16xf32>, %w2: tensor<8x16x32xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, bias %gb : tensor<8xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>,
              w1 %w1 : tensor<8x32x16xf32>, w2 %w2 : tensor<8x16x32xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// Three levels: per-node gates at level 2, a gate shared by all level-3
// nodes, biases and selection biases on some levels, capacity and every
// statistic.
// CHECK-LABEL: func.func @moe_nested_three_levels
// CHECK: hmoe.moe %{{.*}} : tensor<?x16xf32>, #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 1>, weight %{{.*}} : tensor<2x16xf32>, selection_bias %{{.*}} : tensor<2xf32>)
// CHECK-NEXT: level(#hmoe.gate<gaussian, sigmoid, k = 2, temperature = 5.000000e-01>, weight %{{.*}} : tensor<2x3x16xf32>, bias %{{.*}} : tensor<2x3xf32>)
// CHECK-NEXT: level(#hmoe.gate<activation<gelu>, softmax, k = 2, renormalize = false>, weight %{{.*}} : tensor<5x16xf32>, bias %{{.*}} : tensor<5xf32>, selection_bias %{{.*}} : tensor<5xf32>)
// CHECK-NEXT: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<30x16x16xf32>, b1 %{{.*}} : tensor<30x16xf32>)
// CHECK-SAME: capacity_factor 1.250000e+00
// CHECK-SAME: stats [load, importance, group_load, group_importance, dropped, balance_loss, cv2_loss, z_loss, r_intra, r_inter]
// CHECK-SAME: {lambda_inter = 5.000000e-01 : f64, lambda_intra = 2.000000e+00 : f64}
// CHECK-SAME: -> tensor<?x16xf32>, tensor<30xi64>, tensor<30xf32>, tensor<2xi64>, tensor<2xf32>, tensor<i64>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
func.func @moe_nested_three_levels(
    %x: tensor<?x16xf32>, %g1: tensor<2x16xf32>, %s1: tensor<2xf32>,
    %g2: tensor<2x3x16xf32>, %b2: tensor<2x3xf32>,
    %g3: tensor<5x16xf32>, %b3: tensor<5xf32>, %s3: tensor<5xf32>,
    %a: tensor<30x16x16xf32>, %c: tensor<30x16xf32>) -> tensor<?x16xf32> {
  %y:11 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 1>, weight %g1 : tensor<2x16xf32>, selection_bias %s1 : tensor<2xf32>)
      level(#hmoe.gate<gaussian, sigmoid, k = 2, temperature = 0.5>, weight %g2 : tensor<2x3x16xf32>, bias %b2 : tensor<2x3xf32>)
      level(#hmoe.gate<activation<gelu>, softmax, k = 2, renormalize = false>, weight %g3 : tensor<5x16xf32>,
            selection_bias %s3 : tensor<5xf32>, bias %b3 : tensor<5xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<30x16x16xf32>, b1 %c : tensor<30x16xf32>)
      capacity_factor 1.25
      stats [load, importance, group_load, group_importance, dropped, balance_loss, cv2_loss, z_loss, r_intra, r_inter]
      {lambda_intra = 2.0 : f64, lambda_inter = 0.5 : f64}
      -> tensor<?x16xf32>, tensor<30xi64>, tensor<30xf32>, tensor<2xi64>, tensor<2xf32>, tensor<i64>,
         tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>, tensor<f32>
  return %y#0 : tensor<?x16xf32>
}

// CHECK-LABEL: func.func @moe_group_limited
// CHECK: #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>
// CHECK-NEXT: level(#hmoe.gate<linear, sigmoid, k = 4, scale = 2.500000e+00>, weight %{{.*}} : tensor<16x32xbf16>, selection_bias %{{.*}} : tensor<16xf32>)
// CHECK-NEXT: experts(#hmoe.expert<swiglu, hidden = 8>, w1 %{{.*}} : tensor<16x8x32xbf16>, w_up %{{.*}} : tensor<16x8x32xbf16>, w2 %{{.*}} : tensor<16x32x8xbf16>) -> tensor<128x32xbf16>
func.func @moe_group_limited(%x: tensor<128x32xbf16>, %g: tensor<16x32xbf16>, %sb: tensor<16xf32>,
    %wg: tensor<16x8x32xbf16>, %wu: tensor<16x8x32xbf16>, %w2: tensor<16x32x8xbf16>) -> tensor<128x32xbf16> {
  %y = hmoe.moe %x : tensor<128x32xbf16>,
        #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 4, scale = 2.5>, weight %g : tensor<16x32xbf16>,
            selection_bias %sb : tensor<16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 8>, w1 %wg : tensor<16x8x32xbf16>,
              w_up %wu : tensor<16x8x32xbf16>, w2 %w2 : tensor<16x32x8xbf16>)
      -> tensor<128x32xbf16>
  return %y : tensor<128x32xbf16>
}

// CHECK-LABEL: func.func @moe_per_group
// CHECK: #hmoe.strategy<per_group, groups = 3>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, weight %{{.*}} : tensor<12x8xf16>, bias %{{.*}} : tensor<12xf16>)
// CHECK-SAME: router_scale %{{.*}} : tensor<12xf32>
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = silu, hidden = 4>, w1 %{{.*}} : tensor<12x4x8xf16>, b1 %{{.*}} : tensor<12x4xf16>, w2 %{{.*}} : tensor<12x6x4xf16>, b2 %{{.*}} : tensor<12x6xf16>)
// CHECK-SAME: stats [group_importance] -> tensor<0x6xf16>, tensor<3xf32>
func.func @moe_per_group(%x: tensor<0x8xf16>, %g: tensor<12x8xf16>, %gb: tensor<12xf16>, %rs: tensor<12xf32>,
    %w1: tensor<12x4x8xf16>, %b1: tensor<12x4xf16>, %w2: tensor<12x6x4xf16>, %b2: tensor<12x6xf16>)
    -> (tensor<0x6xf16>, tensor<3xf32>) {
  %y, %gi = hmoe.moe %x : tensor<0x8xf16>, #hmoe.strategy<per_group, groups = 3>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<12x8xf16>, bias %gb : tensor<12xf16>)
      router_scale %rs : tensor<12xf32>
      experts(#hmoe.expert<ffn, activation = silu, hidden = 4>, w1 %w1 : tensor<12x4x8xf16>,
              b1 %b1 : tensor<12x4xf16>, w2 %w2 : tensor<12x6x4xf16>, b2 %b2 : tensor<12x6xf16>)
      stats [group_importance]
      -> tensor<0x6xf16>, tensor<3xf32>
  return %y, %gi : tensor<0x6xf16>, tensor<3xf32>
}

//===----------------------------------------------------------------------===//
// Stages
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @score_forms
// CHECK: hmoe.score linear %{{.*}} : tensor<?x16xf32>, %{{.*}} : tensor<8x16xf32> -> tensor<?x8xf32>
// CHECK: hmoe.score laplace %{{.*}} : tensor<?x16xf32>, %{{.*}} : tensor<8x16xf32>, bias %{{.*}} : tensor<8xf32> -> tensor<?x8xf32>
// CHECK: hmoe.score gaussian %{{.*}} : tensor<?x16xf32>, %{{.*}} : tensor<2x4x16xf32> -> tensor<?x2x4xf32>
// CHECK: hmoe.score activation<sigmoid> %{{.*}} : tensor<?x16xf32>, %{{.*}} : tensor<2x4x16xf32>, bias %{{.*}} : tensor<2x4xf32> -> tensor<?x2x4xf32>
func.func @score_forms(%x: tensor<?x16xf32>, %w: tensor<8x16xf32>, %b: tensor<8xf32>,
                       %w3: tensor<2x4x16xf32>, %b3: tensor<2x4xf32>) {
  %0 = hmoe.score linear %x : tensor<?x16xf32>, %w : tensor<8x16xf32> -> tensor<?x8xf32>
  %1 = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<8x16xf32>, bias %b : tensor<8xf32> -> tensor<?x8xf32>
  %2 = hmoe.score gaussian %x : tensor<?x16xf32>, %w3 : tensor<2x4x16xf32> -> tensor<?x2x4xf32>
  %3 = hmoe.score activation<sigmoid> %x : tensor<?x16xf32>, %w3 : tensor<2x4x16xf32>, bias %b3 : tensor<2x4xf32> -> tensor<?x2x4xf32>
  return
}

// CHECK-LABEL: func.func @route_forms
// CHECK-SAME: (%[[L1:[^:]*]]: tensor<?x2xf32>, %[[S1:[^:]*]]: tensor<2xf32>, %[[L2:[^:]*]]: tensor<?x2x4xf32>
// CHECK: hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, logits %[[L1]] : tensor<?x2xf32>, selection_bias %[[S1]] : tensor<2xf32>)
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, logits %[[L2]] : tensor<?x2x4xf32>) outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
// CHECK: hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 1>, logits %{{.*}} : tensor<?x2xf32>)
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 3>, logits %{{.*}} : tensor<?x4xf32>) outs({{.*}}) -> tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>
// CHECK: hmoe.route #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = max>
// CHECK-NEXT: level(#hmoe.gate<linear, sigmoid, k = 3>, logits %{{.*}} : tensor<?x8xf32>, selection_bias %{{.*}} : tensor<8xf32>)
// CHECK-SAME: router_scale %{{.*}} : tensor<8xf32> outs({{.*}}) -> tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>
// CHECK: hmoe.route #hmoe.strategy<per_group, groups = 2>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 3>, logits %{{.*}} : tensor<?x8xf32>) outs({{.*}}) -> tensor<?x6xf32>, tensor<?x6xi32>, tensor<?x8xf32>
func.func @route_forms(%l1: tensor<?x2xf32>, %s1: tensor<2xf32>, %l2: tensor<?x2x4xf32>,
                       %shared: tensor<?x4xf32>, %flat: tensor<?x8xf32>, %sb: tensor<8xf32>,
                       %rs: tensor<8xf32>, %o1: tensor<?x4xf32>, %o2: tensor<?x4xi32>, %o3: tensor<?x8xf32>, %o4: tensor<?x3xf32>, %o5: tensor<?x3xi32>, %o6: tensor<?x8xf32>, %o7: tensor<?x3xf32>, %o8: tensor<?x3xi32>, %o9: tensor<?x8xf32>, %o10: tensor<?x6xf32>, %o11: tensor<?x6xi32>, %o12: tensor<?x8xf32>) {
  %w0, %e0, %p0 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %l1 : tensor<?x2xf32>, selection_bias %s1 : tensor<2xf32>)
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %l2 : tensor<?x2x4xf32>) outs(%o1, %o2, %o3 : tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
  %w1, %e1, %p1 = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 1>, logits %l1 : tensor<?x2xf32>)
      level(#hmoe.gate<laplace, softmax, k = 3>, logits %shared : tensor<?x4xf32>) outs(%o4, %o5, %o6 : tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>) -> tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>
  %w2, %e2, %p2 = hmoe.route #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = max>
      level(#hmoe.gate<linear, sigmoid, k = 3>, logits %flat : tensor<?x8xf32>, selection_bias %sb : tensor<8xf32>)
      router_scale %rs : tensor<8xf32> outs(%o7, %o8, %o9 : tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>) -> tensor<?x3xf32>, tensor<?x3xi32>, tensor<?x8xf32>
  %w3, %e3, %p3 = hmoe.route #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, softmax, k = 3>, logits %flat : tensor<?x8xf32>) outs(%o10, %o11, %o12 : tensor<?x6xf32>, tensor<?x6xi32>, tensor<?x8xf32>) -> tensor<?x6xf32>, tensor<?x6xi32>, tensor<?x8xf32>
  return
}

// CHECK-LABEL: func.func @dispatch_experts_combine
// CHECK: hmoe.dispatch %{{.*}} : tensor<?x2xi32> num_experts = 8 outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
// CHECK: hmoe.dispatch %{{.*}} : tensor<5x2xi32> num_experts = 8 capacity_factor 1.500000e+00 outs({{.*}}) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
// CHECK: hmoe.dispatch %{{.*}} : tensor<5x2xi32> weights %{{.*}} : tensor<5x2xf32> num_experts = 8 capacity_factor 5.000000e-01 fill_order score outs({{.*}}) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
// CHECK: hmoe.dispatch %{{.*}} : tensor<5x2xi32> num_experts = 8 capacity_factor 5.000000e-01 fill_order choice_rank capacity_rounding hi_moe outs({{.*}}) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
// CHECK: hmoe.experts %{{.*}} : tensor<?x16xf32>, %{{.*}} : tensor<?xi32>, %{{.*}} : tensor<9xi32>
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = tanh, hidden = 4>, w1 %{{.*}} : tensor<8x4x16xf32>, b1 %{{.*}} : tensor<8x4xf32>, w2 %{{.*}} : tensor<8x16x4xf32>, b2 %{{.*}} : tensor<8x16xf32>) -> tensor<?x16xf32>
// CHECK: hmoe.experts
// CHECK-NEXT: experts(#hmoe.expert<swiglu, hidden = 4>, w1 %{{.*}} : tensor<8x4x16xf32>, w_up %{{.*}} : tensor<8x4x16xf32>, w2 %{{.*}} : tensor<8x12x4xf32>) -> tensor<?x12xf32>
// CHECK: hmoe.experts
// CHECK-NEXT: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<8x16x16xf32>) -> tensor<?x16xf32>
// CHECK: hmoe.experts
// CHECK-NEXT: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<8x16x16xf32>) in_range -> tensor<?x16xf32>
// CHECK: hmoe.combine %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
// CHECK: hmoe.combine %{{.*}}, %{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xbf16>
// CHECK: hmoe.combine %{{.*}}, %{{.*}}, %{{.*}} in_range : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
func.func @dispatch_experts_combine(%x: tensor<?x16xf32>, %e: tensor<?x2xi32>, %e5: tensor<5x2xi32>,
    %w: tensor<?x2xf32>, %w1: tensor<8x4x16xf32>, %b1: tensor<8x4xf32>, %w2: tensor<8x16x4xf32>,
    %b2: tensor<8x16xf32>, %wu: tensor<8x4x16xf32>, %w2s: tensor<8x12x4xf32>, %a: tensor<8x16x16xf32>, %o13: tensor<?xi32>, %o14: tensor<?x2xi32>, %o15: tensor<9xi32>, %o16: tensor<10xi32>, %o17: tensor<5x2xi32>, %o18: tensor<9xi32>, %w5: tensor<5x2xf32>) {
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8 outs(%o13, %o14, %o15 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  %st5, %so5, %off5 = hmoe.dispatch %e5 : tensor<5x2xi32> num_experts = 8 capacity_factor 1.5 outs(%o16, %o17, %o18 : tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
  %st6, %so6, %off6 = hmoe.dispatch %e5 : tensor<5x2xi32> weights %w5 : tensor<5x2xf32> num_experts = 8 capacity_factor 0.5 fill_order score outs(%o16, %o17, %o18 : tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
  %st7, %so7, %off7 = hmoe.dispatch %e5 : tensor<5x2xi32> num_experts = 8 capacity_factor 0.5 fill_order choice_rank capacity_rounding hi_moe outs(%o16, %o17, %o18 : tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>) -> tensor<10xi32>, tensor<5x2xi32>, tensor<9xi32>
  %o1 = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<ffn, activation = tanh, hidden = 4>, w1 %w1 : tensor<8x4x16xf32>, b1 %b1 : tensor<8x4xf32>, w2 %w2 : tensor<8x16x4xf32>, b2 %b2 : tensor<8x16xf32>) -> tensor<?x16xf32>
  %o2 = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %w1 : tensor<8x4x16xf32>, w_up %wu : tensor<8x4x16xf32>, w2 %w2s : tensor<8x12x4xf32>) -> tensor<?x12xf32>
  %o3 = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) -> tensor<?x16xf32>
  // A producer that vouches for its plan's values (no run-time scan).
  %o4 = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<9xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<8x16x16xf32>) in_range -> tensor<?x16xf32>
  %y = hmoe.combine %o1, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  %yb = hmoe.combine %o3, %so, %w : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xbf16>
  %y4 = hmoe.combine %o4, %so, %w in_range : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return
}

// CHECK-LABEL: func.func @stats_forms
// CHECK: hmoe.stats [load] probs %{{.*}} : tensor<?x8xf32>, experts %{{.*}} : tensor<?x2xi32> outs(%{{.*}} : tensor<8xi64>) -> tensor<8xi64>
// CHECK: hmoe.stats [dropped] probs %{{.*}} : tensor<?x8xf32>, experts %{{.*}} : tensor<?x2xi32> slot_of %{{.*}} : tensor<?x2xi32> outs(%{{.*}} : tensor<i64>) -> tensor<i64>
// CHECK: hmoe.stats [z_loss, dropped, group_load, r_inter] probs %{{.*}} : tensor<?x8xf32>, experts %{{.*}} : tensor<?x2xi32> logits %{{.*}} : tensor<?x4xf32> slot_of %{{.*}} : tensor<?x2xi32> outs({{.*}} : tensor<f32>, tensor<i64>, tensor<4xi64>, tensor<f32>) {groups = 4 : i64, lambda_inter = 1.000000e-01 : f64} -> tensor<f32>, tensor<i64>, tensor<4xi64>, tensor<f32>
func.func @stats_forms(%p: tensor<?x8xf32>, %e: tensor<?x2xi32>, %l: tensor<?x4xf32>, %so: tensor<?x2xi32>, %o19: tensor<8xi64>, %o20: tensor<i64>, %o21: tensor<f32>, %o22: tensor<i64>, %o23: tensor<4xi64>, %o24: tensor<f32>) {
  %0 = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> outs(%o19 : tensor<8xi64>) -> tensor<8xi64>
  // Only slot_of: the optional operands are keyword-led, not comma-led.
  %2 = hmoe.stats [dropped] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32> slot_of %so : tensor<?x2xi32> outs(%o20 : tensor<i64>) -> tensor<i64>
  %1:4 = hmoe.stats [z_loss, dropped, group_load, r_inter]
      probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32>
      logits %l : tensor<?x4xf32> slot_of %so : tensor<?x2xi32> outs(%o21, %o22, %o23, %o24 : tensor<f32>, tensor<i64>, tensor<4xi64>, tensor<f32>)
      {groups = 4 : i64, lambda_inter = 0.1 : f64} -> tensor<f32>, tensor<i64>, tensor<4xi64>, tensor<f32>
  return
}

// Whole numbers where a float is expected (temperature, scale, capacity
// factor) are read as floats; hex literals stay bit patterns.
// CHECK-LABEL: func.func @whole_number_floats
// CHECK-SAME: e = #hmoe.gate<linear, softmax, k = 1, temperature = 2.000000e+00>
// CHECK: level(#hmoe.gate<linear, softmax, k = 2, temperature = 2.000000e+00, scale = -3.000000e+00>
// CHECK: capacity_factor 2.000000e+00
// Past 2^63 too (read from the digits, not as a signed 64-bit integer).
// CHECK: capacity_factor 9.2233720368547758E+18
// CHECK: capacity_factor 1.8446744073709552E+19
func.func @whole_number_floats(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32>
    attributes {e = #hmoe.gate<linear, softmax, k = 1, temperature = 0x4000000000000000>} {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2, temperature = 2, scale = -3>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) capacity_factor 2
      -> tensor<?x8xf32>
  %y1 = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) capacity_factor 9223372036854775808
      -> tensor<?x8xf32>
  %y2 = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) capacity_factor 18446744073709551617
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// The optional clauses after experts(...) are an oilist: any order in, one
// order out.
// CHECK-LABEL: func.func @clauses_in_any_order
// CHECK: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<4x8x8xf32>) capacity_factor 1.500000e+00 fill_order choice_rank capacity_rounding hi_moe stats [load] -> tensor<?x8xf32>, tensor<4xi64>
func.func @clauses_in_any_order(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %y, %load = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      stats [load] capacity_rounding hi_moe fill_order choice_rank capacity_factor 1.5
      -> tensor<?x8xf32>, tensor<4xi64>
  return %y : tensor<?x8xf32>
}

// The routing ops on memrefs (after bufferization): they write their outs
// and have no results.
// CHECK-LABEL: func.func @routing_on_buffers
// CHECK: hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %{{.*}} : memref<?x8xf32>) outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>)
// CHECK-NOT: ->
// CHECK: hmoe.dispatch %{{.*}} : memref<?x2xi32> num_experts = 8 outs(%{{.*}}, %{{.*}}, %{{.*}} : memref<?xi32>, memref<?x2xi32>, memref<9xi32>)
// CHECK-NOT: ->
// CHECK: hmoe.stats [load] probs %{{.*}} : memref<?x8xf32>, experts %{{.*}} : memref<?x2xi32> outs(%{{.*}} : memref<8xi64, strided<[1], offset: ?>>)
// CHECK-NOT: ->
func.func @routing_on_buffers(%l: memref<?x8xf32>, %w: memref<?x2xf32>, %e: memref<?x2xi32>,
                              %p: memref<?x8xf32>, %st: memref<?xi32>, %so: memref<?x2xi32>,
                              %off: memref<9xi32>, %load: memref<8xi64, strided<[1], offset: ?>>) {
  hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : memref<?x8xf32>)
      outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>)
  hmoe.dispatch %e : memref<?x2xi32> num_experts = 8
      outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<9xi32>)
  hmoe.stats [load] probs %p : memref<?x8xf32>, experts %e : memref<?x2xi32>
      outs(%load : memref<8xi64, strided<[1], offset: ?>>)
  return
}

// The dialect's discardable attributes where they belong.
// CHECK: module attributes {hmoe.target_cpu = "znver5", hmoe.target_features = "+avx2,+avx512f"}
// CHECK: func.func @layer(%{{.*}}: tensor<?x8xf32>) -> tensor<?x8xf32> attributes {hmoe.abi = (tensor<?x8xf32>) -> tensor<?x8xf32>}
module attributes {hmoe.target_cpu = "znver5", hmoe.target_features = "+avx2,+avx512f"} {
  func.func @layer(%x: tensor<?x8xf32>) -> tensor<?x8xf32>
      attributes {hmoe.abi = (tensor<?x8xf32>) -> tensor<?x8xf32>} {
    return %x : tensor<?x8xf32>
  }
}

// Shared experts (with Qwen2-MoE's gate) and capacity in choice-rank order
// with Hi-MoE's rounding: the custom form round-trips and so does the
// generic one.
// CHECK-LABEL: func.func @shared_experts
// CHECK: hmoe.moe %{{.*}} : tensor<?x16xf32>, #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, weight %{{.*}} : tensor<8x16xf32>)
// CHECK-NEXT: experts(#hmoe.expert<swiglu, hidden = 4>, w1 %{{.*}} : tensor<8x4x16xf32>, w_up %{{.*}} : tensor<8x4x16xf32>, w2 %{{.*}} : tensor<8x16x4xf32>)
// CHECK-NEXT: shared(#hmoe.expert<swiglu, hidden = 8>, w1 %{{.*}} : tensor<2x8x16xf32>, w_up %{{.*}} : tensor<2x8x16xf32>, w2 %{{.*}} : tensor<2x16x8xf32>, gate %{{.*}} : tensor<16xf32>) capacity_factor 1.250000e+00 fill_order choice_rank capacity_rounding hi_moe -> tensor<?x16xf32>
func.func @shared_experts(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %w1: tensor<8x4x16xf32>, %wu: tensor<8x4x16xf32>, %w2: tensor<8x16x4xf32>,
    %s1: tensor<2x8x16xf32>, %su: tensor<2x8x16xf32>, %s2: tensor<2x16x8xf32>,
    %u: tensor<16xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %w1 : tensor<8x4x16xf32>,
              w_up %wu : tensor<8x4x16xf32>, w2 %w2 : tensor<8x16x4xf32>)
      shared(#hmoe.expert<swiglu, hidden = 8>, w1 %s1 : tensor<2x8x16xf32>,
             w_up %su : tensor<2x8x16xf32>, w2 %s2 : tensor<2x16x8xf32>,
             gate %u : tensor<16xf32>)
      capacity_factor 1.25 fill_order choice_rank capacity_rounding hi_moe
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// Expert parallelism: the experts of one process of @ep (4 of the gate's
// 8), in any order among the other keywords.
// CHECK: shard.grid @ep(shape = 2)
// CHECK-LABEL: func.func @experts_on
// CHECK: experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>, w1 %{{.*}} : tensor<4x4x16xf32>, w2 %{{.*}} : tensor<4x16x4xf32>) capacity_factor 1.000000e+00 experts_on @ep stats [load] -> tensor<?x16xf32>, tensor<8xi64>
shard.grid @ep(shape = 2)
func.func @experts_on(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %w1: tensor<4x4x16xf32>, %w2: tensor<4x16x4xf32>)
    -> (tensor<?x16xf32>, tensor<8xi64>) {
  %y, %load = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>,
              w1 %w1 : tensor<4x4x16xf32>, w2 %w2 : tensor<4x16x4xf32>)
      stats [load] experts_on @ep capacity_factor 1.0
      -> tensor<?x16xf32>, tensor<8xi64>
  return %y, %load : tensor<?x16xf32>, tensor<8xi64>
}

// Shared experts with experts_on: the shared experts' weights whole (every
// process holds them), the routed experts one process's.
// CHECK-LABEL: func.func @experts_on_shared
// CHECK: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<4x16x16xf32>)
// CHECK-NEXT: shared(#hmoe.expert<linear>, w1 %{{.*}} : tensor<1x16x16xf32>) experts_on @ep -> tensor<?x16xf32>
func.func @experts_on_shared(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %a: tensor<4x16x16xf32>, %s: tensor<1x16x16xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>)
      shared(#hmoe.expert<linear>, w1 %s : tensor<1x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
