// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 tf32 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 emulate tf32 row-tiles=1}))' %s | FileCheck %s --check-prefix=EMU
// Each lane's registers in the PTX ISA's K order (load-bytes=4);
// warp-contractions-to-mma-wide-loads.mlir has the wider runs.

// TF32 (the tf32 option; without it an f32 contraction is an error,
// warp-contractions-to-mma-errors.mlir): m16n8k8 steps, K 8 at a time.
// Lane (g, t) reads one f32 per register: A rows g, g + 8 at K t and t + 4
// (not 2t: the output columns stay 2t, 2t + 1), weight row g at K t and
// t + 4, each rounded to TF32 (nearest, ties away, as cvt.rna.tf32.f32;
// infinities kept, NaNs kept NaN) into an i32.
// CHECK-LABEL: func.func @tf32
// CHECK-SAME: (%[[A:.*]]: memref<?x16xf32>, %[[W:.*]]: memref<8x16xf32>, %[[C:.*]]: memref<?x8xf32>)
// CHECK: scf.forall (%[[TID:.*]]) in (32) {
// CHECK:   %[[LANE:.*]] = arith.remui %[[TID]], %{{.*}} : index
// CHECK:   %[[G:.*]] = arith.divui %[[LANE]], %[[C4:.*]] : index
// CHECK:   %[[T:.*]] = arith.remui %[[LANE]], %{{.*}} : index
// CHECK:   %[[T2:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK:   %[[ROW0:.*]] = arith.select
// CHECK:   %[[ROW1:.*]] = arith.select
// CHECK:   %[[COL:.*]] = arith.addi %{{.*}}, %[[T2]] : index
// CHECK:   %[[WROW:.*]] = arith.addi %{{.*}}, %[[G]] : index
// CHECK:   scf.for %[[K0:.*]] = %{{.*}} to %[[C16:.*]] step %[[C8:.*]] iter_args
// CHECK:     %[[KB:.*]] = arith.addi %[[K0]], %[[T]] : index
// CHECK:     %[[KB4:.*]] = arith.addi %[[KB]], %{{.*}} : index
// CHECK:     %[[PB0:.*]] = vector.load %[[W]][%[[WROW]], %[[KB]]] {alignment = 4 : i64} : memref<8x16xf32>, vector<1xf32>
// CHECK:     %[[PB1:.*]] = vector.load %[[W]][%[[WROW]], %[[KB4]]]
// CHECK:     vector.extract %[[PB0]][0]
// CHECK:     vector.extract %[[PB1]][0]
// CHECK:     arith.bitcast %{{.*}} : i32 to f32
// CHECK:     %[[RB1:.*]] = arith.bitcast %{{.*}} : f32 to i32
// CHECK:     %[[K:.*]] = arith.addi %[[K0]], %[[T]] : index
// CHECK:     %[[K4:.*]] = arith.addi %[[K]], %[[C4B:.*]] : index
// CHECK:     %[[PA0:.*]] = vector.load %[[A]][%[[ROW0]], %[[K]]] {alignment = 4 : i64} : memref<?x16xf32>, vector<1xf32>
// CHECK:     %[[PA1:.*]] = vector.load %[[A]][%[[ROW1]], %[[K]]]
// CHECK:     %[[PA2:.*]] = vector.load %[[A]][%[[ROW0]], %[[K4]]]
// CHECK:     %[[PA3:.*]] = vector.load %[[A]][%[[ROW1]], %[[K4]]]
// CHECK:     %[[XA0:.*]] = vector.extract %[[PA0]][0]
// CHECK:     %[[BITS:.*]] = arith.bitcast %[[XA0]] : f32 to i32
// CHECK:     %[[EXPMASK:.*]] = arith.constant 2139095040 : i32
// CHECK:     %[[EXP:.*]] = arith.andi %[[BITS]], %[[EXPMASK]] : i32
// CHECK:     %[[FINITE:.*]] = arith.cmpi ne, %[[EXP]], %[[EXPMASK]] : i32
// CHECK:     %[[HALF:.*]] = arith.constant 4096 : i32
// CHECK:     %[[UP:.*]] = arith.addi %[[BITS]], %[[HALF]] : i32
// CHECK:     %[[LOW:.*]] = arith.constant -8192 : i32
// CHECK:     %[[CUT:.*]] = arith.andi %[[UP]], %[[LOW]] : i32
// CHECK:     %[[NAN:.*]] = arith.cmpf uno, %[[XA0]], %[[XA0]] : f32
// CHECK:     %[[QNAN:.*]] = arith.constant 2147475456 : i32
// CHECK:     %[[SPECIAL:.*]] = arith.select %[[NAN]], %[[QNAN]], %[[BITS]] : i32
// CHECK:     %[[TF32:.*]] = arith.select %[[FINITE]], %[[CUT]], %[[SPECIAL]] : i32
// CHECK:     %[[FA0:.*]] = arith.bitcast %[[TF32]] : i32 to f32
// CHECK:     %[[RA0:.*]] = arith.bitcast %[[FA0]] : f32 to i32
// CHECK:     vector.extract %[[PA1]][0]
// CHECK:     vector.extract %[[PA2]][0]
// CHECK:     vector.extract %[[PA3]][0]
// CHECK:     nvvm.mma.sync A[%[[RA0]], %{{.*}}, %{{.*}}, %{{.*}}] B[%{{.*}}, %[[RB1]]]
// CHECK-SAME:  multiplicandAPtxType = #nvvm.mma_type<tf32>, multiplicandBPtxType = #nvvm.mma_type<tf32>, shape = #nvvm.shape<m = 16, n = 8, k = 8>
// CHECK-SAME:  (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:   vector.store %{{.*}}, %[[C]][%{{.*}}, %[[COL]]] {alignment = 8 : i64}

// Emulated: registers of one f32 each; every element the step reads is
// rounded by the same code.
// EMU-LABEL: func.func @tf32
// EMU: memref.alloca() : memref<1x32x4xvector<1xf32>>
// EMU: memref.alloca() : memref<1x32x2xvector<1xf32>>
// EMU: %[[BITS:.*]] = arith.bitcast %{{.*}} : f32 to i32
// EMU: %[[HALF:.*]] = arith.constant 4096 : i32
// EMU: %[[UP:.*]] = arith.addi %[[BITS]], %[[HALF]] : i32
// EMU: %[[MASK:.*]] = arith.constant -8192 : i32
// EMU: %[[CUT:.*]] = arith.andi %[[UP]], %[[MASK]] : i32
// EMU: arith.select %{{.*}}, %[[CUT]], %{{.*}} : i32
// EMU-NOT: nvvm.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @tf32(%a: memref<?x16xf32>, %w: memref<8x16xf32>, %c: memref<?x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<?x16xf32>, memref<8x16xf32>) outs(%c : memref<?x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// One f32 per register needs no even row stride: a dynamic one is read
// element by element (the accumulator pairs of C still need an even one).
// CHECK-LABEL: func.func @tf32_dynamic_stride
// CHECK: nvvm.mma.sync
// CHECK-SAME: shape = #nvvm.shape<m = 16, n = 8, k = 8>
// EMU-LABEL: func.func @tf32_dynamic_stride
// EMU-NOT: nvvm.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @tf32_dynamic_stride(%a: memref<16x8xf32, strided<[?, 1]>>, %w: memref<8x8xf32, strided<[?, 1]>>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x8xf32, strided<[?, 1]>>, memref<8x8xf32, strided<[?, 1]>>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
