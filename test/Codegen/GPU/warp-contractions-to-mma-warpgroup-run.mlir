// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate stage-bytes=128 warpgroup-mma},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate stage-bytes=128 stages=3 warpgroup-mma},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=128 stages=3 warpgroup-mma},canonicalize,cse))' | FileCheck %s --check-prefix=STAGES3
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=128 warpgroup-mma}))' | FileCheck %s --check-prefix=GPU
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{stage-bytes=64 warpgroup-mma}))' | FileCheck %s --check-prefix=FALLBACK
// CHECK: cases 12
// CHECK-NEXT: wrong 0
//
// (Also with 3 stages: the wgmma steps in flight past their K tile.)
// Warpgroup MMA (wgmma), emulated from its descriptors, against the same
// contraction outside a warp loop. @wg4: one warpgroup of 4 warps of 32
// columns (an m64n128k16 step reads the 4 warps' B tiles as one), bf16, K
// = 192 in three 128-byte K tiles (odd: the stages alternate by output
// tile too); @wg8: two warpgroups of 4 warps of 16 columns (m64n64k16,
// the second group's B tiles 4 x 16 rows into the stage), f16, K = 128.
// @wg4n24: 4 warps of 24 columns (one 8-column step: m64n32k16, three
// output tiles along N, so B's rows and C's columns start at n0 > 0),
// bf16, K = 64 (one K tile a tile). 77 rows: a full 64-row tile, then 13 rows (the warps of rows past them
// compute and store nothing of them). A's view starts 0 or 2 elements
// into a 16-byte aligned row (the copies' 16-byte and element paths), B's
// 0 or 6. The emulator reads each element where the hardware's 128-byte
// swizzle puts it (address bits 4-6 XOR 7-9 of the descriptor's address),
// so the tiles' copies (tileColumn), their 1024-byte alignment and the
// descriptors are checked against each other; each D element is read from
// and written to the lane and register of the wgmma layout, which the
// lanes' loads and stores of C must match. Small integers: every sum is
// exact.
// GPU-LABEL: func.func @wg4
// GPU: memref.alloca() {alignment = 16 : i64} : memref<50176xi8
// GPU: memref.extract_aligned_pointer_as_index
// GPU: scf.for
// GPU: nvvm.cp.async.wait.group 0
// GPU-NEXT: nvvm.fence.proxy {kind = #nvvm.proxy_kind<async.shared>, space = #nvvm.shared_space<cta>}
// GPU: nvvm.barrier id = {{.*}} number_of_threads
// GPU: nvvm.wgmma.fence.aligned
// The descriptors' fixed fields: swizzle mode 1 (128 bytes, bit 62), stride
// 1024 >> 4 (bits 32-45), leading offset 1 (bit 16), base offset 0.
// GPU: arith.constant 4611686293305360384 : i64
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 128, k = 16>, D[<f32>, <one>], A[<bf16>, <one>, <row>], B[<bf16>, <one>, <col>]
// GPU-NOT: nvvm.wgmma.mma_async
// GPU-NEXT: nvvm.wgmma.commit.group.sync.aligned
// GPU-NEXT: nvvm.wgmma.wait.group.sync.aligned 0
// GPU-LABEL: func.func @wg8
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// GPU: nvvm.wgmma.mma_async {{.*}} <m = 64, n = 64, k = 16>, D[<f32>, <one>], A[<f16>, <one>, <row>], B[<f16>, <one>, <col>]
// GPU-NOT: nvvm.wgmma.mma_async
// GPU: nvvm.wgmma.commit.group.sync.aligned
// Three stages: each K tile's wgmma steps stay in flight past it
// (wgmma.wait.group 1), so the copies run one K tile ahead, not two (the
// stage the previous steps read may be in use until the next wait): the
// prologue copies K tile 0 only, each K tile waits for all its copies,
// and the output tile's last steps are waited for before the stores.
// STAGES3-LABEL: func.func @wg4
// STAGES3: memref.alloca() {alignment = 16 : i64} : memref<74752xi8
// STAGES3: nvvm.cp.async.commit.group
// STAGES3-NOT: nvvm.cp.async.commit.group
// STAGES3: scf.for
// STAGES3: nvvm.cp.async.wait.group 0
// STAGES3: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c1 : index
// STAGES3-NEXT: arith.cmpi ult, %[[AHEAD]], %{{.*}} : index
// STAGES3: arith.remui %[[AHEAD]], %c3 : index
// STAGES3: nvvm.wgmma.fence.aligned
// STAGES3: nvvm.wgmma.commit.group.sync.aligned
// STAGES3-NEXT: nvvm.wgmma.wait.group.sync.aligned 1
// STAGES3: nvvm.wgmma.wait.group.sync.aligned 0
// STAGES3: vector.store
// 64-byte K tiles are not wgmma's swizzle: mma.sync with ldmatrix.
// FALLBACK-LABEL: func.func @wg4
// FALLBACK-NOT: wgmma
// FALLBACK: nvgpu.ldmatrix
// FALLBACK: nvvm.mma.sync

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>

func.func @wg4(%a: memref<77x192xbf16, strided<[200, 1], offset: ?>>, %w: memref<128x192xbf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  scf.forall (%i) = (0) to (128) step (32) {
    %wv = memref.subview %w[%i, 0] [32, 192] [1, 1] : memref<128x192xbf16, strided<[200, 1], offset: ?>> to memref<32x192xbf16, strided<[200, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [77, 32] [1, 1] : memref<77x128xf32> to memref<77x32xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<77x192xbf16, strided<[200, 1], offset: ?>>, memref<32x192xbf16, strided<[200, 1], offset: ?>>)
        outs(%cv : memref<77x32xf32, strided<[128, 1], offset: ?>>) {
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

func.func @wg4_reference(%a: memref<77x192xbf16, strided<[200, 1], offset: ?>>, %w: memref<128x192xbf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<77x192xbf16, strided<[200, 1], offset: ?>>, memref<128x192xbf16, strided<[200, 1], offset: ?>>)
      outs(%c : memref<77x128xf32>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  return
}

func.func @wg8(%a: memref<77x128xf16, strided<[200, 1], offset: ?>>, %w: memref<128x128xf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  scf.forall (%i) = (0) to (128) step (16) {
    %wv = memref.subview %w[%i, 0] [16, 128] [1, 1] : memref<128x128xf16, strided<[200, 1], offset: ?>> to memref<16x128xf16, strided<[200, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [77, 16] [1, 1] : memref<77x128xf32> to memref<77x16xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<77x128xf16, strided<[200, 1], offset: ?>>, memref<16x128xf16, strided<[200, 1], offset: ?>>)
        outs(%cv : memref<77x16xf32, strided<[128, 1], offset: ?>>) {
    ^bb0(%x: f16, %y: f16, %acc: f32):
      %xf = arith.extf %x : f16 to f32
      %yf = arith.extf %y : f16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

func.func @wg8_reference(%a: memref<77x128xf16, strided<[200, 1], offset: ?>>, %w: memref<128x128xf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<77x128xf16, strided<[200, 1], offset: ?>>, memref<128x128xf16, strided<[200, 1], offset: ?>>)
      outs(%c : memref<77x128xf32>) {
    ^bb0(%x: f16, %y: f16, %acc: f32):
      %xf = arith.extf %x : f16 to f32
      %yf = arith.extf %y : f16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  return
}

func.func @wg4n24(%a: memref<77x64xbf16, strided<[200, 1], offset: ?>>, %w: memref<96x64xbf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  scf.forall (%i) = (0) to (96) step (24) {
    %wv = memref.subview %w[%i, 0] [24, 64] [1, 1] : memref<96x64xbf16, strided<[200, 1], offset: ?>> to memref<24x64xbf16, strided<[200, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [77, 24] [1, 1] : memref<77x128xf32> to memref<77x24xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<77x64xbf16, strided<[200, 1], offset: ?>>, memref<24x64xbf16, strided<[200, 1], offset: ?>>)
        outs(%cv : memref<77x24xf32, strided<[128, 1], offset: ?>>) {
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

func.func @wg4n24_reference(%a: memref<77x64xbf16, strided<[200, 1], offset: ?>>, %w: memref<96x64xbf16, strided<[200, 1], offset: ?>>, %c: memref<77x128xf32>) {
  %cv = memref.subview %c[0, 0] [77, 96] [1, 1] : memref<77x128xf32> to memref<77x96xf32, strided<[128, 1]>>
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<77x64xbf16, strided<[200, 1], offset: ?>>, memref<96x64xbf16, strided<[200, 1], offset: ?>>)
      outs(%cv : memref<77x96xf32, strided<[128, 1]>>) {
    ^bb0(%x: bf16, %y: bf16, %acc: f32):
      %xf = arith.extf %x : bf16 to f32
      %yf = arith.extf %y : bf16 to f32
      %p = arith.mulf %xf, %yf : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  return
}

// buf[r][j] = (r * mul + j * (j + 3)) mod 9 - 4, exact in bf16.
func.func @fill_bf16(%buf: memref<?x200xbf16>, %mul: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c9 = arith.constant 9 : index
  %c200 = arith.constant 200 : index
  %c4 = arith.constant 4 : i64
  %rows = memref.dim %buf, %c0 : memref<?x200xbf16>
  scf.for %r = %c0 to %rows step %c1 {
    scf.for %j = %c0 to %c200 step %c1 {
      %rm = arith.muli %r, %mul : index
      %jp = arith.addi %j, %c3 : index
      %j3 = arith.muli %j, %jp : index
      %s = arith.addi %rm, %j3 : index
      %m = arith.remui %s, %c9 : index
      %i = arith.index_cast %m : index to i64
      %v = arith.subi %i, %c4 : i64
      %f = arith.sitofp %v : i64 to bf16
      memref.store %f, %buf[%r, %j] : memref<?x200xbf16>
    }
  }
  return
}

// buf[r][j] = (r * mul + j * (j + 3)) mod 9 - 4, exact in f16.
func.func @fill_f16(%buf: memref<?x200xf16>, %mul: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c9 = arith.constant 9 : index
  %c200 = arith.constant 200 : index
  %c4 = arith.constant 4 : i64
  %rows = memref.dim %buf, %c0 : memref<?x200xf16>
  scf.for %r = %c0 to %rows step %c1 {
    scf.for %j = %c0 to %c200 step %c1 {
      %rm = arith.muli %r, %mul : index
      %jp = arith.addi %j, %c3 : index
      %j3 = arith.muli %j, %jp : index
      %s = arith.addi %rm, %j3 : index
      %m = arith.remui %s, %c9 : index
      %i = arith.index_cast %m : index to i64
      %v = arith.subi %i, %c4 : i64
      %f = arith.sitofp %v : i64 to f16
      memref.store %f, %buf[%r, %j] : memref<?x200xf16>
    }
  }
  return
}

// C starts at 0.5 + (r + n) mod 3: the accumulation starts from it.
func.func @init(%c: memref<77x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c128 = arith.constant 128 : index
  %c77 = arith.constant 77 : index
  %half = arith.constant 0.5 : f32
  scf.for %r = %c0 to %c77 step %c1 {
    scf.for %n = %c0 to %c128 step %c1 {
      %s = arith.addi %r, %n : index
      %m = arith.remui %s, %c3 : index
      %i = arith.index_cast %m : index to i64
      %f = arith.sitofp %i : i64 to f32
      %v = arith.addf %f, %half : f32
      memref.store %v, %c[%r, %n] : memref<77x128xf32>
    }
  }
  return
}

// 1 where the result differs anywhere, else 0.
func.func @wrong(%got: memref<77x128xf32>, %want: memref<77x128xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c77 = arith.constant 77 : index
  %c0_i64 = arith.constant 0 : i64
  %c1_i64 = arith.constant 1 : i64
  %diffs = scf.for %r = %c0 to %c77 step %c1 iter_args(%d = %c0_i64) -> (i64) {
    %row = scf.for %col = %c0 to %c128 step %c1 iter_args(%e = %d) -> (i64) {
      %x = memref.load %got[%r, %col] : memref<77x128xf32>
      %y = memref.load %want[%r, %col] : memref<77x128xf32>
      %ne = arith.cmpf une, %x, %y : f32
      %one = arith.select %ne, %c1_i64, %c0_i64 : i64
      %e2 = arith.addi %e, %one : i64
      scf.yield %e2 : i64
    }
    scf.yield %row : i64
  }
  %bad = arith.cmpi ne, %diffs, %c0_i64 : i64
  %n = arith.select %bad, %c1_i64, %c0_i64 : i64
  return %n : i64
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c0_i64 = arith.constant 0 : i64
  %c3_i64 = arith.constant 3 : i64
  %offsetsA = arith.constant dense<[0, 2]> : vector<2xindex>
  %offsetsB = arith.constant dense<[0, 6]> : vector<2xindex>
  %abuf = memref.alloc() {alignment = 16 : i64} : memref<77x200xbf16>
  %wbuf = memref.alloc() {alignment = 16 : i64} : memref<128x200xbf16>
  %ad = memref.cast %abuf : memref<77x200xbf16> to memref<?x200xbf16>
  %wd = memref.cast %wbuf : memref<128x200xbf16> to memref<?x200xbf16>
  func.call @fill_bf16(%ad, %c7) : (memref<?x200xbf16>, index) -> ()
  func.call @fill_bf16(%wd, %c5) : (memref<?x200xbf16>, index) -> ()
  %ahbuf = memref.alloc() {alignment = 16 : i64} : memref<77x200xf16>
  %whbuf = memref.alloc() {alignment = 16 : i64} : memref<128x200xf16>
  %ahd = memref.cast %ahbuf : memref<77x200xf16> to memref<?x200xf16>
  %whd = memref.cast %whbuf : memref<128x200xf16> to memref<?x200xf16>
  func.call @fill_f16(%ahd, %c7) : (memref<?x200xf16>, index) -> ()
  func.call @fill_f16(%whd, %c5) : (memref<?x200xf16>, index) -> ()
  %got = memref.alloc() : memref<77x128xf32>
  %want = memref.alloc() : memref<77x128xf32>
  %result:2 = scf.for %ia = %c0 to %c2 step %c1 iter_args(%cases = %c0_i64, %wrong = %c0_i64) -> (i64, i64) {
    %offA = vector.extract %offsetsA[%ia] : index from vector<2xindex>
    %av = memref.subview %abuf[0, %offA] [77, 192] [1, 1] : memref<77x200xbf16> to memref<77x192xbf16, strided<[200, 1], offset: ?>>
    %ahv = memref.subview %ahbuf[0, %offA] [77, 128] [1, 1] : memref<77x200xf16> to memref<77x128xf16, strided<[200, 1], offset: ?>>
    %inner:2 = scf.for %ib = %c0 to %c2 step %c1 iter_args(%n = %cases, %bad = %wrong) -> (i64, i64) {
      %offB = vector.extract %offsetsB[%ib] : index from vector<2xindex>
      %wv = memref.subview %wbuf[0, %offB] [128, 192] [1, 1] : memref<128x200xbf16> to memref<128x192xbf16, strided<[200, 1], offset: ?>>
      %whv = memref.subview %whbuf[0, %offB] [128, 128] [1, 1] : memref<128x200xf16> to memref<128x128xf16, strided<[200, 1], offset: ?>>
      func.call @init(%got) : (memref<77x128xf32>) -> ()
      func.call @init(%want) : (memref<77x128xf32>) -> ()
      func.call @wg4(%av, %wv, %got) : (memref<77x192xbf16, strided<[200, 1], offset: ?>>, memref<128x192xbf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      func.call @wg4_reference(%av, %wv, %want) : (memref<77x192xbf16, strided<[200, 1], offset: ?>>, memref<128x192xbf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      %bf16Wrong = func.call @wrong(%got, %want) : (memref<77x128xf32>, memref<77x128xf32>) -> i64
      func.call @init(%got) : (memref<77x128xf32>) -> ()
      func.call @init(%want) : (memref<77x128xf32>) -> ()
      func.call @wg8(%ahv, %whv, %got) : (memref<77x128xf16, strided<[200, 1], offset: ?>>, memref<128x128xf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      func.call @wg8_reference(%ahv, %whv, %want) : (memref<77x128xf16, strided<[200, 1], offset: ?>>, memref<128x128xf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      %f16Wrong = func.call @wrong(%got, %want) : (memref<77x128xf32>, memref<77x128xf32>) -> i64
      func.call @init(%got) : (memref<77x128xf32>) -> ()
      func.call @init(%want) : (memref<77x128xf32>) -> ()
      %av64 = memref.subview %abuf[0, %offA] [77, 64] [1, 1] : memref<77x200xbf16> to memref<77x64xbf16, strided<[200, 1], offset: ?>>
      %wv64 = memref.subview %wbuf[0, %offB] [96, 64] [1, 1] : memref<128x200xbf16> to memref<96x64xbf16, strided<[200, 1], offset: ?>>
      func.call @wg4n24(%av64, %wv64, %got) : (memref<77x64xbf16, strided<[200, 1], offset: ?>>, memref<96x64xbf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      func.call @wg4n24_reference(%av64, %wv64, %want) : (memref<77x64xbf16, strided<[200, 1], offset: ?>>, memref<96x64xbf16, strided<[200, 1], offset: ?>>, memref<77x128xf32>) -> ()
      %n24Wrong = func.call @wrong(%got, %want) : (memref<77x128xf32>, memref<77x128xf32>) -> i64
      %both0 = arith.addi %bf16Wrong, %f16Wrong : i64
      %both = arith.addi %both0, %n24Wrong : i64
      %bad2 = arith.addi %bad, %both : i64
      %n2 = arith.addi %n, %c3_i64 : i64
      scf.yield %n2, %bad2 : i64, i64
    }
    scf.yield %inner#0, %inner#1 : i64, i64
  }
  vector.print str "cases "
  vector.print %result#0 : i64
  vector.print str "wrong "
  vector.print %result#1 : i64
  memref.dealloc %abuf : memref<77x200xbf16>
  memref.dealloc %wbuf : memref<128x200xbf16>
  memref.dealloc %ahbuf : memref<77x200xf16>
  memref.dealloc %whbuf : memref<128x200xf16>
  memref.dealloc %got : memref<77x128xf32>
  memref.dealloc %want : memref<77x128xf32>
  return
}
