// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{fuse-routes=0}))' %s | FileCheck %s --check-prefix=UNFUSED

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

// Routing: blocks of 16 tokens (block-rows), one token per thread (a linear
// mapping), through hmoe.route's TilingInterface; dispatch stays at the top level
// (hmoe-distribute-dispatch takes it after bufferization); ops that are not
// destination-passing
// (tensor.generate) become linalg first and tile like the rest.
// CHECK-LABEL: func.func @routing
// CHECK: scf.forall (%[[TOK:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(
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

// Score -> normalise -> top-k in one block loop per 16 tokens: the gate's
// GEMM (with its fill) and its epilogue are fused into the route's loop and
// write their tile into a scratch shared output (a kernel cannot allocate),
// each op over the block's threads, then the route reads the tile. The
// experts' norms, the whole tensor in every tile, stay a loop of their own
// (their fill fused into it through its destination).
// CHECK-LABEL: func.func @route_with_scores
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x8xf32>, %[[WG:[a-z0-9]+]]: tensor<4x8xf32>)
// CHECK: %[[NORMS:.*]] = scf.forall (%{{.*}}) = (0) to (4) step (256)
// CHECK:   linalg.fill
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: scf.forall
// CHECK: %[[R:.*]]:4 = scf.forall (%[[T:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(%[[W:.*]] = %{{.*}}, %[[E:.*]] = %{{.*}}, %[[P:.*]] = %{{.*}}, %[[S:.*]] = %{{.*}}) -> (tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>, tensor<?x4xf32>)
// CHECK:   %[[XT:.*]] = tensor.extract_slice %[[X]][%[[T]], 0]
// CHECK:   %[[ST:.*]] = tensor.extract_slice %[[S]][%[[T]], 0]
// CHECK:   %[[FILL:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (16, 16) shared_outs(%{{.*}} = %[[ST]])
// CHECK:     linalg.fill
// CHECK:   } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK:   %[[GEMM:.*]] = scf.forall (%{{.*}}, %[[TX:.*]]) in (16, 16) shared_outs(%{{.*}} = %[[FILL]])
// CHECK:     tensor.extract_slice %[[XT]]
// CHECK:     tensor.extract_slice %[[WG]][%[[TX]], 0]
// CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK:   %[[LOGITS:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (16, 16) shared_outs(%{{.*}} = %[[GEMM]])
// CHECK:     tensor.extract_slice %[[NORMS]]
// CHECK:     arith.subf
// CHECK:   } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK:   %[[ROUTED:.*]]:3 = scf.forall (%{{.*}}) in (256) shared_outs(
// CHECK:     %[[LT:.*]] = tensor.extract_slice %[[LOGITS]]
// CHECK:     hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %[[LT]] : tensor<?x4xf32>)
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall.in_parallel {
// CHECK:     tensor.parallel_insert_slice %[[ROUTED]]#0 into %[[W]][%[[T]], 0]
// CHECK:     tensor.parallel_insert_slice %[[ROUTED]]#1 into %[[E]][%[[T]], 0]
// CHECK:     tensor.parallel_insert_slice %[[ROUTED]]#2 into %[[P]][%[[T]], 0]
// CHECK:     tensor.parallel_insert_slice %[[LOGITS]] into %[[S]][%[[T]], 0]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
// Without fuse-routes: the scores (fill, GEMM, epilogue) are a stage of
// blocks of 16 tokens, the route one of its own, 256 tokens a block, one a
// thread, reading them.
// UNFUSED-LABEL: func.func @route_with_scores
// UNFUSED: scf.forall (%{{.*}}) = (0) to (4) step (256)
// UNFUSED: %[[LOGITS:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs(%{{.*}}) -> (tensor<?x4xf32>)
// UNFUSED:   linalg.fill
// UNFUSED:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// UNFUSED:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// UNFUSED: } {mapping = [#gpu.block<x>]}
// UNFUSED: %[[R:.*]]:3 = scf.forall (%[[T:.*]]) = (0) to (%{{.*}}) step (256) shared_outs(%{{.*}}, %{{.*}}, %{{.*}}) ->
// UNFUSED:   tensor.extract_slice %[[LOGITS]][%[[T]], 0]
// UNFUSED-NOT: linalg.generic
// UNFUSED:   scf.forall (%{{.*}}) in (256)
// UNFUSED:     hmoe.route
// UNFUSED: } {mapping = [#gpu.block<x>]}
// UNFUSED: return %[[R]]#0, %[[R]]#1, %[[R]]#2
#xk = affine_map<(t, e, k) -> (t, k)>
#ek = affine_map<(t, e, k) -> (e, k)>
#te = affine_map<(t, e, k) -> (t, e)>
#id = affine_map<(t, e) -> (t, e)>
#col = affine_map<(t, e) -> (e)>
func.func @route_with_scores(%x: tensor<?x8xf32>, %wg: tensor<4x8xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %norms0 = tensor.empty() : tensor<4xf32>
  %norms1 = linalg.fill ins(%zero : f32) outs(%norms0 : tensor<4xf32>) -> tensor<4xf32>
  %norms = linalg.generic {indexing_maps = [affine_map<(e, k) -> (e, k)>, affine_map<(e, k) -> (e)>],
                           iterator_types = ["parallel", "reduction"]}
      ins(%wg : tensor<4x8xf32>) outs(%norms1 : tensor<4xf32>) {
  ^bb0(%w: f32, %acc: f32):
    %sq = arith.mulf %w, %w : f32
    %s = arith.addf %acc, %sq : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %s0 = tensor.empty(%t) : tensor<?x4xf32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %gemm = linalg.generic {indexing_maps = [#xk, #ek, #te],
                          iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wg : tensor<?x8xf32>, tensor<4x8xf32>) outs(%s1 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %logits = linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%norms : tensor<4xf32>) outs(%gemm : tensor<?x4xf32>) {
  ^bb0(%n: f32, %g: f32):
    %s = arith.subf %g, %n : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x4xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %logits : tensor<?x4xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>
  return %w, %e, %p : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>
}

// -----

// Scores another op reads too stay a stage of their own, computed once:
// the route's loop reads them.
// CHECK-LABEL: func.func @scores_read_twice
// CHECK: %[[SCORES:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   linalg.fill
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: %[[R:.*]]:3 = scf.forall (%[[T:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(%{{.*}}, %{{.*}}, %{{.*}}) ->
// CHECK:   tensor.extract_slice %[[SCORES]][%[[T]], 0]
// CHECK-NOT: linalg.generic
// CHECK:   hmoe.route
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: return %[[R]]#1, %[[SCORES]]
func.func @scores_read_twice(%l: tensor<?x4xf32>)
    -> (tensor<?x2xi32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %l, %c0 : tensor<?x4xf32>
  %s0 = tensor.empty(%t) : tensor<?x4xf32>
  %s1 = linalg.fill ins(%zero : f32) outs(%s0 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %scores = linalg.generic {indexing_maps = [affine_map<(t, e) -> (t, e)>, affine_map<(t, e) -> (t, e)>],
                            iterator_types = ["parallel", "parallel"]}
      ins(%l : tensor<?x4xf32>) outs(%s1 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x4xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %scores : tensor<?x4xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x4xf32>
  return %e, %scores : tensor<?x2xi32>, tensor<?x4xf32>
}

// -----

// A nested level's scores reshaped into groups: the slice moves above the
// reshape, so what computes the scores is fused too.
// CHECK-LABEL: func.func @nested_reshaped_scores
// CHECK-SAME: (%{{.*}}: tensor<?x2xf32>, %[[M:[a-z0-9]+]]: tensor<?x4xf32>)
// CHECK-NOT: scf.forall
// CHECK: %[[R:.*]]:4 = scf.forall (%[[T:.*]]) = (0) to (%{{.*}}) step (16)
// CHECK:   %[[MT:.*]] = tensor.extract_slice %[[M]][%[[T]], 0]
// CHECK:   %[[SCALED:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// CHECK:     tensor.extract_slice %[[MT]]
// CHECK:     arith.mulf
// CHECK:   %[[GROUPED:.*]] = tensor.expand_shape %[[SCALED]] {{\[\[}}0], [1, 2]]
// CHECK:   scf.forall (%{{.*}}) in (256)
// CHECK:     %[[GT:.*]] = tensor.extract_slice %[[GROUPED]]
// CHECK:     hmoe.route
// CHECK:       level(#hmoe.gate<linear, softmax, k = 1>, logits %[[GT]] : tensor<?x2x2xf32>)
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: tensor.expand_shape
// CHECK: return %[[R]]#0, %[[R]]#1, %[[R]]#2
func.func @nested_reshaped_scores(%l: tensor<?x2xf32>, %m: tensor<?x4xf32>)
    -> (tensor<?x1xf32>, tensor<?x1xi32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %l, %c0 : tensor<?x2xf32>
  %s0 = tensor.empty(%t) : tensor<?x4xf32>
  %scaled = linalg.generic {indexing_maps = [affine_map<(t, e) -> (t, e)>, affine_map<(t, e) -> (t, e)>],
                            iterator_types = ["parallel", "parallel"]}
      ins(%m : tensor<?x4xf32>) outs(%s0 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %two = arith.constant 2.0 : f32
    %s = arith.mulf %a, %two : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %grouped = tensor.expand_shape %scaled [[0], [1, 2]] output_shape [%t, 2, 2]
      : tensor<?x4xf32> into tensor<?x2x2xf32>
  %w0 = tensor.empty(%t) : tensor<?x1xf32>
  %e0 = tensor.empty(%t) : tensor<?x1xi32>
  %p0 = tensor.empty(%t) : tensor<?x4xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 1>, logits %l : tensor<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 1>, logits %grouped : tensor<?x2x2xf32>)
      outs(%w0, %e0, %p0 : tensor<?x1xf32>, tensor<?x1xi32>, tensor<?x4xf32>)
      -> tensor<?x1xf32>, tensor<?x1xi32>, tensor<?x4xf32>
  return %w, %e, %p : tensor<?x1xf32>, tensor<?x1xi32>, tensor<?x4xf32>
}

// -----

// Stages over the same rows, one reading only the other (a shared expert's
// two GEMMs): one block loop per 16 rows, the first GEMM's tile in a
// scratch shared output; a stage with one parallel loop (row sums over
// 256 rows a block) does not take in a GEMM (too few blocks for it).
// CHECK-LABEL: func.func @chain_of_stages
// CHECK-SAME: (%[[X:[a-z0-9]+]]: tensor<?x8xf32>, %[[W1:[a-z0-9]+]]: tensor<16x8xf32>, %[[W2:[a-z0-9]+]]: tensor<4x16xf32>)
// CHECK: %[[Y:.*]]:2 = scf.forall (%[[T:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(%[[YOUT:.*]] = %{{.*}}, %[[H:.*]] = %{{.*}}) -> (tensor<?x4xf32>, tensor<?x16xf32>)
// CHECK:   %[[HT:.*]] = tensor.extract_slice %[[H]][%[[T]], 0]
// CHECK:   %[[HF:.*]] = scf.forall {{.*}} in (16, 16) shared_outs(%{{.*}} = %[[HT]])
// CHECK:     linalg.fill
// CHECK:   %[[HG:.*]] = scf.forall {{.*}} in (16, 16) shared_outs(%{{.*}} = %[[HF]])
// CHECK:     tensor.extract_slice %[[W1]]
// CHECK:     linalg.generic
// CHECK:   %[[YT:.*]] = tensor.extract_slice %[[YOUT]][%[[T]], 0]
// CHECK:   %[[YF:.*]] = scf.forall {{.*}} in (16, 16) shared_outs(%{{.*}} = %[[YT]])
// CHECK:     linalg.fill
// CHECK:   %[[YG:.*]] = scf.forall {{.*}} in (16, 16) shared_outs(%{{.*}} = %[[YF]])
// CHECK:     tensor.extract_slice %[[HG]]
// CHECK:     tensor.extract_slice %[[W2]]
// CHECK:     linalg.generic
// CHECK:   scf.forall.in_parallel {
// CHECK:     tensor.parallel_insert_slice %[[YG]] into %[[YOUT]][%[[T]], 0]
// CHECK:     tensor.parallel_insert_slice %[[HG]] into %[[H]][%[[T]], 0]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: %[[SUMS:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (256)
// CHECK-NOT: linalg.generic {{.*}} ["parallel", "parallel", "reduction"]
// CHECK:   tensor.extract_slice %[[Y]]#0
// CHECK:   linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: return %[[SUMS]]
#a = affine_map<(t, n, k) -> (t, k)>
#b = affine_map<(t, n, k) -> (n, k)>
#c = affine_map<(t, n, k) -> (t, n)>
func.func @chain_of_stages(%x: tensor<?x8xf32>, %w1: tensor<16x8xf32>,
                           %w2: tensor<4x16xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %h0 = tensor.empty(%t) : tensor<?x16xf32>
  %h1 = linalg.fill ins(%zero : f32) outs(%h0 : tensor<?x16xf32>) -> tensor<?x16xf32>
  %h = linalg.generic {indexing_maps = [#a, #b, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w1 : tensor<?x8xf32>, tensor<16x8xf32>) outs(%h1 : tensor<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %y0 = tensor.empty(%t) : tensor<?x4xf32>
  %y1 = linalg.fill ins(%zero : f32) outs(%y0 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %y = linalg.generic {indexing_maps = [#a, #b, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%h, %w2 : tensor<?x16xf32>, tensor<4x16xf32>) outs(%y1 : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %r0 = tensor.empty(%t) : tensor<?xf32>
  %sums = linalg.generic {indexing_maps = [affine_map<(t, n) -> (t, n)>, affine_map<(t, n) -> (t)>],
                          iterator_types = ["parallel", "reduction"]}
      ins(%y : tensor<?x4xf32>) outs(%r0 : tensor<?xf32>) {
  ^bb0(%p: f32, %acc: f32):
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %sums : tensor<?xf32>
}

// -----

// What fusion must not do. A consumer reading its producer through
// (t, k) -> (t + k) needs rows of the next block too: fused, neighbouring
// blocks would compute and write the same rows; the producer stays a loop
// of its own.
// CHECK-LABEL: func.func @overlapping_tiles
// CHECK: %[[P:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   tensor.extract_slice %[[P]]
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: } {mapping = [#gpu.block<x>]}
func.func @overlapping_tiles(%x: tensor<?x8xf32>, %w: tensor<4x8xf32>, %n: index,
                             %f: tensor<3xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %p0 = tensor.empty(%t) : tensor<?x4xf32>
  %p1 = linalg.fill ins(%zero : f32) outs(%p0 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %p = linalg.generic {indexing_maps = [affine_map<(t, e, k) -> (t, k)>, affine_map<(t, e, k) -> (e, k)>, affine_map<(t, e, k) -> (t, e)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x8xf32>, tensor<4x8xf32>) outs(%p1 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %o0 = tensor.empty(%n) : tensor<?x4xf32>
  %o1 = linalg.fill ins(%zero : f32) outs(%o0 : tensor<?x4xf32>) -> tensor<?x4xf32>
  %o = linalg.generic {indexing_maps = [affine_map<(t, e, k) -> (t + k, e)>, affine_map<(t, e, k) -> (k)>, affine_map<(t, e, k) -> (t, e)>],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%p, %f : tensor<?x4xf32>, tensor<3xf32>) outs(%o1 : tensor<?x4xf32>) {
  ^bb0(%a: f32, %g: f32, %acc: f32):
    %s = arith.addf %acc, %a : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %o : tensor<?x4xf32>
}

// -----

// One zero fill as the destination of two GEMMs (CSE merges equal fills):
// the fill is read by both, so it stays a loop of its own; each GEMM is
// fused into its consumer's blocks, writing into a shared output that
// starts as the fill's result (no copy inside a kernel: bufferization
// copies it on the host for one of the two).
// CHECK-LABEL: func.func @shared_destination
// CHECK: %[[FILL:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   linalg.fill
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs(%{{.*}} = %{{.*}}, %[[G:.*]] = %[[FILL]])
// CHECK:   tensor.extract_slice %[[G]]
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   math.exp
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16) shared_outs(%{{.*}} = %{{.*}}, %[[G2:.*]] = %[[FILL]])
// CHECK:   tensor.extract_slice %[[G2]]
// CHECK:   iterator_types = ["parallel", "parallel", "reduction"]
// CHECK:   math.exp
// CHECK: } {mapping = [#gpu.block<x>]}
#a = affine_map<(t, n, k) -> (t, k)>
#b = affine_map<(t, n, k) -> (n, k)>
#c = affine_map<(t, n, k) -> (t, n)>
#id = affine_map<(t, n) -> (t, n)>
func.func @shared_destination(%x: tensor<?x8xf32>, %w1: tensor<4x8xf32>, %w2: tensor<4x8xf32>)
    -> (tensor<?x4xf32>, tensor<?x4xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%t) : tensor<?x4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?x4xf32>) -> tensor<?x4xf32>
  %g1 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w1 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %g2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w2 : tensor<?x8xf32>, tensor<4x8xf32>) outs(%f : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %o1e = tensor.empty(%t) : tensor<?x4xf32>
  %o1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g1 : tensor<?x4xf32>) outs(%o1e : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %o2e = tensor.empty(%t) : tensor<?x4xf32>
  %o2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%g2 : tensor<?x4xf32>) outs(%o2e : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %o1, %o2 : tensor<?x4xf32>, tensor<?x4xf32>
}

// -----

// A diamond: C reads A and B, B reads A. A is first refused for C (B, its
// other reader, is not fused yet) and stays refused when B is fused: it is
// computed once, in a loop of its own, not also inside C's blocks.
// CHECK-LABEL: func.func @diamond
// CHECK: %[[A:.*]] = scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   math.exp
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK-NOT: math.exp
// CHECK:   tensor.extract_slice %[[A]]
// CHECK-NOT: math.exp
// CHECK:   arith.negf
// CHECK-NOT: math.exp
// CHECK:   arith.addf
// CHECK: } {mapping = [#gpu.block<x>]}
#i = affine_map<(t, n) -> (t, n)>
func.func @diamond(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %x, %c0 : tensor<?x4xf32>
  %ae = tensor.empty(%t) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#i, #i], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x4xf32>) outs(%ae : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = math.exp %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %be = tensor.empty(%t) : tensor<?x4xf32>
  %b = linalg.generic {indexing_maps = [#i, #i], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x4xf32>) outs(%be : tensor<?x4xf32>) {
  ^bb0(%p: f32, %o: f32):
    %s = arith.negf %p : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  %ce = tensor.empty(%t) : tensor<?x4xf32>
  %c = linalg.generic {indexing_maps = [#i, #i, #i], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<?x4xf32>, tensor<?x4xf32>) outs(%ce : tensor<?x4xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %c : tensor<?x4xf32>
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
