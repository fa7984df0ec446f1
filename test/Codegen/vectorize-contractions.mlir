// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions))' --split-input-file %s | FileCheck %s --implicit-check-not=memref.prefetch
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{tile-rows=2 tile-cols=2 vector-width=4}))' --split-input-file %s | FileCheck %s --check-prefix=SMALL
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{k-block=32}))' --split-input-file %s | FileCheck %s --check-prefix=KBLOCK
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{bf16-dot}))' --split-input-file %s | FileCheck %s --check-prefix=BF16
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{prefetch-tiles=2}))' --split-input-file %s | FileCheck %s --check-prefix=PREFETCH

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// c[i, j] += a[i, k] * w[j, k]: parallel tasks over (row block, column
// block), column tiles of 3 then 1, row tiles of 4 then the rest (see
// @remainder_rows), a K loop of 8-lane FMAs into 12 accumulators. Their
// lane sums are taken 8 then 4 at a time (row-major: rows 0-1 and 2 of row
// 2's columns, then the rest): pairs of vectors add upper halves to lower
// halves (8 -> 4 -> 2 -> 1 lanes each), the sums are put in order and
// stored row by row.
// CHECK-LABEL: func.func @gemm
// CHECK-NOT: linalg.generic
// CHECK: scf.parallel
// CHECK:   scf.for
// CHECK:     scf.for
// CHECK:       %[[ACC:.*]]:12 = scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK-COUNT-4: vector.load %arg0
// CHECK-COUNT-3: vector.load %arg1
// CHECK-COUNT-12: vector.fma
// CHECK:       scf.yield
// CHECK:       %[[LO:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [0, 1, 2, 3, 8, 9, 10, 11]
// CHECK-NEXT:  %[[HI:.*]] = vector.shuffle %[[ACC]]#0, %[[ACC]]#1 [4, 5, 6, 7, 12, 13, 14, 15]
// CHECK-NEXT:  %[[S01:.*]] = arith.addf %[[LO]], %[[HI]] : vector<8xf32>
// CHECK:       %[[S23:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:       %[[LO2:.*]] = vector.shuffle %[[S01]], %[[S23]] [0, 1, 8, 9, 4, 5, 12, 13]
// CHECK-NEXT:  %[[HI2:.*]] = vector.shuffle %[[S01]], %[[S23]] [2, 3, 10, 11, 6, 7, 14, 15]
// CHECK-NEXT:  %[[S0123:.*]] = arith.addf %[[LO2]], %[[HI2]] : vector<8xf32>
// CHECK:       %[[S4567:.*]] = arith.addf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK:       %[[LO3:.*]] = vector.shuffle %[[S0123]], %[[S4567]] [0, 8, 2, 10, 4, 12, 6, 14]
// CHECK-NEXT:  %[[HI3:.*]] = vector.shuffle %[[S0123]], %[[S4567]] [1, 9, 3, 11, 5, 13, 7, 15]
// CHECK-NEXT:  %[[SUMS:.*]] = arith.addf %[[LO3]], %[[HI3]] : vector<8xf32>
// CHECK-NEXT:  %[[ORDERED:.*]] = vector.shuffle %[[SUMS]], %[[SUMS]] [0, 4, 2, 6, 1, 5, 3, 7]
// CHECK-NEXT:  %[[ROW0:.*]] = vector.shuffle %[[ORDERED]], %[[ORDERED]] [0, 1, 2]
// CHECK-NEXT:  %[[OLD:.*]] = vector.load %arg2[%[[R:.*]], %[[C:.*]]] : memref<?x10xf32>, vector<3xf32>
// CHECK-NEXT:  %[[NEW:.*]] = arith.addf %[[OLD]], %[[ROW0]] : vector<3xf32>
// CHECK-NEXT:  vector.store %[[NEW]], %arg2[%[[R]], %[[C]]] : memref<?x10xf32>, vector<3xf32>
// CHECK:       vector.shuffle %[[ORDERED]], %[[ORDERED]] [3, 4, 5]
// CHECK:       vector.shuffle %[[ORDERED]], %[[ORDERED]] [6, 7]
// CHECK:       vector.shuffle %[[ACC]]#8, %[[ACC]]#9 [0, 1, 2, 3, 8, 9, 10, 11]
// CHECK-NOT: vector.reduction
// With prefetch-tiles=2 (none by default: --implicit-check-not), each K step also prefetches, into L2 (locality 2),
// the w rows two column tiles (6 rows) on, clamped to w's last row (9);
// 1-column tiles 2 rows on.
// PREFETCH-LABEL: func.func @gemm
// PREFETCH:       %[[A0:.*]] = arith.addi %{{.*}}, %c6{{(_[0-9]+)?}} : index
// PREFETCH:       %[[P0:.*]] = arith.minui %[[A0]], %c9{{(_[0-9]+)?}} : index
// PREFETCH:       %[[A1:.*]] = arith.addi %{{.*}}, %c6{{(_[0-9]+)?}} : index
// PREFETCH:       %[[P1:.*]] = arith.minui %[[A1]], %c9{{(_[0-9]+)?}} : index
// PREFETCH:       %[[A2:.*]] = arith.addi %{{.*}}, %c6{{(_[0-9]+)?}} : index
// PREFETCH:       %[[P2:.*]] = arith.minui %[[A2]], %c9{{(_[0-9]+)?}} : index
// PREFETCH:       scf.for %[[K:.*]] = {{.*}} iter_args
// PREFETCH-COUNT-3: vector.load %arg1
// PREFETCH-NEXT:    memref.prefetch %arg1[%[[P0]], %[[K]]], read, locality<2>, data : memref<10x64xf32>
// PREFETCH-NEXT:    memref.prefetch %arg1[%[[P1]], %[[K]]], read, locality<2>, data : memref<10x64xf32>
// PREFETCH-NEXT:    memref.prefetch %arg1[%[[P2]], %[[K]]], read, locality<2>, data : memref<10x64xf32>
// PREFETCH-COUNT-12: vector.fma
// PREFETCH:       %[[P3:.*]] = arith.minui %{{.*}}, %c9{{(_[0-9]+)?}} : index
// PREFETCH:       scf.for %[[K1:.*]] = {{.*}} iter_args
// PREFETCH:         vector.load %arg1
// PREFETCH-NEXT:    memref.prefetch %arg1[%[[P3]], %[[K1]]], read, locality<2>, data
// KBLOCK-LABEL: func.func @gemm
// KBLOCK: scf.for %{{.*}} = %c0{{[_0-9]*}} to %c32{{[_0-9]*}} step %c8{{[_0-9]*}} iter_args
// KBLOCK: scf.for %{{.*}} = %c32{{[_0-9]*}} to %c64{{[_0-9]*}} step %c8{{[_0-9]*}} iter_args
// SMALL-LABEL: func.func @gemm
// SMALL: scf.for {{.*}} -> (vector<4xf32>, vector<4xf32>, vector<4xf32>, vector<4xf32>)
// SMALL-COUNT-4: vector.fma
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

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// A zero fill of c right before the contraction is dropped: the first K
// chunk stores its sums, later chunks add to c.
// CHECK-LABEL: func.func @zero_filled
// CHECK-NOT: linalg.fill
// CHECK: %[[ROW:.*]] = vector.shuffle %[[SUMS:.*]], %[[SUMS]] [0, 1, 2]
// CHECK-NOT: vector.load %arg2
// CHECK: vector.store %[[ROW]], %arg2
// KBLOCK-LABEL: func.func @zero_filled
// KBLOCK-NOT: linalg.fill
// KBLOCK: scf.for {{.*}} = %c0{{[_0-9]*}} to %c32{{[_0-9]*}} step
// KBLOCK: %[[FIRST:.*]] = vector.shuffle %{{.*}} [0, 1, 2]
// KBLOCK-NEXT: vector.store %[[FIRST]], %arg2
// KBLOCK-NOT: vector.load %arg2
// KBLOCK: scf.for {{.*}} = %c32{{[_0-9]*}} to %c64{{[_0-9]*}} step
// KBLOCK: %[[NEXT:.*]] = vector.shuffle %{{.*}} [0, 1, 2]
// KBLOCK-NEXT: %[[OLD:.*]] = vector.load %arg2
// KBLOCK-NEXT: %[[ADD:.*]] = arith.addf %[[OLD]], %[[NEXT]]
// KBLOCK-NEXT: vector.store %[[ADD]], %arg2
func.func @zero_filled(%a: memref<?x64xf32>, %w: memref<3x64xf32>,
                       %out: memref<?x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x3xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<3x64xf32>)
      outs(%out : memref<?x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// Ops without memory effects (here the expert's weight view) may stand
// between the fill and the contraction; a store to c may not.
// CHECK-LABEL: func.func @zero_filled_then_view
// CHECK-NOT: linalg.fill
// CHECK: %[[ROW:.*]] = vector.shuffle %[[SUMS:.*]], %[[SUMS]] [0, 1, 2]
// CHECK-NOT: vector.load %arg2
// CHECK: vector.store %[[ROW]], %arg2
// CHECK-LABEL: func.func @zero_filled_then_store
// CHECK: linalg.fill
// CHECK: %[[ROW:.*]] = vector.shuffle %[[SUMS:.*]], %[[SUMS]] [0, 1, 2]
// CHECK-NEXT: vector.load %arg2
func.func @zero_filled_then_view(%a: memref<?x64xf32>, %ws: memref<2x3x64xf32>,
                                 %out: memref<?x3xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x3xf32>)
  %w = memref.subview %ws[1, 0, 0] [1, 3, 64] [1, 1, 1]
      : memref<2x3x64xf32> to memref<3x64xf32, strided<[64, 1], offset: 192>>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<3x64xf32, strided<[64, 1], offset: 192>>)
      outs(%out : memref<?x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @zero_filled_then_store(%a: memref<?x64xf32>, %w: memref<3x64xf32>,
                                  %out: memref<?x3xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %c0 = arith.constant 0 : index
  linalg.fill ins(%zero : f32) outs(%out : memref<?x3xf32>)
  memref.store %one, %out[%c0, %c0] : memref<?x3xf32>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<3x64xf32>)
      outs(%out : memref<?x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// A strided weight slice (an expert's rows) with unit inner stride is taken.
// CHECK-LABEL: func.func @expert_slice
// CHECK: vector.fma
// CHECK-NOT: linalg.generic
func.func @expert_slice(%a: memref<?x16xf32>,
                        %w: memref<8x16xf32, strided<[16, 1], offset: ?>>,
                        %out: memref<?x8xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x16xf32>, memref<8x16xf32, strided<[16, 1], offset: ?>>)
      outs(%out : memref<?x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %y, %x : f32
    %s = arith.addf %m, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#wt = affine_map<(i, j, k) -> (k, j)>

// Left to the loop lowering: K not a multiple of the vector width, squared
// differences (the direct distance form), a transposed weight map, a
// non-unit inner stride, and tensors (before bufferization).
// CHECK-LABEL: func.func @not_taken
// CHECK-NOT: vector.
// CHECK-COUNT-5: linalg.generic
func.func @not_taken(%a: memref<?x12xf32>, %w: memref<4x12xf32>,
                     %out: memref<?x4xf32>, %a16: memref<?x16xf32>,
                     %w16: memref<4x16xf32>, %wt: memref<16x4xf32>,
                     %ws: memref<4x16xf32, strided<[32, 2]>>,
                     %t: tensor<?x16xf32>, %tw: tensor<4x16xf32>,
                     %tout: tensor<?x4xf32>) -> tensor<?x4xf32> {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x12xf32>, memref<4x12xf32>)
      outs(%out : memref<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a16, %w16 : memref<?x16xf32>, memref<4x16xf32>)
      outs(%out : memref<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %d = arith.subf %x, %y : f32
    %m = arith.mulf %d, %d : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #wt, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a16, %wt : memref<?x16xf32>, memref<16x4xf32>)
      outs(%out : memref<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a16, %ws : memref<?x16xf32>, memref<4x16xf32, strided<[32, 2]>>)
      outs(%out : memref<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %r = linalg.generic {indexing_maps = [#a, #w, #c],
                       iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%t, %tw : tensor<?x16xf32>, tensor<4x16xf32>)
      outs(%tout : tensor<?x4xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  } -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}

// -----

// Matched by the contraction interface, not by the loop order hmoe's
// lowering happens to use: the same contraction with k as the outer loop
// dimension, and with the operands of the multiply swapped.
#ka = affine_map<(k, i, j) -> (i, k)>
#kw = affine_map<(k, i, j) -> (j, k)>
#kc = affine_map<(k, i, j) -> (i, j)>
// CHECK-LABEL: func.func @k_outermost
// CHECK-NOT: linalg.generic
// CHECK: vector.fma
func.func @k_outermost(%a: memref<?x64xf32>, %w: memref<10x64xf32>,
                       %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#ka, #kw, #kc],
                  iterator_types = ["reduction", "parallel", "parallel"]}
      ins(%a, %w : memref<?x64xf32>, memref<10x64xf32>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %y, %x : f32
    %s = arith.addf %m, %acc : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// bf16 x bf16 into f32. With bf16-dot: AVX-512 BF16 dot products, 2 K
// elements per f32 lane (a K step of 2 x 8 = 16), raw bf16 loads. Without:
// bf16 loads extended to f32 lanes and FMAs. A bf16 x f32 contraction (the
// gate GEMM of a bf16 layer against f32 centred rows) is extended too.
// BF16-LABEL: func.func @bf16
// BF16: scf.for {{.*}} step %c16{{.*}} -> (vector<8xf32>,
// BF16-COUNT-4: vector.load %arg0{{.*}} : memref<?x64xbf16>, vector<16xbf16>
// BF16-COUNT-3: vector.load %arg1{{.*}} : memref<10x64xbf16>, vector<16xbf16>
// BF16-COUNT-12: x86vector.avx512.dot {{.*}} : vector<16xbf16> -> vector<8xf32>
// BF16-LABEL: func.func @mixed
// BF16-NOT: x86vector
// BF16: arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// BF16: vector.fma
// CHECK-LABEL: func.func @bf16
// CHECK: scf.for {{.*}} step %c8{{.*}} -> (vector<8xf32>,
// CHECK-COUNT-4: arith.extf {{.*}} : vector<8xbf16> to vector<8xf32>
// CHECK-NOT: x86vector
// CHECK: vector.fma
func.func @bf16(%a: memref<?x64xbf16>, %w: memref<10x64xbf16>,
                %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xbf16>, memref<10x64xbf16>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: bf16, %y: bf16, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %ye = arith.extf %y : bf16 to f32
    %m = arith.mulf %xe, %ye : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
func.func @mixed(%a: memref<?x64xbf16>, %w: memref<10x64xf32>,
                 %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xbf16>, memref<10x64xf32>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: bf16, %y: f32, %acc: f32):
    %xe = arith.extf %x : bf16 to f32
    %m = arith.mulf %xe, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// A cast that is not an extension (a negation) is not a contraction the
// kernel computes: left to the loops.
// CHECK-LABEL: func.func @negated
// CHECK-NOT: vector.
// CHECK: linalg.generic
func.func @negated(%a: memref<?x64xf32>, %w: memref<10x64xf32>,
                   %out: memref<?x10xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<10x64xf32>)
      outs(%out : memref<?x10xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %n = arith.negf %x : f32
    %m = arith.mulf %n, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>

// The rows after the last whole 4-row tile (1 to 3: all of an expert's rows
// at decode sizes) take one pass over w: a loop of at most one iteration
// (its row an induction variable, which LLVM keeps out of the K loop's
// addresses), then a tile of 1, 2 or 4 rows by their count. With 3, the
// 4-row tile's row 3 reads row 2 again (the minimum of its index and the
// last row's) and is not stored.
// CHECK-LABEL: func.func @remainder_rows
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[FULL:.*]] step %c4
// CHECK: scf.for %[[ROW:.*]] = %[[FULL]] to %[[END:.*]] step %c4
// CHECK-NEXT: %[[REM:.*]] = arith.subi %[[END]], %[[ROW]] : index
// CHECK: arith.cmpi ule, %[[REM]], %c1
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: } else {
// CHECK: arith.cmpi ule, %[[REM]], %c2
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: } else {
// CHECK: %[[PAST:.*]] = arith.addi %[[ROW]], %[[REM]] : index
// CHECK: %[[LAST:.*]] = arith.subi %[[PAST]], %c1
// CHECK: %[[ROW3:.*]] = arith.addi %[[ROW]], %c3
// CHECK-NEXT: %[[AT3:.*]] = arith.minui %[[ROW3]], %[[LAST]] : index
// CHECK: scf.for {{.*}} -> (vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>) {
// CHECK: vector.load %arg0[%[[AT3]],
// CHECK: %[[COUNTS:.*]] = arith.cmpi ult, %c3{{.*}}, %[[REM]] : index
// CHECK-NEXT: scf.if %[[COUNTS]] {
// CHECK-NEXT: vector.load %arg2[%[[AT3]],
// CHECK-NEXT: arith.addf
// CHECK-NEXT: vector.store {{.*}}, %arg2[%[[AT3]],
func.func @remainder_rows(%a: memref<?x16xf32>, %w: memref<3x16xf32>,
                          %out: memref<?x3xf32>) {
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x16xf32>, memref<3x16xf32>)
      outs(%out : memref<?x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
