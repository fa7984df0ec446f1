// RUN: hmoe-opt --split-input-file --hmoe-promote-loop-accumulators %s | FileCheck %s

// A reduction over k into an element of a fresh allocation: read before
// the loop, carried, written after it; the multiply-add order is kept.
// CHECK-LABEL: func.func @matmul_element
// CHECK-SAME: (%[[A:[^:]*]]: memref<4x8xf32>, %[[B:[^:]*]]: memref<8x4xf32>, %[[I:[^:]*]]: index, %[[J:[^:]*]]: index)
// CHECK: %[[C:.*]] = memref.alloc() : memref<4x4xf32>
// CHECK: %[[VIEW:.*]] = memref.subview %[[C]]
// CHECK: %[[INIT:.*]] = memref.load %[[VIEW]][%[[I]], %[[J]]]
// CHECK: %[[SUM:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (f32) {
// CHECK:   %[[X:.*]] = memref.load %[[A]][%[[I]], %[[K]]]
// CHECK:   %[[Y:.*]] = memref.load %[[B]][%[[K]], %[[J]]]
// CHECK:   %[[P:.*]] = arith.mulf %[[X]], %[[Y]]
// CHECK:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK:   scf.yield %[[S]] : f32
// CHECK: }
// CHECK: memref.store %[[SUM]], %[[VIEW]][%[[I]], %[[J]]]
// CHECK-NOT: memref.store
func.func @matmul_element(%a: memref<4x8xf32>, %b: memref<8x4xf32>, %i: index, %j: index) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c = memref.alloc() : memref<4x4xf32>
  %v = memref.subview %c[0, 0] [4, 4] [1, 1] : memref<4x4xf32> to memref<4x4xf32, strided<[4, 1]>>
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%i, %k] : memref<4x8xf32>
    %y = memref.load %b[%k, %j] : memref<8x4xf32>
    %acc = memref.load %v[%i, %j] : memref<4x4xf32, strided<[4, 1]>>
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    memref.store %s, %v[%i, %j] : memref<4x4xf32, strided<[4, 1]>>
  }
  return %c : memref<4x4xf32>
}

// -----

// An output that is an argument may alias the operands: left as it is.
// CHECK-LABEL: func.func @argument_output
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK:   memref.store
func.func @argument_output(%a: memref<8xf32>, %c: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %acc = memref.load %c[%c0] : memref<1xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %c[%c0] : memref<1xf32>
  }
  return
}

// -----

// The loop also reads the allocation elsewhere (another view of it): left.
// CHECK-LABEL: func.func @other_access
// CHECK: scf.for
// CHECK-NOT: iter_args
func.func @other_access(%i: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c = memref.alloc() : memref<8xf32>
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %c[%k] : memref<8xf32>
    %acc = memref.load %c[%i] : memref<8xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %c[%i] : memref<8xf32>
  }
  return %c : memref<8xf32>
}

// -----

// A dynamic trip count (maybe zero: the element read before the loop may
// not exist), a store under a condition, indices that move with the loop:
// all left.
// CHECK-LABEL: func.func @not_promoted
// CHECK-NOT: iter_args
func.func @not_promoted(%a: memref<8xf32>, %n: index, %flag: i1) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c = memref.alloc() : memref<8xf32>
  scf.for %k = %c0 to %n step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %acc = memref.load %c[%c0] : memref<8xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %c[%c0] : memref<8xf32>
  }
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %acc = memref.load %c[%c1] : memref<8xf32>
    %s = arith.addf %acc, %x : f32
    scf.if %flag {
      memref.store %s, %c[%c1] : memref<8xf32>
    }
  }
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %acc = memref.load %c[%k] : memref<8xf32>
    %s = arith.addf %acc, %x : f32
    memref.store %s, %c[%k] : memref<8xf32>
  }
  return %c : memref<8xf32>
}

// -----

// Two accumulators in one loop (the gate and up projections of SwiGLU
// computed together): both carried.
// CHECK-LABEL: func.func @two
// CHECK: %[[G0:.*]] = memref.load %[[G:.*]][%c0]
// CHECK: %[[U0:.*]] = memref.load %[[U:.*]][%c0]
// CHECK: %[[R:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[G0]], %{{.*}} = %[[U0]]) -> (f32, f32)
// CHECK-DAG: memref.store %[[R]]#0, %[[G]][%c0]
// CHECK-DAG: memref.store %[[R]]#1, %[[U]][%c0]
func.func @two(%a: memref<8xf32>) -> (memref<1xf32>, memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %g = memref.alloc() : memref<1xf32>
  %u = memref.alloc() : memref<1xf32>
  scf.for %k = %c0 to %c8 step %c1 {
    %x = memref.load %a[%k] : memref<8xf32>
    %ga = memref.load %g[%c0] : memref<1xf32>
    %gs = arith.addf %ga, %x : f32
    memref.store %gs, %g[%c0] : memref<1xf32>
    %ua = memref.load %u[%c0] : memref<1xf32>
    %us = arith.mulf %ua, %x : f32
    memref.store %us, %u[%c0] : memref<1xf32>
  }
  return %g, %u : memref<1xf32>, memref<1xf32>
}

// -----

// The K loop also reads the accumulator through a transpose (not a view
// op, so its root is unknown): not promoted, the read must see each step's
// store.
// CHECK-LABEL: func.func @read_through_alias
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: iter_args
// CHECK: memref.load %[[C:.*]][%{{.*}}, %{{.*}}] : memref<4x4xf32>
// CHECK: memref.load
// CHECK: memref.store %{{.*}}, %[[C]]
func.func @read_through_alias() -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %C = memref.alloc() : memref<4x4xf32>
  %T = memref.transpose %C (i, j) -> (j, i)
      : memref<4x4xf32> to memref<4x4xf32, strided<[1, 4]>>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %k = %c0 to %c2 step %c1 {
      %c = memref.load %C[%i, %i] : memref<4x4xf32>
      %t = memref.load %T[%i, %i] : memref<4x4xf32, strided<[1, 4]>>
      %s = arith.addf %c, %t : f32
      memref.store %s, %C[%i, %i] : memref<4x4xf32>
    }
  }
  return %C : memref<4x4xf32>
}
