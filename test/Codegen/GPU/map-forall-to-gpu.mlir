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

// The workgroup buffers of two thread loops (hmoe-warp-contractions-to-mma's
// staged tiles) become one workgroup attribution of the launch, as large as
// the larger: the thread loops run one after the other, a barrier between.
// CHECK-LABEL: func.func @workgroup_buffers
// CHECK-NOT: memref.alloca
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[TILES:.*]] : memref<512xi8, #gpu.address_space<workgroup>>)
// CHECK-NOT: memref.alloca
// CHECK: memref.view %[[TILES]][%{{.*}}][] : memref<512xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
// CHECK: gpu.barrier
// CHECK: memref.view %[[TILES]][%{{.*}}][] : memref<512xi8, #gpu.address_space<workgroup>> to memref<32xf32, #gpu.address_space<workgroup>>
func.func @workgroup_buffers(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %big = memref.alloca() : memref<512xi8, #gpu.address_space<workgroup>>
    %small = memref.alloca() : memref<128xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %tile = memref.view %big[%c0][] : memref<512xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
    scf.forall (%t) in (32) {
      %tile = memref.view %small[%c0][] : memref<128xi8, #gpu.address_space<workgroup>> to memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// A buffer of two thread loops in one loop of the block
// (hmoe-stage-thread-contractions: copy a K tile, then read it) shares the
// attribution with a later thread loop's: a barrier after each thread loop,
// the loop's last one included, before the next op reuses the bytes.
// CHECK-LABEL: func.func @workgroup_buffer_in_a_loop
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[TILES:.*]] : memref<256xi8, #gpu.address_space<workgroup>>)
// CHECK: scf.for
// CHECK: memref.view %[[TILES]]
// CHECK: gpu.barrier
// CHECK: memref.view %[[TILES]]
// CHECK: gpu.barrier
// CHECK-NEXT: }
// CHECK: memref.view %[[TILES]][%{{.*}}][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<32xf32, #gpu.address_space<workgroup>>
func.func @workgroup_buffer_in_a_loop(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %tiles = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    %small = memref.alloca() : memref<128xi8, #gpu.address_space<workgroup>>
    scf.for %k = %c0 to %c4 step %c1 {
      scf.forall (%t) in (64) {
        %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<linear_dim_0>]}
      scf.forall (%t) in (64) {
        %tile = memref.view %tiles[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %v, %x[%t] : memref<64xf32>
      } {mapping = [#gpu.thread<linear_dim_0>]}
    }
    scf.forall (%t) in (32) {
      %tile = memref.view %small[%c0][] : memref<128xi8, #gpu.address_space<workgroup>> to memref<32xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// Two K loops in one loop of the block (two staged contractions under an
// scf.for), and two thread loops' buffers under one scf.for: each buffer's
// thread loops are inside one op that holds no other's, so they share the
// bytes.
// CHECK-LABEL: func.func @workgroup_buffers_in_one_loop
// CHECK: gpu.launch
// CHECK-SAME: workgroup(%[[TILES:.*]] : memref<256xi8, #gpu.address_space<workgroup>>)
// CHECK-NOT: memref.alloca
func.func @workgroup_buffers_in_one_loop(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %first = memref.alloca() : memref<256xi8, #gpu.address_space<workgroup>>
    %second = memref.alloca() : memref<128xi8, #gpu.address_space<workgroup>>
    scf.for %k = %c0 to %c4 step %c1 {
      scf.forall (%t) in (64) {
        %tile = memref.view %first[%c0][] : memref<256xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
        memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<linear_dim_0>]}
      scf.forall (%t) in (32) {
        %tile = memref.view %second[%c0][] : memref<128xi8, #gpu.address_space<workgroup>> to memref<32xf32, #gpu.address_space<workgroup>>
        memref.store %cst, %tile[%t] : memref<32xf32, #gpu.address_space<workgroup>>
      } {mapping = [#gpu.thread<linear_dim_0>]}
    }
  } {mapping = [#gpu.block<x>]}
  return
}

// 48 KB exactly (a kernel's static workgroup memory) stays a workgroup
// attribution; past it the buffer is the launch's dynamic workgroup memory
// instead, its size the launch's.
// CHECK-LABEL: func.func @static_workgroup_limit
// CHECK: gpu.launch
// CHECK-NOT: dynamic_shared_memory_size
// CHECK-SAME: workgroup(%{{.*}} : memref<49152xi8, #gpu.address_space<workgroup>>)
// CHECK-NOT: gpu.dynamic_shared_memory
func.func @static_workgroup_limit(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %big = memref.alloca() : memref<49152xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %tile = memref.view %big[%c0][] : memref<49152xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// CHECK-LABEL: func.func @dynamic_workgroup_memory
// CHECK: %[[BYTES:.*]] = arith.constant 55296 : i32
// CHECK: gpu.launch
// CHECK-SAME: dynamic_shared_memory_size %[[BYTES]]
// CHECK-NOT: workgroup(
// CHECK: %[[DYN:.*]] = gpu.dynamic_shared_memory : memref<?xi8, #gpu.address_space<workgroup>>
// CHECK: %[[TILES:.*]] = memref.cast %[[DYN]] : memref<?xi8, #gpu.address_space<workgroup>> to memref<55296xi8, #gpu.address_space<workgroup>>
// CHECK-NOT: memref.alloca
// CHECK: memref.view %[[TILES]][%{{.*}}][] : memref<55296xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
func.func @dynamic_workgroup_memory(%x: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 1.0 : f32
  scf.forall (%b) in (4) {
    %big = memref.alloca() : memref<55296xi8, #gpu.address_space<workgroup>>
    scf.forall (%t) in (64) {
      %tile = memref.view %big[%c0][] : memref<55296xi8, #gpu.address_space<workgroup>> to memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %cst, %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      %v = memref.load %tile[%t] : memref<64xf32, #gpu.address_space<workgroup>>
      memref.store %v, %x[%t] : memref<64xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}
