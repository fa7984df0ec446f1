// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 tf32}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 tf32 prefetch=false}))' %s | FileCheck %s --check-prefix=OFF
// Each lane's registers in the PTX ISA's K order (load-bytes=4);
// warp-contractions-to-mma-wide-loads.mlir has the wider runs.

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>

// Prefetch (the default): the K loop carries the next step's fragments.
// Before it the lanes load step 0's (row tile 0's A, row tile 1's A, then
// B of both 8-column steps); each iteration loads step min(k0 + 16, 16)'s
// (K = 32: the last step again in the last iteration) before its mma.sync
// steps, which take the fragments the loop carries, and yields the new
// ones. No branch in the loop: whether row tile 1 has rows picks one of two
// K loops outside it, the one-tile loop passing tile 1's sums on. Neither
// is to be unrolled (llvm.loop_annotation, carried to LLVM IR by
// hmoe-carry-llvm-attributes).
// CHECK-DAG: #[[NOUNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[ANNOTATION:.*]] = #llvm.loop_annotation<unroll = #[[NOUNROLL]]>
// CHECK-LABEL: func.func @prefetch
// CHECK-SAME: (%[[A:.*]]: memref<?x32xbf16>, %[[W:.*]]: memref<16x32xbf16>, %[[C:.*]]: memref<?x16xf32>)
// CHECK: %[[ROWS:.*]] = memref.dim %[[C]]
// CHECK: scf.for %[[M0:.*]] = %{{.*}} to %[[ROWS]] step
// CHECK-COUNT-4: vector.load %[[C]]
// CHECK: %[[T1C:.*]] = vector.load %[[C]]
// CHECK-NEXT: %[[T1C0:.*]] = vector.extract %[[T1C]][0]
// CHECK: %[[TILE1:.*]] = arith.addi %[[M0]], %c16{{[_0-9]*}} : index
// CHECK-NEXT: %[[LIVE1:.*]] = arith.cmpi ult, %[[TILE1]], %[[ROWS]] : index
// CHECK-NEXT: scf.if %[[LIVE1]] -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK: %[[PA0:.*]] = vector.load %[[A]]
// CHECK: %[[PA0R:.*]] = llvm.bitcast %[[PA0]] : vector<2xbf16> to i32
// CHECK: %[[PB0:.*]] = vector.load %[[W]]
// CHECK: %[[PB0R:.*]] = llvm.bitcast %[[PB0]] : vector<2xbf16> to i32
// CHECK: %[[BOTH:.*]]:28 = scf.for %[[K0:.*]] = %{{.*}} to %c32{{[_0-9]*}} step %c16{{[_0-9]*}} iter_args({{.*}}, %[[RA0:[a-z0-9_]+]] = %[[PA0R]], {{.*}}, %[[RB0:[a-z0-9_]+]] = %[[PB0R]], {{.*}})
// CHECK-NOT: scf.if
// CHECK: %[[K1:.*]] = arith.addi %[[K0]], %c16{{[_0-9]*}} : index
// CHECK: %[[KNEXT:.*]] = arith.minui %[[K1]], %c16{{[_0-9]*}} : index
// CHECK: %[[KA:.*]] = arith.addi %[[KNEXT]], %{{.*}} : index
// CHECK: %[[NA0:.*]] = vector.load %[[A]][%{{.*}}, %[[KA]]]
// CHECK: %[[NA0R:.*]] = llvm.bitcast %[[NA0]] : vector<2xbf16> to i32
// CHECK-NOT: scf.if
// CHECK: nvvm.mma.sync A[%[[RA0]], {{.*}}]  B[%[[RB0]], {{.*}}]
// CHECK-NOT: scf.if
// CHECK: nvvm.mma.sync
// CHECK-NOT: scf.if
// CHECK: nvvm.mma.sync
// CHECK-NOT: scf.if
// CHECK: nvvm.mma.sync
// CHECK-NOT: scf.if
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield {{.*}}, %[[NA0R]], {{.*}} : f32
// CHECK-NEXT: } {llvm.loop_annotation = #[[ANNOTATION]]}
// CHECK-NEXT: scf.yield %[[BOTH]]#0, {{.*}}, %[[BOTH]]#15 :
// CHECK-NEXT: } else {
// CHECK: %[[ONE:.*]]:16 = scf.for
// CHECK-NOT: scf.if
// CHECK-COUNT-2: nvvm.mma.sync
// CHECK-NOT: nvvm.mma.sync
// CHECK: scf.yield
// CHECK-NEXT: } {llvm.loop_annotation = #[[ANNOTATION]]}
// CHECK-NEXT: scf.yield %[[ONE]]#0, {{.*}}, %[[ONE]]#7, %[[T1C0]], {{.*}} : f32
// Stores masked as before.
// CHECK: vector.store {{.*}}, %[[C]]

// Without prefetch: one K loop, the row tile's guard inside it.
// OFF-NOT: llvm.loop_annotation
// OFF-LABEL: func.func @prefetch
// OFF-NOT: arith.minui
// OFF: scf.for {{.*}} iter_args
// OFF: scf.if
// OFF-NOT: arith.minui
// OFF-NOT: llvm.loop_annotation
func.func @prefetch(%a: memref<?x32xbf16>, %w: memref<16x32xbf16>, %c: memref<?x16xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x32xbf16>, memref<16x32xbf16>)
        outs(%c : memref<?x16xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>

// TF32 (f32 operands, m16n8k8 steps): the prefetched registers are rounded
// when loaded, one step ahead; 16 static rows take one row tile, so one K
// loop and no choice. K = 16 in steps of 8: the next step is min(k0 + 8, 8).
// CHECK-LABEL: func.func @tf32_static_rows
// CHECK-NOT: scf.if
// CHECK: scf.for %[[K0:.*]] = %{{.*}} to %c16{{[_0-9]*}} step %c8{{[_0-9]*}} iter_args
// CHECK: %[[K1:.*]] = arith.addi %[[K0]], %c8{{[_0-9]*}} : index
// CHECK: arith.minui %[[K1]], %c8{{[_0-9]*}} : index
// CHECK: arith.andi %{{.*}}, %c-8192_i32
// CHECK: nvvm.mma.sync A[%{{.*}}]  B[%{{.*}}]  C[%{{.*}}] {{.*}}multiplicandAPtxType = #nvvm.mma_type<tf32>
func.func @tf32_static_rows(%a: memref<16x16xf32>, %w: memref<8x16xf32>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x16xf32>, memref<8x16xf32>)
        outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
