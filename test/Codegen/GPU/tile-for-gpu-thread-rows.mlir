// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{thread-rows=4}))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu))' %s | FileCheck %s --check-prefix=ONE

// thread-rows: a contraction's rows go to fewer threads (each a few rows),
// its columns to more; the grid then goes on the linear thread id (the
// block stays 16 x 16). 256 columns: 4 rows per thread, 4 x 64 threads.
// CHECK-LABEL: func.func @wide
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 64)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x4xf32>)
// CHECK: } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// ONE-LABEL: func.func @wide
// ONE: scf.forall (%{{.*}}, %{{.*}}) in (16, 16)
// ONE: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @wide(%x: tensor<?x16xf32>, %w: tensor<256x16xf32>,
                %init: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x16xf32>, tensor<256x16xf32>)
      outs(%init : tensor<?x256xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// -----

// 64 columns: 4 rows per thread would leave each 1 column; 2 rows leave
// 2 (8 x 32 threads, 2 x 2 tiles).
// CHECK-LABEL: func.func @narrow
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (8, 32)
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<?x2xf32>)
// CHECK: } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @narrow(%x: tensor<?x16xf32>, %w: tensor<64x16xf32>,
                  %init: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x16xf32>, tensor<64x16xf32>)
      outs(%init : tensor<?x64xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// 32 columns (2 per thread: 2 rows would leave 1), a dynamic column count
// and an element-wise op (no reduction): the block's 16 x 16.
// CHECK-LABEL: func.func @unchanged
// CHECK-COUNT-3: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK-NOT: linear_dim_1
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @unchanged(%x: tensor<?x16xf32>, %w: tensor<32x16xf32>,
                     %init: tensor<?x32xf32>, %wd: tensor<?x16xf32>,
                     %initd: tensor<?x?xf32>, %e: tensor<?x256xf32>)
    -> (tensor<?x32xf32>, tensor<?x?xf32>, tensor<?x256xf32>) {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x16xf32>, tensor<32x16xf32>)
      outs(%init : tensor<?x32xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x32xf32>
  %d = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wd : tensor<?x16xf32>, tensor<?x16xf32>)
      outs(%initd : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x?xf32>
  %g = linalg.generic {indexing_maps = [#id],
                       iterator_types = ["parallel", "parallel"]}
      outs(%e : tensor<?x256xf32>) {
  ^bb0(%c: f32):
    %s = arith.addf %c, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x256xf32>
  return %r, %d, %g : tensor<?x32xf32>, tensor<?x?xf32>, tensor<?x256xf32>
}
