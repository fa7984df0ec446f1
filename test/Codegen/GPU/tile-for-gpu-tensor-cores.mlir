// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores}))' %s | FileCheck %s
// With tf32 the same: an f32 contraction outside an expert loop (these are
// routing's or a dense stage's) keeps the thread schedule and exact f32;
// the expert loops' go to warps (matrix-gpu-mapped-tensor-cores.test).
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores tf32}))' %s | FileCheck %s
// tf32 only adds to tensor-cores.
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tf32}))' %s 2>&1 | FileCheck %s --check-prefix=TF32-ALONE
// TF32-ALONE: error: hmoe-tile-for-gpu: tf32 runs f32 contractions on tensor cores; expected tensor-cores with it
// split-tf32 (f32's accuracy) takes every stage's f32 contractions to warps,
// those outside expert loops too (@left_to_threads' first); it too only adds
// to tensor-cores.
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores split-tf32}))' %s | FileCheck %s --check-prefix=SPLIT
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{split-tf32}))' %s 2>&1 | FileCheck %s --check-prefix=SPLIT-ALONE
// SPLIT-ALONE: error: hmoe-tile-for-gpu: split-tf32 runs f32 contractions on tensor cores; expected tensor-cores with it
// Sizes a block cannot have.
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{block-threads=2048}))' %s 2>&1 | FileCheck %s --check-prefix=SIZES
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{block-threads=96 threads-x=64}))' %s 2>&1 | FileCheck %s --check-prefix=SIZES
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{thread-rows=0}))' %s 2>&1 | FileCheck %s --check-prefix=SIZES
// SIZES: error: hmoe-tile-for-gpu: expected block-rows >= 1, 1 <= block-threads <= 1024, threads-x dividing block-threads and thread-rows >= 1
// Blocks of fewer threads than a warp: no tensor cores, the thread schedule.
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores block-threads=16 threads-x=4}))' %s | FileCheck %s --check-prefix=SMALL
// SMALL-NOT: #gpu.warp
// SMALL: #gpu.thread<x>
// SMALL-NOT: #gpu.warp

// With tensor cores, a bf16 contraction (f32 accumulation, N = 96 a
// multiple of 8, K = 64 of 16) gets blocks of 16 rows as before, then its
// columns split over the block's 8 warps: 12 steps of 8 columns, 2 per
// warp, so 6 warps of 16 columns each (a tile size dividing N: every
// warp's tile static).
// CHECK-LABEL: func.func @bf16
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xbf16>, %[[W:.*]]: tensor<96x64xbf16>, %[[INIT:.*]]: tensor<?x96xf32>)
// CHECK: scf.forall (%[[ROW:.*]]) = (0) to (%{{.*}}) step (16) shared_outs(%[[BOUT:.*]] = %[[INIT]])
// CHECK:   %[[XB:.*]] = tensor.extract_slice %[[X]][%[[ROW]], 0]
// CHECK:   %[[OB:.*]] = tensor.extract_slice %[[BOUT]][%[[ROW]], 0]
// CHECK:   %[[WR:.*]] = scf.forall (%[[COL:.*]]) = (0) to (96) step (16) shared_outs(%[[WOUT:.*]] = %[[OB]])
// CHECK:     %[[XW:.*]] = tensor.extract_slice %[[XB]][0, 0]
// CHECK:     %[[WW:.*]] = tensor.extract_slice %[[W]][%[[COL]], 0] [16, 64] [1, 1] : tensor<96x64xbf16> to tensor<16x64xbf16>
// CHECK:     %[[OW:.*]] = tensor.extract_slice %[[WOUT]][0, %[[COL]]]
// CHECK:     %[[G:.*]] = linalg.generic {{.*}} ins(%[[XW]], %[[WW]] : tensor<?x64xbf16>, tensor<16x64xbf16>) outs(%[[OW]] : tensor<?x16xf32>)
// CHECK:     tensor.parallel_insert_slice %[[G]] into %[[WOUT]][0, %[[COL]]]
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK:   tensor.parallel_insert_slice %[[WR]] into %[[BOUT]][%[[ROW]], 0]
// CHECK: } {mapping = [#gpu.block<x>]}
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @bf16(%x: tensor<?x64xbf16>, %w: tensor<96x64xbf16>,
                %init: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x64xbf16>, tensor<96x64xbf16>)
      outs(%init : tensor<?x96xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %af = arith.extf %a : bf16 to f32
    %bf = arith.extf %b : bf16 to f32
    %m = arith.mulf %af, %bf : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x96xf32>
  return %r : tensor<?x96xf32>
}

// -----

// f16 the same. N = 40: 5 steps of 8 for 8 warps, one each; N = 88: 11
// steps (prime), so one warp takes all 88 columns rather than tiles that
// do not divide N.
// CHECK-LABEL: func.func @f16_prime_steps
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   scf.forall (%{{.*}}) = (0) to (40) step (8)
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x32xf16>, tensor<8x32xf16>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK: scf.forall (%{{.*}}) = (0) to (%{{.*}}) step (16)
// CHECK:   scf.forall (%{{.*}}) = (0) to (88) step (88)
// CHECK:     linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x32xf16>, tensor<88x32xf16>) outs(%{{.*}} : tensor<?x88xf32>)
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @f16_prime_steps(%x: tensor<?x32xf16>, %w: tensor<40x32xf16>,
                           %init: tensor<?x40xf32>, %w88: tensor<88x32xf16>,
                           %init88: tensor<?x88xf32>)
    -> (tensor<?x40xf32>, tensor<?x88xf32>) {
  %r = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : tensor<?x32xf16>, tensor<40x32xf16>)
      outs(%init : tensor<?x40xf32>) {
  ^bb0(%a: f16, %b: f16, %c: f32):
    %af = arith.extf %a : f16 to f32
    %bf = arith.extf %b : f16 to f32
    %m = arith.mulf %bf, %af : f32
    %s = arith.addf %m, %c : f32
    linalg.yield %s : f32
  } -> tensor<?x40xf32>
  %r88 = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w88 : tensor<?x32xf16>, tensor<88x32xf16>)
      outs(%init88 : tensor<?x88xf32>) {
  ^bb0(%a: f16, %b: f16, %c: f32):
    %af = arith.extf %a : f16 to f32
    %bf = arith.extf %b : f16 to f32
    %m = arith.mulf %af, %bf : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x88xf32>
  return %r, %r88 : tensor<?x40xf32>, tensor<?x88xf32>
}

// -----

// What a tensor-core step cannot take keeps the thread schedule: f32
// inputs, N not a multiple of 8, K not a multiple of 16, a weight read
// (k, n) instead of (n, k).
// CHECK-LABEL: func.func @left_to_threads
// CHECK-NOT: #gpu.warp
// CHECK-COUNT-4: {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK-NOT: #gpu.warp
// SPLIT-LABEL: func.func @left_to_threads
// SPLIT: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x32xf32>, tensor<8x32xf32>) outs(%{{.*}} : tensor<?x8xf32>)
// SPLIT: {mapping = [#gpu.warp<linear_dim_0>]}
// SPLIT-NOT: #gpu.warp
// SPLIT-COUNT-3: {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// SPLIT-NOT: #gpu.warp
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @left_to_threads(%x32: tensor<?x32xf32>, %w32: tensor<16x32xf32>,
                           %x: tensor<?x32xbf16>, %w12: tensor<12x32xbf16>,
                           %x24: tensor<?x24xbf16>, %w24: tensor<16x24xbf16>,
                           %wt: tensor<32x16xbf16>, %init16: tensor<?x16xf32>,
                           %init12: tensor<?x12xf32>)
    -> (tensor<?x16xf32>, tensor<?x12xf32>, tensor<?x16xf32>, tensor<?x16xf32>) {
  %f32 = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x32, %w32 : tensor<?x32xf32>, tensor<16x32xf32>)
      outs(%init16 : tensor<?x16xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %n12 = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w12 : tensor<?x32xbf16>, tensor<12x32xbf16>)
      outs(%init12 : tensor<?x12xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %af = arith.extf %a : bf16 to f32
    %bf = arith.extf %b : bf16 to f32
    %m = arith.mulf %af, %bf : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x12xf32>
  %k24 = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                         iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x24, %w24 : tensor<?x24xbf16>, tensor<16x24xbf16>)
      outs(%init16 : tensor<?x16xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %af = arith.extf %a : bf16 to f32
    %bf = arith.extf %b : bf16 to f32
    %m = arith.mulf %af, %bf : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  %kn = linalg.generic {indexing_maps = [#mk, #kn, #mn],
                        iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %wt : tensor<?x32xbf16>, tensor<32x16xbf16>)
      outs(%init16 : tensor<?x16xf32>) {
  ^bb0(%a: bf16, %b: bf16, %c: f32):
    %af = arith.extf %a : bf16 to f32
    %bf = arith.extf %b : bf16 to f32
    %m = arith.mulf %af, %bf : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  return %f32, %n12, %k24, %kn : tensor<?x16xf32>, tensor<?x12xf32>, tensor<?x16xf32>, tensor<?x16xf32>
}
