// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-distribute-stats{block-threads=8 chunk-tokens=16}),canonicalize,cse)' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-distribute-stats))' %S/Inputs/distribute-stats-errors.mlir
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-distribute-stats{block-threads=0}))' %s 2>&1 | FileCheck %s --check-prefix=OPTION
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-distribute-stats{chunk-tokens=0}))' %s 2>&1 | FileCheck %s --check-prefix=OPTION

// OPTION: hmoe-distribute-stats: expected chunk-tokens >= 1 and 1 <= block-threads <= 1024

// Three launches: per chunk of 16 tokens (a block) each expert's load and
// importance (a thread each), a thread per token (the per-token terms,
// dropped and r_intra here), one block that reduces them in a fixed order
// (chunks in order per expert, tokens by stride) and writes every
// statistic.
// CHECK-LABEL: func.func @stats
// CHECK-SAME: (%[[P:[^:]*]]: memref<?x4xf32>, %[[E:[^:]*]]: memref<?x2xi32>, %[[SO:[^:]*]]: memref<?x2xi32>, %[[LOAD:[^:]*]]: memref<4xi64>, %[[DROP:[^:]*]]: memref<i64>, %[[RINTRA:[^:]*]]: memref<f32>, %[[BAL:[^:]*]]: memref<f32>)
// CHECK: %[[T:.*]] = memref.dim %[[P]], %c0
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %[[T]], %c16
// CHECK: %[[CL:.*]] = memref.alloc(%[[CHUNKS]]) : memref<?x4xi64>
// CHECK: %[[CIMP:.*]] = memref.alloc(%[[CHUNKS]]) : memref<?x4xf64>
// 1. Per chunk and expert.
// CHECK: scf.forall (%[[C:.*]]) in (%[[CHUNKS]]) {
// CHECK:   scf.forall (%[[TID:.*]]) in (4) {
// CHECK:     scf.for %[[EX:.*]] = %[[TID]] to %c4 step %c4 {
// CHECK:       %[[FIRST:.*]] = arith.muli %[[C]], %c16
// CHECK:       %[[END0:.*]] = arith.addi %[[FIRST]], %c16
// CHECK:       %[[END:.*]] = arith.minui %[[END0]], %[[T]]
// CHECK:       %[[EXI:.*]] = arith.index_cast %[[EX]] : index to i32
// CHECK:       %[[SUMS:.*]]:2 = scf.for %[[TOK:.*]] = %[[FIRST]] to %[[END]] step %c1 iter_args(%[[N:.*]] = %c0_i64, %[[IMPACC:.*]] = %cst
// CHECK:         %[[CNT:.*]] = scf.for %[[J:.*]] = %c0 to %c2 step %c1 iter_args(%[[NACC:.*]] = %[[N]])
// CHECK:           %[[GOT:.*]] = memref.load %[[E]][%[[TOK]], %[[J]]]
// CHECK:           arith.cmpi eq, %[[GOT]], %[[EXI]]
// CHECK:         %[[PROB:.*]] = memref.load %[[P]][%[[TOK]], %[[EX]]]
// CHECK:         %[[PROB64:.*]] = arith.extf %[[PROB]] : f32 to f64
// CHECK:         %[[IMPNEXT:.*]] = arith.addf %[[IMPACC]], %[[PROB64]]
// CHECK:         scf.yield %[[CNT]], %[[IMPNEXT]]
// CHECK:       memref.store %[[SUMS]]#0, %[[CL]][%[[C]], %[[EX]]]
// CHECK:       memref.store %[[SUMS]]#1, %[[CIMP]][%[[C]], %[[EX]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// 2. Per token: one row of terms per per-token statistic.
// CHECK: %[[TERMS:.*]] = memref.alloc(%[[T]]) : memref<2x?xf64>
// CHECK: %[[PARTIAL:.*]] = memref.alloc() : memref<2x8xf64>
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[T]], %c8
// CHECK: scf.forall (%[[B:.*]]) in (%[[BLOCKS]]) {
// CHECK:   scf.forall (%[[I:.*]]) in (8) {
// CHECK:     %[[TK:.*]] = arith.addi %{{.*}}, %[[I]]
// CHECK:     %[[IN:.*]] = arith.cmpi ult, %[[TK]], %[[T]]
// CHECK:     scf.if %[[IN]] {
// CHECK:       %[[DROPPED:.*]] = scf.for
// CHECK:         memref.load %[[SO]][%[[TK]],
// CHECK:       memref.store %[[DROPPED]], %[[TERMS]][%c0, %[[TK]]]
// CHECK:       %[[SQ:.*]] = scf.for
// CHECK:         memref.load %[[P]][%[[TK]],
// CHECK:       memref.store %[[SQ]], %[[TERMS]][%c1, %[[TK]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// 3. One block: per thread its experts' chunks (in order) and a stride of
//    the tokens, then one thread.
// CHECK: %[[L:.*]] = memref.alloc() : memref<4xi64>
// CHECK: %[[IMP:.*]] = memref.alloc() : memref<4xf64>
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK:   scf.forall (%[[TID:.*]]) in (8) {
// CHECK:     scf.for %[[EX3:.*]] = %[[TID]] to %c4 step %c8 {
// CHECK:       %[[TOTAL:.*]]:2 = scf.for %[[C3:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%[[LACC:.*]] = %c0_i64, %[[IACC:.*]] = %cst
// CHECK:         %[[LC:.*]] = memref.load %[[CL]][%[[C3]], %[[EX3]]]
// CHECK:         %[[LNEXT:.*]] = arith.addi %[[LACC]], %[[LC]]
// CHECK:         %[[IC:.*]] = memref.load %[[CIMP]][%[[C3]], %[[EX3]]]
// CHECK:         %[[INEXT:.*]] = arith.addf %[[IACC]], %[[IC]]
// CHECK:         scf.yield %[[LNEXT]], %[[INEXT]]
// CHECK:       memref.store %[[TOTAL]]#0, %[[L]][%[[EX3]]]
// CHECK:       memref.store %[[TOTAL]]#1, %[[IMP]][%[[EX3]]]
// CHECK:     %[[S0:.*]] = scf.for %[[TS:.*]] = %[[TID]] to %[[T]] step %c8 iter_args
// CHECK:       memref.load %[[TERMS]][%c0, %[[TS]]]
// CHECK:     memref.store %[[S0]], %[[PARTIAL]][%c0, %[[TID]]]
// CHECK:     %[[S1:.*]] = scf.for %{{.*}} = %[[TID]] to %[[T]] step %c8 iter_args
// CHECK:     memref.store %[[S1]], %[[PARTIAL]][%c1, %[[TID]]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall (%{{.*}}) in (1) {
// CHECK:     scf.for %[[X:.*]] = %c0 to %c4 step %c1 {
// CHECK:       %[[LX:.*]] = memref.load %[[L]][%[[X]]]
// CHECK:       memref.store %[[LX]], %[[LOAD]][%[[X]]]
// CHECK:     %[[DSUM:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args
// CHECK:       memref.load %[[PARTIAL]][%c0,
// CHECK:     %[[DI:.*]] = arith.fptosi %[[DSUM]] : f64 to i64
// CHECK:     memref.store %[[DI]], %[[DROP]][]
// CHECK:     %[[RSUM:.*]] = scf.for %{{.*}} = %c0 to %c8 step %c1 iter_args
// CHECK:       memref.load %[[PARTIAL]][%c1,
// CHECK:     memref.store %{{.*}}, %[[RINTRA]][]
// CHECK:     scf.for
// CHECK:       memref.load %[[L]]
// CHECK:       memref.load %[[IMP]]
// CHECK:     memref.store %{{.*}}, %[[BAL]][]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: hmoe.stats
func.func @stats(%p: memref<?x4xf32>, %e: memref<?x2xi32>, %so: memref<?x2xi32>, %load: memref<4xi64>, %drop: memref<i64>, %rintra: memref<f32>, %bal: memref<f32>) {
  hmoe.stats [load, dropped, r_intra, balance_loss] probs %p : memref<?x4xf32>, experts %e : memref<?x2xi32> slot_of %so : memref<?x2xi32>
      outs(%load, %drop, %rintra, %bal : memref<4xi64>, memref<i64>, memref<f32>, memref<f32>) {groups = 2 : i64}
  return
}

// -----

// Without per-token statistics: no per-token launch, and the last block
// sums the experts' chunks, then the thread that writes.
// CHECK-LABEL: func.func @per_expert_only
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK-NEXT: scf.forall (%{{.*}}) in (8) {
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK-NEXT: scf.forall (%{{.*}}) in (1) {
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: scf.forall
func.func @per_expert_only(%p: memref<?x4xf32>, %e: memref<?x2xi32>, %imp: memref<4xf32>, %cv: memref<f32>) {
  hmoe.stats [importance, cv2_loss] probs %p : memref<?x4xf32>, experts %e : memref<?x2xi32>
      outs(%imp, %cv : memref<4xf32>, memref<f32>) {groups = 1 : i64}
  return
}

// -----

// Inside a kernel's loops already: left alone.
// CHECK-LABEL: func.func @nested
// CHECK: scf.forall
// CHECK-NEXT: hmoe.stats
func.func @nested(%p: memref<?x4xf32>, %e: memref<?x2xi32>, %imp: memref<4xf32>) {
  scf.forall (%i) in (1) {
    hmoe.stats [importance] probs %p : memref<?x4xf32>, experts %e : memref<?x2xi32>
        outs(%imp : memref<4xf32>) {groups = 1 : i64}
  } {mapping = [#gpu.block<x>]}
  return
}
