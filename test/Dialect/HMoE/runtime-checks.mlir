// RUN: hmoe-opt --hmoe-decompose --generate-runtime-verification %s | FileCheck %s
// RUN: hmoe-opt --hmoe-decompose --hmoe-generate-size-checks %s | FileCheck %s --check-prefix=SIZES

// What the verifier cannot know before run time, checked in front of the
// op (test/Tools/hmoe-run-checks.test runs the checks that fail). The
// GPU's host checks (hmoe-generate-size-checks) are the same checks less
// those that read a tensor's elements (device memory there).

// A dynamic T: T x K slots must fit the i32 slot indices, and a
// slot_token destination hold exactly T x K.
// CHECK-LABEL: func.func @dispatch_dynamic
// CHECK: cf.assert {{.*}}T x K (token, choice) slots are more than 2^31 - 1 (slot indices are i32)
// CHECK: cf.assert {{.*}}slot_token's size is not T x K (one slot per choice)
// CHECK: experts holds an index outside [0, num_experts)
// CHECK: hmoe.dispatch
// SIZES-LABEL: func.func @dispatch_dynamic
// SIZES: cf.assert {{.*}}T x K (token, choice) slots are more than 2^31 - 1 (slot indices are i32)
// SIZES: cf.assert {{.*}}slot_token's size is not T x K (one slot per choice)
// SIZES-NOT: experts holds an index
// SIZES: hmoe.dispatch
func.func @dispatch_dynamic(%e: tensor<?x2xi32>, %st0: tensor<?xi32>)
    -> (tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %e, %c0 : tensor<?x2xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<5xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 4
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
  return %st, %so, %off : tensor<?xi32>, tensor<?x2xi32>, tensor<5xi32>
}

// Static sizes: the verifier checked them; no check is left.
// CHECK-LABEL: func.func @dispatch_static
// CHECK-NOT: slots are more than
// CHECK-NOT: slot_token's size
// CHECK: hmoe.dispatch
func.func @dispatch_static(%e: tensor<3x2xi32>)
    -> (tensor<6xi32>, tensor<3x2xi32>, tensor<5xi32>) {
  %st0 = tensor.empty() : tensor<6xi32>
  %so0 = tensor.empty() : tensor<3x2xi32>
  %off0 = tensor.empty() : tensor<5xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<3x2xi32> num_experts = 4
      outs(%st0, %so0, %off0 : tensor<6xi32>, tensor<3x2xi32>, tensor<5xi32>)
      -> tensor<6xi32>, tensor<3x2xi32>, tensor<5xi32>
  return %st, %so, %off : tensor<6xi32>, tensor<3x2xi32>, tensor<5xi32>
}

// The shared experts' plan has S x T slots.
// CHECK-LABEL: func.func @shared_experts
// CHECK: cf.assert {{.*}}slot_token has more than 2^31 - 1 slots (slot indices are i32)
// CHECK: slot_token names a token outside [0, T) in a used slot
// CHECK: hmoe.experts
// The GPU's checks of sizes go to the top of the function, ahead of every
// kernel (a branch between two launches would synchronise the host with
// the device there), in the order of their ops.
// SIZES-LABEL: func.func @shared_experts
// SIZES: cf.assert {{.*}}level 1 logits and weights have different token counts
// SIZES: cf.assert {{.*}}hmoe.dispatch{{.*}}T x K (token, choice) slots are more than 2^31 - 1
// SIZES: cf.assert {{.*}}slot_token has more than 2^31 - 1 slots (slot indices are i32)
// SIZES-NOT: cf.assert
// SIZES: hmoe.score
// SIZES-NOT: cf.assert
// SIZES-NOT: slot_token names a token
// SIZES: return
func.func @shared_experts(%x: tensor<?x16xf32>, %g: tensor<8x16xf32>,
    %w1: tensor<8x4x16xf32>, %w2: tensor<8x16x4xf32>,
    %s1: tensor<2x8x16xf32>, %s2: tensor<2x16x8xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<8x16xf32>)
      experts(#hmoe.expert<ffn, hidden = 4, activation = relu>, w1 %w1 : tensor<8x4x16xf32>,
              w2 %w2 : tensor<8x16x4xf32>)
      shared(#hmoe.expert<ffn, hidden = 8, activation = relu>, w1 %s1 : tensor<2x8x16xf32>,
             w2 %s2 : tensor<2x16x8xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
