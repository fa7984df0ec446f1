// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128}),func.func(hmoe-map-forall-to-gpu))' | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128}),func.func(hmoe-map-forall-to-gpu))' | FileCheck %s --check-prefix=BAR --strict-whitespace --match-full-lines
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=128 stages=2}),func.func(hmoe-map-forall-to-gpu))' | FileCheck %s --check-prefix=BAR2 --strict-whitespace --match-full-lines

// The GPU form of a staged contraction in a block of 512 threads (another
// thread loop takes 512) whose loops take 32: inside the K loop the copy
// loop and the loop reading the tiles are each predicated on the thread id
// (scf.if), and every thread reaches the barrier after each, outside the
// scf.if: the copies complete before any read, the reads before the next K
// tile's copies. (The CPU emulation runs thread loops one after the other
// and cannot see a missing barrier; racecheck on a GPU is the other check.)
// CHECK: gpu.launch {{.*}} threads({{.*}}) in (%{{.*}} = %c512{{.*}}, %{{.*}} = %c1{{.*}}, %{{.*}} = %c1{{.*}}) workgroup(%[[TILES:.*]] : memref<11520xi8, #gpu.address_space<workgroup>>)
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %c0{{.*}} to %c256{{.*}} step %c32
// CHECK: memref.view %[[TILES]]
// CHECK-COUNT-2: linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]
// CHECK: gpu.barrier
// CHECK: linalg.generic {{.*}}iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: gpu.barrier
// The barriers are outside the scf.if (full lines, at the K loop's depth):
// BAR:      scf.for %{{.*}} = %c0{{.*}} to %c256{{.*}} step %c32{{.*}} {
// BAR:        scf.if %{{.*}} {
// BAR:        }
// BAR-NEXT:        gpu.barrier
// BAR:        scf.if %{{.*}} {
// BAR:        }
// BAR-NEXT:        gpu.barrier
// BAR-NEXT:      }
// With two stages the copy loop's commit and wait are inside its scf.if
// (only the threads that copy have groups to wait for), before the barrier
// every thread reaches:
// BAR2:      scf.for %{{.*}} = %c0{{.*}} to %c256{{.*}} step %c32{{.*}} {
// BAR2:        scf.if %{{.*}} {
// BAR2:          nvvm.cp.async.commit.group
// BAR2-NEXT:          nvvm.cp.async.wait.group 1
// BAR2-NEXT:        }
// BAR2-NEXT:        gpu.barrier
// BAR2:        scf.if %{{.*}} {
// BAR2:        }
// BAR2-NEXT:        gpu.barrier
// BAR2-NEXT:      }
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @pred(%x: memref<16x256xf32>, %g: memref<64x256xf32>,
                     %s: memref<16x64xf32>, %y: memref<512xf32>) {
  %cst = arith.constant 1.0 : f32
  scf.forall (%blk) in (1) {
    scf.forall (%t) in (512) {
      memref.store %cst, %y[%t] : memref<512xf32>
    } {mapping = [#gpu.thread<linear_dim_0>]}
    scf.forall (%j) in (32) {
      %c0j = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %ar = memref.subview %x[0, 0] [16, 256] [1, 1] : memref<16x256xf32> to memref<16x256xf32, strided<[256, 1]>>
      %br = memref.subview %g[%c0j, 0] [2, 256] [1, 1] : memref<64x256xf32> to memref<2x256xf32, strided<[256, 1], offset: ?>>
      %cr = memref.subview %s[0, %c0j] [16, 2] [1, 1] : memref<16x64xf32> to memref<16x2xf32, strided<[64, 1], offset: ?>>
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
