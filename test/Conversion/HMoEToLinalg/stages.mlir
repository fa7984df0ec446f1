// RUN: hmoe-opt --convert-hmoe-to-linalg --split-input-file %s | FileCheck %s

// Scores are a contraction over D plus an element-wise epilogue; the
// Laplace distance is the direct form (sum of squared differences, then
// sqrt), which needs no clamp. It sums in f64, where no f32 input overflows
// or underflows, and rounds the distance to f32 after the square root.
// CHECK-LABEL: func.func @score_laplace
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[W:.*]]: tensor<4x8x16xf32>)
// CHECK: %[[W2:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0, 1], [2]] : tensor<4x8x16xf32> into tensor<32x16xf32>
// CHECK: %[[T:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x16xf32>
// CHECK: %[[ACC0:.*]] = tensor.empty(%[[T]]) : tensor<?x32xf64>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%[[ACC0]] : tensor<?x32xf64>) -> tensor<?x32xf64>
// CHECK: %[[SQ:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[X]], %[[W2]] : tensor<?x16xf32>, tensor<32x16xf32>) outs(%[[ACC]] : tensor<?x32xf64>)
// CHECK:   ^bb0(%[[XI:.*]]: f32, %[[WI:.*]]: f32, %[[OUT:.*]]: f64):
// CHECK:   %[[XD:.*]] = arith.extf %[[XI]] : f32 to f64
// CHECK:   %[[WD:.*]] = arith.extf %[[WI]] : f32 to f64
// CHECK:   %[[D:.*]] = arith.subf %[[XD]], %[[WD]] : f64
// CHECK:   %[[D2:.*]] = arith.mulf %[[D]], %{{.*}} : f64
// CHECK:   %[[SUM:.*]] = arith.addf %[[OUT]], %[[D2]] : f64
// CHECK:   linalg.yield %[[SUM]] : f64
// CHECK: %[[S:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[SQ]] : tensor<?x32xf64>)
// CHECK:   ^bb0(%[[SQI:.*]]: f64, %{{.*}}: f32):
// CHECK:   %[[DIST:.*]] = math.sqrt %[[SQI]] : f64
// CHECK:   %[[DF:.*]] = arith.truncf %[[DIST]] : f64 to f32
// CHECK:   %[[NEG:.*]] = arith.negf %[[DF]] : f32
// CHECK:   linalg.yield %[[NEG]] : f32
// CHECK: } -> tensor<?x32xf32>
// CHECK: %[[OUT3:.*]] = tensor.expand_shape %[[S]] {{\[}}[0], [1, 2]] output_shape [%{{.*}}, 4, 8] : tensor<?x32xf32> into tensor<?x4x8xf32>
// CHECK: return %[[OUT3]]
func.func @score_laplace(%x: tensor<?x16xf32>, %w: tensor<4x8x16xf32>)
    -> tensor<?x4x8xf32> {
  %s = hmoe.score laplace %x : tensor<?x16xf32>, %w : tensor<4x8x16xf32>
      -> tensor<?x4x8xf32>
  return %s : tensor<?x4x8xf32>
}

// -----

// Experts: a forall over experts sharing the output; each gathers its rows
// [offsets[e], offsets[e + 1]) of slot_token, runs its FFN as two
// contractions with the activation in between, and writes its own rows.
// CHECK-LABEL: func.func @experts_ffn
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[ST:.*]]: tensor<?xi32>, %[[OFF:.*]]: tensor<5xi32>, %[[W1:.*]]: tensor<4x32x16xf32>, %[[W2:.*]]: tensor<4x16x32xf32>)
// CHECK: %[[SLOTS:.*]] = tensor.dim %[[ST]], %{{.*}} : tensor<?xi32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[SLOTS]]) : tensor<?x16xf32>
// CHECK: %[[Y:.*]] = scf.forall (%[[E:.*]]) in (4) shared_outs(%[[ACC:.*]] = %[[INIT]]) -> (tensor<?x16xf32>)
// CHECK:   %[[LO32:.*]] = tensor.extract %[[OFF]][%[[E]]] : tensor<5xi32>
// CHECK:   %[[LO:.*]] = arith.index_cast %[[LO32]] : i32 to index
// CHECK:   %[[E1:.*]] = arith.addi %[[E]], %{{.*}} : index
// CHECK:   %[[HI32:.*]] = tensor.extract %[[OFF]][%[[E1]]] : tensor<5xi32>
// CHECK:   %[[HI:.*]] = arith.index_cast %[[HI32]] : i32 to index
// CHECK:   %[[N:.*]] = arith.subi %[[HI]], %[[LO]] : index
// CHECK:   %[[MINE:.*]] = tensor.extract_slice %[[ST]][%[[LO]]] [%[[N]]] [1] : tensor<?xi32> to tensor<?xi32>
// CHECK:   %[[ROWS:.*]] = linalg.generic {{.*}} ins(%[[MINE]] : tensor<?xi32>)
// CHECK:     ^bb0(%[[TOK:.*]]: i32, %{{.*}}: f32):
// CHECK:     %[[COL:.*]] = linalg.index 1 : index
// CHECK:     %[[TI:.*]] = arith.index_cast %[[TOK]] : i32 to index
// CHECK:     %[[XV:.*]] = tensor.extract %[[X]][%[[TI]], %[[COL]]] : tensor<?x16xf32>
// CHECK:     linalg.yield %[[XV]] : f32
// CHECK:   %[[W1E:.*]] = tensor.extract_slice %[[W1]][%[[E]], 0, 0] [1, 32, 16] [1, 1, 1] : tensor<4x32x16xf32> to tensor<32x16xf32>
// CHECK:   %[[H:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]} ins(%[[ROWS]], %[[W1E]] : tensor<?x16xf32>, tensor<32x16xf32>)
// The activation updates the hidden rows in place, reading them as its
// output's elements.
// CHECK:   %[[ACT:.*]] = linalg.generic {{.*}}["parallel", "parallel"]} outs(%[[H]] : tensor<?x32xf32>)
// CHECK-NEXT: ^bb0(%[[HV:.*]]: f32):
// CHECK:     arith.maximumf %[[HV]]
// CHECK:   %[[MYOUT:.*]] = tensor.extract_slice %[[ACC]][%[[LO]], 0] [%[[N]], 16] [1, 1]
// CHECK:   %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[MYOUT]] : tensor<?x16xf32>)
// CHECK:   %[[W2E:.*]] = tensor.extract_slice %[[W2]][%[[E]], 0, 0] [1, 16, 32] [1, 1, 1] : tensor<4x16x32xf32> to tensor<16x32xf32>
// CHECK:   %[[O:.*]] = linalg.generic {{.*}}["parallel", "parallel", "reduction"]} ins(%[[ACT]], %[[W2E]] : tensor<?x32xf32>, tensor<16x32xf32>) outs(%[[ZERO]] : tensor<?x16xf32>)
// CHECK:   scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %[[O]] into %[[ACC]][%[[LO]], 0] [%[[N]], 16] [1, 1]
// CHECK: return %[[Y]]
func.func @experts_ffn(%x: tensor<?x16xf32>, %st: tensor<?xi32>, %off: tensor<5xi32>,
                       %w1: tensor<4x32x16xf32>, %w2: tensor<4x16x32xf32>) -> tensor<?x16xf32> {
  %o = hmoe.experts %x : tensor<?x16xf32>, %st : tensor<?xi32>, %off : tensor<5xi32>
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>,
              w1 %w1 : tensor<4x32x16xf32>, w2 %w2 : tensor<4x16x32xf32>)
      -> tensor<?x16xf32>
  return %o : tensor<?x16xf32>
}

// -----

// Combine gathers each token's kept expert outputs in selection order:
// y[t, d] = sum_j (slot_of[t, j] >= 0 ? w[t, j] * o[slot_of[t, j], d] : 0).
// CHECK-LABEL: func.func @combine
// CHECK-SAME: (%[[O:.*]]: tensor<?x16xf32>, %[[SO:.*]]: tensor<?x2xi32>, %[[W:.*]]: tensor<?x2xf32>)
// CHECK: %[[Y:.*]] = linalg.generic {{.*}}["parallel", "parallel"]} outs(%{{.*}} : tensor<?x16xf32>)
// CHECK:   %[[T:.*]] = linalg.index 0 : index
// CHECK:   %[[D:.*]] = linalg.index 1 : index
// CHECK:   %[[SUM:.*]] = scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK:     %[[SLOT:.*]] = tensor.extract %[[SO]][%[[T]], %[[J]]] : tensor<?x2xi32>
// CHECK:     %[[WT:.*]] = tensor.extract %[[W]][%[[T]], %[[J]]] : tensor<?x2xf32>
// CHECK:     %[[KEPT:.*]] = arith.cmpi sge, %[[SLOT]], %{{.*}} : i32
// CHECK:     %[[NEW:.*]] = scf.if %[[KEPT]] -> (f32)
// CHECK:       %[[SI:.*]] = arith.index_cast %[[SLOT]] : i32 to index
// CHECK:       %[[OV:.*]] = tensor.extract %[[O]][%[[SI]], %[[D]]] : tensor<?x16xf32>
// CHECK:       %[[P:.*]] = arith.mulf %[[WT]], %[[OV]] : f32
// CHECK:       %[[A:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK:       scf.yield %[[A]] : f32
// CHECK:     } else {
// CHECK:       scf.yield %[[ACC]] : f32
// CHECK:     scf.yield %[[NEW]] : f32
// CHECK:   linalg.yield %[[SUM]] : f32
// CHECK: return %[[Y]]
func.func @combine(%o: tensor<?x16xf32>, %so: tensor<?x2xi32>,
                   %w: tensor<?x2xf32>) -> tensor<?x16xf32> {
  %y = hmoe.combine %o, %so, %w
      : tensor<?x16xf32>, tensor<?x2xi32>, tensor<?x2xf32> -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Routing, dispatch and statistics are legal: they stay destination-passing
// hmoe ops on tensors (bufferized and lowered by code generation), with
// their operands and destinations untouched.
// CHECK-LABEL: func.func @routing_stays
// CHECK-SAME: (%[[L:.*]]: tensor<?x8xf32>, %[[W0:.*]]: tensor<?x2xf32>, %[[E0:.*]]: tensor<?x2xi32>, %[[P0:.*]]: tensor<?x8xf32>, %[[ST0:.*]]: tensor<?xi32>, %[[SO0:.*]]: tensor<?x2xi32>, %[[OFF0:.*]]: tensor<9xi32>, %[[LOAD0:.*]]: tensor<8xi64>)
// CHECK: %[[R:.*]]:3 = hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %[[L]] : tensor<?x8xf32>) outs(%[[W0]], %[[E0]], %[[P0]] :
// CHECK: %[[D:.*]]:3 = hmoe.dispatch %[[R]]#1 : tensor<?x2xi32> num_experts = 8 capacity_factor 1.250000e+00 outs(%[[ST0]], %[[SO0]], %[[OFF0]] :
// CHECK: %[[LOAD:.*]] = hmoe.stats [load] probs %[[R]]#2 : tensor<?x8xf32>, experts %[[R]]#1 : tensor<?x2xi32> outs(%[[LOAD0]] : tensor<8xi64>)
// CHECK: return %[[D]]#0, %[[LOAD]]
func.func @routing_stays(%l: tensor<?x8xf32>, %w0: tensor<?x2xf32>, %e0: tensor<?x2xi32>,
                         %p0: tensor<?x8xf32>, %st0: tensor<?xi32>, %so0: tensor<?x2xi32>,
                         %off0: tensor<9xi32>, %load0: tensor<8xi64>)
    -> (tensor<?xi32>, tensor<8xi64>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
      capacity_factor 1.25
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  %load = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32>
      outs(%load0 : tensor<8xi64>) -> tensor<8xi64>
  return %st, %load : tensor<?xi32>, tensor<8xi64>
}
