// RUN: hmoe-opt --hmoe-convert-task-loops-to-openmp --split-input-file %s | FileCheck %s

// A loop marked hmoe.dynamic_tasks becomes a dynamically scheduled OpenMP
// loop over the same bounds, all of its dimensions shared out (collapsed:
// the default, collapse(1), left the second to whichever thread took an
// iteration of the first), its body in an alloca scope; others stay.
// CHECK-LABEL: func.func @tasks
// CHECK-SAME: (%[[N:.*]]: index, %[[M:.*]]: index, %[[BUF:.*]]: memref<?x?xf32>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop schedule(dynamic) {
// CHECK-NEXT: omp.loop_nest (%[[I:.*]], %[[J:.*]]) : index = (%[[C0]], %[[C0]]) to (%[[N]], %[[M]]) step (%[[C1]], %[[C1]]) collapse(2) {
// CHECK-NEXT: memref.alloca_scope {
// CHECK-NEXT: %[[TMP:.*]] = memref.alloca() : memref<4xf32>
// CHECK-NEXT: %[[V:.*]] = memref.load %[[TMP]][%[[C0]]]
// CHECK-NEXT: memref.store %[[V]], %[[BUF]][%[[I]], %[[J]]]
// CHECK-NEXT: }
// CHECK-NEXT: omp.yield
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: omp.terminator
// CHECK-NEXT: }
// CHECK: scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[N]]) step (%[[C1]])
// CHECK-NOT: omp.
// CHECK: scf.parallel (%{{.*}}) = (%[[C0]]) to (%[[N]]) step (%[[C1]]) init
// CHECK-NOT: omp.
// CHECK: return
func.func @tasks(%n: index, %m: index, %buf: memref<?x?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %m) step (%c1, %c1) {
    %tmp = memref.alloca() : memref<4xf32>
    %v = memref.load %tmp[%c0] : memref<4xf32>
    memref.store %v, %buf[%i, %j] : memref<?x?xf32>
    scf.reduce
  } {hmoe.dynamic_tasks}
  // Unmarked: left to convert-scf-to-openmp.
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %buf[%i, %c0] : memref<?x?xf32>
    scf.reduce
  }
  // Marked, but with a reduction: left alone.
  %sum = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %buf[%i, %c0] : memref<?x?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  } {hmoe.dynamic_tasks}
  return %sum : f32
}

// -----

// One dimension: collapse(1), the clause's default (not printed); three:
// collapse(3).
// CHECK-LABEL: func.func @one_and_three
// CHECK: omp.loop_nest (%{{[a-z0-9_]+}}) : index = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK: omp.loop_nest (%{{.*}}, %{{.*}}, %{{.*}}) : index = {{.*}} collapse(3) {
func.func @one_and_three(%n: index, %buf: memref<?x?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    memref.store %zero, %buf[%i, %c0, %c0] : memref<?x?x?xf32>
    scf.reduce
  } {hmoe.dynamic_tasks}
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %n, %n) step (%c1, %c1, %c1) {
    memref.store %zero, %buf[%i, %j, %k] : memref<?x?x?xf32>
    scf.reduce
  } {hmoe.dynamic_tasks}
  return
}
