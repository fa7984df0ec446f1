// RUN: hmoe-opt %s --hmoe-decompose --split-input-file | FileCheck %s
// RUN: hmoe-opt %s --hmoe-decompose --split-input-file | hmoe-opt --verify-roundtrip --split-input-file > /dev/null
// RUN: hmoe-opt %s --hmoe-decompose=process-checks=0 --split-input-file | FileCheck %s --check-prefix=UNCHECKED

// Flat MoE (nested, one level) with a gate bias.
// CHECK-LABEL: func.func @flat
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[G:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<8xf32>, %[[W1:.*]]: tensor<8x32x16xf32>, %[[W2:.*]]: tensor<8x16x32xf32>)
// CHECK: %[[S:.*]] = hmoe.score linear %[[X]] : tensor<?x16xf32>, %[[G]] : tensor<8x16xf32>, bias %[[B]] : tensor<8xf32> -> tensor<?x8xf32>
// The routing ops write into empty tensors sized by the input's T (and
// T x K slots).
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[WO:.*]] = tensor.empty(%[[T]]) : tensor<?x2xf32>
// CHECK: %[[EO:.*]] = tensor.empty(%[[T]]) : tensor<?x2xi32>
// CHECK: %[[PO:.*]] = tensor.empty(%[[T]]) : tensor<?x8xf32>
// CHECK: %[[R:.*]]:3 = hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %[[S]] : tensor<?x8xf32>) outs(%[[WO]], %[[EO]], %[[PO]] : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>) -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
// CHECK: %[[SLOTS:.*]] = arith.muli %[[T]], %c2
// CHECK: %[[STO:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?xi32>
// CHECK: %[[SOO:.*]] = tensor.empty(%[[T]]) : tensor<?x2xi32>
// CHECK: %[[OFFO:.*]] = tensor.empty() : tensor<9xi32>
// CHECK: %[[D:.*]]:3 = hmoe.dispatch %[[R]]#1 : tensor<?x2xi32> num_experts = 8 outs(%[[STO]], %[[SOO]], %[[OFFO]] : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>) -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
// CHECK: %[[O:.*]] = hmoe.experts %[[X]] : tensor<?x16xf32>, %[[D]]#0 : tensor<?xi32>, %[[D]]#2 : tensor<9xi32>
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = relu, hidden = 32>, w1 %[[W1]] : tensor<8x32x16xf32>, w2 %[[W2]] : tensor<8x16x32xf32>) -> tensor<?x16xf32>
// CHECK: %[[Y:.*]] = hmoe.combine %[[O]], %[[D]]#1, %[[R]]#0 : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
// CHECK-NOT: hmoe.stats
// CHECK: return %[[Y]]
func.func @flat(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>, %gb: tensor<8xf32>,
                %w1: tensor<8x32x16xf32>, %w2: tensor<8x16x32xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>, bias %gb : tensor<8xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>,
              w1 %w1 : tensor<8x32x16xf32>, w2 %w2 : tensor<8x16x32xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Nested, three levels: per-node level-2 gates, a shared level-3 gate,
// selection biases, capacity, statistics on the top-level logits.
// CHECK-LABEL: func.func @nested_three_levels
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x16xf32>, %[[G1:[^:]*]]: tensor<2x16xf32>, %[[S1:[^:]*]]: tensor<2xf32>, %[[G2:[^:]*]]: tensor<2x3x16xf32>, %[[G3:[^:]*]]: tensor<5x16xf32>, %[[S3:[^:]*]]: tensor<5xf32>, %[[A:[^:]*]]: tensor<30x16x16xf32>)
// CHECK: %[[L1:.*]] = hmoe.score laplace %[[X]] : tensor<?x16xf32>, %[[G1]] : tensor<2x16xf32> -> tensor<?x2xf32>
// CHECK: %[[L2:.*]] = hmoe.score gaussian %[[X]] : tensor<?x16xf32>, %[[G2]] : tensor<2x3x16xf32> -> tensor<?x2x3xf32>
// CHECK: %[[L3:.*]] = hmoe.score activation<tanh> %[[X]] : tensor<?x16xf32>, %[[G3]] : tensor<5x16xf32> -> tensor<?x5xf32>
// CHECK: %[[R:.*]]:3 = hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 1>, logits %[[L1]] : tensor<?x2xf32>, selection_bias %[[S1]] : tensor<2xf32>)
// CHECK-NEXT: level(#hmoe.gate<gaussian, softmax, k = 2>, logits %[[L2]] : tensor<?x2x3xf32>)
// CHECK-NEXT: level(#hmoe.gate<activation<tanh>, sigmoid, k = 2>, logits %[[L3]] : tensor<?x5xf32>, selection_bias %[[S3]] : tensor<5xf32>)
// CHECK-SAME: -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x30xf32>
// CHECK: %[[D:.*]]:3 = hmoe.dispatch %[[R]]#1 : tensor<?x4xi32> num_experts = 30 capacity_factor 1.250000e+00 outs({{.*}}) -> tensor<?xi32>, tensor<?x4xi32>, tensor<31xi32>
// CHECK: %[[O:.*]] = hmoe.experts %[[X]] : tensor<?x16xf32>, %[[D]]#0 : tensor<?xi32>, %[[D]]#2 : tensor<31xi32>
// CHECK-NEXT: experts(#hmoe.expert<linear>, w1 %[[A]] : tensor<30x16x16xf32>) -> tensor<?x16xf32>
// CHECK: %[[Y:.*]] = hmoe.combine %[[O]], %[[D]]#1, %[[R]]#0
// CHECK: %[[STATS:.*]]:3 = hmoe.stats [z_loss, dropped, group_load] probs %[[R]]#2 : tensor<?x30xf32>, experts %[[R]]#1 : tensor<?x4xi32> logits %[[L1]] : tensor<?x2xf32> slot_of %[[D]]#1 : tensor<?x4xi32> outs({{.*}} : tensor<f32>, tensor<i64>, tensor<2xi64>) {groups = 2 : i64} -> tensor<f32>, tensor<i64>, tensor<2xi64>
// CHECK: return %[[Y]], %[[STATS]]#0, %[[STATS]]#1, %[[STATS]]#2
func.func @nested_three_levels(
    %x: tensor<?x16xf32>, %g1: tensor<2x16xf32>, %s1: tensor<2xf32>, %g2: tensor<2x3x16xf32>,
    %g3: tensor<5x16xf32>, %s3: tensor<5xf32>, %a: tensor<30x16x16xf32>)
    -> (tensor<?x16xf32>, tensor<f32>, tensor<i64>, tensor<2xi64>) {
  %y:4 = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 1>, weight %g1 : tensor<2x16xf32>, selection_bias %s1 : tensor<2xf32>)
      level(#hmoe.gate<gaussian, softmax, k = 2>, weight %g2 : tensor<2x3x16xf32>)
      level(#hmoe.gate<activation<tanh>, sigmoid, k = 2>, weight %g3 : tensor<5x16xf32>, selection_bias %s3 : tensor<5xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<30x16x16xf32>)
      capacity_factor 1.25
      stats [z_loss, dropped, group_load]
      -> tensor<?x16xf32>, tensor<f32>, tensor<i64>, tensor<2xi64>
  return %y#0, %y#1, %y#2, %y#3 : tensor<?x16xf32>, tensor<f32>, tensor<i64>, tensor<2xi64>
}

// -----

// Group-limited (DeepSeek), static T, SwiGLU, statistics grouped by the
// strategy's groups.
// CHECK-LABEL: func.func @group_limited
// CHECK: %[[S:.*]] = hmoe.score linear %{{.*}} : tensor<6x16xf32>, %{{.*}} : tensor<8x16xf32> -> tensor<6x8xf32>
// Static T: static destinations.
// CHECK-NOT: tensor.dim
// CHECK: tensor.empty() : tensor<6x3xf32>
// CHECK: %[[R:.*]]:3 = hmoe.route #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>
// CHECK-NEXT: level(#hmoe.gate<linear, sigmoid, k = 3, scale = 2.500000e+00>, logits %[[S]] : tensor<6x8xf32>, selection_bias %{{.*}} : tensor<8xf32>)
// CHECK-SAME: -> tensor<6x3xf32>, tensor<6x3xi32>, tensor<6x8xf32>
// CHECK: tensor.empty() : tensor<18xi32>
// CHECK: hmoe.dispatch %[[R]]#1 : tensor<6x3xi32> num_experts = 8 outs({{.*}}) -> tensor<18xi32>, tensor<6x3xi32>, tensor<9xi32>
// CHECK: hmoe.experts {{.*}}
// CHECK-NEXT: experts(#hmoe.expert<swiglu, hidden = 4>, w1 {{.*}}, w_up {{.*}}, w2 {{.*}}) -> tensor<18x16xf32>
// CHECK: hmoe.combine {{.*}} -> tensor<6x16xf32>
// CHECK: hmoe.stats [load, group_importance, balance_loss] probs %[[R]]#2 : tensor<6x8xf32>, experts %[[R]]#1 : tensor<6x3xi32> outs({{.*}}) {groups = 4 : i64} -> tensor<8xi64>, tensor<4xf32>, tensor<f32>
func.func @group_limited(%x: tensor<6x16xf32>, %g: tensor<8x16xf32>, %sb: tensor<8xf32>,
    %wg: tensor<8x4x16xf32>, %wu: tensor<8x4x16xf32>, %w2: tensor<8x16x4xf32>)
    -> (tensor<6x16xf32>, tensor<8xi64>, tensor<4xf32>, tensor<f32>) {
  %y:4 = hmoe.moe %x : tensor<6x16xf32>,
        #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 3, scale = 2.5>, weight %g : tensor<8x16xf32>,
            selection_bias %sb : tensor<8xf32>)
      experts(#hmoe.expert<swiglu, hidden = 4>, w1 %wg : tensor<8x4x16xf32>,
              w_up %wu : tensor<8x4x16xf32>, w2 %w2 : tensor<8x16x4xf32>)
      stats [load, group_importance, balance_loss]
      -> tensor<6x16xf32>, tensor<8xi64>, tensor<4xf32>, tensor<f32>
  return %y#0, %y#1, %y#2, %y#3 : tensor<6x16xf32>, tensor<8xi64>, tensor<4xf32>, tensor<f32>
}

// -----

// Per-group (Hi-MoE) in bf16: scores and expert outputs are f32, the layer
// output keeps the input's type. Router scale and Hi-MoE coefficients carry
// over.
// CHECK-LABEL: func.func @per_group_bf16
// CHECK: hmoe.score laplace %{{.*}} : tensor<?x16xbf16>, %{{.*}} : tensor<8x16xbf16> -> tensor<?x8xf32>
// CHECK: hmoe.route #hmoe.strategy<per_group, groups = 2>
// CHECK-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>, logits %{{.*}} : tensor<?x8xf32>)
// CHECK-SAME: router_scale %{{.*}} : tensor<8xf32> outs({{.*}}) -> tensor<?x4xf32>, tensor<?x4xi32>, tensor<?x8xf32>
// CHECK: hmoe.experts %{{.*}} : tensor<?x16xbf16>, {{.*}}
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>, {{.*}}) -> tensor<?x16xf32>
// CHECK: hmoe.combine {{.*}} : tensor<?x16xf32>, tensor<?x4xi32>, tensor<?x4xf32> -> tensor<?x16xbf16>
// CHECK: hmoe.stats [r_intra, r_inter] {{.*}} {groups = 2 : i64, lambda_inter = 2.500000e-01 : f64, lambda_intra = 5.000000e-01 : f64} -> tensor<f32>, tensor<f32>
func.func @per_group_bf16(%x: tensor<?x16xbf16>, %g: tensor<8x16xbf16>, %rs: tensor<8xf32>,
    %w1: tensor<8x4x16xbf16>, %w2: tensor<8x16x4xbf16>) -> (tensor<?x16xbf16>, tensor<f32>, tensor<f32>) {
  %y:3 = hmoe.moe %x : tensor<?x16xbf16>, #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<8x16xbf16>)
      router_scale %rs : tensor<8xf32>
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>, w1 %w1 : tensor<8x4x16xbf16>,
              w2 %w2 : tensor<8x16x4xbf16>)
      stats [r_intra, r_inter] {lambda_intra = 0.5 : f64, lambda_inter = 0.25 : f64}
      -> tensor<?x16xbf16>, tensor<f32>, tensor<f32>
  return %y#0, %y#1, %y#2 : tensor<?x16xbf16>, tensor<f32>, tensor<f32>
}

// -----

// Expert parallelism: the process's experts (rank * 4 to rank * 4 + 3) on
// their segment of the plan, rebased; the others' slots left out of the
// combine (-1); a partial f32 sum all-reduced over @ep, then rounded to
// bf16. Routing and statistics are the whole layer's. First the check
// that every process has the same token count, tokens and gate weights:
// fingerprints v and ~v, all-reduced by max (not with process-checks=0).
// CHECK: shard.grid @ep(shape = 2)
// CHECK-LABEL: func.func @experts_on
// CHECK: %[[RANK:.*]] = shard.process_linear_index on @ep : index
// CHECK: %[[T:.*]] = arith.index_cast %{{.*}} : index to i64
// CHECK: scf.for %[[I:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %c0_i64) -> (i64) {
// CHECK: scf.for %[[J:.*]] = %c0 to %{{.*}} step %c1 iter_args(%{{.*}} = %{{.*}}) -> (i64) {
// CHECK: %[[E:.*]] = tensor.extract %arg0[%[[I]], %[[J]]] : tensor<?x16xbf16>
// CHECK: arith.bitcast %[[E]] : bf16 to i16
// CHECK: arith.extui %{{.*}} : i16 to i64
// CHECK: %[[ROW:.*]] = arith.muli %[[I]], %{{.*}} : index
// CHECK: %[[LINEAR:.*]] = arith.addi %[[ROW]], %[[J]] : index
// CHECK: arith.index_cast %[[LINEAR]] : index to i64
// CHECK: arith.shrui
// CHECK: arith.xori
// CHECK: arith.ori %{{.*}}, %c1_i64 : i64
// CHECK: tensor.extract %arg1[%{{.*}}, %{{.*}}] : tensor<8x16xbf16>
// CHECK: %[[NOTT:.*]] = arith.xori %[[T]], %c-1_i64 : i64
// CHECK: %[[V:.*]] = tensor.from_elements %[[T]], %{{.*}}, %{{.*}}, %[[NOTT]], %{{.*}}, %{{.*}} : tensor<6xi64>
// CHECK: %[[ALL:.*]] = shard.all_reduce %[[V]] on @ep grid_axes = [0] reduction = max : tensor<6xi64> -> tensor<6xi64>
// CHECK: %[[MOST:.*]] = tensor.extract %[[ALL]][%c0] : tensor<6xi64>
// CHECK: %[[NOTLEAST:.*]] = tensor.extract %[[ALL]][%c3] : tensor<6xi64>
// CHECK: %[[LEAST:.*]] = arith.xori %[[NOTLEAST]], %c-1_i64 : i64
// CHECK: %[[SAME:.*]] = arith.cmpi eq, %[[MOST]], %[[LEAST]] : i64
// CHECK: cf.assert %[[SAME]], "the processes of shard.grid @ep disagree on the token count
// CHECK: cf.assert %{{.*}}, "the processes of shard.grid @ep disagree on the tokens
// CHECK: cf.assert %{{.*}}, "the processes of shard.grid @ep disagree on the routing parameters
// CHECK: %[[R:.*]]:3 = hmoe.route
// UNCHECKED-LABEL: func.func @experts_on
// UNCHECKED-NOT: reduction = max
// UNCHECKED-NOT: cf.assert
// UNCHECKED: shard.all_reduce %{{.*}} on @ep grid_axes = [0] : tensor<?x16xf32>
// UNCHECKED-NOT: shard.all_reduce
// CHECK: %[[D:.*]]:3 = hmoe.dispatch %[[R]]#1 : tensor<?x2xi32> num_experts = 8
// CHECK: %[[FIRST:.*]] = arith.muli %[[RANK]], %[[C4:.*]] : index
// CHECK: %[[BEGIN:.*]] = tensor.extract %[[D]]#2[%[[FIRST]]] : tensor<9xi32>
// CHECK: %[[LAST:.*]] = arith.addi %[[FIRST]], %[[C4]] : index
// CHECK: %[[END:.*]] = tensor.extract %[[D]]#2[%[[LAST]]] : tensor<9xi32>
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[D]]#0[%{{.*}}] [%{{.*}}] [1] : tensor<?xi32> to tensor<?xi32>
// CHECK: %[[OFFSETS:.*]] = tensor.generate
// CHECK: arith.subi %{{.*}}, %[[BEGIN]] : i32
// CHECK: } : tensor<5xi32>
// CHECK: %[[OUT:.*]] = hmoe.experts %{{.*}} : tensor<?x16xbf16>, %[[SLICE]] : tensor<?xi32>, %[[OFFSETS]] : tensor<5xi32>
// CHECK-NEXT: experts({{.*}} : tensor<4x4x16xbf16>, {{.*}} : tensor<4x16x4xbf16>) in_range -> tensor<?x16xf32>
// CHECK: %[[SLOTS:.*]] = tensor.generate
// CHECK: arith.cmpi sge, %{{.*}}, %[[BEGIN]] : i32
// CHECK: arith.cmpi slt, %{{.*}}, %[[END]] : i32
// CHECK: arith.select %{{.*}}, %{{.*}}, %c-1_i32 : i32
// CHECK: %[[PARTIAL:.*]] = hmoe.combine %[[OUT]], %[[SLOTS]], %[[R]]#0 in_range : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
// CHECK: %[[SUM:.*]] = shard.all_reduce %[[PARTIAL]] on @ep grid_axes = [0] : tensor<?x16xf32> -> tensor<?x16xf32>
// CHECK: tensor.generate
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: hmoe.stats [load] probs %[[R]]#2
shard.grid @ep(shape = 2)
func.func @experts_on(%x: tensor<?x16xbf16>, %g: tensor<8x16xbf16>,
    %w1: tensor<4x4x16xbf16>, %w2: tensor<4x16x4xbf16>)
    -> (tensor<?x16xbf16>, tensor<8xi64>) {
  %y, %load = hmoe.moe %x : tensor<?x16xbf16>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xbf16>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>,
              w1 %w1 : tensor<4x4x16xbf16>, w2 %w2 : tensor<4x16x4xbf16>)
      experts_on @ep stats [load]
      -> tensor<?x16xbf16>, tensor<8xi64>
  return %y, %load : tensor<?x16xbf16>, tensor<8xi64>
}

// -----

// Shared experts with experts_on that have no hidden units (linear): each
// process runs them on its share of the tokens, [r T / 2, (r + 1) T / 2)
// (slots s * count + t - first, other tokens -1), added into its partial
// before the all-reduce.
// CHECK-LABEL: func.func @experts_on_shared
// UNCHECKED-LABEL: func.func @experts_on_shared
// CHECK: %[[RANK:.*]] = shard.process_linear_index on @ep : index
// CHECK: %[[PARTIAL:.*]] = hmoe.combine %{{.*}} in_range : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
// CHECK: %[[A:.*]] = arith.muli %[[RANK]], %[[T:.*]] : index
// CHECK: %[[FIRST:.*]] = arith.divui %[[A]], %c2 : index
// CHECK: %[[NEXT:.*]] = arith.addi %[[RANK]], %c1 : index
// CHECK: %[[B:.*]] = arith.muli %[[NEXT]], %[[T]] : index
// CHECK: %[[END:.*]] = arith.divui %[[B]], %c2 : index
// CHECK: %[[COUNT:.*]] = arith.subi %[[END]], %[[FIRST]] : index
// CHECK: %[[PLAN:.*]] = tensor.generate
// CHECK: arith.remui %{{.*}}, %[[COUNT]] : index
// CHECK: arith.addi %{{.*}}, %[[FIRST]] : index
// CHECK: %[[OFFSETS:.*]] = tensor.generate
// CHECK: arith.muli %{{.*}}, %[[COUNT]] : index
// CHECK: %[[SLOTS:.*]] = tensor.generate
// CHECK: arith.cmpi uge, %{{.*}}, %[[FIRST]] : index
// CHECK: arith.cmpi ult, %{{.*}}, %[[COUNT]] : index
// CHECK: arith.select %{{.*}}, %{{.*}}, %c-1_i32 : i32
// CHECK: %[[SHARED:.*]] = hmoe.experts %{{.*}} : tensor<?x16xf32>, %[[PLAN]] : tensor<?xi32>, %[[OFFSETS]] : tensor<2xi32>
// CHECK-NEXT: experts(#hmoe.expert<linear>, w1 %{{.*}} : tensor<1x16x16xf32>) in_range
// CHECK: %[[SHAREDSUM:.*]] = hmoe.combine %[[SHARED]], %[[SLOTS]], %{{.*}} in_range
// CHECK: %[[BOTH:.*]] = tensor.generate
// CHECK: tensor.extract %[[PARTIAL]]
// CHECK: tensor.extract %[[SHAREDSUM]]
// CHECK: arith.addf
// CHECK: shard.all_reduce %[[BOTH]] on @ep grid_axes = [0] : tensor<?x16xf32> -> tensor<?x16xf32>
shard.grid @ep(shape = 2)
func.func @experts_on_shared(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %a: tensor<4x16x16xf32>, %s: tensor<1x16x16xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>)
      shared(#hmoe.expert<linear>, w1 %s : tensor<1x16x16xf32>) experts_on @ep
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Shared FFN experts with experts_on: each process runs its share of their
// hidden units, [r H / 2, (r + 1) H / 2), on every token (a dense plan of
// all T): those rows of W1 and entries of b1, those columns of W2, b2 on
// process 0 only; added into its partial before the all-reduce.
// CHECK-LABEL: func.func @experts_on_shared_hidden
// UNCHECKED-LABEL: func.func @experts_on_shared_hidden
// CHECK: %[[T:.*]] = tensor.dim %arg0, %c0 : tensor<?x16xf32>
// CHECK: %[[RANK:.*]] = shard.process_linear_index on @ep : index
// CHECK: %[[PARTIAL:.*]] = hmoe.combine %{{.*}} in_range : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
// CHECK: %[[H0:.*]] = arith.muli %[[RANK]], %c4 : index
// CHECK: %[[W1:.*]] = tensor.extract_slice %arg3[0, %[[H0]], 0] [2, 4, 16] [1, 1, 1] : tensor<2x8x16xf32> to tensor<2x4x16xf32>
// CHECK: %[[B1:.*]] = tensor.extract_slice %arg4[0, %[[H0]]] [2, 4] [1, 1] : tensor<2x8xf32> to tensor<2x4xf32>
// CHECK: %[[W2:.*]] = tensor.extract_slice %arg5[0, 0, %[[H0]]] [2, 16, 4] [1, 1, 1] : tensor<2x16x8xf32> to tensor<2x16x4xf32>
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[RANK]], %c0 : index
// CHECK: %[[B2:.*]] = tensor.generate
// CHECK: %[[B2E:.*]] = tensor.extract %arg6[%{{.*}}, %{{.*}}] : tensor<2x16xf32>
// CHECK: arith.select %[[FIRST]], %[[B2E]], %{{.*}} : f32
// CHECK: } : tensor<2x16xf32>
// CHECK: %[[PLAN:.*]] = tensor.generate
// CHECK: arith.remui %{{.*}}, %[[T]] : index
// CHECK: %[[SHARED:.*]] = hmoe.experts %arg0 : tensor<?x16xf32>, %[[PLAN]] : tensor<?xi32>, %{{.*}} : tensor<3xi32>
// CHECK-NEXT: experts(#hmoe.expert<ffn, activation = gelu, hidden = 4>, w1 %[[W1]] : tensor<2x4x16xf32>, b1 %[[B1]] : tensor<2x4xf32>, w2 %[[W2]] : tensor<2x16x4xf32>, b2 %[[B2]] : tensor<2x16xf32>) in_range
// CHECK: %[[SHAREDSUM:.*]] = hmoe.combine %[[SHARED]], %{{.*}}, %{{.*}} in_range
// CHECK: %[[BOTH:.*]] = tensor.generate
// CHECK: tensor.extract %[[PARTIAL]]
// CHECK: tensor.extract %[[SHAREDSUM]]
// CHECK: shard.all_reduce %[[BOTH]] on @ep grid_axes = [0] : tensor<?x16xf32> -> tensor<?x16xf32>
shard.grid @ep(shape = 2)
func.func @experts_on_shared_hidden(%x: tensor<?x16xf32>,
    %g: tensor<8x16xf32>, %a: tensor<4x16x16xf32>, %s1: tensor<2x8x16xf32>,
    %sb1: tensor<2x8xf32>, %s2: tensor<2x16x8xf32>, %sb2: tensor<2x16xf32>)
    -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x16x16xf32>)
      shared(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
             w1 %s1 : tensor<2x8x16xf32>, b1 %sb1 : tensor<2x8xf32>,
             w2 %s2 : tensor<2x16x8xf32>, b2 %sb2 : tensor<2x16xf32>)
      experts_on @ep
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
