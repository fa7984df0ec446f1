// RUN: hmoe-opt %s -split-input-file -allow-unregistered-dialect -hmoe-add-into-entries | FileCheck %s
// RUN: hmoe-opt %s -split-input-file -allow-unregistered-dialect -hmoe-add-into-entries=runtime-checks=0 | FileCheck %s --check-prefix=NOCHECK
// RUN: hmoe-opt %s -split-input-file -allow-unregistered-dialect -hmoe-add-into-entries=device-buffers=1 | FileCheck %s --check-prefix=DEVICE

// Every result a top-level allocation sized from the arguments: the body
// moves into @layer_into (each allocation becomes the caller's buffer, its
// dynamic sizes checked against the one given before any other work);
// @layer computes the sizes (only the ops they need), allocates and calls
// it; @layer_result_shapes gives the sizes alone.

// CHECK-LABEL: func.func @layer(
//  CHECK-SAME:     %[[X:.*]]: memref<?x8xf32>, %[[W:.*]]: memref<4x8xf32>) -> (memref<?x8xf32>, memref<4xi64>)
//  CHECK-SAME:     hmoe.abi
//       CHECK:   %[[C0:.*]] = arith.constant 0 : index
//       CHECK:   %[[T:.*]] = memref.dim %[[X]], %[[C0]]
//   CHECK-NOT:   memref.load
//       CHECK:   %[[Y:.*]] = memref.alloc(%[[T]]) {alignment = 64 : i64} : memref<?x8xf32>
//       CHECK:   %[[L:.*]] = memref.alloc() : memref<4xi64>
//       CHECK:   call @layer_into(%[[X]], %[[W]], %[[Y]], %[[L]])
//       CHECK:   return %[[Y]], %[[L]]
// CHECK-LABEL: func.func @layer_into(
//  CHECK-SAME:     %[[X:.*]]: memref<?x8xf32>, %[[W:.*]]: memref<4x8xf32>, %[[OY:.*]]: memref<?x8xf32>, %[[OL:.*]]: memref<4xi64>)
//  CHECK-SAME:     attributes {hmoe.into_abi = (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<4xi64>), llvm.emit_c_interface} {
//       CHECK:   %[[T:.*]] = memref.dim %[[X]], %{{.*}}
//       CHECK:   %[[GIVEN:.*]] = memref.dim %[[OY]], %{{.*}}
//       CHECK:   %[[SAME:.*]] = arith.cmpi eq, %[[GIVEN]], %[[T]]
//       CHECK:   cf.assert %[[SAME]], "@layer_into: the buffer for result #0 (argument #2) differs in dimension 0 from the result's size, which the layer computes from its inputs' sizes"
//       CHECK:   memref.load %[[W]]
//       CHECK:   memref.store %{{.*}}, %[[OY]]
//       CHECK:   memref.store %{{.*}}, %[[OL]]
//   CHECK-NOT:   memref.alloc
//       CHECK:   return{{$}}
// CHECK-LABEL: func.func @layer_result_shapes(
//  CHECK-SAME:     %[[X:.*]]: memref<?x8xf32>, %{{.*}}: memref<4x8xf32>, %[[S:.*]]: memref<3xi64>)
//  CHECK-SAME:     attributes {hmoe.shapes_of = (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<4xi64>), llvm.emit_c_interface} {
//       CHECK:   %[[T:.*]] = memref.dim %[[X]]
//   CHECK-NOT:   memref.load
//       CHECK:   %[[T64:.*]] = arith.index_cast %[[T]] : index to i64
//       CHECK:   memref.store %[[T64]], %[[S]][%{{.*}}]
//       CHECK:   %[[C8:.*]] = arith.constant 8 : i64
//       CHECK:   memref.store %[[C8]], %[[S]]
//       CHECK:   %[[C4:.*]] = arith.constant 4 : i64
//       CHECK:   memref.store %[[C4]], %[[S]]
//       CHECK:   return
// NOCHECK-LABEL: func.func @layer_into(
//   NOCHECK-NOT:   cf.assert
//       NOCHECK:   return
func.func @layer(%x: memref<?x8xf32>, %w: memref<4x8xf32>)
    -> (memref<?x8xf32>, memref<4xi64>)
    attributes {hmoe.abi = (tensor<?x8xf32>, tensor<4x8xf32>) -> (tensor<?x8xf32>, tensor<4xi64>),
                llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : i64
  %t = memref.dim %x, %c0 : memref<?x8xf32>
  %v = memref.load %w[%c0, %c0] : memref<4x8xf32>
  %y = memref.alloc(%t) {alignment = 64 : i64} : memref<?x8xf32>
  memref.store %v, %y[%c0, %c0] : memref<?x8xf32>
  %l = memref.alloc() : memref<4xi64>
  memref.store %c1, %l[%c0] : memref<4xi64>
  return %y, %l : memref<?x8xf32>, memref<4xi64>
}

// -----

// A result whose size the layer reads from a buffer: @layer_into calls
// @layer, checks the sizes, copies and frees.

// CHECK-LABEL: func.func @data_sized(
//       CHECK:   %[[N:.*]] = memref.load
//       CHECK:   memref.alloc(%[[N]])
// CHECK-LABEL: func.func @data_sized_into(
//  CHECK-SAME:     %[[C:.*]]: memref<1xindex>, %[[O:.*]]: memref<?xf32>)
//       CHECK:   %[[R:.*]] = call @data_sized(%[[C]])
//       CHECK:   %[[GIVEN:.*]] = memref.dim %[[O]]
//       CHECK:   %[[HAS:.*]] = memref.dim %[[R]]
//       CHECK:   %[[SAME:.*]] = arith.cmpi eq, %[[GIVEN]], %[[HAS]]
//       CHECK:   cf.assert %[[SAME]], "@data_sized_into: the buffer for result #0 (argument #1) differs in dimension 0
//       CHECK:   memref.copy %[[R]], %[[O]]
//       CHECK:   memref.dealloc %[[R]]
//       CHECK:   return
//   CHECK-NOT: @data_sized_result_shapes
func.func @data_sized(%count: memref<1xindex>) -> memref<?xf32>
    attributes {hmoe.abi = (tensor<1xindex>) -> tensor<?xf32>} {
  %c0 = arith.constant 0 : index
  %n = memref.load %count[%c0] : memref<1xindex>
  %y = memref.alloc(%n) : memref<?xf32>
  return %y : memref<?xf32>
}

// -----

// A result freed on some path in the body, and one whose size divides by
// an input's (run ahead of the layer's checks, the division could trap):
// calls and copies.

// CHECK-LABEL: func.func @freed_into(
//       CHECK:   call @freed(
//       CHECK:   memref.copy
// CHECK-LABEL: func.func @divided_into(
//       CHECK:   call @divided(
//       CHECK:   memref.copy
//   CHECK-NOT: @divided_result_shapes
func.func @freed(%x: memref<4xf32>, %c: i1) -> memref<4xf32>
    attributes {hmoe.abi = (tensor<4xf32>, i1) -> tensor<4xf32>} {
  %y = memref.alloc() : memref<4xf32>
  scf.if %c {
    memref.dealloc %y : memref<4xf32>
  }
  return %y : memref<4xf32>
}
func.func @divided(%x: memref<?xf32>, %w: memref<?xf32>) -> memref<?xf32>
    attributes {hmoe.abi = (tensor<?xf32>, tensor<?xf32>) -> tensor<?xf32>} {
  %c0 = arith.constant 0 : index
  %t = memref.dim %x, %c0 : memref<?xf32>
  %k = memref.dim %w, %c0 : memref<?xf32>
  %n = arith.divui %t, %k : index
  %y = memref.alloc(%n) : memref<?xf32>
  return %y : memref<?xf32>
}

// -----

// The same buffer returned twice: copied twice, freed once (the second
// result's buffer only if it is not the first's).

// CHECK-LABEL: func.func @twice_into(
//       CHECK:   %[[R:.*]]:2 = call @twice(
//       CHECK:   memref.copy %[[R]]#0
//       CHECK:   %[[P0:.*]] = memref.extract_aligned_pointer_as_index %[[R]]#0
//       CHECK:   memref.copy %[[R]]#1
//       CHECK:   %[[P1:.*]] = memref.extract_aligned_pointer_as_index %[[R]]#1
//       CHECK:   memref.dealloc %[[R]]#0
//       CHECK:   %[[OTHER:.*]] = arith.cmpi ne, %[[P1]], %[[P0]]
//       CHECK:   scf.if %[[OTHER]]
//       CHECK:     memref.dealloc %[[R]]#1
func.func @twice(%x: memref<4xf32>) -> (memref<4xf32>, memref<4xf32>)
    attributes {hmoe.abi = (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>)} {
  %y = memref.alloc() : memref<4xf32>
  return %y, %y : memref<4xf32>, memref<4xf32>
}

// -----

// The GPU pipeline's host allocations (after hmoe-map-forall-to-gpu).

// CHECK-LABEL: func.func @on_gpu(
//       CHECK:   %[[Y:.*]] = gpu.alloc (%{{.*}}) : memref<?x8xf32>
//       CHECK:   call @on_gpu_into(%{{.*}}, %[[Y]])
//       CHECK:   return %[[Y]]
// CHECK-LABEL: func.func @on_gpu_into(
//  CHECK-SAME:     %[[X:.*]]: memref<?x8xf32>, %[[O:.*]]: memref<?x8xf32>)
//   CHECK-NOT:   gpu.alloc
//       CHECK:   "test.kernel"(%[[X]], %[[O]])
func.func @on_gpu(%x: memref<?x8xf32>) -> memref<?x8xf32>
    attributes {hmoe.abi = (tensor<?x8xf32>) -> tensor<?x8xf32>} {
  %c0 = arith.constant 0 : index
  %t = memref.dim %x, %c0 : memref<?x8xf32>
  %y = gpu.alloc (%t) : memref<?x8xf32>
  "test.kernel"(%x, %y) : (memref<?x8xf32>, memref<?x8xf32>) -> ()
  return %y : memref<?x8xf32>
}

// -----

// With device-buffers (the GPU pipeline, after hmoe-map-forall-to-gpu), the
// copy is a gpu.memcpy and the free a gpu.dealloc.

// DEVICE-LABEL: func.func @device_copy_into(
//  DEVICE-SAME:     %[[C:.*]]: memref<1xindex>, %[[O:.*]]: memref<?xf32>)
//       DEVICE:   %[[R:.*]] = call @device_copy(%[[C]])
//       DEVICE:   gpu.memcpy  %[[O]], %[[R]]
//       DEVICE:   gpu.dealloc  %[[R]]
func.func @device_copy(%count: memref<1xindex>) -> memref<?xf32>
    attributes {hmoe.abi = (tensor<1xindex>) -> tensor<?xf32>} {
  %c0 = arith.constant 0 : index
  %n = memref.load %count[%c0] : memref<1xindex>
  %y = gpu.alloc (%n) : memref<?xf32>
  return %y : memref<?xf32>
}

// -----

// Functions that are not layers (no hmoe.abi, private, no results) are
// left alone.

// CHECK-LABEL: func.func @not_a_layer(
// CHECK-LABEL: func.func private @private_layer(
// CHECK-NOT: _into
func.func @not_a_layer() -> memref<4xf32> {
  %y = memref.alloc() : memref<4xf32>
  return %y : memref<4xf32>
}
func.func private @private_layer() -> memref<4xf32>
    attributes {hmoe.abi = () -> tensor<4xf32>} {
  %y = memref.alloc() : memref<4xf32>
  return %y : memref<4xf32>
}

