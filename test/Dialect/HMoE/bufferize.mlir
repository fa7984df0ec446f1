// RUN: hmoe-opt %s --one-shot-bufferize="bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map" --split-input-file | FileCheck %s

// The routing ops bufferize in place: each destination becomes the buffer
// the memref form writes, and later ops read those buffers.
// CHECK-LABEL: func.func @bufferize
// CHECK-SAME: (%[[L:.*]]: memref<?x8xf32>) -> (memref<?x2xf32>, memref<?xi32>, memref<8xi64>)
// CHECK: %[[T:.*]] = memref.dim %[[L]]
// CHECK: %[[W:.*]] = memref.alloc(%[[T]]) {{.*}} : memref<?x2xf32>
// CHECK: %[[E:.*]] = memref.alloc(%[[T]]) {{.*}} : memref<?x2xi32>
// CHECK: %[[P:.*]] = memref.alloc(%[[T]]) {{.*}} : memref<?x8xf32>
// CHECK: hmoe.route #hmoe.strategy<nested>
// CHECK-NEXT: level(#hmoe.gate<linear, softmax, k = 2>, logits %[[L]] : memref<?x8xf32>) outs(%[[W]], %[[E]], %[[P]] : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>){{$}}
// CHECK: %[[ST:.*]] = memref.alloc(%{{.*}}) {{.*}} : memref<?xi32>
// CHECK: %[[SO:.*]] = memref.alloc(%[[T]]) {{.*}} : memref<?x2xi32>
// CHECK: %[[OFF:.*]] = memref.alloc() {{.*}} : memref<9xi32>
// CHECK: hmoe.dispatch %[[E]] : memref<?x2xi32> num_experts = 8 outs(%[[ST]], %[[SO]], %[[OFF]] : memref<?xi32>, memref<?x2xi32>, memref<9xi32>){{$}}
// CHECK: %[[LOAD:.*]] = memref.alloc() {{.*}} : memref<8xi64>
// CHECK: hmoe.stats [load] probs %[[P]] : memref<?x8xf32>, experts %[[E]] : memref<?x2xi32> outs(%[[LOAD]] : memref<8xi64>){{$}}
// CHECK-NOT: memref.copy
// CHECK: return %[[W]], %[[ST]], %[[LOAD]]
func.func @bufferize(%l: tensor<?x8xf32>) -> (tensor<?x2xf32>, tensor<?xi32>, tensor<8xi64>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %t = tensor.dim %l, %c0 : tensor<?x8xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x8xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  %tk = arith.muli %t, %c2 : index
  %st0 = tensor.empty(%tk) : tensor<?xi32>
  %so0 = tensor.empty(%t) : tensor<?x2xi32>
  %off0 = tensor.empty() : tensor<9xi32>
  %st, %so, %off = hmoe.dispatch %e : tensor<?x2xi32> num_experts = 8
      outs(%st0, %so0, %off0 : tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>)
      -> tensor<?xi32>, tensor<?x2xi32>, tensor<9xi32>
  %load0 = tensor.empty() : tensor<8xi64>
  %load = hmoe.stats [load] probs %p : tensor<?x8xf32>, experts %e : tensor<?x2xi32>
      outs(%load0 : tensor<8xi64>) -> tensor<8xi64>
  return %w, %st, %load : tensor<?x2xf32>, tensor<?xi32>, tensor<8xi64>
}

// -----

// A destination whose old value is still used elsewhere gets a new buffer,
// and nothing is copied into it: the op writes every element and reads
// none of its destination.
// CHECK-LABEL: func.func @destination_still_used
// CHECK-SAME: (%[[L:.*]]: memref<?x8xf32>, %[[W0:.*]]: memref<?x2xf32>, %[[E0:.*]]: memref<?x2xi32>, %[[P0:.*]]: memref<?x8xf32>)
// CHECK: %[[W:.*]] = memref.alloc
// CHECK-NOT: memref.copy
// CHECK: hmoe.route
// CHECK-NEXT: outs(%[[W]], %[[E0]], %[[P0]] :
// CHECK-NOT: memref.copy
// CHECK: return %[[W]], %[[W0]]
func.func @destination_still_used(%l: tensor<?x8xf32>, %w0: tensor<?x2xf32>, %e0: tensor<?x2xi32>, %p0: tensor<?x8xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xf32>) {
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l : tensor<?x8xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x8xf32>
  return %w, %w0 : tensor<?x2xf32>, tensor<?x2xf32>
}
