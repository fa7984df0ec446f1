// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions),canonicalize)' %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{task-bytes=1024}),canonicalize)' %s | FileCheck %s --check-prefix=GRID

// The tasks of a contraction: blocks of about rows-per-task (64) rows
// share the register tiles (4 rows) evenly, block i taking tiles
// i * tiles / blocks up to (i + 1) * tiles / blocks; the loop is marked
// for a dynamic schedule. All 10 weight rows fit one task's bytes: one
// loop dimension.
// CHECK-LABEL: func.func @gemm
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[N:.*]] = memref.dim %arg0, %{{.*}} : memref<?x64xf32>
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[N]], %[[C64]]
// CHECK: %[[TILES:.*]] = arith.ceildivui %[[N]], %[[C4]]
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[BLOCKS]]) step (%{{.*}}) {
// CHECK:   %[[T0:.*]] = arith.muli %[[I]], %[[TILES]]
// CHECK:   %[[TILE0:.*]] = arith.divui %[[T0]], %[[BLOCKS]]
// CHECK:   %[[ROW0:.*]] = arith.muli %[[TILE0]], %[[C4]]
// CHECK:   %[[R0:.*]] = arith.minsi %[[ROW0]], %[[N]]
// CHECK:   %[[NEXT:.*]] = arith.addi %[[I]], %{{.*}}
// CHECK:   %[[T1:.*]] = arith.muli %[[NEXT]], %[[TILES]]
// CHECK:   %[[TILE1:.*]] = arith.divui %[[T1]], %[[BLOCKS]]
// CHECK:   %[[ROW1:.*]] = arith.muli %[[TILE1]], %[[C4]]
// CHECK:   %[[R1:.*]] = arith.minsi %[[ROW1]], %[[N]]
// CHECK:   scf.for %{{.*}} = %[[R0]] to
// CHECK: } {hmoe.dynamic_tasks}

// With 3 weight rows per task (1024 bytes), tasks are (row block, column
// block): 4 column blocks of the 4 column tiles (3 columns each, the last
// 1), survived by the canonicalizer with the marker.
// GRID-LABEL: func.func @gemm
// GRID: scf.parallel (%{{.*}}, %[[J:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[C4:.*]]) step
// GRID:   %[[T0:.*]] = arith.muli %[[J]], %[[C4]]
// GRID:   %[[TILE0:.*]] = arith.divui %[[T0]], %[[C4]]
// GRID:   %[[COL0:.*]] = arith.muli %[[TILE0]], %[[C3:.*]] : index
// GRID:   arith.minsi %[[COL0]], %[[C10:.*]] : index
// GRID: } {hmoe.dynamic_tasks}
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
func.func @gemm(%a: memref<?x64xf32>, %w: memref<10x64xf32>,
                %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<10x64xf32>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
