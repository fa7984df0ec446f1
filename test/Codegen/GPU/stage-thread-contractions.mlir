// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 gathered-rows}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128}))' %s | FileCheck %s --check-prefix=PLAIN
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 emulate}))' %s | FileCheck %s --check-prefix=EMU
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 max-bytes=7000}))' %s | FileCheck %s --check-prefix=SMALL
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 stages=2 gathered-rows}))' %s | FileCheck %s --check-prefix=TWO
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 stages=2 max-bytes=20000}))' %s | FileCheck %s --check-prefix=TWOSMALL
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=8}))' %s 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 stages=2 max-bytes=12000}))' %s | FileCheck %s --check-prefix=TWOFALL
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 stages=3}))' %s 2>&1 | FileCheck %s --check-prefix=ERR3
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{stages=7}))' %s 2>&1 | FileCheck %s --check-prefix=ERR7
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{stages=2}))' %s 2>&1 | FileCheck %s --check-prefix=ERRNONE

// ERR: hmoe-stage-thread-contractions: expected k-tile-bytes 0 (off) or at least 16, max-bytes >= 1 and stages 1 or 2; got 8, 49152 and 1
// ERR3: hmoe-stage-thread-contractions: expected k-tile-bytes 0 (off) or at least 16, max-bytes >= 1 and stages 1 or 2; got 128, 49152 and 3
// ERR7: hmoe-stage-thread-contractions: expected k-tile-bytes 0 (off) or at least 16, max-bytes >= 1 and stages 1 or 2; got 0, 49152 and 7
// ERRNONE: hmoe-stage-thread-contractions: stages=2 with k-tile-bytes=0 (off) stages nothing; expected k-tile-bytes of 16 or more with it (the pipelines' thread-stage-bytes with thread-stages)

// A block's 16 (at most) token rows against 64 gate rows, K = 256 f32, on
// 8 x 32 threads (2 x 2 each), as hmoe-tile-for-gpu leaves the routing
// GEMM: K tiles of 32 (128 bytes), A's tile [16, 36] at byte 0 and B's
// [64, 36] after it (rows padded by 16 bytes). Per K tile the 256 threads
// copy 16-byte chunks (8 a row: 32 rows at a time, rows t / 8, + 32, ...;
// 16 rows of A: at most one each), then the thread loop reads its rows
// from the tiles.
// CHECK-LABEL: func.func @gate_gemm
// CHECK: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<11520xi8, #gpu.address_space<workgroup>>
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c256{{.*}} step %c32
// CHECK:   scf.forall (%[[T:.*]]) in (256)
// CHECK:     %[[A:.*]] = memref.view %[[BUF]][%c0{{.*}}][] : memref<11520xi8, #gpu.address_space<workgroup>> to memref<16x36xf32, #gpu.address_space<workgroup>>
// CHECK:     %[[COL:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:     %[[ROW:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK:     %[[SCOL:.*]] = affine.apply #{{.*}}(%[[T]], %[[K0]])
// CHECK:     %[[COUNT:.*]] = affine.max #{{.*}}(%[[ROW]])[%{{.*}}]
// CHECK:     %[[START:.*]] = affine.min #{{.*}}(%[[ROW]])[%{{.*}}]
// CHECK:     %[[TO:.*]] = memref.subview %[[A]][%[[START]], %[[COL]]] [%[[COUNT]], 4] [32, 1] : memref<16x36xf32, #gpu.address_space<workgroup>> to memref<?x4xf32, strided<[1152, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK:     %[[FROM:.*]] = memref.subview %{{.*}}[%[[START]], %[[SCOL]]] [%[[COUNT]], 4] [32, 1] : memref<?x256xf32, strided<[256, 1], offset: ?>> to memref<?x4xf32, strided<[8192, 1], offset: ?>>
// CHECK:     linalg.generic {{.*}} ins(%[[FROM]] : {{.*}}) outs(%[[TO]] : {{.*}})
// CHECK:     memref.view %[[BUF]][%c2304{{.*}}][] : memref<11520xi8, #gpu.address_space<workgroup>> to memref<64x36xf32, #gpu.address_space<workgroup>>
// CHECK:     linalg.generic
// CHECK:   mapping = [#gpu.thread<linear_dim_0>]
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (8, 32)
// CHECK:     %[[AT:.*]] = memref.view %[[BUF]][%c0{{.*}}][] : memref<11520xi8, #gpu.address_space<workgroup>> to memref<16x36xf32, #gpu.address_space<workgroup>>
// CHECK:     %[[BT:.*]] = memref.view %[[BUF]][%c2304{{.*}}][] : memref<11520xi8, #gpu.address_space<workgroup>> to memref<64x36xf32, #gpu.address_space<workgroup>>
// CHECK:     %[[AS:.*]] = memref.subview %[[AT]][%{{.*}}, 0] [%{{.*}}, 32] [1, 1] : memref<16x36xf32, #gpu.address_space<workgroup>> to memref<?x32xf32, strided<[36, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK:     %[[BS:.*]] = memref.subview %[[BT]][%{{.*}}, 0] [2, 32] [1, 1] : memref<64x36xf32, #gpu.address_space<workgroup>> to memref<2x32xf32, strided<[36, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK:     linalg.generic {{.*}} ins(%[[AS]], %[[BS]] : {{.*}}) outs(%{{.*}} : memref<?x2xf32, strided<[64, 1], offset: ?>>)
// CHECK:     memref.copy
// CHECK:   mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]
// CHECK-NOT: scf.forall
// CHECK: return

// Two stages: K tile k0 in the stage at byte ((k0 / 32) mod 2) x 11520.
// The copy loop starts K tile 0's copies in the first K tile, then the
// next K tile's into the other stage (cp.async where a chunk's source is
// aligned, else element by element), commits them and waits for all but
// that group: this K tile's copies are done before the barrier that
// hmoe-map-forall-to-gpu puts after the loop.
// TWO-DAG: #[[STAGE:.*]] = affine_map<(d0) -> (((d0 floordiv 32) mod 2) * 11520)>
// TWO-DAG: #[[OTHER:.*]] = affine_map<(d0) -> ((-((d0 floordiv 32) mod 2) + 1) * 11520)>
// TWO-LABEL: func.func @gate_gemm
// TWO: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<23040xi8, #gpu.address_space<workgroup>>
// TWO: scf.for %[[K0:.*]] = %[[ZERO:.*]] to %c256{{.*}} step %c32
// TWO:   %[[S:.*]] = affine.apply #[[STAGE]](%[[K0]])
// TWO:   %[[O:.*]] = affine.apply #[[OTHER]](%[[K0]])
// TWO:   scf.forall (%{{.*}}) in (256)
// TWO:     %[[FIRST:.*]] = arith.cmpi eq, %[[K0]], %[[ZERO]]
// TWO:     scf.if %[[FIRST]] {
// TWO:       memref.view %[[BUF]][%[[ZERO]]][] {{.*}} to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO:       arith.andi %{{.*}}, %c15
// TWO:       nvgpu.device_async_copy {{.*}}, 4 {bypassL1} : memref<?x256xf32, strided<[256, 1], offset: ?>> to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO:       } else {
// TWO-COUNT-4: memref.store
// TWO:       nvgpu.device_async_copy {{.*}}, 4 {bypassL1} : memref<64x256xf32> to memref<64x36xf32, #gpu.address_space<workgroup>>
// TWO:       nvvm.cp.async.commit.group
// TWO:     }
// TWO:     %[[NEXT:.*]] = arith.addi %[[K0]], %c32
// TWO:     %[[MORE:.*]] = arith.cmpi ult, %[[NEXT]], %c256
// TWO:     scf.if %[[MORE]] {
// TWO:       memref.view %[[BUF]][%[[O]]][] {{.*}} to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO:       nvgpu.device_async_copy
// TWO:       nvgpu.device_async_copy
// TWO:     }
// TWO:     nvvm.cp.async.commit.group
// TWO:     nvvm.cp.async.wait.group 1
// TWO:   mapping = [#gpu.thread<linear_dim_0>]
// TWO:   scf.forall (%{{.*}}, %{{.*}}) in (8, 32)
// TWO:     %[[BS:.*]] = arith.addi %[[S]], %c2304
// TWO:     memref.view %[[BUF]][%[[S]]][] : memref<23040xi8, #gpu.address_space<workgroup>> to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO:     memref.view %[[BUF]][%[[BS]]][] : memref<23040xi8, #gpu.address_space<workgroup>> to memref<64x36xf32, #gpu.address_space<workgroup>>
// TWO:     linalg.generic
// TWO:   mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]

// Gathered rows in two stages: A's tile row r copied from x's row
// indices[r] (the cp.async reads x through the index).
// TWO-LABEL: func.func @gathered_rows
// TWO-SAME: (%[[X:.*]]: memref<?x256xf32>, %{{.*}}: memref<?xi32>
// TWO: scf.forall (%{{.*}}) in (256)
// TWO: scf.if
// TWO: scf.for %[[R:.*]] = {{.*}} {
// TWO:   %[[IDX:.*]] = memref.load %{{.*}}[%[[R]]] : memref<?xi32, strided<[1], offset: ?>>
// TWO:   %[[ROW:.*]] = arith.index_cast %[[IDX]] : i32 to index
// TWO:   nvgpu.device_async_copy %[[X]][%[[ROW]], %{{.*}}], %{{.*}}[%[[R]], %{{.*}}], 4 {bypassL1}
// TWO: nvvm.cp.async.wait.group 1

// Both stages within max-bytes: 20000 bytes take two of 64-byte K tiles
// (2 x 6400), not of 128-byte ones (2 x 11520).
// TWOSMALL-LABEL: func.func @gate_gemm
// TWOSMALL: memref.alloca() {alignment = 16 : i64} : memref<12800xi8, #gpu.address_space<workgroup>>
// TWOSMALL: scf.for %{{.*}} step %c16

// Two stages fitting no K tile of 64 bytes or more within 12000 bytes (2 x
// 6400 at 64 bytes), one does: the 128-byte tiles of one stage (11520
// bytes), copied as before, rather than no staging at all.
// TWOFALL-LABEL: func.func @gate_gemm
// TWOFALL: memref.alloca() {alignment = 16 : i64} : memref<11520xi8, #gpu.address_space<workgroup>>
// TWOFALL: scf.for %{{.*}} step %c32
// TWOFALL-NOT: nvgpu.device_async_copy
// TWOFALL: linalg.generic
// TWOFALL-LABEL: func.func @fill_in_loop

// Emulated: the same, in a CPU buffer.
// EMU-LABEL: func.func @gate_gemm
// EMU: memref.alloca() {alignment = 16 : i64} : memref<11520xi8>
// EMU: memref.view %{{.*}} : memref<11520xi8> to memref<16x36xf32>

// 7000 bytes: K tiles of 16 (64 bytes a row: 4 chunks, 64 rows at a
// time): (16 + 64) x (16 + 4) x 4 = 6400 bytes. No tile is shorter than
// 64 bytes: K = 40 f32 (below) is left alone.
// SMALL-LABEL: func.func @gate_gemm
// SMALL: memref.alloca() {alignment = 16 : i64} : memref<6400xi8, #gpu.address_space<workgroup>>
// SMALL: scf.for %{{.*}} = %c0{{.*}} to %c256{{.*}} step %c16
// SMALL-LABEL: func.func @short_depth
// SMALL-NOT: memref.alloca
// SMALL-LABEL: func.func @gathered_rows
#rows = affine_map<(d0)[s0] -> (-d0 + s0, 16)>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#trow = affine_map<(d0) -> (d0 * 2)>
#tcol = affine_map<(d0) -> (d0 * 2)>
#trows = affine_map<(d0)[s0] -> (-(d0 * 2) + s0, 2)>
#nonneg = affine_map<(d0) -> (0, d0)>
func.func @gate_gemm(%x: memref<?x256xf32>, %g: memref<64x256xf32>,
                     %s: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.dim %x, %c0 : memref<?x256xf32>
  scf.forall (%blk) = (0) to (%t) step (16) {
    %n = affine.min #rows(%blk)[%t]
    %xs = memref.subview %x[%blk, 0] [%n, 256] [1, 1] : memref<?x256xf32> to memref<?x256xf32, strided<[256, 1], offset: ?>>
    %ss = memref.subview %s[%blk, 0] [%n, 64] [1, 1] : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    scf.forall (%i, %j) in (8, 32) {
      %r0 = affine.apply #trow(%i)
      %rm = affine.min #trows(%i)[%n]
      %rn = affine.max #nonneg(%rm)
      %c0j = affine.apply #tcol(%j)
      %ar = memref.subview %xs[%r0, 0] [%rn, 256] [1, 1] : memref<?x256xf32, strided<[256, 1], offset: ?>> to memref<?x256xf32, strided<[256, 1], offset: ?>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %ss[%r0, %c0j] [%rn, 2] [1, 1] : memref<?x64xf32, strided<[64, 1], offset: ?>> to memref<?x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<?x256xf32, strided<[256, 1], offset: ?>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<?x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
      %cr2 = memref.subview %ss[%r0, %c0j] [%rn, 2] [1, 1] : memref<?x64xf32, strided<[64, 1], offset: ?>> to memref<?x2xf32, strided<[64, 1], offset: ?>>
      memref.copy %cr, %cr2 : memref<?x2xf32, strided<[64, 1], offset: ?>> to memref<?x2xf32, strided<[64, 1], offset: ?>>
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: the thread loop also zeroes its accumulators (run once per
// K tile, that would drop the earlier tiles' sums).
// CHECK-LABEL: func.func @fill_in_loop
// CHECK-NOT: memref.alloca
// CHECK-NOT: scf.for %
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @fill_in_loop(%x: memref<16x256xf32>, %g: memref<64x256xf32>,
                        %s: memref<16x64xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 256] [1, 1] : memref<16x256xf32> to memref<16x256xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.fill ins(%zero : f32) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>)
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x256xf32, strided<[256, 1]>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: no K tile of whole 16-byte chunks (4 f32) divides K = 98.
// CHECK-LABEL: func.func @odd_depth
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @odd_depth(%x: memref<16x98xf32>, %g: memref<64x98xf32>,
                     %s: memref<16x64xf32>) {
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 98] [1, 1] : memref<16x98xf32> to memref<16x98xf32, strided<[98, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 98] [1, 1] : memref<64x98xf32> to memref<2x98xf32, strided<[98, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x98xf32, strided<[98, 1]>>, memref<2x98xf32, strided<[98, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: a thread reads only part of K (a split of the reduction is
// not a thread's rows over all of K).
// CHECK-LABEL: func.func @part_of_k
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @part_of_k(%x: memref<16x256xf32>, %g: memref<64x256xf32>,
                     %s: memref<16x64xf32>) {
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 128] [1, 1] : memref<16x256xf32> to memref<16x128xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 128] [1, 1] : memref<64x256xf32> to memref<2x128xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x128xf32, strided<[256, 1]>>, memref<2x128xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: K = 40 f32 has no tile of 64 bytes or more dividing it (32
// bytes would: two barriers every 8 K steps).
// CHECK-LABEL: func.func @short_depth
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @short_depth(%x: memref<16x40xf32>, %g: memref<64x40xf32>,
                       %s: memref<16x64xf32>) {
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 40] [1, 1] : memref<16x40xf32> to memref<16x40xf32, strided<[40, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 40] [1, 1] : memref<64x40xf32> to memref<2x40xf32, strided<[40, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x40xf32, strided<[40, 1]>>, memref<2x40xf32, strided<[40, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Gathered rows (an expert's first GEMM with its token gather fused,
// hmoe-tile-for-gpu's fuse-gathers; only with gathered-rows, off by
// default): A's tile row r is x[rows[r]], copied
// by a gather (the row's index read, then its chunk of the K tile); the
// contraction then reads A's tile as a plain first input, its body without
// the read of x.
// PLAIN-LABEL: func.func @gathered_rows
// PLAIN-NOT: memref.alloca
// PLAIN-LABEL: func.func @a_is_c
// CHECK-LABEL: func.func @gathered_rows
// CHECK: %[[BUF:.*]] = memref.alloca() {alignment = 16 : i64} : memref<11520xi8, #gpu.address_space<workgroup>>
// CHECK: scf.for %[[K0:.*]] = %c0{{.*}} to %c256{{.*}} step %c32
// CHECK:   scf.forall (%[[T:.*]]) in (256)
// CHECK:     %[[SCOL:.*]] = affine.apply #{{.*}}(%[[T]], %[[K0]])
// CHECK:     %[[IDX:.*]] = memref.subview %{{.*}}[%{{.*}}] [%{{.*}}] [32] : memref<?xi32, strided<[1], offset: ?>> to memref<?xi32, strided<[32], offset: ?>>
// CHECK:     linalg.generic {{.*}} ins(%[[IDX]] : memref<?xi32, strided<[32], offset: ?>>) outs(%{{.*}} : memref<?x4xf32, strided<[1152, 1], offset: ?>, #gpu.address_space<workgroup>>)
// CHECK:     ^bb0(%[[TOK:.*]]: i32, %{{.*}}: f32):
// CHECK:       %[[ROW:.*]] = arith.index_cast %[[TOK]] : i32 to index
// CHECK:       %[[J:.*]] = linalg.index 1 : index
// CHECK:       %[[COL:.*]] = arith.addi %[[J]], %[[SCOL]] : index
// CHECK:       memref.load %{{.*}}[%[[ROW]], %[[COL]]] : memref<?x256xf32>
// CHECK:   scf.forall (%{{.*}}, %{{.*}}) in (8, 32)
// CHECK:     linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%{{.*}}, %{{.*}} : memref<?x32xf32, strided<[36, 1], offset: ?>, #gpu.address_space<workgroup>>, memref<2x32xf32, strided<[36, 1], offset: ?>, #gpu.address_space<workgroup>>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT:   %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK-NEXT:   %[[S:.*]] = arith.addf %[[ACC]], %[[P]] : f32
// CHECK-NEXT:   linalg.yield %[[S]] : f32
#rows = affine_map<(d0)[s0] -> (-d0 + s0, 16)>
#m = affine_map<(d0, d1, d2) -> (d0)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#trow = affine_map<(d0) -> (d0 * 2)>
#trows = affine_map<(d0)[s0] -> (-(d0 * 2) + s0, 2)>
#nonneg = affine_map<(d0) -> (0, d0)>
func.func @gathered_rows(%x: memref<?x256xf32>, %tokens: memref<?xi32>,
                         %w: memref<64x256xf32>, %h: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.dim %tokens, %c0 : memref<?xi32>
  scf.forall (%blk) = (0) to (%t) step (16) {
    %n = affine.min #rows(%blk)[%t]
    %rs = memref.subview %tokens[%blk] [%n] [1] : memref<?xi32> to memref<?xi32, strided<[1], offset: ?>>
    %hs = memref.subview %h[%blk, 0] [%n, 64] [1, 1] : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    scf.forall (%i, %j) in (8, 32) {
      %r0 = affine.apply #trow(%i)
      %rm = affine.min #trows(%i)[%n]
      %rn = affine.max #nonneg(%rm)
      %c0j = affine.apply #trow(%j)
      %ar = memref.subview %rs[%r0] [%rn] [1] : memref<?xi32, strided<[1], offset: ?>> to memref<?xi32, strided<[1], offset: ?>>
      %br = memref.subview %w[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %hs[%r0, %c0j] [%rn, 2] [1, 1] : memref<?x64xf32, strided<[64, 1], offset: ?>> to memref<?x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#m, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<?xi32, strided<[1], offset: ?>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<?x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%tok: i32, %wv: f32, %acc: f32):
        %row = arith.index_cast %tok : i32 to index
        %k = linalg.index 2 : index
        %xv = memref.load %x[%row, %k] : memref<?x256xf32>
        %p = arith.mulf %xv, %wv : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: C is a view of the buffer A reads (the tiles would be copied
// before the threads' writes to it land).
// CHECK-LABEL: func.func @a_is_c
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @a_is_c(%g: memref<64x256xf32>) {
  %buf = memref.alloc() : memref<16x256xf32>
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %buf[0, 0] [16, 256] [1, 1] : memref<16x256xf32> to memref<16x256xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %buf[0, %c0j] [16, 2] [1, 1] : memref<16x256xf32> to memref<16x2xf32, strided<[256, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x256xf32, strided<[256, 1]>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[256, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: the body reads linalg.index of K (it would count within a K
// tile).
// CHECK-LABEL: func.func @index_of_k
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @index_of_k(%x: memref<16x256xf32>, %g: memref<64x256xf32>,
                      %s: memref<16x64xf32>) {
  %c128 = arith.constant 128 : index
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 256] [1, 1] : memref<16x256xf32> to memref<16x256xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x256xf32, strided<[256, 1]>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %k = linalg.index 2 : index
        %low = arith.cmpi ult, %k, %c128 : index
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        %r = arith.select %low, %q, %acc : f32
        linalg.yield %r : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Left alone: a copy of C before the contraction (run per K tile, it would
// store partial sums), and elements wider than a 16-byte chunk or not a
// power of two bytes (i48 takes 8 bytes in memory).
// CHECK-LABEL: func.func @copy_before
// CHECK-NOT: memref.alloca
// CHECK-LABEL: func.func @wide_elements
// CHECK-NOT: memref.alloca
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @copy_before(%x: memref<16x256xf32>, %g: memref<64x256xf32>,
                       %s: memref<16x64xf32>) {
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 256] [1, 1] : memref<16x256xf32> to memref<16x256xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      memref.copy %cr, %cr : memref<16x2xf32, strided<[64, 1], offset: ?>> to memref<16x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x256xf32, strided<[256, 1]>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<16x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}
func.func @wide_elements(%x: memref<16x64xi48>, %g: memref<64x64xi48>,
                         %s: memref<16x64xi48>) {
  scf.forall (%blk) in (1) {
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 64] [1, 1] : memref<16x64xi48> to memref<16x64xi48, strided<[64, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 64] [1, 1] : memref<64x64xi48> to memref<2x64xi48, strided<[64, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xi48> to memref<16x2xi48, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<16x64xi48, strided<[64, 1]>>, memref<2x64xi48, strided<[64, 1], offset: ?>>) outs(%cr : memref<16x2xi48, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: i48, %w: i48, %acc: i48):
        %p = arith.muli %in, %w : i48
        %q = arith.addi %acc, %p : i48
        linalg.yield %q : i48
      }
    } {mapping = [#gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}

// -----

// Two stages, B's rows in the kernel's own (private) memory: an alloca has
// no memory space, as global buffers have none, but cp.async cannot read
// it. A's rows (global) are copied by cp.async, B's by vector loads and
// stores.
// CHECK-LABEL: func.func @private_rows
// TWO-LABEL: func.func @private_rows
// TWO: scf.forall (%{{.*}}) in (256)
// TWO: nvgpu.device_async_copy {{.*}} : memref<16x256xf32> to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO: vector.load %{{.*}} : memref<64x256xf32>, vector<4xf32>
// TWO: vector.store %{{.*}} : memref<64x36xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// TWO: nvvm.cp.async.commit.group
// TWO: nvgpu.device_async_copy {{.*}} : memref<16x256xf32> to memref<16x36xf32, #gpu.address_space<workgroup>>
// TWO-NOT: nvgpu.device_async_copy {{.*}} : memref<64x256xf32>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @private_rows(%x: memref<16x256xf32>, %s: memref<16x64xf32>) {
  scf.forall (%blk) in (1) {
    %g = memref.alloca() : memref<64x256xf32>
    scf.forall (%i, %j) in (8, 32) {
      %r0 = affine.apply affine_map<(d0) -> (d0 * 2)>(%i)
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[%r0, 0] [2, 256] [1, 1] : memref<16x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[%r0, %c0j] [2, 2] [1, 1] : memref<16x64xf32> to memref<2x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<2x256xf32, strided<[256, 1], offset: ?>>, memref<2x256xf32, strided<[256, 1], offset: ?>>) outs(%cr : memref<2x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: f32, %w: f32, %acc: f32):
        %p = arith.mulf %in, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}
