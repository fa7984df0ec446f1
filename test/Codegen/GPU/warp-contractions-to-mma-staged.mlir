// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 row-tiles=1},canonicalize,cse))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate stage-bytes=64 row-tiles=1},canonicalize,cse))' %s | FileCheck %s --check-prefix=EMU
// A and B through workgroup memory (stage-bytes): per K tile of 32 bf16
// (64 bytes of a row; rows padded to 96 bytes, 48 elements) the 64 threads
// of two warps copy A's 16 rows (past the end, the last row) and each
// warp its 16 rows of B, a named barrier over those 64 threads before and
// after; the lanes then read their fragments (8-byte runs) from there.
// warp-contractions-to-mma-staged-run.mlir runs it.
// CHECK-LABEL: func.func @staged
// CHECK-SAME: (%[[A:.*]]: memref<?x64xbf16>, %[[W:.*]]: memref<32x64xbf16>, %[[C:.*]]: memref<?x32xf32>)
// CHECK-DAG: %[[C1536:.*]] = arith.constant 1536 : index
// CHECK-DAG: %[[ID:.*]] = arith.constant 1 : i32
// CHECK-DAG: %[[N64:.*]] = arith.constant 64 : i32
// CHECK: %[[ROWS:.*]] = memref.dim %[[C]]
// CHECK: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<4608xi8, #gpu.address_space<workgroup>>
// CHECK: scf.forall (%[[TID:.*]]) in (64) {
// CHECK:   %[[WARP:.*]] = arith.divui %[[TID]], %[[C32:.*]] : index
// CHECK:   %[[LANE:.*]] = arith.remui %[[TID]], %[[C32]] : index
// CHECK:   %[[B0:.*]] = arith.muli %[[WARP]], %[[C16:.*]] : index
// CHECK:   %[[WV:.*]] = memref.subview %[[W]][%[[B0]], 0] [16, 64]
// CHECK:   %[[TA:.*]] = memref.view %[[BUF]][%{{.*}}][] : memref<4608xi8, #gpu.address_space<workgroup>> to memref<16x48xbf16, #gpu.address_space<workgroup>>
// CHECK:   %[[TB:.*]] = memref.view %[[BUF]][%[[C1536]]][] : memref<4608xi8, #gpu.address_space<workgroup>> to memref<32x48xbf16, #gpu.address_space<workgroup>>
// CHECK:   scf.for %[[M0:.*]] = %{{.*}} to %[[ROWS]] step %[[C16]] {
// CHECK:     %[[LAST:.*]] = arith.subi %[[ROWS]], %{{.*}} : index
// CHECK:     %[[SUMS:.*]]:8 = scf.for %[[KT:.*]] = %{{.*}} to %{{.*}} step %[[C32]] iter_args(
// CHECK:       nvvm.barrier id = %[[ID]] number_of_threads = %[[N64]]
// A: chunk tid of 64 (16 rows x 4 chunks of 8), row m0 + chunk / 4 clamped
// to the last, 16-byte vectors where A starts 16-byte aligned.
// CHECK:       scf.for %[[CA:.*]] = %[[TID]] to %{{.*}} step %{{.*}} {
// CHECK:         %[[RA:.*]] = arith.divui %[[CA]], %{{.*}} : index
// CHECK:         %[[QA:.*]] = arith.remui %[[CA]], %{{.*}} : index
// CHECK:         %[[COLA:.*]] = arith.muli %[[QA]], %{{.*}} : index
// CHECK:         %[[FROM:.*]] = arith.addi %[[M0]], %[[RA]] : index
// CHECK:         %[[CLAMP:.*]] = arith.minui %[[FROM]], %[[LAST]] : index
// CHECK:         %[[KA:.*]] = arith.addi %[[KT]], %[[COLA]] : index
// CHECK:         scf.if
// CHECK:           %[[CHUNK:.*]] = vector.load %[[A]][%[[CLAMP]], %[[KA]]] {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// CHECK:           vector.store %[[CHUNK]], %[[TA]][%[[RA]], %[[COLA]]] {alignment = 16 : i64}
// CHECK:         } else {
// CHECK:           memref.load %[[A]][%[[CLAMP]], %[[KA]]]
// B: the warp's rows by its lanes, into its rows of the B tile.
// CHECK:       scf.for %[[CB:.*]] = %[[LANE]] to %{{.*}} step %[[C32]] {
// CHECK:         %[[RB:.*]] = arith.divui %[[CB]], %{{.*}} : index
// CHECK:         %[[TO:.*]] = arith.addi %[[B0]], %[[RB]] : index
// CHECK:         vector.load %[[WV]][%[[RB]], %{{.*}}] {alignment = 16 : i64}
// CHECK:         vector.store %{{.*}}, %[[TB]][%[[TO]], %{{.*}}] {alignment = 16 : i64}
// CHECK:       nvvm.barrier id = %[[ID]] number_of_threads = %[[N64]]
// The K steps of the tile, from workgroup memory; no register prefetch.
// CHECK:       scf.for %{{.*}} = %{{.*}} to %[[C32]] step %[[C16]] iter_args(
// CHECK:         vector.load %[[TB]][%{{.*}}, %{{.*}}] {alignment = 8 : i64} : memref<32x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:         vector.load %[[TA]][%{{.*}}, %{{.*}}] {alignment = 8 : i64} : memref<16x48xbf16, #gpu.address_space<workgroup>>, vector<4xbf16>
// CHECK:         nvvm.mma.sync
// CHECK:         nvvm.mma.sync
// CHECK-NOT: llvm.loop_annotation
// CHECK:     vector.store %{{.*}}, %{{.*}} {alignment = 8 : i64} : memref<?x16xf32
//
// Emulated: the warps' loop interchanged with the K tiles: per tile every
// warp's accumulators into the [2 warps x 2 tiles, 32, 4] registers; per K
// tile both warps' lanes copy (thread warp * 32 + lane), then both warps
// run their steps; then both store.
// EMU-LABEL: func.func @staged
// EMU: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<4608xi8>
// EMU: %[[ACC:.*]] = memref.alloca() : memref<4x32x4xf32>
// EMU-NOT: scf.forall
// EMU: scf.for %[[M0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:   scf.for %[[W1:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     memref.subview
// EMU:     scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       memref.store %{{.*}}, %[[ACC]]
// EMU:   scf.for %[[KT:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     scf.for %[[W2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       scf.for %[[L2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:         %[[WT:.*]] = arith.muli %[[W2]], %{{.*}} : index
// EMU:         %[[T2:.*]] = arith.addi %[[WT]], %[[L2]] : index
// EMU:         scf.for %{{.*}} = %[[T2]] to %{{.*}} step %{{.*}} {
// EMU:           vector.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : memref<16x48xbf16>, vector<8xbf16>
// EMU:         scf.for %{{.*}} = %[[L2]] to %{{.*}} step %{{.*}} {
// EMU:           vector.store %{{.*}}, %{{.*}} {alignment = 16 : i64} : memref<32x48xbf16>, vector<8xbf16>
// EMU:     scf.for %[[W3:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:       vector.load %{{.*}} {alignment = 8 : i64} : memref<32x48xbf16>, vector<4xbf16>
// EMU:       vector.load %{{.*}} {alignment = 8 : i64} : memref<16x48xbf16>, vector<4xbf16>
// EMU:       memref.store %{{.*}}, %[[ACC]]
// EMU:   scf.for %[[W4:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// EMU:     memref.load %[[ACC]]
// EMU:     vector.store %{{.*}} : memref<?x16xf32
// EMU-NOT: nvvm.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @staged(%a: memref<?x64xbf16>, %w: memref<32x64xbf16>, %c: memref<?x32xf32>) {
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

// Gathered rows: the copy reads the token index of each (clamped) row of
// A's tile and copies that row of x; the lanes read no indices themselves.
// CHECK-LABEL: func.func @gathered_rows
// CHECK-SAME: (%[[X:.*]]: memref<?x64xbf16>, %[[TOK:.*]]: memref<?xi32>
// CHECK: nvvm.barrier
// CHECK: %[[ROW:.*]] = arith.minui
// CHECK: %[[T:.*]] = memref.load %[[TOK]][%[[ROW]]] : memref<?xi32>
// CHECK: %[[S:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK: vector.load %[[X]][%[[S]], %{{.*}}] {alignment = 16 : i64} : memref<?x64xbf16>, vector<8xbf16>
// CHECK: nvvm.barrier
// CHECK-NOT: memref.load %[[TOK]]
// CHECK: nvvm.mma.sync
// EMU-LABEL: func.func @gathered_rows
// EMU: memref.load %{{.*}} : memref<?xi32>
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

// -----

// Warps splitting M (each its own rows of A and C) would put different
// rows into A's shared tile: not staged, the lanes read global memory.
// CHECK-LABEL: func.func @warps_split_rows
// CHECK-NOT: nvvm.barrier
// CHECK-NOT: memref.view
// CHECK: nvvm.mma.sync
// EMU-LABEL: func.func @warps_split_rows
// EMU-NOT: memref<{{[0-9]+}}xi8>
// EMU: scf.forall
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @warps_split_rows(%a: memref<64x64xbf16>, %w: memref<16x64xbf16>, %c: memref<64x16xf32>) {
  scf.forall (%i) = (0) to (64) step (32) {
    %av = memref.subview %a[%i, 0] [32, 64] [1, 1] : memref<64x64xbf16> to memref<32x64xbf16, strided<[64, 1], offset: ?>>
    %cv = memref.subview %c[%i, 0] [32, 16] [1, 1] : memref<64x16xf32> to memref<32x16xf32, strided<[16, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%av, %w : memref<32x64xbf16, strided<[64, 1], offset: ?>>, memref<16x64xbf16>)
        outs(%cv : memref<32x16xf32, strided<[16, 1], offset: ?>>) {
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
