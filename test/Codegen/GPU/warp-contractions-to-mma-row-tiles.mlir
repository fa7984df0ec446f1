// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 emulate}))' %s | FileCheck %s --check-prefix=EMU
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 row-tiles=8 prefetch=false}))' %s | FileCheck %s --check-prefix=BUDGET
// Each lane's registers in the PTX ISA's K order (load-bytes=4);
// warp-contractions-to-mma-wide-loads.mlir has the wider runs.

// Row tiles (row-tiles, default 2): the warp runs 32 rows at a time as
// two 16-row tiles that share each B fragment. Per K step the lanes load B
// for both 8-column steps once, then row tile 0's A and its two mma steps,
// then, where the second tile has rows (m0 + 16 < rows, the same in every
// lane), its A (rows m0 + 16 + g, + 8) and two mma steps with the same B
// registers; past the end it passes its sums on. Its rows are stored
// masked, as tile 0's.
// CHECK-LABEL: func.func @row_tiles
// CHECK-SAME: (%[[A:.*]]: memref<?x32xbf16>, %[[W:.*]]: memref<16x32xbf16>, %[[C:.*]]: memref<?x16xf32>)
// CHECK: %[[ROWS:.*]] = memref.dim %[[C]]
// CHECK: %[[C32:.*]] = arith.constant 32 : index
// CHECK-NEXT: scf.for %[[M0:.*]] = %{{.*}} to %[[ROWS]] step %[[C32]] {
// CHECK: %[[G:.*]] = arith.divui %{{.*}}, %{{.*}} : index
// CHECK: %[[TILE1:.*]] = arith.addi %[[M0]], %c16{{[_0-9]*}} : index
// CHECK: %[[T1R0:.*]] = arith.addi %[[TILE1]], %{{.*}} : index
// CHECK: %[[T1R1:.*]] = arith.addi %[[T1R0]], %{{.*}} : index
// CHECK: %[[T1IN0:.*]] = arith.cmpi ult, %[[T1R0]], %[[ROWS]] : index
// CHECK: %[[T1ROW0:.*]] = arith.select %[[T1IN0]], %[[T1R0]], %{{.*}} : index
// CHECK: %[[T1ROW1:.*]] = arith.select %{{.*}}, %[[T1R1]], %{{.*}} : index
// CHECK-COUNT-8: vector.load %[[C]]
// CHECK: %[[FIRST1:.*]] = arith.addi %[[M0]], %c16{{[_0-9]*}} : index
// CHECK: %[[LIVE1:.*]] = arith.cmpi ult, %[[FIRST1]], %[[ROWS]] : index
// CHECK: %[[SUMS:.*]]:16 = scf.for %[[K0:.*]] = {{.*}} iter_args({{( ?%[a-z0-9_]+ = %[a-z0-9_]+,){8} }}%[[S8:[a-z0-9_]+]] =
// CHECK:   %[[PB0:.*]] = vector.load %[[W]]
// CHECK:   %[[PB1:.*]] = vector.load %[[W]]
// CHECK:   %[[RB0:.*]] = llvm.bitcast %[[PB0]]
// CHECK:   %[[RB1:.*]] = llvm.bitcast %[[PB1]]
// CHECK:   %[[PB2:.*]] = vector.load %[[W]]
// CHECK:   %[[PB3:.*]] = vector.load %[[W]]
// CHECK:   %[[RB2:.*]] = llvm.bitcast %[[PB2]]
// CHECK:   %[[RB3:.*]] = llvm.bitcast %[[PB3]]
// CHECK:   vector.load %[[A]]
// CHECK:   nvvm.mma.sync A[{{.*}}] B[%[[RB0]], %[[RB1]]]
// CHECK:   nvvm.mma.sync A[{{.*}}] B[%[[RB2]], %[[RB3]]]
// CHECK:   %{{.*}}:8 = scf.if %[[LIVE1]] -> (f32, f32, f32, f32, f32, f32, f32, f32) {
// CHECK:     vector.load %[[A]][%[[T1ROW0]], %{{.*}}]
// CHECK:     vector.load %[[A]][%[[T1ROW1]], %{{.*}}]
// CHECK:     nvvm.mma.sync A[{{.*}}] B[%[[RB0]], %[[RB1]]]
// CHECK:     nvvm.mma.sync A[{{.*}}] B[%[[RB2]], %[[RB3]]]
// CHECK:   } else {
// CHECK:     scf.yield %[[S8]],
// CHECK:   }
// CHECK: vector.from_elements %[[SUMS]]#8, %[[SUMS]]#9
// CHECK: scf.if %[[T1IN0]] {
// CHECK:   vector.store %{{.*}}, %[[C]][%[[T1R0]], %{{.*}}]
// CHECK-NOT: nvvm.mma.sync
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}

// Emulated: the warp's registers per 16 x 8 tile (accumulators), row tile
// (A) and 8-column step (B); the lanes store B, then both tiles' A; the
// second tile's steps run where it has rows.
// EMU-LABEL: func.func @row_tiles
// EMU: %[[ACC:.*]] = memref.alloca() : memref<4x32x4xf32>
// EMU: %[[AREGS:.*]] = memref.alloca() : memref<2x32x4xvector<2xbf16>>
// EMU: %[[BREGS:.*]] = memref.alloca() : memref<2x32x2xvector<2xbf16>>
// EMU: memref.store %{{.*}}, %[[ACC]]
// EMU: memref.store %{{.*}}, %[[BREGS]]
// EMU: memref.store %{{.*}}, %[[AREGS]]
// EMU: %[[LIVE:.*]] = arith.cmpi ult
// EMU: scf.if %[[LIVE]] {
// EMU:   memref.load %[[AREGS]]
// EMU:   memref.load %[[BREGS]]
// EMU: }

// With row-tiles=8: eight row tiles of two 8-column steps (64
// accumulators).
// BUDGET-LABEL: func.func @row_tiles
// BUDGET: %{{.*}}:64 = scf.for
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @row_tiles(%a: memref<?x32xbf16>, %w: memref<16x32xbf16>, %c: memref<?x16xf32>) {
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

// A static row count needs no more tiles than it has: 16 rows, one tile,
// no guard.
// CHECK-LABEL: func.func @static_rows
// CHECK: %{{.*}}:8 = scf.for
// CHECK-NOT: scf.if %{{.*}} -> (f32
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
// BUDGET-LABEL: func.func @static_rows
// BUDGET: %{{.*}}:8 = scf.for
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @static_rows(%a: memref<16x32xbf16>, %w: memref<16x32xbf16>, %c: memref<16x16xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<16x32xbf16>)
        outs(%c : memref<16x16xf32>) {
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

// The register budget: 16 tiles of 16 x 8 (64 accumulators a lane). With
// four 8-column steps sharing A, row-tiles=8 gets 4 row tiles; the
// default, 2.
// CHECK-LABEL: func.func @budget
// CHECK: %{{.*}}:32 = scf.for
// BUDGET-LABEL: func.func @budget
// BUDGET: %{{.*}}:64 = scf.for
// BUDGET-COUNT-16: nvvm.mma.sync
// BUDGET-NOT: nvvm.mma.sync
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @budget(%a: memref<?x16xbf16>, %w: memref<32x16xbf16>, %c: memref<?x32xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x16xbf16>, memref<32x16xbf16>)
        outs(%c : memref<?x32xf32>) {
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
