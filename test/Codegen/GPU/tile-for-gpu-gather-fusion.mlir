// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores}))' %s | FileCheck %s
// Without tensor cores (or warps: blocks of 16 threads) the thread
// schedule's GEMMs read x through the token indices the same way; with
// fuse-gathers=0 every GEMM reads the gathered scratch.
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu))' %s | FileCheck %s --check-prefix=THREADS
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores block-threads=16 threads-x=4}))' %s | FileCheck %s --check-prefix=THREADS
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{tensor-cores fuse-gathers=0}))' %s | FileCheck %s --check-prefix=UNFUSED
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-tile-for-gpu{fuse-gathers=0}))' %s | FileCheck %s --check-prefix=UNFUSED-THREADS

// An expert loop as convert-hmoe-to-linalg{expert-stage-scratch} builds it:
// each expert gathers its token rows of x into scratch, which its gate and
// up projections (SwiGLU) read. On tensor cores both read x through the
// token indices instead: the gather, its scratch output and the block's
// copy of the rows go, and each projection is a warp loop over a
// contraction of gathered rows.
// CHECK: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @swiglu_projections
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x64xbf16>, %[[TOKENS:[^:]*]]: tensor<?xi32>
// CHECK: scf.forall (%[[E:.*]]) in (2) shared_outs(%{{[^ ]*}} = %{{[^ ]*}}, %{{[^ ]*}} = %{{[^ ]*}}) -> (tensor<?x32xf32>, tensor<?x32xf32>)
// CHECK-NOT: tensor<?x64xbf16>
// CHECK:   %[[ROWS:.*]] = tensor.extract_slice %[[TOKENS]]
// CHECK-NOT: tensor<?x64xbf16>
// CHECK:   scf.forall (%{{.*}}) = (0) to (32) step (8)
// CHECK:     %[[RW:.*]] = tensor.extract_slice %[[ROWS]][0]
// CHECK:     linalg.generic {indexing_maps = [#[[ROW]], {{.*}}], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[RW]], %{{.*}} : tensor<?xi32>, tensor<8x64xbf16>) outs(%{{.*}} : tensor<?x8xf32>)
// CHECK:       ^bb0(%[[T:.*]]: i32, %[[B:.*]]: bf16, %[[C:.*]]: f32):
// CHECK:         %[[R:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK:         %[[K:.*]] = linalg.index 2 : index
// CHECK:         %[[A:.*]] = tensor.extract %[[X]][%[[R]], %[[K]]] : tensor<?x64xbf16>
// CHECK:         %[[AF:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK:         %[[BF:.*]] = arith.extf %[[B]] : bf16 to f32
// CHECK:         %[[P:.*]] = arith.mulf %[[AF]], %[[BF]] : f32
// CHECK:         arith.addf %[[C]], %[[P]] : f32
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK:   scf.forall (%{{.*}}) = (0) to (32) step (8)
// CHECK:     %[[RU:.*]] = tensor.extract_slice %[[ROWS]][0]
// CHECK:     linalg.generic {{.*}} ins(%[[RU]], %{{.*}} : tensor<?xi32>, tensor<8x64xbf16>)
// CHECK:   } {mapping = [#gpu.warp<linear_dim_0>]}
// CHECK-NOT: tensor<?x64xbf16>
// CHECK: } {mapping = [#gpu.block<x>]}
// UNFUSED-LABEL: func.func @swiglu_projections
// UNFUSED: -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?x32xf32>)
// UNFUSED: tensor.extract %{{.*}} : tensor<?x64xbf16>
// UNFUSED: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<8x64xbf16>)
// UNFUSED: } {mapping = [#gpu.warp<linear_dim_0>]}
// THREADS-LABEL: func.func @swiglu_projections
// THREADS-SAME: (%[[X:[^:]*]]: tensor<?x64xbf16>
// THREADS: scf.forall (%{{.*}}) in (2) shared_outs(%{{[^ ]*}} = %{{[^ ]*}}, %{{[^ ]*}} = %{{[^ ]*}}) -> (tensor<?x32xf32>, tensor<?x32xf32>)
// THREADS-NOT: #gpu.warp
// THREADS-NOT: tensor<?x64xbf16>
// THREADS: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<{{[0-9]+}}x64xbf16>)
// THREADS-NEXT: ^bb0(%[[T:.*]]: i32, %{{.*}}: bf16, %{{.*}}: f32):
// THREADS-NEXT: %[[R:.*]] = arith.index_cast %[[T]] : i32 to index
// THREADS-NEXT: %[[K:.*]] = linalg.index 2 : index
// THREADS-NEXT: tensor.extract %[[X]][%[[R]], %[[K]]] : tensor<?x64xbf16>
// THREADS: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// THREADS: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<{{[0-9]+}}x64xbf16>)
// THREADS: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// THREADS-NOT: #gpu.warp
// THREADS-NOT: tensor<?x64xbf16>
// THREADS: } {mapping = [#gpu.block<x>]}
// UNFUSED-THREADS-LABEL: func.func @swiglu_projections
// UNFUSED-THREADS: -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?x32xf32>)
// UNFUSED-THREADS: tensor.extract %{{.*}} : tensor<?x64xbf16>
// UNFUSED-THREADS: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<{{[0-9]+}}x64xbf16>)
// UNFUSED-THREADS: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @swiglu_projections(%x: tensor<?x64xbf16>, %tokens: tensor<?xi32>,
                              %offsets: tensor<3xi32>,
                              %wg: tensor<2x32x64xbf16>,
                              %wu: tensor<2x32x64xbf16>)
    -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x64xbf16>
  %g0 = tensor.empty(%slots) : tensor<?x32xf32>
  %u0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:3 = scf.forall (%e) in (2)
      shared_outs(%s = %scratch, %g = %g0, %u = %u0)
      -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %wge = tensor.extract_slice %wg[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %wue = tensor.extract_slice %wu[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %gs = tensor.extract_slice %g[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %gf = linalg.fill ins(%zero : f32) outs(%gs : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %gm = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %wge : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%gf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    %us = tensor.extract_slice %u[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %uf = linalg.fill ins(%zero : f32) outs(%us : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %um = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %wue : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%uf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %bf, %af : f32
      %sum = arith.addf %m, %c : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg into %s[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %gm into %g[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
      tensor.parallel_insert_slice %um into %u[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#1, %r#2 : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// Not fused where the gathered rows are kept: the scratch is read after
// the loop (here returned). The warps (threads) read the scratch.
// THREADS-LABEL: func.func @scratch_read_after
// THREADS: tensor.extract %{{.*}} : tensor<?x64xbf16>
// THREADS: ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<{{[0-9]+}}x64xbf16>)
// CHECK-LABEL: func.func @scratch_read_after
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x4xbf16>)
// CHECK: tensor.extract %{{.*}} : tensor<?x64xbf16>
// CHECK: scf.forall (%{{.*}}) = (0) to (32) step (8)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<8x64xbf16>)
// CHECK: } {mapping = [#gpu.warp<linear_dim_0>]}
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @scratch_read_after(%x: tensor<?x64xbf16>, %tokens: tensor<?xi32>,
    %offsets: tensor<3xi32>, %w: tensor<2x32x64xbf16>) -> (tensor<?x64xbf16>, tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x64xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:2 = scf.forall (%e) in (2) shared_outs(%s = %scratch, %y = %y0)
      -> (tensor<?x64xbf16>, tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %we = tensor.extract_slice %w[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %we : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg into %s[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#0, %r#1 : tensor<?x64xbf16>, tensor<?x32xf32>
}

// -----

// Nor where another op reads them too.
// THREADS-LABEL: func.func @read_elsewhere
// THREADS: tensor.extract %{{.*}} : tensor<?x64xbf16>
// THREADS: ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<{{[0-9]+}}x64xbf16>)
// CHECK-LABEL: func.func @read_elsewhere
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x4xbf16>)
// CHECK: tensor.extract %{{.*}} : tensor<?x64xbf16>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : bf16
// CHECK: scf.forall (%{{.*}}) = (0) to (32) step (8)
// CHECK:   linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<8x64xbf16>)
// CHECK: } {mapping = [#gpu.warp<linear_dim_0>]}
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @read_elsewhere(%x: tensor<?x64xbf16>, %tokens: tensor<?xi32>,
    %offsets: tensor<3xi32>, %w: tensor<2x32x64xbf16>) -> (tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x64xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:2 = scf.forall (%e) in (2) shared_outs(%s = %scratch, %y = %y0)
      -> (tensor<?x64xbf16>, tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %sq = linalg.generic {indexing_maps = [#id, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%xg : tensor<?x64xbf16>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%a: bf16, %o: bf16):
      %m = arith.mulf %a, %a : bf16
      linalg.yield %m : bf16
    } -> tensor<?x64xbf16>
    %we = tensor.extract_slice %w[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %we : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %sq into %s[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#1 : tensor<?x32xf32>
}

// -----

// A contraction that is not one a warp runs (K = 24, not a multiple of
// 16) keeps the thread schedule, and reads x through the token indices
// too.
// CHECK-LABEL: func.func @not_on_tensor_cores
// CHECK-SAME: (%[[X:[^:]*]]: tensor<?x24xbf16>
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{[^ ]*}} = %{{[^ ]*}}) -> (tensor<?x32xf32>)
// CHECK-NOT: #gpu.warp
// CHECK-NOT: tensor<?x24xbf16>
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<2x24xbf16>)
// CHECK: tensor.extract %[[X]]
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK-NOT: #gpu.warp
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @not_on_tensor_cores(%x: tensor<?x24xbf16>, %tokens: tensor<?xi32>,
    %offsets: tensor<3xi32>, %w: tensor<2x32x24xbf16>) -> (tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x24xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:2 = scf.forall (%e) in (2) shared_outs(%s = %scratch, %y = %y0)
      -> (tensor<?x24xbf16>, tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 24] [1, 1]
        : tensor<?x24xbf16> to tensor<?x24xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x24xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x24xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x24xbf16>
    %we = tensor.extract_slice %w[%e, 0, 0] [1, 32, 24] [1, 1, 1]
        : tensor<2x32x24xbf16> to tensor<32x24xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %we : tensor<?x24xbf16>, tensor<32x24xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg into %s[%lo, 0] [%n, 24] [1, 1]
          : tensor<?x24xbf16> into tensor<?x24xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#1 : tensor<?x32xf32>
}

// -----

// Nor, on warps, where x is a view (here of a wider tensor): its buffer's
// row stride is dynamic, and the lanes read it in pairs only from rows
// known aligned. Threads read elements: fused.
// THREADS-LABEL: func.func @source_is_a_view
// THREADS: scf.forall (%{{.*}}) in (2) shared_outs(%{{[^ ]*}} = %{{[^ ]*}}) -> (tensor<?x32xf32>)
// THREADS-NOT: tensor<?x64xbf16>
// THREADS: ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<{{[0-9]+}}x64xbf16>)
// CHECK-LABEL: func.func @source_is_a_view
// CHECK: ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x4xbf16>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<8x64xbf16>)
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @source_is_a_view(%xall: tensor<?x?xbf16>, %tokens: tensor<?xi32>,
    %offsets: tensor<3xi32>, %w: tensor<2x32x64xbf16>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %t = tensor.dim %xall, %c0 : tensor<?x?xbf16>
  %x = tensor.extract_slice %xall[0, 0] [%t, 64] [1, 1]
      : tensor<?x?xbf16> to tensor<?x64xbf16>
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x64xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:2 = scf.forall (%e) in (2) shared_outs(%s = %scratch, %y = %y0)
      -> (tensor<?x64xbf16>, tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%ti32: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %ti32 : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %we = tensor.extract_slice %w[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %we : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg into %s[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#1 : tensor<?x32xf32>
}

// -----

// Nor where the block writes the token indices between the gather and the
// GEMM (the GEMM would read them later than the gather did).
// THREADS-LABEL: func.func @rows_written_in_block
// THREADS: ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x{{[0-9]+}}xbf16>)
// THREADS: ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<{{[0-9]+}}x64xbf16>)
// CHECK-LABEL: func.func @rows_written_in_block
// CHECK: ins(%{{.*}} : tensor<?xi32>) outs(%{{.*}} : tensor<?x4xbf16>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x64xbf16>, tensor<8x64xbf16>)
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @rows_written_in_block(%x: tensor<?x64xbf16>, %tokens: tensor<?xi32>,
    %offsets: tensor<3xi32>, %w: tensor<2x32x64xbf16>) -> tensor<?x32xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch = tensor.empty(%slots) : tensor<?x64xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:3 = scf.forall (%e) in (2) shared_outs(%s = %scratch, %y = %y0, %tk = %tokens)
      -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?xi32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tk[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs = tensor.extract_slice %s[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %xg = linalg.generic {indexing_maps = [#row, #id],
                          iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs : tensor<?x64xbf16>) {
    ^bb0(%ti32: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %ti32 : i32 to index
      %v = tensor.extract %x[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %minus1 = arith.constant -1 : i32
    %overwritten = linalg.fill ins(%minus1 : i32) outs(%tok : tensor<?xi32>)
        -> tensor<?xi32>
    %we = tensor.extract_slice %w[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg, %we : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg into %s[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
      tensor.parallel_insert_slice %overwritten into %tk[%lo] [%n] [1]
          : tensor<?xi32> into tensor<?xi32>
    }
  }
  return %r#1 : tensor<?x32xf32>
}

// -----

// Two gathers, both fused; the first one's scratch slice is read by
// something else (its size), so its shared output stays (unused by the
// gather), while the second's goes.
// CHECK-LABEL: func.func @one_scratch_still_read
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{[^ ]*}} = %{{[^ ]*}}, %{{[^ ]*}} = %{{[^ ]*}}, %{{[^ ]*}} = %{{[^ ]*}}) -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?x32xf32>)
// CHECK-NOT: -> tensor<?x48xbf16>
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<8x64xbf16>)
// CHECK-NOT: -> tensor<?x48xbf16>
// CHECK: ins(%{{.*}}, %{{.*}} : tensor<?xi32>, tensor<8x48xbf16>)
// CHECK-NOT: -> tensor<?x48xbf16>
// CHECK: } {mapping = [#gpu.block<x>]}
// THREADS-LABEL: func.func @one_scratch_still_read
// THREADS: -> (tensor<?x64xbf16>, tensor<?x32xf32>, tensor<?x32xf32>)
#row = affine_map<(d0, d1) -> (d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#mk = affine_map<(d0, d1, d2) -> (d0, d2)>
#nk = affine_map<(d0, d1, d2) -> (d1, d2)>
#mn = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @one_scratch_still_read(%x1: tensor<?x64xbf16>, %x2: tensor<?x48xbf16>,
    %tokens: tensor<?xi32>, %offsets: tensor<3xi32>,
    %w1: tensor<2x32x64xbf16>, %w2: tensor<2x32x48xbf16>)
    -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %slots = tensor.dim %tokens, %c0 : tensor<?xi32>
  %scratch1 = tensor.empty(%slots) : tensor<?x64xbf16>
  %scratch2 = tensor.empty(%slots) : tensor<?x48xbf16>
  %y0 = tensor.empty(%slots) : tensor<?x32xf32>
  %z0 = tensor.empty(%slots) : tensor<?x32xf32>
  %r:4 = scf.forall (%e) in (2)
      shared_outs(%s1 = %scratch1, %s2 = %scratch2, %y = %y0, %z = %z0)
      -> (tensor<?x64xbf16>, tensor<?x48xbf16>, tensor<?x32xf32>,
          tensor<?x32xf32>) {
    %lo32 = tensor.extract %offsets[%e] : tensor<3xi32>
    %e1 = arith.addi %e, %c1 : index
    %hi32 = tensor.extract %offsets[%e1] : tensor<3xi32>
    %lo = arith.index_cast %lo32 : i32 to index
    %hi = arith.index_cast %hi32 : i32 to index
    %n = arith.subi %hi, %lo : index
    %tok = tensor.extract_slice %tokens[%lo] [%n] [1]
        : tensor<?xi32> to tensor<?xi32>
    %xs1 = tensor.extract_slice %s1[%lo, 0] [%n, 64] [1, 1]
        : tensor<?x64xbf16> to tensor<?x64xbf16>
    %m1 = tensor.dim %xs1, %c0 : tensor<?x64xbf16>
    %xg1 = linalg.generic {indexing_maps = [#row, #id],
                           iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs1 : tensor<?x64xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x1[%ti, %j] : tensor<?x64xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x64xbf16>
    %xs2 = tensor.extract_slice %s2[%lo, 0] [%n, 48] [1, 1]
        : tensor<?x48xbf16> to tensor<?x48xbf16>
    %xg2 = linalg.generic {indexing_maps = [#row, #id],
                           iterator_types = ["parallel", "parallel"]}
        ins(%tok : tensor<?xi32>) outs(%xs2 : tensor<?x48xbf16>) {
    ^bb0(%t: i32, %o: bf16):
      %j = linalg.index 1 : index
      %ti = arith.index_cast %t : i32 to index
      %v = tensor.extract %x2[%ti, %j] : tensor<?x48xbf16>
      linalg.yield %v : bf16
    } -> tensor<?x48xbf16>
    %w1e = tensor.extract_slice %w1[%e, 0, 0] [1, 32, 64] [1, 1, 1]
        : tensor<2x32x64xbf16> to tensor<32x64xbf16>
    %w2e = tensor.extract_slice %w2[%e, 0, 0] [1, 32, 48] [1, 1, 1]
        : tensor<2x32x48xbf16> to tensor<32x48xbf16>
    %ys = tensor.extract_slice %y[%lo, 0] [%m1, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %yf = linalg.fill ins(%zero : f32) outs(%ys : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %ym = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg1, %w1e : tensor<?x64xbf16>, tensor<32x64xbf16>)
        outs(%yf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    %zs = tensor.extract_slice %z[%lo, 0] [%n, 32] [1, 1]
        : tensor<?x32xf32> to tensor<?x32xf32>
    %zf = linalg.fill ins(%zero : f32) outs(%zs : tensor<?x32xf32>)
        -> tensor<?x32xf32>
    %zm = linalg.generic {indexing_maps = [#mk, #nk, #mn],
                          iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%xg2, %w2e : tensor<?x48xbf16>, tensor<32x48xbf16>)
        outs(%zf : tensor<?x32xf32>) {
    ^bb0(%a: bf16, %b: bf16, %c: f32):
      %af = arith.extf %a : bf16 to f32
      %bf = arith.extf %b : bf16 to f32
      %m = arith.mulf %af, %bf : f32
      %sum = arith.addf %c, %m : f32
      linalg.yield %sum : f32
    } -> tensor<?x32xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %xg1 into %s1[%lo, 0] [%n, 64] [1, 1]
          : tensor<?x64xbf16> into tensor<?x64xbf16>
      tensor.parallel_insert_slice %xg2 into %s2[%lo, 0] [%n, 48] [1, 1]
          : tensor<?x48xbf16> into tensor<?x48xbf16>
      tensor.parallel_insert_slice %ym into %y[%lo, 0] [%m1, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
      tensor.parallel_insert_slice %zm into %z[%lo, 0] [%n, 32] [1, 1]
          : tensor<?x32xf32> into tensor<?x32xf32>
    }
  }
  return %r#2, %r#3 : tensor<?x32xf32>, tensor<?x32xf32>
}
