// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-distribute-dispatch{chunk-tokens=8 block-threads=2}),canonicalize,cse)' %s | FileCheck %s

// Token order with a capacity: three launches. Chunks of 8 tokens (16
// assignments), 2 threads per block sharing the 4 experts.
// CHECK-LABEL: func.func @token_order
// CHECK-SAME: (%[[E:[^:]*]]: memref<?x2xi32>, %[[ST:[^:]*]]: memref<?xi32>, %[[SO:[^:]*]]: memref<?x2xi32>, %[[OFF:[^:]*]]: memref<5xi32>)
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[T:.*]] = memref.dim %[[E]], %c0
// CHECK: %[[N:.*]] = arith.muli %[[T]], %[[C2]]
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %[[N]], %[[C16]]
// CHECK: %[[COUNTS:.*]] = memref.alloc(%[[CHUNKS]]) : memref<?x4xi32>
// CHECK: %[[CAP:.*]] = arith.fptosi %{{.*}} : f64 to i64
// 1. Per chunk: its assignments dropped and slot tokens 0 (a thread loop
//    of its own), then per expert its count; thread i takes experts i, i + 2.
// CHECK: scf.forall (%[[C:.*]]) in (%[[CHUNKS]]) {
// CHECK:   scf.forall (%[[I0:.*]]) in (2) {
// CHECK:     %[[CLO:.*]] = arith.muli %[[C]], %[[C16]]
// CHECK:     %[[CEND:.*]] = arith.addi %[[CLO]], %[[C16]]
// CHECK:     %[[CHI:.*]] = arith.minui %[[CEND]], %[[N]]
// CHECK:     %[[FIRST:.*]] = arith.addi %[[CLO]], %[[I0]]
// CHECK:     scf.for %[[P:.*]] = %[[FIRST]] to %[[CHI]] step %[[C2]] {
// CHECK:       memref.store %c0_i32, %[[ST]][%[[P]]]
// CHECK:       memref.store %c-1_i32, %[[SO]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall (%[[TID:.*]]) in (2) {
// CHECK:     scf.for %[[EX:.*]] = %[[TID]] to %[[C4]] step %[[C2]] {
// CHECK:       %[[LO:.*]] = arith.muli %[[C]], %[[C16]]
// CHECK:       %[[END:.*]] = arith.addi %[[LO]], %[[C16]]
// CHECK:       %[[HI:.*]] = arith.minui %[[END]], %[[N]]
// CHECK:       %[[EXI:.*]] = arith.index_cast %[[EX]] : index to i32
// CHECK:       %[[COUNT:.*]] = scf.for %[[Q:.*]] = %[[LO]] to %[[HI]] step %c1 iter_args(%[[ACC:.*]] = %c0_i32)
// CHECK:         %[[TOK:.*]] = arith.divui %[[Q]], %[[C2]]
// CHECK:         %[[J:.*]] = arith.remui %[[Q]], %[[C2]]
// CHECK:         %[[GOT:.*]] = memref.load %[[E]][%[[TOK]], %[[J]]]
// CHECK:         %[[MATCH:.*]] = arith.cmpi eq, %[[GOT]], %[[EXI]]
// CHECK:         %[[ONE:.*]] = arith.extui %[[MATCH]]
// CHECK:         %[[NEXT:.*]] = arith.addi %[[ACC]], %[[ONE]]
// CHECK:         scf.yield %[[NEXT]]
// CHECK:       memref.store %[[COUNT]], %[[COUNTS]][%[[C]], %[[EX]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// 2. One block: the exclusive scan over chunks, the kept counts, then the
//    experts' offsets on one thread (after the others: a barrier).
// CHECK: scf.forall (%{{.*}}) in (1) {
// CHECK:   scf.forall (%[[TID3:.*]]) in (2) {
// CHECK:     scf.for %[[EX3:.*]] = %[[TID3]] to %[[C4]] step %[[C2]] {
// CHECK:       %[[TOTAL:.*]] = scf.for %[[C3:.*]] = %c0 to %[[CHUNKS]] step %c1 iter_args(%[[SOFAR:.*]] = %c0_i32)
// CHECK:         %[[V:.*]] = memref.load %[[COUNTS]][%[[C3]], %[[EX3]]]
// CHECK:         memref.store %[[SOFAR]], %[[COUNTS]][%[[C3]], %[[EX3]]]
// CHECK:         %[[SOFAR2:.*]] = arith.addi %[[SOFAR]], %[[V]]
// CHECK:         scf.yield %[[SOFAR2]]
// CHECK:       %[[WIDE:.*]] = arith.extsi %[[TOTAL]] : i32 to i64
// CHECK:       %[[KEPT:.*]] = arith.minsi %[[WIDE]], %[[CAP]]
// CHECK:       %[[KEPT32:.*]] = arith.trunci %[[KEPT]]
// CHECK:       %[[AT:.*]] = arith.addi %[[EX3]], %c1
// CHECK:       memref.store %[[KEPT32]], %[[OFF]][%[[AT]]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK:   scf.forall (%{{.*}}) in (1) {
// CHECK:     memref.store %c0_i32, %[[OFF]][%c0]
// CHECK:     scf.for %[[I:.*]] = %c1 to %c5 step %c1 {
// CHECK:       %[[PREV:.*]] = memref.load %[[OFF]][%{{.*}}]
// CHECK:       %[[HERE:.*]] = memref.load %[[OFF]][%[[I]]]
// CHECK:       %[[SUM:.*]] = arith.addi %[[PREV]], %[[HERE]]
// CHECK:       memref.store %[[SUM]], %[[OFF]][%[[I]]]
// CHECK:   } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK: } {mapping = [#gpu.block<x>]}
// 3. Each assignment placed: its chunk's start plus those before it.
// CHECK: scf.forall (%[[C4B:.*]]) in (%[[CHUNKS]]) {
// CHECK:   scf.forall (%[[TID4:.*]]) in (2) {
// CHECK:     scf.for %[[EX4:.*]] = %[[TID4]] to %[[C4]] step %[[C2]] {
// CHECK:       %[[START:.*]] = memref.load %[[COUNTS]][%[[C4B]], %[[EX4]]]
// CHECK:       scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 iter_args(%[[R:.*]] = %[[START]])
// CHECK:         %[[T4:.*]] = arith.divui
// CHECK:         %[[J4:.*]] = arith.remui
// CHECK:         %[[M4:.*]] = arith.cmpi eq
// CHECK:         scf.if %[[M4]] {
// CHECK:           %[[RW:.*]] = arith.extsi %[[R]] : i32 to i64
// CHECK:           %[[FITS:.*]] = arith.cmpi slt, %[[RW]], %[[CAP]]
// CHECK:           scf.if %[[FITS]] {
// CHECK:             %[[BASE:.*]] = memref.load %[[OFF]][%[[EX4]]]
// CHECK:             %[[SLOT:.*]] = arith.addi %[[BASE]], %[[R]]
// CHECK:             memref.store %[[SLOT]], %[[SO]][%[[T4]], %[[J4]]]
// CHECK:             %[[T32:.*]] = arith.index_cast %[[T4]] : index to i32
// CHECK:             %[[SLOTI:.*]] = arith.index_cast %[[SLOT]] : i32 to index
// CHECK:             memref.store %[[T32]], %[[ST]][%[[SLOTI]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: hmoe.dispatch
// CHECK: return
func.func @token_order(%e: memref<?x2xi32>, %st: memref<?xi32>, %so: memref<?x2xi32>, %off: memref<5xi32>) {
  hmoe.dispatch %e : memref<?x2xi32> num_experts = 4 capacity_factor 1.5
      outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<5xi32>)
  return
}

// -----

// choice_rank: which are kept is ranked in (choice, token) order into a
// flag per assignment; the kept ones are then ranked again in token order
// (dropless) for their slots.
// CHECK-LABEL: func.func @choice_rank
// CHECK-SAME: (%[[E:[^:]*]]: memref<?x2xi32>,
// CHECK: %[[T:.*]] = memref.dim %[[E]], %c0
// CHECK: %[[N:.*]] = arith.muli %[[T]], %c2
// CHECK: %[[ALL:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[CAP:.*]] = arith.fptosi
// CHECK: %[[KEEP:.*]] = memref.alloc(%[[N]]) : memref<?xi8>
// The first ranking visits q -> (t, j) = (q mod T, q / T).
// CHECK: scf.forall
// CHECK:   %[[TOK:.*]] = arith.remui %{{.*}}, %[[T]]
// CHECK:   %[[J:.*]] = arith.divui %{{.*}}, %[[T]]
// CHECK:   memref.load %[[E]][%[[TOK]], %[[J]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall
// CHECK:   scf.if
// CHECK:     %[[FITS:.*]] = arith.cmpi slt, %{{.*}}, %[[CAP]]
// CHECK:     %[[FLAG:.*]] = arith.extui %[[FITS]] : i1 to i8
// CHECK:     memref.store %[[FLAG]], %[[KEEP]]
// CHECK: } {mapping = [#gpu.block<x>]}
// The second counts only kept ones, in token order.
// CHECK: scf.forall
// CHECK:   %[[TOK2:.*]] = arith.divui %{{.*}}, %c2
// CHECK:   %[[J2:.*]] = arith.remui %{{.*}}, %c2
// CHECK:   %[[MATCH:.*]] = arith.cmpi eq
// CHECK:   %[[F:.*]] = memref.load %[[KEEP]]
// CHECK:   %[[KEPT:.*]] = arith.trunci %[[F]] : i8 to i1
// CHECK:   arith.andi %[[MATCH]], %[[KEPT]]
// CHECK: } {mapping = [#gpu.block<x>]}
// Its capacity is T * K: every kept one gets a slot.
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK:   arith.minsi %{{.*}}, %[[ALL]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: scf.forall
// CHECK: return
func.func @choice_rank(%e: memref<?x2xi32>, %st: memref<?xi32>, %so: memref<?x2xi32>, %off: memref<5xi32>) {
  hmoe.dispatch %e : memref<?x2xi32> num_experts = 4 capacity_factor 1.0 fill_order choice_rank
      outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<5xi32>)
  return
}

// -----

// score: a dropless ranking sorts the assignments by expert into scratch
// (start offsets, each position's assignment and its weight's key); one
// thread per position then counts those of its expert that go first (a
// larger key, or an equal one earlier) in chunks of 64, stopping at the
// capacity, and flags the assignment kept below it (an expert within its
// capacity without counting); the kept ones are ranked again in token order
// for their slots.
// CHECK-LABEL: func.func @score
// CHECK-SAME: (%[[E:[^:]*]]: memref<?x2xi32>, %[[W:[^:]*]]: memref<?x2xf32>, %{{[^:]*}}: memref<?xi32>, %{{[^:]*}}: memref<?x2xi32>, %[[OFF:[^:]*]]: memref<5xi32>)
// CHECK: %[[N:.*]] = arith.muli %{{.*}}, %c2 : index
// CHECK: %[[ALL:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[CAP:.*]] = arith.fptosi
// CHECK: %[[KEEP:.*]] = memref.alloc(%[[N]]) : memref<?xi8>
// CHECK: %[[START:.*]] = memref.alloc() : memref<5xi32>
// CHECK: %[[MEMBERS:.*]] = memref.alloc(%[[N]]) : memref<?xi32>
// CHECK: %[[KEYS:.*]] = memref.alloc(%[[N]]) : memref<?xi32>
// The dropless ranking's scan goes to START; its placement writes each
// position's assignment and key.
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK:   arith.minsi %{{.*}}, %[[ALL]]
// CHECK:   memref.store %{{.*}}, %[[START]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall
// CHECK:   scf.if
// CHECK:     %[[AT0:.*]] = memref.load %[[START]]
// CHECK:     %[[AT1:.*]] = arith.addi %[[AT0]], %{{.*}} : i32
// CHECK:     %[[AT:.*]] = arith.index_cast %[[AT1]] : i32 to index
// CHECK:     memref.store %{{.*}}, %[[MEMBERS]][%[[AT]]]
// CHECK:     memref.load %[[W]]
// CHECK:     arith.bitcast %{{.*}} : f32 to i32
// CHECK:     memref.store %{{.*}}, %[[KEYS]][%[[AT]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// The count: a launch over the T * K positions.
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[N]], %c2
// CHECK: scf.forall (%[[BLK:.*]]) in (%[[BLOCKS]]) {
// CHECK:   scf.forall (%[[TID:.*]]) in (2) {
// CHECK:     %[[P0:.*]] = arith.muli %[[BLK]], %c2
// CHECK:     %[[P:.*]] = arith.addi %[[P0]], %[[TID]]
// CHECK:     %[[PLACED:.*]] = memref.load %[[START]][%c4]
// CHECK:     %[[Q:.*]] = memref.load %[[MEMBERS]][%[[P]]]
// CHECK:     %[[QI:.*]] = arith.index_cast %[[Q]] : i32 to index
// CHECK:     %[[EX:.*]] = memref.load %[[E]]
// CHECK:     %[[LO:.*]] = memref.load %[[START]]
// CHECK:     %[[HI:.*]] = memref.load %[[START]]
// CHECK:     %[[SIZE:.*]] = arith.subi %[[HI]], %[[LO]] : i32
// CHECK:     %[[SIZEW:.*]] = arith.extsi %[[SIZE]] : i32 to i64
// CHECK:     %[[FITS:.*]] = arith.cmpi sle, %[[SIZEW]], %[[CAP]] : i64
// CHECK:     %[[KEY:.*]] = memref.load %[[KEYS]][%[[P]]]
// CHECK:     %[[END:.*]] = arith.select %[[FITS]], %[[LO]], %[[HI]] : i32
// CHECK:     %[[BEFORE:.*]] = scf.for %[[FROM:.*]] = %{{.*}} to %{{.*}} step %c64 iter_args(%[[SOFAR:.*]] = %c0_i32)
// CHECK:       %[[SOFARW:.*]] = arith.extsi %[[SOFAR]] : i32 to i64
// CHECK:       %[[UNDER:.*]] = arith.cmpi slt, %[[SOFARW]], %[[CAP]] : i64
// CHECK:       scf.if %[[UNDER]] -> (i32) {
// CHECK:         scf.for %[[I:.*]] = %[[FROM]] to %{{.*}} step %c1 iter_args(%[[ACC:.*]] = %[[SOFAR]])
// CHECK:           %[[OTHER:.*]] = memref.load %[[KEYS]][%[[I]]]
// CHECK:           %[[LARGER:.*]] = arith.cmpi ugt, %[[OTHER]], %[[KEY]] : i32
// CHECK:           %[[EQUAL:.*]] = arith.cmpi eq, %[[OTHER]], %[[KEY]] : i32
// CHECK:           %[[EARLIER:.*]] = arith.cmpi ult, %[[I]], %[[P]] : index
// CHECK:           %[[TIE:.*]] = arith.andi %[[EQUAL]], %[[EARLIER]]
// CHECK:           %[[GOES:.*]] = arith.ori %[[LARGER]], %[[TIE]]
// CHECK:       } else {
// CHECK:         scf.yield %[[SOFAR]]
// CHECK:     %[[BW:.*]] = arith.extsi %[[BEFORE]] : i32 to i64
// CHECK:     %[[BELOW:.*]] = arith.cmpi slt, %[[BW]], %[[CAP]] : i64
// CHECK:     %[[KEPT:.*]] = arith.ori %[[FITS]], %[[BELOW]] : i1
// CHECK:     %[[FLAG:.*]] = arith.extui %[[KEPT]] : i1 to i8
// CHECK:     memref.store %[[FLAG]], %[[KEEP]][%[[QI]]]
// CHECK: } {mapping = [#gpu.block<x>]}
// Then the kept ones, in token order, into OFF and the slots.
// CHECK: scf.forall
// CHECK:   memref.load %[[KEEP]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall (%{{.*}}) in (1)
// CHECK:   memref.store %{{.*}}, %[[OFF]]
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK: scf.forall
// CHECK: } {mapping = [#gpu.block<x>]}
// CHECK-NOT: hmoe.dispatch
// CHECK: return
func.func @score(%e: memref<?x2xi32>, %w: memref<?x2xf32>, %st: memref<?xi32>, %so: memref<?x2xi32>, %off: memref<5xi32>) {
  hmoe.dispatch %e : memref<?x2xi32> weights %w : memref<?x2xf32> num_experts = 4 capacity_factor 1.0 fill_order score
      outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<5xi32>)
  return
}

// -----

// A dispatch already inside a kernel's loops is left as it is.
// CHECK-LABEL: func.func @nested
// CHECK: scf.forall
// CHECK-NEXT: hmoe.dispatch
func.func @nested(%e: memref<?x2xi32>, %st: memref<?xi32>, %so: memref<?x2xi32>, %off: memref<5xi32>) {
  scf.forall (%i) in (1) {
    hmoe.dispatch %e : memref<?x2xi32> num_experts = 4
        outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<5xi32>)
  } {mapping = [#gpu.block<x>]}
  return
}
