// RUN: hmoe-opt --split-input-file --verify-diagnostics --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma))' %s
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{row-tiles=0}))' %s 2>&1 | FileCheck %s --check-prefix=ROW-TILES
// ROW-TILES: hmoe-warp-contractions-to-mma: row-tiles=0 must be at least 1
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{load-bytes=12}))' %s 2>&1 | FileCheck %s --check-prefix=LOAD-BYTES
// LOAD-BYTES: hmoe-warp-contractions-to-mma: load-bytes=12 must be 4, 8 or 16
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=48}))' %s 2>&1 | FileCheck %s --check-prefix=STAGE-BYTES
// STAGE-BYTES: hmoe-warp-contractions-to-mma: stage-bytes=48 must be 0 (not staged) or a power of two from 32 to 256
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=16}))' %s 2>&1 | FileCheck %s --check-prefix=STAGE-16
// STAGE-16: hmoe-warp-contractions-to-mma: stage-bytes=16 must be 0 (not staged) or a power of two from 32 to 256
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 stages=1}))' %s 2>&1 | FileCheck %s --check-prefix=STAGES-1
// STAGES-1: hmoe-warp-contractions-to-mma: stages=1 must be from 2 to 8
// RUN: not hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 stages=9}))' %s 2>&1 | FileCheck %s --check-prefix=STAGES-9
// STAGES-9: hmoe-warp-contractions-to-mma: stages=9 must be from 2 to 8

// An f32 contraction runs on tensor cores only rounded to TF32, which
// takes the tf32 option (or split-tf32).
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @f32(%a: memref<16x32xf32>, %w: memref<8x32xf32>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{has f32 operands, which tensor cores take only rounded to TF32 (10-bit mantissas); expected the tf32 option to allow it, or split-tf32 for about f32's accuracy}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xf32>, memref<8x32xf32>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// K = 24 is not whole m16n8k16 steps.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @k24(%a: memref<16x24xbf16>, %w: memref<8x24xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{in a loop over GPU warps is not a contraction an mma.sync can run; expected C[m, n] += A[m, k] * B[n, k] with f32 C, N a static multiple of 8, and bf16 or f16 A and B with K a multiple of 16 (m16n8k16) or f32 A and B with K a multiple of 8 (TF32, m16n8k8)}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x24xbf16>, memref<8x24xbf16>) outs(%c : memref<16x8xf32>) {
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

// f32 with K = 12 is not whole m16n8k8 (TF32) steps either.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @f32_k12(%a: memref<16x12xf32>, %w: memref<8x12xf32>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{is not a contraction an mma.sync can run}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x12xf32>, memref<8x12xf32>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Anything else writing memory in a warp loop would run on every lane.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @store(%a: memref<16x32xbf16>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>, %v: f32) {
  %c0 = arith.constant 0 : index
  scf.forall (%i) in (1) {
    // expected-error @+1 {{in a loop over GPU warps: expected only the warp's contraction (and views)}}
    memref.store %v, %c[%c0, %c0] : memref<16x8xf32>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
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

// One contraction per warp loop.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @two(%a: memref<16x32xbf16>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
    // expected-error @+1 {{is a second contraction in one warp loop; expected one}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
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

// The warp count must be static (it sizes the thread loop).
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @dynamic(%a: memref<16x32xbf16>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>, %n: index) {
  // expected-error @+1 {{expected a one-dimensional loop over a static number of warps}}
  scf.forall (%i) in (%n) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
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

// A warp loop with nothing for the warps to do.
func.func @empty() {
  // expected-error @+1 {{is mapped to GPU warps but holds no contraction; expected one for mma.sync}}
  scf.forall (%i) in (2) {
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// A copy between two buffers is not a view's copy onto itself: it stays,
// and a warp loop cannot hold it.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @real_copy(%a: memref<16x32xbf16>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>, %x: memref<16x8xf32>, %y: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
    ^bb0(%p0: bf16, %p1: bf16, %acc: f32):
      %xf = arith.extf %p0 : bf16 to f32
      %yf = arith.extf %p1 : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
    // expected-error @+1 {{in a loop over GPU warps: expected only the warp's contraction (and views)}}
    memref.copy %x, %y : memref<16x8xf32> to memref<16x8xf32>
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Odd row strides would make the lanes' 32-bit pair loads misaligned.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @odd_stride(%a: memref<16x32xbf16, strided<[33, 1]>>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{operand of type 'memref<16x32xbf16, strided<[33, 1]>>' cannot be read in aligned pairs; expected a matrix with unit column stride and a static, even row stride}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16, strided<[33, 1]>>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
    ^bb0(%p0: bf16, %p1: bf16, %acc: f32):
      %xf = arith.extf %p0 : bf16 to f32
      %yf = arith.extf %p1 : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Columns not contiguous: no pairs at all.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @column_stride(%a: memref<16x32xbf16>, %w: memref<8x32xbf16, strided<[64, 2]>>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{operand of type 'memref<8x32xbf16, strided<[64, 2]>>' cannot be read in aligned pairs}}
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : memref<16x32xbf16>, memref<8x32xbf16, strided<[64, 2]>>) outs(%c : memref<16x8xf32>) {
    ^bb0(%p0: bf16, %p1: bf16, %acc: f32):
      %xf = arith.extf %p0 : bf16 to f32
      %yf = arith.extf %p1 : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Still on tensors: the warp loop has results.
#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @tensors(%a: tensor<16x32xbf16>, %w: tensor<8x32xbf16>, %c: tensor<16x8xf32>) -> tensor<16x8xf32> {
  // expected-error @+1 {{must be bufferized before its contraction is lowered to mma.sync}}
  %r = scf.forall (%i) in (1) shared_outs(%o = %c) -> (tensor<16x8xf32>) {
    %g = linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %w : tensor<16x32xbf16>, tensor<8x32xbf16>) outs(%o : tensor<16x8xf32>) {
    ^bb0(%p0: bf16, %p1: bf16, %acc: f32):
      %xf = arith.extf %p0 : bf16 to f32
      %yf = arith.extf %p1 : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    } -> tensor<16x8xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %g into %o[0, 0] [16, 8] [1, 1] : tensor<16x8xf32> into tensor<16x8xf32>
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return %r : tensor<16x8xf32>
}

// -----

// Gathered rows: the source's rows are what the lanes read in pairs.
#mapRow = affine_map<(m, n, k) -> (m)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @gathered_odd_stride(%x: memref<?x32xbf16, strided<[33, 1]>>, %tokens: memref<16xi32>, %w: memref<8x32xbf16>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{source of gathered rows of type 'memref<?x32xbf16, strided<[33, 1]>>' cannot be read in aligned pairs}}
    linalg.generic {indexing_maps = [#mapRow, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%tokens, %w : memref<16xi32>, memref<8x32xbf16>) outs(%c : memref<16x8xf32>) {
    ^bb0(%t: i32, %p1: bf16, %acc: f32):
      %r = arith.index_cast %t : i32 to index
      %k = linalg.index 2 : index
      %p0 = memref.load %x[%r, %k] : memref<?x32xbf16, strided<[33, 1]>>
      %xf = arith.extf %p0 : bf16 to f32
      %yf = arith.extf %p1 : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

// -----

// Gathered rows read from C's own buffer: the lanes would read A while
// writing C. Not a contraction the pass takes.
#mapRow = affine_map<(m, n, k) -> (m)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>
func.func @gathered_from_c(%tokens: memref<16xi32>, %w: memref<8x8xf32>, %c: memref<16x8xf32>) {
  scf.forall (%i) in (1) {
    // expected-error @+1 {{in a loop over GPU warps is not a contraction an mma.sync can run}}
    linalg.generic {indexing_maps = [#mapRow, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%tokens, %w : memref<16xi32>, memref<8x8xf32>) outs(%c : memref<16x8xf32>) {
    ^bb0(%t: i32, %p1: f32, %acc: f32):
      %r = arith.index_cast %t : i32 to index
      %k = linalg.index 2 : index
      %p0 = memref.load %c[%r, %k] : memref<16x8xf32>
      %p = arith.mulf %p0, %p1 : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}
