// RUN: hmoe-opt --hmoe-decompose --generate-runtime-verification %s | FileCheck %s
// RUN: hmoe-opt --hmoe-decompose --hmoe-generate-size-checks %s | FileCheck %s --check-prefix=SIZES
// RUN: hmoe-opt --hmoe-decompose --hmoe-generate-size-checks=device-checks %s | FileCheck %s --check-prefix=DEVICE

// What the verifier cannot know before run time, checked in front of the
// op (test/Tools/hmoe-run-checks.test runs the checks that fail). The
// GPU's host checks (hmoe-generate-size-checks) are the same checks less
// those that read a tensor's elements (device memory there); with
// device-checks those run as GPU block loops, a thread an element.

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
// The T x 2 experts as blocks of 256 threads, element i at [i / 2, i % 2].
// DEVICE-LABEL: func.func @dispatch_dynamic
// DEVICE: cf.assert {{.*}}T x K (token, choice) slots are more than 2^31 - 1
// DEVICE: cf.assert {{.*}}slot_token's size is not T x K
// DEVICE: %[[T:.*]] = tensor.dim %{{.*}}, %c0
// DEVICE: %[[N:.*]] = arith.muli %[[T]], %c2
// DEVICE: %[[BLOCKS:.*]] = arith.ceildivui %[[N]], %c256
// DEVICE: scf.forall (%[[B:.*]]) in (%[[BLOCKS]]) {
// DEVICE:   scf.forall (%[[TID:.*]]) in (256) {
// DEVICE:     %[[BASE:.*]] = arith.muli %[[B]], %c256
// DEVICE:     %[[I:.*]] = arith.addi %[[BASE]], %[[TID]]
// DEVICE:     %[[IN:.*]] = arith.cmpi ult, %[[I]], %[[N]]
// DEVICE:     scf.if %[[IN]] {
// DEVICE:       %[[ROW:.*]] = arith.divui %[[I]], %c2
// DEVICE:       %[[COL:.*]] = arith.remui %[[I]], %c2
// DEVICE:       tensor.extract %{{.*}}[%[[ROW]], %[[COL]]] : tensor<?x2xi32>
// DEVICE:       cf.assert {{.*}}experts holds an index outside [0, num_experts)
// DEVICE:   } {mapping = [#gpu.thread<x>]}
// DEVICE: } {mapping = [#gpu.block<x>]}
// DEVICE-NEXT: hmoe.dispatch
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

// A user's plan: the offsets (thread e compares e and e + 1) and the used
// slots' tokens, one kernel each on the device.
// CHECK-LABEL: func.func @experts_plan
// CHECK: offsets are not non-decreasing from 0 to at most the slot count
// CHECK: slot_token names a token outside [0, T) in a used slot
// CHECK: hmoe.experts
// DEVICE-LABEL: func.func @experts_plan
// DEVICE: scf.forall
// DEVICE: scf.forall (%{{.*}}) in (256)
// DEVICE: cf.assert {{.*}}offsets are not non-decreasing from 0 to at most the slot count
// DEVICE: {mapping = [#gpu.block<x>]}
// DEVICE: scf.forall
// DEVICE: scf.forall (%{{.*}}) in (256)
// DEVICE: cf.assert {{.*}}slot_token names a token outside [0, T) in a used slot
// DEVICE: {mapping = [#gpu.block<x>]}
// DEVICE-NEXT: hmoe.experts
func.func @experts_plan(%x: tensor<?x8xf32>, %st: tensor<?xi32>,
    %off: tensor<5xi32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %o = hmoe.experts %x : tensor<?x8xf32>, %st : tensor<?xi32>,
      %off : tensor<5xi32>
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) -> tensor<?x8xf32>
  return %o : tensor<?x8xf32>
}

// The shared experts' plan has S x T slots; the decomposition vouches for
// its values (in_range), so they are not scanned.
// CHECK-LABEL: func.func @shared_experts
// CHECK: cf.assert {{.*}}slot_token has more than 2^31 - 1 slots (slot indices are i32)
// CHECK-NOT: slot_token names a token
// CHECK: hmoe.experts
// CHECK-NEXT: experts({{.*}}) in_range ->
// CHECK-NOT: slot_of holds a slot
// CHECK: hmoe.combine {{.*}} in_range
// CHECK-NOT: slot_of holds a slot
// CHECK: return
// DEVICE-LABEL: func.func @shared_experts
// DEVICE-NOT: scf.forall
// DEVICE: return
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
