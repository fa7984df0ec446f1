// RUN: hmoe-opt %s --hmoe-lower-routing-to-loops --canonicalize --cse --split-input-file | FileCheck %s
// RUN: hmoe-opt %s --hmoe-lower-routing-to-loops=vector-width=4 --canonicalize --cse --split-input-file | FileCheck %s --check-prefix=VEC

// Four tokens at a time in vectors, then the T mod 4 others one by one.
// Per-lane scratch is lane-minor (2 probabilities x 4 lanes); a chosen
// child differs per lane, so its children's probabilities are picked from
// the two groups' rows (contiguous vector loads) by a per-lane select,
// once, into the selection keys; nothing is gathered or written at a
// per-lane position (top-k compares with the last winner instead of
// marking it); each lane's expert goes to its token's row.
// VEC-LABEL: func.func @route_nested
// VEC-SAME: (%[[L1:.*]]: memref<?x2xf32>, %{{.*}}: memref<?x2x4xf32>, %[[W:.*]]: memref<?x2xf32>, %[[E:.*]]: memref<?x2xi32>,
// VEC: %[[T:.*]] = memref.dim %[[W]]
// VEC: %[[REM:.*]] = arith.remui %[[T]], %[[C4:.*]] : index
// VEC: %[[FULL:.*]] = arith.subi %[[T]], %[[REM]] : index
// VEC: scf.for %[[T0:.*]] = %{{.*}} to %[[FULL]] step %[[C4]] {
// VEC:   memref.alloca() : memref<8xf32>
// VEC-NOT: vector.gather
// VEC-NOT: vector.scatter
// VEC:   %[[ISG0:.*]] = arith.cmpi eq, %{{.*}}, %{{.*}} : vector<4xi32>
// VEC:   arith.select %[[ISG0]], %{{.*}}, %{{.*}} : vector<4xi1>, vector<4xf32>
// VEC-NOT: vector.gather
// VEC-NOT: vector.scatter
// VEC:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// VEC:     memref.store %{{.*}}, %[[E]][%[[T0]], %[[J]]] : memref<?x2xi32>
// VEC:     %[[T1:.*]] = arith.addi %[[T0]], %{{.*}} : index
// VEC:     memref.store %{{.*}}, %[[E]][%[[T1]], %[[J]]] : memref<?x2xi32>
// VEC: scf.for %{{.*}} = %[[FULL]] to %[[T]] step %{{.*}} {
// VEC:   memref.alloca() : memref<2xf32>

// Nested routing on buffers: a loop over tokens (its body is the route's
// scalar implementation). Every node's softmax, the product of the levels'
// probabilities into probs, then the selection level by level; a chosen
// leaf's weight is the product of its ancestors' weights.
// CHECK-LABEL: func.func @route_nested
// CHECK-SAME: (%[[L1:.*]]: memref<?x2xf32>, %[[L2:.*]]: memref<?x2x4xf32>, %[[W:.*]]: memref<?x2xf32>, %[[E:.*]]: memref<?x2xi32>, %[[P:.*]]: memref<?x8xf32>)
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[T:.*]] = memref.dim %[[W]], %{{.*}} : memref<?x2xf32>
// CHECK: scf.for %[[TOK:.*]] = %{{.*}} to %[[T]] step
// CHECK:   %[[P1:.*]] = memref.alloca() : memref<2xf32>
// CHECK:   %[[MAX1:.*]] = scf.for {{.*}} -> (f32)
// CHECK:     memref.load %[[L1]][%[[TOK]], %{{.*}}] : memref<?x2xf32>
// CHECK:     arith.maximumf
// CHECK:   %[[SUM1:.*]] = scf.for {{.*}} -> (f32)
// CHECK:     %[[S1:.*]] = memref.load %[[L1]][%[[TOK]], %{{.*}}]
// CHECK:     %[[D1:.*]] = arith.subf %[[S1]], %[[MAX1]]
// CHECK:     math.exp %[[D1]]
// CHECK:   %[[P2:.*]] = memref.alloca() : memref<8xf32>
// CHECK:       memref.load %[[L2]][%[[TOK]], %{{.*}}, %{{.*}}] : memref<?x2x4xf32>
// CHECK:   scf.for %[[X:.*]] = %{{.*}} to %[[C8]] step
// CHECK:     %[[PARENT:.*]] = arith.divui %[[X]], %{{.*}} : index
// CHECK:     %[[PA:.*]] = memref.load %[[P1]][%[[PARENT]]] : memref<2xf32>
// CHECK:     %[[PB:.*]] = memref.load %[[P2]][%[[X]]] : memref<8xf32>
// CHECK:     %[[PROD:.*]] = arith.mulf %[[PA]], %[[PB]] : f32
// CHECK:     memref.store %[[PROD]], %[[P]][%[[TOK]], %[[X]]] : memref<?x8xf32>
// The level-1 choice and its weight (k = 1: renormalised, 1): with no
// selection bias the winner's key is its probability, stored beside its
// position, then read to renormalise and again to descend.
// CHECK:   %[[PICK1:.*]]:3 = scf.for {{.*}} -> (f32, index, i1)
// CHECK:   memref.store %[[PICK1]]#1, %{{.*}}[%{{.*}}] : memref<1xindex>
// CHECK:   memref.store %[[PICK1]]#0, %{{.*}}[%{{.*}}] : memref<1xf32>
// CHECK:   arith.divf
// CHECK:   %[[G:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<1xindex>
// CHECK-NEXT: %[[GW:.*]] = memref.load %{{.*}}[%{{.*}}] : memref<1xf32>
// The chosen group's probabilities (its node known at run time only),
// picked from the two groups' rows by a select, not read at a run-time
// position.
// CHECK:   scf.for %[[C2:[^ ]*]] =
// CHECK:     %[[ROW1:.*]] = arith.addi %[[C2]], %{{.*}} : index
// CHECK:     %[[V1:.*]] = memref.load %[[P2]][%[[ROW1]]] : memref<8xf32>
// CHECK:     %[[IS0:.*]] = arith.cmpi eq, %[[G]], %{{.*}} : index
// CHECK:     %[[V0:.*]] = memref.load %[[P2]][%[[C2]]] : memref<8xf32>
// CHECK:     arith.select %[[IS0]], %[[V0]], %[[V1]] : f32
// The level-2 choices under it, stored as expert = group * 4 + child.
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[BASE:.*]] = arith.muli %[[G]], %{{.*}} : index
// CHECK:     %[[CHILD:.*]] = memref.load %{{.*}}[%[[J]]] : memref<2xindex>
// CHECK:     %[[EX:.*]] = arith.addi %[[BASE]], %[[CHILD]] : index
// CHECK:     %[[CW:.*]] = memref.load %{{.*}}[%[[J]]] : memref<2xf32>
// CHECK:     %[[WV:.*]] = arith.mulf %[[GW]], %[[CW]] : f32
// CHECK:     %[[EX32:.*]] = arith.index_cast %[[EX]] : index to i32
// CHECK:     memref.store %[[EX32]], %[[E]][%[[TOK]], %[[J]]] : memref<?x2xi32>
// CHECK:     memref.store %[[WV]], %[[W]][%[[TOK]], %[[J]]] : memref<?x2xf32>
func.func @route_nested(%l1: memref<?x2xf32>, %l2: memref<?x2x4xf32>, %w: memref<?x2xf32>, %e: memref<?x2xi32>, %p: memref<?x8xf32>) {
  hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 1>, logits %l1 : memref<?x2xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, logits %l2 : memref<?x2x4xf32>)
      outs(%w, %e, %p : memref<?x2xf32>, memref<?x2xi32>, memref<?x8xf32>)
  return
}

// -----

// Group-limited routing: keys = probs + selection bias; each group scored
// by its best key (group_score = max); the best k_groups = 2 kept; the top
// 3 of the kept groups' experts, renormalised. No scratch is written at a
// run-time position: each top-k pick is the best candidate after the one
// before (key, then position), the kept groups are found by comparing with
// the two picked, and a winner's probability comes out of the scan with it.
// CHECK-LABEL: func.func @route_group_limited
// CHECK-SAME: (%[[L:.*]]: memref<?x12xf32>, %[[B:.*]]: memref<12xf32>, %[[W:.*]]: memref<?x3xf32>, %[[E:.*]]: memref<?x3xi32>, %[[P:.*]]: memref<?x12xf32>)
// CHECK: scf.for %[[TOK:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[PROBS:.*]] = memref.alloca() : memref<12xf32>
// CHECK:     %[[PV:.*]] = memref.load %[[PROBS]][%[[C:.*]]] : memref<12xf32>
// CHECK:     memref.store %[[PV]], %[[P]][%[[TOK]], %[[C]]] : memref<?x12xf32>
// CHECK:   %[[KEYS:.*]] = memref.alloca() : memref<12xf32>
// CHECK:   %[[CHOSEN:.*]] = memref.alloca() : memref<3xindex>
// CHECK:   %[[CPROBS:.*]] = memref.alloca() : memref<3xf32>
// CHECK:     %[[PK:.*]] = memref.load %[[PROBS]][%[[K:.*]]] : memref<12xf32>
// CHECK:     %[[BK:.*]] = memref.load %[[B]][%[[K]]] : memref<12xf32>
// CHECK:     %[[KEY:.*]] = arith.addf %[[PK]], %[[BK]] : f32
// CHECK:     memref.store %[[KEY]], %[[KEYS]][%[[K]]] : memref<12xf32>
// Each group's score: the best of its 4 keys.
// CHECK:   %[[GKEYS:.*]] = memref.alloca() : memref<3xf32>
// CHECK:   scf.for %[[GRP:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[GBASE:.*]] = arith.muli %[[GRP]], %{{.*}} : index
// CHECK:     %[[BEST:.*]]:3 = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[GBASE]], %{{.*}} = %{{.*}}) -> (f32, index, i1)
// CHECK:     %[[GSUM:.*]] = arith.addf %{{.*}}, %[[BEST]]#0 : f32
// CHECK:     memref.store %[[GSUM]], %[[GKEYS]][%[[GRP]]] : memref<3xf32>
// The two best groups, then which groups are kept.
// CHECK:   %[[PICKED:.*]] = memref.alloca() : memref<2xindex>
// CHECK:   scf.for %[[GJ:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %[[GPREV:.*]] = %{{.*}}) -> (f32, index)
// CHECK:     %[[GBEST:.*]]:3 = scf.for %[[GC:[^ ]*]] = {{.*}} -> (f32, index, i1)
// CHECK:       arith.cmpi sgt, %[[GC]], %[[GPREV]] : index
// CHECK:     memref.store %[[GBEST]]#1, %[[PICKED]][%[[GJ]]] : memref<2xindex>
// CHECK:     scf.yield %[[GBEST]]#0, %[[GBEST]]#1 : f32, index
// CHECK:   %[[KEPT:.*]] = memref.alloca() : memref<3xi1>
// CHECK:   scf.for %[[GG:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     memref.load %[[PICKED]]
// CHECK:     arith.cmpi eq, %{{.*}}, %[[GG]] : index
// CHECK:     memref.store %{{.*}}, %[[KEPT]][%[[GG]]] : memref<3xi1>
// Top 3 among the kept groups' experts.
// CHECK:   scf.for %[[J:[^ ]*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[PKEY:.*]] = %{{.*}}, %[[PAT:.*]] = %{{.*}}) -> (f32, index)
// CHECK:     %[[PICK:.*]]:4 = scf.for %[[X:[^ ]*]] = {{.*}} -> (f32, index, i1, f32)
// CHECK:       memref.load %[[KEYS]][%[[X]]]
// CHECK:       %[[XG:.*]] = arith.divui %[[X]], %{{.*}} : index
// CHECK:       memref.load %[[KEPT]][%[[XG]]] : memref<3xi1>
// CHECK:       memref.load %[[PROBS]][%[[X]]] : memref<12xf32>
// CHECK:       arith.cmpi sgt, %[[X]], %[[PAT]] : index
// CHECK:       arith.cmpf olt, %{{.*}}, %[[PKEY]] : f32
// CHECK:     memref.store %[[PICK]]#1, %[[CHOSEN]][%[[J]]] : memref<3xindex>
// CHECK:     memref.store %[[PICK]]#3, %[[CPROBS]][%[[J]]] : memref<3xf32>
// Renormalised probabilities (not keys) of the chosen experts.
// CHECK:   %[[TOTAL:.*]] = scf.for {{.*}} -> (f32)
// CHECK:     memref.load %[[CPROBS]]
// CHECK:     arith.divf %{{.*}}, %[[TOTAL]] : f32
// CHECK:     memref.store %{{.*}}, %[[E]][%[[TOK]], %[[J2:.*]]] : memref<?x3xi32>
// CHECK:     memref.store %{{.*}}, %[[W]][%[[TOK]], %[[J2]]] : memref<?x3xf32>
func.func @route_group_limited(%l: memref<?x12xf32>, %b: memref<12xf32>, %w: memref<?x3xf32>, %e: memref<?x3xi32>, %p: memref<?x12xf32>) {
  hmoe.route #hmoe.strategy<group_limited, groups = 3, k_groups = 2, group_score = max>
      level(#hmoe.gate<linear, softmax, k = 3>, logits %l : memref<?x12xf32>, selection_bias %b : memref<12xf32>)
      outs(%w, %e, %p : memref<?x3xf32>, memref<?x3xi32>, memref<?x12xf32>)
  return
}

// -----

// Per-group routing: the top 2 inside each group of 4 (base g * 4, slots
// g * 2 + j); a sigmoid gate renormalises in the log domain; weights are
// multiplied by the chosen expert's router scale.
// CHECK-LABEL: func.func @route_per_group
// CHECK-SAME: (%[[L:.*]]: memref<?x8xf32>, %[[S:.*]]: memref<8xf32>, %[[W:.*]]: memref<?x4xf32>, %[[E:.*]]: memref<?x4xi32>, %[[P:.*]]: memref<?x8xf32>)
// CHECK: scf.for %[[TOK:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[CHOSEN:.*]] = memref.alloca() : memref<4xindex>
// CHECK:   scf.for %[[GRP:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[BASE:.*]] = arith.muli %[[GRP]], %{{.*}} : index
// CHECK:     %[[SLOT0:.*]] = arith.muli %[[GRP]], %{{.*}} : index
// CHECK:     scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:       %[[BEST:.*]]:3 = scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %[[BASE]], %{{.*}} = %{{.*}}) -> (f32, index, i1)
// CHECK:         arith.addi %[[BASE]], %[[C]] : index
// CHECK:       %[[SLOT:.*]] = arith.addi %[[SLOT0]], %[[J]] : index
// CHECK:       memref.store %[[BEST]]#1, %[[CHOSEN]][%[[SLOT]]] : memref<4xindex>
// The log domain reads the logits at the chosen positions.
// CHECK:   scf.for %[[LJ:[^ ]*]] = {{.*}} -> (f32)
// CHECK:     %[[LC:.*]] = memref.load %[[CHOSEN]][%[[LJ]]] : memref<4xindex>
// CHECK:     memref.load %[[L]][%[[TOK]], %[[LC]]] : memref<?x8xf32>
// CHECK:     math.log
// CHECK:   scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[EX:.*]] = memref.load %[[CHOSEN]][%[[K]]] : memref<4xindex>
// CHECK:     %[[WV:.*]] = memref.load %{{.*}}[%[[K]]] : memref<4xf32>
// CHECK:     %[[SCALE:.*]] = memref.load %[[S]][%[[EX]]] : memref<8xf32>
// CHECK:     %[[SCALED:.*]] = arith.mulf %[[WV]], %[[SCALE]] : f32
// CHECK:     memref.store %[[SCALED]], %[[W]][%[[TOK]], %[[K]]] : memref<?x4xf32>
func.func @route_per_group(%l: memref<?x8xf32>, %s: memref<8xf32>, %w: memref<?x4xf32>, %e: memref<?x4xi32>, %p: memref<?x8xf32>) {
  hmoe.route #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<linear, sigmoid, k = 2>, logits %l : memref<?x8xf32>)
      router_scale %s : memref<8xf32>
      outs(%w, %e, %p : memref<?x4xf32>, memref<?x4xi32>, memref<?x8xf32>)
  return
}

// -----

// Dispatch with a capacity: C = ceil(min(1.25 * T * K / 8, T * K)); pass 1
// counts per expert in token order (slot_of = rank, -1 when dropped by
// capacity), an exclusive prefix sum gives the offsets, pass 2 places the
// kept assignments. Both passes select rather than branch on whether a
// choice is kept: a dropped one writes its token to the last slot, unused
// whenever one is dropped, and the unused slots get token 0 after.
// CHECK-LABEL: func.func @dispatch_capacity
// CHECK-SAME: (%[[EIN:.*]]: memref<?x2xi32>, %[[ST:.*]]: memref<?xi32>, %[[SO:.*]]: memref<?x2xi32>, %[[OFF:.*]]: memref<9xi32>)
// CHECK-DAG: %[[FACTOR:.*]] = arith.constant 1.250000e+00 : f64
// CHECK-DAG: %[[NE:.*]] = arith.constant 8.000000e+00 : f64
// CHECK: %[[T:.*]] = memref.dim %[[EIN]], %{{.*}}
// CHECK: %[[TK:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK: %[[TKI:.*]] = arith.index_cast %[[TK]] : index to i64
// CHECK: %[[TKF:.*]] = arith.sitofp %[[TKI]] : i64 to f64
// CHECK: %[[SCALED:.*]] = arith.mulf %[[TKF]], %[[FACTOR]] : f64
// CHECK: %[[PER:.*]] = arith.divf %[[SCALED]], %[[NE]] : f64
// CHECK: %[[CAPPED:.*]] = arith.minimumf %[[PER]], %[[TKF]] : f64
// CHECK: %[[CEIL:.*]] = math.ceil %[[CAPPED]] : f64
// CHECK: %[[CAP:.*]] = arith.fptosi %[[CEIL]] : f64 to i64
// CHECK: scf.for %[[TOK:.*]] = %{{.*}} to %[[T]] step
// CHECK:   scf.for %[[J:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     memref.store %{{.*}}, %[[SO]][%[[TOK]], %[[J]]] : memref<?x2xi32>
// CHECK:     %[[EX:.*]] = memref.load %[[EIN]][%[[TOK]], %[[J]]] : memref<?x2xi32>
// CHECK:     scf.if
// CHECK:       %[[AT:.*]] = arith.addi %{{.*}}, %{{.*}} : index
// CHECK:       %[[COUNT:.*]] = memref.load %[[OFF]][%[[AT]]] : memref<9xi32>
// CHECK:       %[[COUNT64:.*]] = arith.extsi %[[COUNT]] : i32 to i64
// CHECK:       %[[FITS:.*]] = arith.cmpi slt, %[[COUNT64]], %[[CAP]] : i64
// CHECK:       %[[RANK1:.*]] = arith.select %[[FITS]], %[[COUNT]], %{{.*}} : i32
// CHECK:       memref.store %[[RANK1]], %[[SO]][%[[TOK]], %[[J]]] : memref<?x2xi32>
// CHECK:       %[[ONE:.*]] = arith.extui %[[FITS]] : i1 to i32
// CHECK:       %[[NEXT:.*]] = arith.addi %[[COUNT]], %[[ONE]] : i32
// CHECK:       memref.store %[[NEXT]], %[[OFF]][%[[AT]]] : memref<9xi32>
// CHECK: scf.for %[[X:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[PREV:.*]] = arith.subi %[[X]], %{{.*}} : index
// CHECK:   %[[A:.*]] = memref.load %[[OFF]][%[[PREV]]] : memref<9xi32>
// CHECK:   %[[B:.*]] = memref.load %[[OFF]][%[[X]]] : memref<9xi32>
// CHECK:   %[[AB:.*]] = arith.addi %[[A]], %[[B]] : i32
// CHECK:   memref.store %[[AB]], %[[OFF]][%[[X]]] : memref<9xi32>
// CHECK: %[[LAST:.*]] = arith.subi %[[TK]], %{{.*}} : index
// CHECK: scf.for %[[TOK2:.*]] = %{{.*}} to %[[T]] step
// CHECK:   scf.for %[[J2:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[RANK:.*]] = memref.load %[[SO]][%[[TOK2]], %[[J2]]] : memref<?x2xi32>
// CHECK:     %[[KEPT:.*]] = arith.cmpi sge, %[[RANK]], %{{.*}} : i32
// CHECK:     %[[EX2:.*]] = memref.load %[[EIN]][%[[TOK2]], %[[J2]]]
// CHECK:     %[[EX2S:.*]] = arith.select %[[KEPT]], %[[EX2]], %{{.*}} : i32
// CHECK:     %[[EX2I:.*]] = arith.index_cast %[[EX2S]] : i32 to index
// CHECK:     %[[START:.*]] = memref.load %[[OFF]][%[[EX2I]]] : memref<9xi32>
// CHECK:     %[[SLOT:.*]] = arith.addi %[[START]], %[[RANK]] : i32
// CHECK:     %[[SLOTOF:.*]] = arith.select %[[KEPT]], %[[SLOT]], %[[RANK]] : i32
// CHECK:     memref.store %[[SLOTOF]], %[[SO]][%[[TOK2]], %[[J2]]] : memref<?x2xi32>
// CHECK:     %[[SLOTI:.*]] = arith.index_cast %[[SLOT]] : i32 to index
// CHECK:     %[[TO:.*]] = arith.select %[[KEPT]], %[[SLOTI]], %[[LAST]] : index
// CHECK:     %[[TOKI:.*]] = arith.index_cast %[[TOK2]] : index to i32
// CHECK:     memref.store %[[TOKI]], %[[ST]][%[[TO]]] : memref<?xi32>
// Then the unused slots (from the kept count on) get token 0.
// CHECK: %[[USED:.*]] = memref.load %[[OFF]][%{{.*}}] : memref<9xi32>
// CHECK: %[[USEDI:.*]] = arith.index_cast %[[USED]] : i32 to index
// CHECK: scf.for %[[S:.*]] = %[[USEDI]] to %[[TK]] step
// CHECK:   memref.store %{{.*}}, %[[ST]][%[[S]]] : memref<?xi32>
func.func @dispatch_capacity(%e: memref<?x2xi32>, %st: memref<?xi32>, %so: memref<?x2xi32>, %off: memref<9xi32>) {
  hmoe.dispatch %e : memref<?x2xi32> num_experts = 8 capacity_factor 1.25
      outs(%st, %so, %off : memref<?xi32>, memref<?x2xi32>, memref<9xi32>)
  return
}

// -----

// Statistics accumulate in f64: per-expert load and importance over the
// tokens, then the balance loss E * sum_e load_e * importance_e / (T^2 K),
// 0 for T = 0.
// CHECK-LABEL: func.func @stats
// CHECK-SAME: (%[[PR:.*]]: memref<?x8xf32>, %[[EIN:.*]]: memref<?x2xi32>, %[[LOAD:.*]]: memref<8xi64>, %[[BAL:.*]]: memref<f32>)
// CHECK: %[[T:.*]] = memref.dim %[[PR]]
// CHECK: %[[COUNTS:.*]] = memref.alloca() : memref<8xi64>
// CHECK: %[[IMP:.*]] = memref.alloca() : memref<8xf64>
// CHECK: scf.for %[[TOK:.*]] = %{{.*}} to %[[T]] step
// CHECK:   %[[EX:.*]] = memref.load %[[EIN]][%[[TOK]], %{{.*}}] : memref<?x2xi32>
// CHECK:   scf.if
// CHECK:     %[[EXI:.*]] = arith.index_cast %[[EX]] : i32 to index
// CHECK:     %[[N:.*]] = memref.load %[[COUNTS]][%[[EXI]]] : memref<8xi64>
// CHECK:     %[[N1:.*]] = arith.addi %[[N]], %{{.*}} : i64
// CHECK:     memref.store %[[N1]], %[[COUNTS]][%[[EXI]]] : memref<8xi64>
// CHECK:   scf.for %[[X:.*]] = %{{.*}} to %{{.*}} step
// CHECK:     %[[PV:.*]] = memref.load %[[PR]][%[[TOK]], %[[X]]] : memref<?x8xf32>
// CHECK:     %[[PD:.*]] = arith.extf %[[PV]] : f32 to f64
// CHECK:     %[[I0:.*]] = memref.load %[[IMP]][%[[X]]] : memref<8xf64>
// CHECK:     %[[I1:.*]] = arith.addf %[[I0]], %[[PD]] : f64
// CHECK:     memref.store %[[I1]], %[[IMP]][%[[X]]] : memref<8xf64>
// CHECK: %[[NONE:.*]] = arith.cmpi eq, %[[T]], %{{.*}} : index
// CHECK: scf.for %[[Y:.*]] = %{{.*}} to %{{.*}} step
// CHECK:   %[[LV:.*]] = memref.load %[[COUNTS]][%[[Y]]] : memref<8xi64>
// CHECK:   memref.store %[[LV]], %[[LOAD]][%[[Y]]] : memref<8xi64>
// CHECK: %[[DOT:.*]] = scf.for {{.*}} -> (f64)
// CHECK: %[[LOSS:.*]] = arith.select %[[NONE]], %{{.*}}, %{{.*}} : f64
// CHECK: %[[LOSS32:.*]] = arith.truncf %[[LOSS]] : f64 to f32
// CHECK: memref.store %[[LOSS32]], %[[BAL]][] : memref<f32>
func.func @stats(%p: memref<?x8xf32>, %e: memref<?x2xi32>, %load: memref<8xi64>, %bal: memref<f32>) {
  hmoe.stats [load, balance_loss] probs %p : memref<?x8xf32>, experts %e : memref<?x2xi32>
      outs(%load, %bal : memref<8xi64>, memref<f32>)
  return
}

