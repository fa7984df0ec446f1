// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 row-tiles=1 prefetch=false}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=4 emulate row-tiles=1}))' %s | FileCheck %s --check-prefix=EMU
// Each lane's registers in the PTX ISA's K order (load-bytes=4);
// warp-contractions-to-mma-wide-loads.mlir has the wider runs.
// One 16-row tile at a time here (the fragment addressing);
// warp-contractions-to-mma-row-tiles.mlir has several sharing B.

// Two warps of 16 columns each become 64 linear threads: warp tid / 32,
// lane tid % 32, the warp's views as before. Per 16 x 16 output tile (two
// 8-column steps sharing each A fragment), lane (g = lane / 4, t = lane %
// 4) reads rows g and g + 8 (the last row past the end), A's K pairs 2t
// and 2t + 8 of each K step, weight rows n0 + g and n0 + 8 + g, and writes
// C[g or g + 8][n0 + 2t, +1] and [..][n0 + 8 + 2t, +1] where those rows
// exist.
// CHECK-LABEL: func.func @bf16
// CHECK-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<32x64xbf16>, %[[C:.*]]: memref<?x32xf32>)
// CHECK: scf.forall (%[[TID:.*]]) in (64) {
// CHECK:   %[[WARP:.*]] = arith.divui %[[TID]], %[[C32:.*]] : index
// CHECK:   %[[LANE:.*]] = arith.remui %[[TID]], %[[C32]] : index
// CHECK:   %[[OFF:.*]] = arith.muli %[[WARP]], %[[C16:.*]] : index
// CHECK:   %[[COL0:.*]] = arith.addi %{{.*}}, %[[OFF]] : index
// CHECK:   %[[WV:.*]] = memref.subview %[[W]][%[[COL0]], 0] [16, 64]
// CHECK:   %[[CV:.*]] = memref.subview %[[C]][0, %[[COL0]]]
// CHECK:   %[[ROWS:.*]] = memref.dim %[[CV]], %{{.*}}
// CHECK:   scf.for %[[M0:.*]] = %{{.*}} to %[[ROWS]] step %{{.*}} {
// CHECK:     scf.for %[[N0:.*]] = %{{.*}} to %{{.*}} step %[[C16B:.*]] {
// CHECK:       %[[G:.*]] = arith.divui %[[LANE]], %{{.*}} : index
// CHECK:       %[[T:.*]] = arith.remui %[[LANE]], %{{.*}} : index
// CHECK:       %[[T2:.*]] = arith.muli %[[T]], %{{.*}} : index
// CHECK:       %[[R0:.*]] = arith.addi %[[M0]], %[[G]] : index
// CHECK:       %[[R1:.*]] = arith.addi %[[R0]], %{{.*}} : index
// CHECK:       %[[IN0:.*]] = arith.cmpi ult, %[[R0]], %[[ROWS]] : index
// CHECK:       %[[IN1:.*]] = arith.cmpi ult, %[[R1]], %[[ROWS]] : index
// CHECK:       %[[LAST:.*]] = arith.subi %[[ROWS]], %{{.*}} : index
// CHECK:       %[[ROW0:.*]] = arith.select %[[IN0]], %[[R0]], %[[LAST]] : index
// CHECK:       %[[ROW1:.*]] = arith.select %[[IN1]], %[[R1]], %[[LAST]] : index
// CHECK:       %[[COL:.*]] = arith.addi %[[N0]], %[[T2]] : index
// CHECK:       %[[WROW:.*]] = arith.addi %[[N0]], %[[G]] : index
// CHECK:       %[[N8:.*]] = arith.addi %[[N0]], %{{.*}} : index
// CHECK:       %[[COL8:.*]] = arith.addi %[[N8]], %{{.*}} : index
// CHECK:       %[[WROW8:.*]] = arith.addi %[[N8]], %{{.*}} : index
// CHECK:       %[[C01:.*]] = vector.load %[[CV]][%[[ROW0]], %[[COL]]] {alignment = 8 : i64} : {{.*}}, vector<2xf32>
// CHECK:       %[[C0:.*]] = vector.extract %[[C01]][0]
// CHECK:       %[[C1:.*]] = vector.extract %[[C01]][1]
// CHECK:       %[[C23:.*]] = vector.load %[[CV]][%[[ROW1]], %[[COL]]] {alignment = 8 : i64} : {{.*}}, vector<2xf32>
// CHECK:       %[[C2:.*]] = vector.extract %[[C23]][0]
// CHECK:       %[[C3:.*]] = vector.extract %[[C23]][1]
// CHECK:       vector.load %[[CV]][%{{.*}}, %[[COL8]]] {alignment = 8 : i64}
// CHECK:       vector.load %[[CV]][%{{.*}}, %[[COL8]]] {alignment = 8 : i64}
// CHECK:       %[[SUMS:.*]]:8 = scf.for %[[K0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[S0:.*]] = %[[C0]], %[[S1:.*]] = %[[C1]], %[[S2:.*]] = %[[C2]], %[[S3:.*]] = %[[C3]], %[[S4:.*]] = %{{.*}}, %[[S5:.*]] = %{{.*}}, %[[S6:.*]] = %{{.*}}, %[[S7:.*]] = %{{.*}})
// CHECK:         %[[K:.*]] = arith.addi %[[K0]], %[[T2]] : index
// CHECK:         %[[K8:.*]] = arith.addi %[[K]], %{{.*}} : index
// CHECK:         %[[PB0:.*]] = vector.load %[[WV]][%[[WROW]], %[[K]]] {alignment = 4 : i64}
// CHECK:         %[[PB1:.*]] = vector.load %[[WV]][%[[WROW]], %[[K8]]] {alignment = 4 : i64}
// CHECK:         %[[RB0:.*]] = llvm.bitcast %[[PB0]] : vector<2xbf16> to i32
// CHECK:         %[[RB1:.*]] = llvm.bitcast %[[PB1]] : vector<2xbf16> to i32
// CHECK:         %[[PB2:.*]] = vector.load %[[WV]][%[[WROW8]], %{{.*}}] {alignment = 4 : i64}
// CHECK:         %[[PB3:.*]] = vector.load %[[WV]][%[[WROW8]], %{{.*}}] {alignment = 4 : i64}
// CHECK:         %[[RB2:.*]] = llvm.bitcast %[[PB2]] : vector<2xbf16> to i32
// CHECK:         %[[RB3:.*]] = llvm.bitcast %[[PB3]] : vector<2xbf16> to i32
// CHECK:         %[[PA0:.*]] = vector.load %[[A]][%[[ROW0]], %[[KA:.*]]] {alignment = 4 : i64} : memref<?x64xbf16>, vector<2xbf16>
// CHECK:         %[[PA1:.*]] = vector.load %[[A]][%[[ROW1]], %[[KA]]] {alignment = 4 : i64}
// CHECK:         %[[PA2:.*]] = vector.load %[[A]][%[[ROW0]], %[[KA8:.*]]] {alignment = 4 : i64}
// CHECK:         %[[PA3:.*]] = vector.load %[[A]][%[[ROW1]], %[[KA8]]] {alignment = 4 : i64}
// CHECK:         %[[RA0:.*]] = llvm.bitcast %[[PA0]] : vector<2xbf16> to i32
// CHECK:         %[[RA1:.*]] = llvm.bitcast %[[PA1]] : vector<2xbf16> to i32
// CHECK:         %[[RA2:.*]] = llvm.bitcast %[[PA2]] : vector<2xbf16> to i32
// CHECK:         %[[RA3:.*]] = llvm.bitcast %[[PA3]] : vector<2xbf16> to i32
// CHECK:         %[[D:.*]] = nvvm.mma.sync A[%[[RA0]], %[[RA1]], %[[RA2]], %[[RA3]]] B[%[[RB0]], %[[RB1]]] C[%[[S0]], %[[S1]], %[[S2]], %[[S3]]]
// CHECK-SAME:      layoutA = #nvvm.mma_layout<row>, layoutB = #nvvm.mma_layout<col>, multiplicandAPtxType = #nvvm.mma_type<bf16>, multiplicandBPtxType = #nvvm.mma_type<bf16>, shape = #nvvm.shape<m = 16, n = 8, k = 16>
// CHECK-SAME:      (i32, i32, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK:         %[[D0:.*]] = llvm.extractvalue %[[D]][0]
// CHECK:         %[[D1:.*]] = llvm.extractvalue %[[D]][1]
// CHECK:         %[[D2:.*]] = llvm.extractvalue %[[D]][2]
// CHECK:         %[[D3:.*]] = llvm.extractvalue %[[D]][3]
// CHECK:         %[[E:.*]] = nvvm.mma.sync A[%[[RA0]], %[[RA1]], %[[RA2]], %[[RA3]]] B[%[[RB2]], %[[RB3]]] C[%[[S4]], %[[S5]], %[[S6]], %[[S7]]]
// CHECK:         %[[E0:.*]] = llvm.extractvalue %[[E]][0]
// CHECK:         %[[E1:.*]] = llvm.extractvalue %[[E]][1]
// CHECK:         %[[E2:.*]] = llvm.extractvalue %[[E]][2]
// CHECK:         %[[E3:.*]] = llvm.extractvalue %[[E]][3]
// CHECK:         scf.yield %[[D0]], %[[D1]], %[[D2]], %[[D3]], %[[E0]], %[[E1]], %[[E2]], %[[E3]]
// CHECK:       %[[OUT01:.*]] = vector.from_elements %[[SUMS]]#0, %[[SUMS]]#1 : vector<2xf32>
// CHECK:       scf.if %[[IN0]] {
// CHECK:         vector.store %[[OUT01]], %[[CV]][%[[R0]], %[[COL]]] {alignment = 8 : i64}
// CHECK:       %[[OUT23:.*]] = vector.from_elements %[[SUMS]]#2, %[[SUMS]]#3 : vector<2xf32>
// CHECK:       scf.if %[[IN1]] {
// CHECK:         vector.store %[[OUT23]], %[[CV]][%[[R1]], %[[COL]]] {alignment = 8 : i64}
// CHECK:       %[[OUT45:.*]] = vector.from_elements %[[SUMS]]#4, %[[SUMS]]#5 : vector<2xf32>
// CHECK:       scf.if %{{.*}} {
// CHECK:         vector.store %[[OUT45]], %[[CV]][%{{.*}}, %[[COL8]]] {alignment = 8 : i64}
// CHECK:       %[[OUT67:.*]] = vector.from_elements %[[SUMS]]#6, %[[SUMS]]#7 : vector<2xf32>
// CHECK:       scf.if %{{.*}} {
// CHECK:         vector.store %[[OUT67]], %[[CV]][%{{.*}}, %[[COL8]]] {alignment = 8 : i64}
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
// CHECK-NOT: linalg.generic

// Emulated: a loop over the 2 warps (the warp loop's induction variable
// rebuilt as on the GPU), each running its lanes one after the other with
// the warp's registers in buffers ([tile, lane, reg] for the accumulators,
// [step, lane, reg] for B, [row tile, lane, reg] for A); each m16n8k16 step reads A[r][k] from lane
// 4 (r % 8) + (k % 8) / 2, register 2 (k / 8) + r / 8; no NVVM op is left.
// EMU-LABEL: func.func @bf16
// EMU: scf.forall (%[[W:.*]]) in (2) {
// EMU:   %[[OFF:.*]] = arith.muli %[[W]], %{{.*}} : index
// EMU:   %[[COL0:.*]] = arith.addi %{{.*}}, %[[OFF]] : index
// EMU:   memref.subview %{{.*}}[%[[COL0]], 0] [16, 64]
// EMU:   %[[ACC:.*]] = memref.alloca() : memref<2x32x4xf32>
// EMU:   %[[AREGS:.*]] = memref.alloca() : memref<1x32x4xvector<2xbf16>>
// EMU:   %[[BREGS:.*]] = memref.alloca() : memref<2x32x2xvector<2xbf16>>
// EMU:   scf.for
// EMU:     scf.for
// EMU:       scf.for %[[LANE:.*]] = %{{.*}} to %{{.*}} step
// EMU:         memref.store %{{.*}}, %[[ACC]][%{{.*}}, %[[LANE]], %{{.*}}] : memref<2x32x4xf32>
// EMU:       scf.for
// EMU:         scf.for %[[LANE2:.*]] = %{{.*}} to %{{.*}} step
// EMU:           memref.store %{{.*}}, %[[BREGS]][%{{.*}}, %[[LANE2]], %{{.*}}]
// EMU:           memref.store %{{.*}}, %[[AREGS]][%{{.*}}, %[[LANE2]], %{{.*}}]
// EMU:         scf.for %[[R:.*]] = %{{.*}} to %{{.*}} step
// EMU:           scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step
// EMU:             scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step
// EMU:               %[[K8:.*]] = arith.remui %[[K]], %[[C8:.*]] : index
// EMU:               %[[KLANE:.*]] = arith.divui %[[K8]], %{{.*}} : index
// EMU:               %[[R8:.*]] = arith.remui %[[R]], %{{.*}} : index
// EMU:               %[[R8X4:.*]] = arith.muli %[[R8]], %{{.*}} : index
// EMU:               %[[LANEA:.*]] = arith.addi %[[R8X4]], %[[KLANE]] : index
// EMU:               %[[KHALF:.*]] = arith.divui %[[K]], %{{.*}} : index
// EMU:               %[[KHALF2:.*]] = arith.muli %[[KHALF]], %{{.*}} : index
// EMU:               %[[RHALF:.*]] = arith.divui %[[R]], %{{.*}} : index
// EMU:               %[[REGA:.*]] = arith.addi %[[KHALF2]], %[[RHALF]] : index
// EMU:               memref.load %[[AREGS]][%{{.*}}, %[[LANEA]], %[[REGA]]]
// EMU: } {mapping = [#gpu.warp<linear_dim_0>]}
// EMU-NOT: nvvm.
// EMU-NOT: linalg.generic
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @bf16(%a: memref<?x64xbf16>, %w: memref<32x64xbf16>, %c: memref<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %rows = memref.dim %c, %c0 : memref<?x32xf32>
  scf.forall (%i) = (0) to (32) step (16) {
    %wv = memref.subview %w[%i, 0] [16, 64] [1, 1] : memref<32x64xbf16> to memref<16x64xbf16, strided<[64, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [%rows, 16] [1, 1] : memref<?x32xf32> to memref<?x16xf32, strided<[32, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<?x64xbf16>, memref<16x64xbf16, strided<[64, 1], offset: ?>>)
        outs(%cv : memref<?x16xf32, strided<[32, 1], offset: ?>>) {
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

// f16: the pairs go to the intrinsic as vector<2xf16>, no bitcast (the
// PTX types are inferred from them and not printed); one warp of 8
// columns, 32 threads.
// CHECK-LABEL: func.func @f16
// CHECK: scf.forall (%{{.*}}) in (32) {
// CHECK-NOT: llvm.bitcast
// CHECK: nvvm.mma.sync A[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}] B[%{{.*}}, %{{.*}}] C[%{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// CHECK-SAME: (vector<2xf16>, vector<2xf16>, f32) -> !llvm.struct<(f32, f32, f32, f32)>
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @f16(%a: memref<16x32xf16>, %w: memref<8x32xf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xf16>, memref<8x32xf16>)
        outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f16, %y: f16, %acc: f32):
      %xf = arith.extf %x : f16 to f32
      %yf = arith.extf %y : f16 to f32
      %p = arith.mulf %yf, %xf : f32
      %s = arith.addf %p, %acc : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Bufferization's copy of the output tile onto an identical view of itself
// goes; the warp's contraction is lowered.
// CHECK-LABEL: func.func @self_copy
// CHECK-NOT: memref.copy
// CHECK: nvvm.mma.sync
// CHECK-NOT: memref.copy
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @self_copy(%a: memref<16x32xbf16>, %w: memref<16x32xbf16>, %c: memref<16x16xf32>) {
  scf.forall (%i) = (0) to (16) step (8) {
    %wv = memref.subview %w[%i, 0] [8, 32] [1, 1] : memref<16x32xbf16> to memref<8x32xbf16, strided<[32, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [16, 8] [1, 1] : memref<16x16xf32> to memref<16x8xf32, strided<[16, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<16x32xbf16>, memref<8x32xbf16, strided<[32, 1], offset: ?>>)
        outs(%cv : memref<16x8xf32, strided<[16, 1], offset: ?>>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
    %cv2 = memref.subview %c[0, %i] [16, 8] [1, 1] : memref<16x16xf32> to memref<16x8xf32, strided<[16, 1], offset: ?>>
    memref.copy %cv, %cv2 : memref<16x8xf32, strided<[16, 1], offset: ?>> to memref<16x8xf32, strided<[16, 1], offset: ?>>
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Gathered rows (hmoe-tile-for-gpu's fusion of an expert's gather): the
// lanes read A from the source, x, at the rows the token indices name,
// each index read once per tile, outside the K loop; C's rows are the
// contraction's own. Emulated, the same lane code stores the registers.
// CHECK-LABEL: func.func @gathered_rows
// CHECK-SAME: (%[[X:.*]]: memref<?x64xbf16>, %[[TOK:.*]]: memref<?xi32>, %[[W:.*]]: memref<8x64xbf16>, %[[C:.*]]: memref<?x8xf32>)
// CHECK: scf.forall (%{{.*}}) in (32) {
// CHECK:   %[[ROW0:.*]] = arith.select
// CHECK:   %[[ROW1:.*]] = arith.select
// CHECK:   %[[T0:.*]] = memref.load %[[TOK]][%[[ROW0]]] : memref<?xi32>
// CHECK:   %[[S0:.*]] = arith.index_cast %[[T0]] : i32 to index
// CHECK:   %[[T1:.*]] = memref.load %[[TOK]][%[[ROW1]]] : memref<?xi32>
// CHECK:   %[[S1:.*]] = arith.index_cast %[[T1]] : i32 to index
// CHECK:   vector.load %[[C]][%[[ROW0]], %{{.*}}] {alignment = 8 : i64}
// CHECK:   vector.load %[[C]][%[[ROW1]], %{{.*}}] {alignment = 8 : i64}
// CHECK:   scf.for
// CHECK-NOT: memref.load %[[TOK]]
// CHECK:     vector.load %[[W]]
// CHECK:     vector.load %[[X]][%[[S0]], %[[KA:.*]]] {alignment = 4 : i64} : memref<?x64xbf16>, vector<2xbf16>
// CHECK:     vector.load %[[X]][%[[S1]], %[[KA]]] {alignment = 4 : i64}
// CHECK:     vector.load %[[X]][%[[S0]], %[[KA8:.*]]] {alignment = 4 : i64}
// CHECK:     vector.load %[[X]][%[[S1]], %[[KA8]]] {alignment = 4 : i64}
// CHECK:     nvvm.mma.sync
// CHECK:   vector.store %{{.*}}, %[[C]][%{{.*}}, %{{.*}}] {alignment = 8 : i64}
// CHECK: } {mapping = [#gpu.thread<linear_dim_0>]}
// EMU-LABEL: func.func @gathered_rows
// EMU-SAME: (%[[X:.*]]: memref<?x64xbf16>, %[[TOK:.*]]: memref<?xi32>
// (Past the lanes' accumulators, into the K steps' lane loop.)
// EMU: memref.store %{{.*}}, %{{.*}} : memref<1x32x4xf32>
// EMU: %[[T0:.*]] = memref.load %[[TOK]]
// EMU: %[[S0:.*]] = arith.index_cast %[[T0]] : i32 to index
// EMU: vector.load %[[X]][%[[S0]], %{{.*}}]
// EMU-NOT: nvvm.
#mapRow = affine_map<(m, n, k) -> (m)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @gathered_rows(%x: memref<?x64xbf16>, %tokens: memref<?xi32>, %w: memref<8x64xbf16>, %c: memref<?x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapRow, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%tokens, %w : memref<?xi32>, memref<8x64xbf16>)
        outs(%c : memref<?x8xf32>) {
    ^bb0(%t: i32, %y: bf16, %acc: f32):
      %r = arith.index_cast %t : i32 to index
      %k = linalg.index 2 : index
      %xv = memref.load %x[%r, %k] : memref<?x64xbf16>
      %xf = arith.extf %xv : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
