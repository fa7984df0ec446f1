// RUN: hmoe-opt %s --hmoe-choose-parallel-loops='min-trip-count=8 serial-single=0' --split-input-file | FileCheck %s

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

// RUN: hmoe-opt %s --hmoe-choose-parallel-loops='min-trip-count=99 adaptive-rows=16 serial-single=0' --split-input-file | FileCheck %s --check-prefix=ADAPTIVE

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

// -----

// RUN: hmoe-opt %s --hmoe-choose-parallel-loops --split-input-file | FileCheck %s --check-prefix=SINGLE

// serial-single (the default): a loop that keeps the threads and has a
// dynamic trip count is compiled twice; with at most one iteration (every
// dimension's lower bound + step >= its upper bound: one tile of tokens at
// T = 1) it runs serially, with no thread team to start and join. A static
// trip count is left alone.
// SINGLE-LABEL: func.func @single_tile
// SINGLE-SAME: (%[[M:.*]]: memref<?x?xf32>, %[[T:.*]]: index, %[[N:.*]]: index)
// SINGLE-DAG: %[[C0:.*]] = arith.constant 0 : index
// SINGLE-DAG: %[[C16:.*]] = arith.constant 16 : index
// SINGLE-DAG: %[[C2:.*]] = arith.constant 2 : index
// SINGLE-DAG: %[[C64:.*]] = arith.constant 64 : index
// SINGLE: %[[NEXT0:.*]] = arith.addi %[[C0]], %[[C16]] : index
// SINGLE: %[[ONE0:.*]] = arith.cmpi sge, %[[NEXT0]], %[[T]] : index
// SINGLE: %[[NEXT1:.*]] = arith.addi %[[C0]], %[[C2]] : index
// SINGLE: %[[ONE1:.*]] = arith.cmpi sge, %[[NEXT1]], %[[N]] : index
// SINGLE: %[[SINGLE:.*]] = arith.andi %[[ONE0]], %[[ONE1]] : i1
// SINGLE: scf.if %[[SINGLE]] {
// SINGLE-NEXT: scf.for %[[I:.*]] = %[[C0]] to %[[T]] step %[[C16]] {
// SINGLE-NEXT:   scf.for %[[J:.*]] = %[[C0]] to %[[N]] step %[[C2]] {
// SINGLE-NEXT:     memref.store %{{.*}}, %[[M]][%[[I]], %[[J]]]
// SINGLE: } else {
// SINGLE-NEXT: scf.parallel (%[[I2:.*]], %[[J2:.*]]) = (%[[C0]], %[[C0]]) to (%[[T]], %[[N]]) step (%[[C16]], %[[C2]]) {
// SINGLE-NEXT:   memref.store %{{.*}}, %[[M]][%[[I2]], %[[J2]]]
// SINGLE-NOT: arith.cmpi
// SINGLE-NOT: scf.if
// SINGLE: scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[C64]]) step (%[[C2]])
// SINGLE-NOT: scf.if
// SINGLE: return
func.func @single_tile(%m: memref<?x?xf32>, %t: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%t, %n) step (%c16, %c2) {
    memref.store %f, %m[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c2) {
    memref.store %f, %m[%i, %i] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// RUN: hmoe-opt %s --hmoe-choose-parallel-loops='serial-work=64 serial-single=0 min-trip-count=1' --split-input-file | FileCheck %s --check-prefix=WORK
// RUN: not hmoe-opt %s --hmoe-choose-parallel-loops='serial-work=-1' 2>&1 | FileCheck %s --check-prefix=WORK-ERROR
// RUN: not hmoe-opt %s --hmoe-choose-parallel-loops='serial-work=9223372036854775807' 2>&1 | FileCheck %s --check-prefix=WORK-ERROR-BIG

// serial-work: a nest whose work is static (each op once, a loop's body
// times its trip count) and at most serial-work runs serially, nested
// parallel loops included; 66 operations, a loop with a dynamic bound
// inside, or a call inside keep the threads.
// WORK-ERROR: error: hmoe-choose-parallel-loops: serial-work=-1: expected 0 (never) to 2^31
// WORK-ERROR-BIG: error: hmoe-choose-parallel-loops: serial-work=9223372036854775807: expected 0 (never) to 2^31
// WORK-LABEL: func.func @small_work
// 4 x (for: 1 + 4 x 2, reduce: 1) = 40
// WORK: scf.for
// WORK-NEXT: scf.for
// WORK-NEXT: memref.store
// 2 x (2 x 2 + 1 + 1) = 12, the inner parallel loop too
// WORK: scf.for
// WORK-NEXT: scf.for
// WORK-NEXT: memref.store
// 32 x 2 = 64
// WORK: scf.for
// WORK-NEXT: memref.store
// 33 x 2 = 66
// WORK: scf.parallel
// WORK: scf.parallel
// WORK-NEXT: scf.for %{{.*}} = %{{.*}} to %[[N:.*]] step
// WORK: scf.parallel
// WORK-NEXT: func.call @opaque
// 2 x (cmpi: 1, if: 1 + (1 + 1) + (2 + 1), reduce: 1) = 16: both branches count
// WORK: scf.for
// WORK-NEXT: arith.cmpi
// WORK-NEXT: scf.if
// A nested loop with a reduction, a while, a copy of dynamic size: the
// outer loops keep the threads
// WORK: scf.parallel
// WORK: scf.parallel {{.*}} init
// WORK: scf.parallel
// WORK-NEXT: scf.while
// WORK: scf.parallel
// WORK-NEXT: memref.subview
// WORK-NEXT: memref.subview
// WORK-NEXT: memref.copy
// A static copy counts its elements: 2 x (64 + 1) = 130
// WORK: scf.parallel
// WORK-NEXT: memref.copy
// WORK-NOT: scf.parallel
// WORK: return
func.func private @opaque()
func.func @small_work(%m: memref<?x?xf32>, %n: index, %src: memref<64xf32>,
                      %dst: memref<64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c64 = arith.constant 64 : index
  %c66 = arith.constant 66 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%c4) step (%c1) {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %f, %m[%i, %j] : memref<?x?xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    scf.parallel (%j) = (%c0) to (%c2) step (%c1) {
      memref.store %f, %m[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c64) step (%c2) {
    memref.store %f, %m[%i, %i] : memref<?x?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c66) step (%c2) {
    memref.store %f, %m[%i, %i] : memref<?x?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    scf.for %j = %c0 to %n step %c1 {
      memref.store %f, %m[%i, %j] : memref<?x?xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    func.call @opaque() : () -> ()
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    %c = arith.cmpi eq, %i, %c0 : index
    scf.if %c {
      memref.store %f, %m[%i, %i] : memref<?x?xf32>
    } else {
      memref.store %f, %m[%i, %c0] : memref<?x?xf32>
      memref.store %f, %m[%c0, %i] : memref<?x?xf32>
    }
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    %z = arith.constant 0.0 : f32
    %s = scf.parallel (%j) = (%c0) to (%c2) step (%c1) init (%z) -> f32 {
      scf.reduce(%f : f32) {
      ^bb0(%a: f32, %b: f32):
        %t = arith.addf %a, %b : f32
        scf.reduce.return %t : f32
      }
    }
    memref.store %s, %m[%i, %i] : memref<?x?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    %w = scf.while (%a = %c0) : (index) -> index {
      %go = arith.cmpi slt, %a, %n : index
      scf.condition(%go) %a : index
    } do {
    ^bb0(%a: index):
      %next = arith.addi %a, %c1 : index
      scf.yield %next : index
    }
    memref.store %f, %m[%i, %w] : memref<?x?xf32>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    %row = memref.subview %m[%i, 0] [1, %n] [1, 1] : memref<?x?xf32> to memref<?xf32, strided<[1], offset: ?>>
    %col = memref.subview %m[0, %i] [%n, 1] [1, 1] : memref<?x?xf32> to memref<?xf32, strided<[?], offset: ?>>
    memref.copy %row, %col : memref<?xf32, strided<[1], offset: ?>> to memref<?xf32, strided<[?], offset: ?>>
    scf.reduce
  }
  scf.parallel (%i) = (%c0) to (%c2) step (%c1) {
    memref.copy %src, %dst : memref<64xf32> to memref<64xf32>
    scf.reduce
  }
  return
}
