// RUN: hmoe-opt %s --hmoe-choose-parallel-loops=min-trip-count=8 --split-input-file | FileCheck %s

// 64 experts keep the threads: each expert's row loop runs on its thread,
// the experts handed out as threads free up (they differ in size).
// CHECK-LABEL: func.func @many_experts
// CHECK-SAME: (%[[M:.*]]: memref<64x?xf32>, %[[N:.*]]: index)
// CHECK: scf.parallel (%[[E:.*]]) = (%{{.*}}) to (%{{.*}}) step
// CHECK:   scf.for %[[R:.*]] = %{{.*}} to %[[N]] step
// CHECK:     memref.store %{{.*}}, %[[M]][%[[E]], %[[R]]]
// CHECK: } {hmoe.dynamic_tasks}
// CHECK-NOT: scf.parallel
func.func @many_experts(%m: memref<64x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%e) = (%c0) to (%c64) step (%c1) {
    scf.parallel (%r) = (%c0) to (%n) step (%c1) {
      memref.store %f, %m[%e, %r] : memref<64x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// 4 experts would leave threads idle: the loop over them is sequential and
// each expert's rows are split across the threads.
// CHECK-LABEL: func.func @few_experts
// CHECK: scf.for %[[E:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   scf.parallel (%[[R:.*]]) = (%{{.*}}) to (%{{.*}}) step
// CHECK:     memref.store %{{.*}}, %{{.*}}[%[[E]], %[[R]]]
// CHECK-NOT: hmoe.dynamic_tasks
func.func @few_experts(%m: memref<4x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%e) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%r) = (%c0) to (%n) step (%c1) {
      memref.store %f, %m[%e, %r] : memref<4x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

// -----

// A dynamic trip count (tiles of tokens) keeps the threads, with a static
// schedule (equal tiles, maybe many); a parallel loop with no loop inside
// is left alone, and so is a 2-D nest inside a sequential outer loop.
// CHECK-LABEL: func.func @dynamic_and_plain
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step
// CHECK-NOT: scf.for
// CHECK-NOT: hmoe.dynamic_tasks
func.func @dynamic_and_plain(%m: memref<?x?xf32>, %t: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%t) step (%c1) {
    scf.parallel (%a, %b) = (%c0, %c0) to (%n, %n) step (%c1, %c1) {
      memref.store %f, %m[%a, %b] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%t) step (%c1) {
    memref.store %f, %m[%i, %i] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// RUN: hmoe-opt %s --hmoe-choose-parallel-loops='min-trip-count=99 adaptive-rows=16' --split-input-file | FileCheck %s --check-prefix=ADAPTIVE

// With adaptive-rows, 4 experts over a buffer of %m's rows are chosen at
// run time: below 16 x 4 rows the loop over experts keeps the threads (its
// rows run on each expert's thread), else the rows do.
// ADAPTIVE-LABEL: func.func @adaptive
// ADAPTIVE-SAME: (%[[M:.*]]: memref<?x8xf32>, %[[N:.*]]: index)
// ADAPTIVE: %[[ROWS:.*]] = memref.dim %[[M]], %{{.*}} : memref<?x8xf32>
// ADAPTIVE: %[[BOUND:.*]] = arith.constant 64 : index
// ADAPTIVE: %[[FEW:.*]] = arith.cmpi ult, %[[ROWS]], %[[BOUND]] : index
// ADAPTIVE: scf.if %[[FEW]] {
// ADAPTIVE:   scf.parallel (%[[E:.*]]) =
// ADAPTIVE:     scf.for %[[R:.*]] = %{{.*}} to %[[N]]
// ADAPTIVE:       memref.store %{{.*}}, %[[M]][%[[R]], %[[E]]]
// ADAPTIVE:   } {hmoe.dynamic_tasks}
// ADAPTIVE: } else {
// ADAPTIVE:   scf.for %[[E2:.*]] =
// ADAPTIVE:     scf.parallel (%[[R2:.*]]) = (%{{.*}}) to (%[[N]])
// ADAPTIVE:       memref.store %{{.*}}, %[[M]][%[[R2]], %[[E2]]]
// ADAPTIVE: }
// Without it (the first RUN line), 4 experts yield to their rows.
// CHECK-LABEL: func.func @adaptive
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK:   scf.parallel
func.func @adaptive(%m: memref<?x8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%e) = (%c0) to (%c4) step (%c1) {
    scf.parallel (%r) = (%c0) to (%n) step (%c1) {
      memref.store %f, %m[%r, %e] : memref<?x8xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}
