// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=32},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=32}))' | FileCheck %s --check-prefix=IR
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=32 ldmatrix},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=128},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=128 ldmatrix},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=32 stages=3},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=32 stages=4 ldmatrix},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-warp-contractions-to-mma{emulate tf32 stage-bytes=128 stages=3},convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// CHECK: cases 12
// CHECK-NEXT: wrong 0
//
// The staged copy's two paths, run, in bf16 and in f32 (TF32 steps; the
// 16-byte copies of f32 into a CPU stack buffer crashed before it was
// aligned): A and B are views starting 0, 2 or 8
// (A) and 0 or 6 (B) elements into 16-byte aligned buffers, so the
// block's copy of A's rows and each warp's of its B rows take 16-byte
// vectors (offsets 0 and 8) or go element by element (the others); 37
// rows (two row tiles of 16 a step, the second partial, then one past
// the rows), two warps of 64 columns (two tiles of 32 along N each: four
// output tiles a warp, N then M), K = 64 in K tiles of 16 (32 bytes):
// four K tiles, through the two stages in turn (3072 bytes each). At 128
// bytes bf16 has one K tile an output tile, so the stages alternate by
// output tile (the copy after a tile's K tile is the next tile's, into
// the other stage): reading stage 0 in every tile fails the 6 bf16 cases,
// as does counting tiles along M as one each (two along N: the stage
// parity of tile (m, n) is m * 2 + n's). With
// ldmatrix, each emulated lane's registers come from the rows its source
// lanes name (ldmatrix's lane map): taking B's K half from s / 16 instead
// of s / 8 % 2, or each lane's own row, fails all 12 cases. Its tiles'
// 16-byte chunks are swizzled (2 a row at 32 bytes, 8 at 128: TMA's
// 128-byte pattern); reading them unswizzled fails all 12 cases at 32.
// With 3 and 4 stages (stages: copies 2 and 3 K tiles ahead, across
// output tiles; at 128 bytes, 3 stages over bf16's one K tile a tile)
// the K tiles take stages 0, 1, 2, ... in the loop's order.
// Against the same contraction outside a warp loop (the pass leaves it
// alone). Small integers: every sum is exact, so any difference is a wrong
// element copied or read.
// IR-LABEL: func.func @staged
// IR: memref.alloca() {alignment = 16 : i64} : memref<6144xi8>
// IR: memref.view {{.*}} to memref<32x16xbf16>
// IR: memref.view {{.*}} to memref<64x16xbf16>
// IR: vector.load {{.*}} {alignment = 16 : i64} : memref<37x64xbf16, strided<[72, 1], offset: ?>>, vector<8xbf16>
// IR: memref.load {{.*}} : memref<37x64xbf16, strided<[72, 1], offset: ?>>
// IR-LABEL: func.func @reference
// IR: linalg.generic

#mapA = affine_map<(m, n, k) -> (m, k)>
#mapB = affine_map<(m, n, k) -> (n, k)>
#mapC = affine_map<(m, n, k) -> (m, n)>

func.func @staged(%a: memref<37x64xbf16, strided<[72, 1], offset: ?>>,
                  %w: memref<128x64xbf16, strided<[72, 1], offset: ?>>,
                  %c: memref<37x128xf32>) {
  scf.forall (%i) = (0) to (128) step (64) {
    %wv = memref.subview %w[%i, 0] [64, 64] [1, 1] : memref<128x64xbf16, strided<[72, 1], offset: ?>> to memref<64x64xbf16, strided<[72, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [37, 64] [1, 1] : memref<37x128xf32> to memref<37x64xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<37x64xbf16, strided<[72, 1], offset: ?>>, memref<64x64xbf16, strided<[72, 1], offset: ?>>)
        outs(%cv : memref<37x64xf32, strided<[128, 1], offset: ?>>) {
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

func.func @reference(%a: memref<37x64xbf16, strided<[72, 1], offset: ?>>,
                     %w: memref<128x64xbf16, strided<[72, 1], offset: ?>>,
                     %c: memref<37x128xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<37x64xbf16, strided<[72, 1], offset: ?>>, memref<128x64xbf16, strided<[72, 1], offset: ?>>)
      outs(%c : memref<37x128xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xf = arith.extf %x : bf16 to f32
    %yf = arith.extf %y : bf16 to f32
    %p = arith.mulf %xf, %yf : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

func.func @staged_f32(%a: memref<37x64xf32, strided<[72, 1], offset: ?>>,
                  %w: memref<128x64xf32, strided<[72, 1], offset: ?>>,
                  %c: memref<37x128xf32>) {
  scf.forall (%i) = (0) to (128) step (64) {
    %wv = memref.subview %w[%i, 0] [64, 64] [1, 1] : memref<128x64xf32, strided<[72, 1], offset: ?>> to memref<64x64xf32, strided<[72, 1], offset: ?>>
    %cv = memref.subview %c[0, %i] [37, 64] [1, 1] : memref<37x128xf32> to memref<37x64xf32, strided<[128, 1], offset: ?>>
    linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
        ins(%a, %wv : memref<37x64xf32, strided<[72, 1], offset: ?>>, memref<64x64xf32, strided<[72, 1], offset: ?>>)
        outs(%cv : memref<37x64xf32, strided<[128, 1], offset: ?>>) {
    ^bb0(%x: f32, %y: f32, %acc: f32):
      %p = arith.mulf %x, %y : f32
      %s = arith.addf %acc, %p : f32
      linalg.yield %s : f32
    }
  } {mapping = [#gpu.warp<linear_dim_0>]}
  return
}

func.func @reference_f32(%a: memref<37x64xf32, strided<[72, 1], offset: ?>>,
                     %w: memref<128x64xf32, strided<[72, 1], offset: ?>>,
                     %c: memref<37x128xf32>) {
  linalg.generic {indexing_maps = [#mapA, #mapB, #mapC], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<37x64xf32, strided<[72, 1], offset: ?>>, memref<128x64xf32, strided<[72, 1], offset: ?>>)
      outs(%c : memref<37x128xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// buf[r][j] = (r * mul + j * (j + 3)) mod 9 - 4, exact in bf16: period 9
// along K (j * 3 alone repeated every 3 elements, so K tiles 48 elements
// apart were alike, and a K step reading the wrong stage went unseen).
func.func @fill(%buf: memref<?x72xbf16>, %mul: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c9 = arith.constant 9 : index
  %c72 = arith.constant 72 : index
  %c4 = arith.constant 4 : i64
  %rows = memref.dim %buf, %c0 : memref<?x72xbf16>
  scf.for %r = %c0 to %rows step %c1 {
    scf.for %j = %c0 to %c72 step %c1 {
      %rm = arith.muli %r, %mul : index
      %jp = arith.addi %j, %c3 : index
      %j3 = arith.muli %j, %jp : index
      %s = arith.addi %rm, %j3 : index
      %m = arith.remui %s, %c9 : index
      %i = arith.index_cast %m : index to i64
      %v = arith.subi %i, %c4 : i64
      %f = arith.sitofp %v : i64 to bf16
      memref.store %f, %buf[%r, %j] : memref<?x72xbf16>
    }
  }
  return
}

func.func @fill_f32(%buf: memref<?x72xf32>, %mul: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c9 = arith.constant 9 : index
  %c72 = arith.constant 72 : index
  %c4 = arith.constant 4 : i64
  %rows = memref.dim %buf, %c0 : memref<?x72xf32>
  scf.for %r = %c0 to %rows step %c1 {
    scf.for %j = %c0 to %c72 step %c1 {
      %rm = arith.muli %r, %mul : index
      %jp = arith.addi %j, %c3 : index
      %j3 = arith.muli %j, %jp : index
      %s = arith.addi %rm, %j3 : index
      %m = arith.remui %s, %c9 : index
      %i = arith.index_cast %m : index to i64
      %v = arith.subi %i, %c4 : i64
      %f = arith.sitofp %v : i64 to f32
      memref.store %f, %buf[%r, %j] : memref<?x72xf32>
    }
  }
  return
}

// C starts at 0.5 + (r + n) mod 3: the accumulation starts from it.
func.func @init(%c: memref<37x128xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c128 = arith.constant 128 : index
  %c37 = arith.constant 37 : index
  %half = arith.constant 0.5 : f32
  scf.for %r = %c0 to %c37 step %c1 {
    scf.for %n = %c0 to %c128 step %c1 {
      %s = arith.addi %r, %n : index
      %m = arith.remui %s, %c3 : index
      %i = arith.index_cast %m : index to i64
      %f = arith.sitofp %i : i64 to f32
      %v = arith.addf %f, %half : f32
      memref.store %v, %c[%r, %n] : memref<37x128xf32>
    }
  }
  return
}

// The cases of one element type whose result differs anywhere.
func.func @wrong(%got: memref<37x128xf32>, %want: memref<37x128xf32>) -> i64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c128 = arith.constant 128 : index
  %c37 = arith.constant 37 : index
  %c0_i64 = arith.constant 0 : i64
  %c1_i64 = arith.constant 1 : i64
  %diffs = scf.for %r = %c0 to %c37 step %c1 iter_args(%d = %c0_i64) -> (i64) {
    %row = scf.for %col = %c0 to %c128 step %c1 iter_args(%e = %d) -> (i64) {
      %x = memref.load %got[%r, %col] : memref<37x128xf32>
      %y = memref.load %want[%r, %col] : memref<37x128xf32>
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
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %c7 = arith.constant 7 : index
  %c0_i64 = arith.constant 0 : i64
  %c2_i64 = arith.constant 2 : i64
  %offsetsA = arith.constant dense<[0, 2, 8]> : vector<3xindex>
  %offsetsB = arith.constant dense<[0, 6]> : vector<2xindex>
  %abuf = memref.alloc() {alignment = 16 : i64} : memref<37x72xbf16>
  %wbuf = memref.alloc() {alignment = 16 : i64} : memref<128x72xbf16>
  %ad = memref.cast %abuf : memref<37x72xbf16> to memref<?x72xbf16>
  %wd = memref.cast %wbuf : memref<128x72xbf16> to memref<?x72xbf16>
  func.call @fill(%ad, %c7) : (memref<?x72xbf16>, index) -> ()
  func.call @fill(%wd, %c5) : (memref<?x72xbf16>, index) -> ()
  %afbuf = memref.alloc() {alignment = 16 : i64} : memref<37x72xf32>
  %wfbuf = memref.alloc() {alignment = 16 : i64} : memref<128x72xf32>
  %afd = memref.cast %afbuf : memref<37x72xf32> to memref<?x72xf32>
  %wfd = memref.cast %wfbuf : memref<128x72xf32> to memref<?x72xf32>
  func.call @fill_f32(%afd, %c7) : (memref<?x72xf32>, index) -> ()
  func.call @fill_f32(%wfd, %c5) : (memref<?x72xf32>, index) -> ()
  %got = memref.alloc() : memref<37x128xf32>
  %want = memref.alloc() : memref<37x128xf32>
  %result:2 = scf.for %ia = %c0 to %c3 step %c1 iter_args(%cases = %c0_i64, %wrong = %c0_i64) -> (i64, i64) {
    %offA = vector.extract %offsetsA[%ia] : index from vector<3xindex>
    %av = memref.subview %abuf[0, %offA] [37, 64] [1, 1] : memref<37x72xbf16> to memref<37x64xbf16, strided<[72, 1], offset: ?>>
    %afv = memref.subview %afbuf[0, %offA] [37, 64] [1, 1] : memref<37x72xf32> to memref<37x64xf32, strided<[72, 1], offset: ?>>
    %inner:2 = scf.for %ib = %c0 to %c2 step %c1 iter_args(%n = %cases, %bad = %wrong) -> (i64, i64) {
      %offB = vector.extract %offsetsB[%ib] : index from vector<2xindex>
      %wv = memref.subview %wbuf[0, %offB] [128, 64] [1, 1] : memref<128x72xbf16> to memref<128x64xbf16, strided<[72, 1], offset: ?>>
      %wfv = memref.subview %wfbuf[0, %offB] [128, 64] [1, 1] : memref<128x72xf32> to memref<128x64xf32, strided<[72, 1], offset: ?>>
      func.call @init(%got) : (memref<37x128xf32>) -> ()
      func.call @init(%want) : (memref<37x128xf32>) -> ()
      func.call @staged(%av, %wv, %got) : (memref<37x64xbf16, strided<[72, 1], offset: ?>>, memref<128x64xbf16, strided<[72, 1], offset: ?>>, memref<37x128xf32>) -> ()
      func.call @reference(%av, %wv, %want) : (memref<37x64xbf16, strided<[72, 1], offset: ?>>, memref<128x64xbf16, strided<[72, 1], offset: ?>>, memref<37x128xf32>) -> ()
      %bf16Wrong = func.call @wrong(%got, %want) : (memref<37x128xf32>, memref<37x128xf32>) -> i64
      func.call @init(%got) : (memref<37x128xf32>) -> ()
      func.call @init(%want) : (memref<37x128xf32>) -> ()
      func.call @staged_f32(%afv, %wfv, %got) : (memref<37x64xf32, strided<[72, 1], offset: ?>>, memref<128x64xf32, strided<[72, 1], offset: ?>>, memref<37x128xf32>) -> ()
      func.call @reference_f32(%afv, %wfv, %want) : (memref<37x64xf32, strided<[72, 1], offset: ?>>, memref<128x64xf32, strided<[72, 1], offset: ?>>, memref<37x128xf32>) -> ()
      %f32Wrong = func.call @wrong(%got, %want) : (memref<37x128xf32>, memref<37x128xf32>) -> i64
      %both = arith.addi %bf16Wrong, %f32Wrong : i64
      %bad2 = arith.addi %bad, %both : i64
      %n2 = arith.addi %n, %c2_i64 : i64
      scf.yield %n2, %bad2 : i64, i64
    }
    scf.yield %inner#0, %inner#1 : i64, i64
  }
  vector.print str "cases "
  vector.print %result#0 : i64
  vector.print str "wrong "
  vector.print %result#1 : i64
  memref.dealloc %abuf : memref<37x72xbf16>
  memref.dealloc %wbuf : memref<128x72xbf16>
  memref.dealloc %afbuf : memref<37x72xf32>
  memref.dealloc %wfbuf : memref<128x72xf32>
  memref.dealloc %got : memref<37x128xf32>
  memref.dealloc %want : memref<37x128xf32>
  return
}
