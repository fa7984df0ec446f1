// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-map-forall-to-gpu))' %s | FileCheck %s

// A block loop with a dynamic trip count becomes a launch whose grid is
// computed on the host; its thread loops are mapped to thread ids (16 x 16
// threads, guards and a barrier from upstream's mapping); host
// allocations are device memory, a host copy of whole buffers a memcpy.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[X:.*]]: memref<?x32xf32>)
// CHECK: %[[T:.*]] = memref.dim %[[X]]
// CHECK: %[[TMP:.*]] = gpu.alloc (%[[T]]) : memref<?x32xf32>
// CHECK: %[[GRID:.*]] = affine.apply #{{.*}}()[%[[T]]]
// CHECK: gpu.launch blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %[[GRID]], %{{.*}} = %c1, %{{.*}} = %c1) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c16{{.*}}, %{{.*}} = %c16{{.*}}, %{{.*}} = %c1{{.*}})
// CHECK:   %[[ROW:.*]] = affine.apply #{{.*}}()[%[[BX]]]
// CHECK:   %[[ROWS:.*]] = memref.subview %[[X]][%[[ROW]], 0]
// CHECK:   %[[TX:.*]] = gpu.thread_id x
// CHECK:   %[[TY:.*]] = gpu.thread_id y
// CHECK:   memref.store %{{.*}}, %[[ROWS]][%[[TY]], %[[TX]]]
// CHECK:   gpu.barrier
// CHECK:   gpu.terminator
// CHECK: gpu.memcpy %[[X]], %[[TMP]] : memref<?x32xf32>, memref<?x32xf32>
// CHECK: gpu.dealloc %[[TMP]] : memref<?x32xf32>
func.func @rows(%x: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  %t = memref.dim %x, %c0 : memref<?x32xf32>
  %tmp = memref.alloc(%t) : memref<?x32xf32>
  scf.forall (%row) = (0) to (%t) step (16) {
    %rows = memref.subview %x[%row, 0] [16, 32] [1, 1]
        : memref<?x32xf32> to memref<16x32xf32, strided<[32, 1], offset: ?>>
    scf.forall (%i, %j) in (16, 16) {
      memref.store %cst, %rows[%i, %j] : memref<16x32xf32, strided<[32, 1], offset: ?>>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {mapping = [#gpu.block<x>]}
  memref.copy %tmp, %x : memref<?x32xf32> to memref<?x32xf32>
  memref.dealloc %tmp : memref<?x32xf32>
  return
}
