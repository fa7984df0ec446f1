// DEFINE: %{lower} = --scf-forall-to-parallel --convert-linalg-to-loops --lower-affine --expand-strided-metadata --lower-affine --convert-scf-to-cf --convert-vector-to-llvm --finalize-memref-to-llvm --convert-arith-to-llvm --convert-index-to-llvm --convert-func-to-llvm --convert-cf-to-llvm --reconcile-unrealized-casts
// RUN: mlir-opt %s %{lower} | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils > %t.want
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=64 stages=2 emulate}))' | mlir-opt %{lower} | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils > %t.two64
// RUN: diff %t.want %t.two64
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-stage-thread-contractions{k-tile-bytes=32 stages=2 emulate}))' | mlir-opt %{lower} | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils > %t.two32
// RUN: diff %t.want %t.two32
// RUN: FileCheck %s --check-prefix=ROWS --input-file=%t.want

// Two stages (a review's case), rows not all 16-byte aligned: x's bf16 rows
// are 132 elements apart (264 bytes), so the odd rows' chunks start 8 bytes
// off a 16-byte boundary and take the element-by-element copy, the even
// rows' the vector one (cp.async on the GPU). 45 token rows, K = 128, f32
// gate rows: the staged loop prints the same 45 x 64 sums as the loop left
// alone. Small integers: the sums are exact.
// ROWS-COUNT-2880: {{^[0-9]+$}}
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d1, d2)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
#rows = affine_map<(d0)[s0] -> (-d0 + s0, 16)>
#trow = affine_map<(d0) -> (d0 * 2)>
#trows = affine_map<(d0)[s0] -> (-(d0 * 2) + s0, 2)>
#nonneg = affine_map<(d0) -> (0, d0)>
#id2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @mixed(%x: memref<?x128xbf16, strided<[132, 1], offset: ?>>, %g: memref<64x128xf32>, %s: memref<?x64xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.dim %x, %c0 : memref<?x128xbf16, strided<[132, 1], offset: ?>>
  scf.forall (%blk) = (0) to (%t) step (16) {
    %n = affine.min #rows(%blk)[%t]
    %xs = memref.subview %x[%blk, 0] [%n, 128] [1, 1] : memref<?x128xbf16, strided<[132, 1], offset: ?>> to memref<?x128xbf16, strided<[132, 1], offset: ?>>
    %ss = memref.subview %s[%blk, 0] [%n, 64] [1, 1] : memref<?x64xf32> to memref<?x64xf32, strided<[64, 1], offset: ?>>
    scf.forall (%i, %j) in (8, 32) {
      %r0 = affine.apply #trow(%i)
      %rm = affine.min #trows(%i)[%n]
      %rn = affine.max #nonneg(%rm)
      %c0j = affine.apply #trow(%j)
      %ar = memref.subview %xs[%r0, 0] [%rn, 128] [1, 1] : memref<?x128xbf16, strided<[132, 1], offset: ?>> to memref<?x128xbf16, strided<[132, 1], offset: ?>>
      %br = memref.subview %g[%c0j, 0] [2, 128] [1, 1] : memref<64x128xf32> to memref<2x128xf32, strided<[128, 1], offset: ?>>
      %cr = memref.subview %ss[%r0, %c0j] [%rn, 2] [1, 1] : memref<?x64xf32, strided<[64, 1], offset: ?>> to memref<?x2xf32, strided<[64, 1], offset: ?>>
      linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%ar, %br : memref<?x128xbf16, strided<[132, 1], offset: ?>>, memref<2x128xf32, strided<[128, 1], offset: ?>>) outs(%cr : memref<?x2xf32, strided<[64, 1], offset: ?>>) {
      ^bb0(%in: bf16, %w: f32, %acc: f32):
        %e = arith.extf %in : bf16 to f32
        %p = arith.mulf %e, %w : f32
        %q = arith.addf %acc, %p : f32
        linalg.yield %q : f32
      }
    } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
  } {mapping = [#gpu.block<x>]}
  return
}
func.func @main() {
  %c0 = arith.constant 0 : index
  %T = arith.constant 45 : index
  %zero = arith.constant 0.0 : f32
  %xfull = memref.alloc(%T) : memref<?x132xbf16>
  %x = memref.subview %xfull[0, %c0] [%T, 128] [1, 1] : memref<?x132xbf16> to memref<?x128xbf16, strided<[132, 1], offset: ?>>
  %g = memref.alloc() : memref<64x128xf32>
  %s = memref.alloc(%T) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%x : memref<?x128xbf16, strided<[132, 1], offset: ?>>) {
  ^bb0(%o: bf16):
    %r = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c7 = arith.constant 7 : index
    %c13 = arith.constant 13 : index
    %a = arith.muli %r, %c7 : index
    %b = arith.addi %a, %k : index
    %m = arith.remui %b, %c13 : index
    %i = arith.index_cast %m : index to i32
    %f = arith.sitofp %i : i32 to bf16
    linalg.yield %f : bf16
  }
  linalg.generic {indexing_maps = [#id2], iterator_types = ["parallel", "parallel"]} outs(%g : memref<64x128xf32>) {
  ^bb0(%o: f32):
    %r = linalg.index 0 : index
    %k = linalg.index 1 : index
    %c5 = arith.constant 5 : index
    %c11 = arith.constant 11 : index
    %a = arith.muli %k, %c5 : index
    %b = arith.addi %a, %r : index
    %m = arith.remui %b, %c11 : index
    %i = arith.index_cast %m : index to i32
    %f = arith.sitofp %i : i32 to f32
    linalg.yield %f : f32
  }
  linalg.fill ins(%zero : f32) outs(%s : memref<?x64xf32>)
  call @mixed(%x, %g, %s) : (memref<?x128xbf16, strided<[132, 1], offset: ?>>, memref<64x128xf32>, memref<?x64xf32>) -> ()
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %r = %c0 to %T step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %v = memref.load %s[%r, %k] : memref<?x64xf32>
      vector.print %v : f32
    }
  }
  return
}
