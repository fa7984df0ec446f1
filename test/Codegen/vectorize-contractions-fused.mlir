// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=4 rows-per-task=16}))' --split-input-file %s | FileCheck %s
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=4 rows-per-task=16 fuse-neighbours=false}))' --split-input-file %s | FileCheck %s --check-prefix=OFF
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=4 rows-per-task=16 k-block=16}))' --split-input-file %s | FileCheck %s --check-prefix=KBLOCK
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=2 vector-width=8 rows-per-task=16 bf16-dot}))' --split-input-file %s | FileCheck %s --check-prefix=BF16
// RUN: hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-contractions{packed-rows=4 vector-width=4 rows-per-task=16}))' --split-input-file %s | FileCheck %s --check-prefix=REM

#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>

// An activation in place right after the contraction (into a buffer of the
// function's own: two arguments might alias) runs on each 2 x 8
// output tile of the packed kernel once its last K chunk is stored (a copy
// of the generic on views of the tile), and on all of c after the
// inner-product tile; the original is gone.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME: (%[[A:.*]]: memref<?x64xf32>, %[[W:.*]]: memref<16x64xf32>, %[[BIAS:.*]]: memref<16xf32>)
// CHECK: %[[C:.*]] = memref.alloc
// CHECK: scf.if
// CHECK:   scf.for %[[ROW:.*]] =
// CHECK:     scf.for %[[PANEL:.*]] =
// CHECK:       %[[ACC:.*]]:4 = scf.for
// CHECK-COUNT-4: vector.store %[[ACC]]#{{[0-3]}}, %[[C]]
// CHECK:       %[[COL:.*]] = arith.muli %[[PANEL]], %{{.*}} : index
// CHECK:       %[[B:.*]] = memref.subview %[[BIAS]][%[[COL]]] [8] [1]
// CHECK:       %[[TILE:.*]] = memref.subview %[[C]][%[[ROW]], %[[COL]]] [2, 8] [1, 1]
// CHECK:       linalg.generic {{.*}} ins(%[[B]] : memref<8xf32, strided<[1], offset: ?>>) outs(%[[TILE]] : memref<2x8xf32, strided<[16, 1], offset: ?>>)
// CHECK:         math.tanh
// CHECK:   scf.for %[[ROW1:.*]] =
// CHECK:     scf.for %[[PANEL1:.*]] =
// CHECK-COUNT-2: vector.store %{{.*}}, %[[C]]
// CHECK:       %[[COL1:.*]] = arith.muli %[[PANEL1]], %{{.*}} : index
// CHECK:       memref.subview %[[BIAS]][%[[COL1]]] [8] [1]
// CHECK:       memref.subview %[[C]][%[[ROW1]], %[[COL1]]] [1, 8] [1, 1]
// CHECK: } else {
// CHECK:   scf.parallel
// CHECK:   linalg.generic {{.*}} ins(%[[BIAS]] : memref<16xf32>) outs(%[[C]] : memref<?x16xf32>)
// CHECK: }
// CHECK-NOT: linalg.generic
// CHECK: return
// With 4-row tiles, the last rows' tile of 4 (3 rows left) runs the
// epilogue on the rows that count: a view of `rem` rows, not 4.
// REM-LABEL: func.func @in_place
// REM: scf.for %{{.*}} = %{{.*}} to %[[FULL:.*]] step %c4{{(_[0-9]+)?}} {
// REM: scf.for %[[ROW:.*]] = %[[FULL]] to %[[END:.*]] step %c4{{(_[0-9]+)?}} {
// REM:   %[[REM:.*]] = arith.subi %[[END]], %[[ROW]] : index
// REM:   memref.subview %{{.*}}[%[[ROW]], %{{.*}}] [1, 8] [1, 1]
// REM:   memref.subview %{{.*}}[%[[ROW]], %{{.*}}] [2, 8] [1, 1]
// REM:   %[[TILE:.*]] = memref.subview %{{.*}}[%[[ROW]], %{{.*}}] [%[[REM]], 8] [1, 1]
// REM:   linalg.generic {{.*}} outs(%[[TILE]] : memref<?x8xf32, strided<[16, 1], offset: ?>>)
// REM: } else {
// With K in chunks of 16, the epilogue runs in the last chunk's nest only.
// KBLOCK-LABEL: func.func @in_place
// KBLOCK-NOT: [2, 8] [1, 1]
// KBLOCK: scf.for %{{.*}} = %c48{{(_[0-9]+)?}} to %c64
// KBLOCK: [2, 8] [1, 1]
// KBLOCK-NOT: [2, 8] [1, 1]
// KBLOCK: } else {
// OFF-LABEL: func.func @in_place
// OFF-NOT: [2, 8] [1, 1]
// OFF: linalg.generic {{.*}} ins(%{{.*}} : memref<16xf32>) outs(%{{.*}} : memref<?x16xf32>)
// OFF-NOT: linalg.generic
// OFF: return
func.func @in_place(%a: memref<?x64xf32>, %w: memref<16x64xf32>,
                    %bias: memref<16xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  %out = memref.alloc(%n) : memref<?x16xf32>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#col, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%bias : memref<16xf32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%b: f32, %v: f32):
    %s = arith.addf %v, %b : f32
    %t = math.tanh %s : f32
    linalg.yield %t : f32
  }
  return %out : memref<?x16xf32>
}

// -----

// SwiGLU's product: read c, write another buffer of the function's own
// (not a or w, which other tasks still read).
// CHECK-LABEL: func.func @out_of_place
// CHECK: %[[GATE:.*]] = memref.alloc
// CHECK: scf.if
// CHECK:   %[[CT:.*]] = memref.subview %[[C:.*]][%{{.*}}, %{{.*}}] [2, 8] [1, 1]
// CHECK:   %[[GT:.*]] = memref.subview %[[GATE]][%{{.*}}, %{{.*}}] [2, 8] [1, 1]
// CHECK:   linalg.generic {{.*}} ins(%[[CT]] : {{.*}}) outs(%[[GT]] : {{.*}})
// CHECK: } else {
// CHECK:   linalg.generic {{.*}} outs(%[[GATE]] : memref<?x16xf32>)
// CHECK: }
// CHECK-NOT: linalg.generic
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
func.func @out_of_place(%a: memref<?x64xf32>, %w: memref<16x64xf32>,
                        %up: memref<?x16xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  %gate = memref.alloc(%n) : memref<?x16xf32>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%up : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%up : memref<?x16xf32>) outs(%gate : memref<?x16xf32>) {
  ^bb0(%u: f32, %g: f32):
    %p = arith.mulf %u, %g : f32
    linalg.yield %p : f32
  }
  return %gate : memref<?x16xf32>
}

// -----

// Left as they are (one generic after the packed choice each): an epilogue
// that reads the tile's position (linalg.index), one that writes a view of
// the buffer the contraction reads as a, one that reads c transposed (a
// map), one that does not read c at all, one that reads c through a
// memref.transpose (a view whose base the pass cannot see), one that reads
// a view of the buffer it writes, one with a store between.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: [2, 8] [1, 1]
// CHECK-NOT: [1, 8] [1, 1]
// CHECK: return
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#id = affine_map<(i, j) -> (i, j)>
#col = affine_map<(i, j) -> (j)>
#t = affine_map<(i, j) -> (j, i)>
func.func @not_fused(%a: memref<?x64xf32>, %w: memref<16x64xf32>,
                     %out: memref<?x16xf32>, %sq: memref<16x16xf32>,
                     %a2: memref<?x16xf32>, %scalar: memref<f32>) {
  %cst = arith.constant 1.0 : f32
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id],
                  iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<?x16xf32>) {
  ^bb0(%v: f32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %jf = arith.sitofp %ji : i32 to f32
    %s = arith.addf %v, %jf : f32
    linalg.yield %s : f32
  }
  %c0 = arith.constant 0 : index
  %n = memref.dim %a, %c0 : memref<?x64xf32>
  %own = memref.alloc(%n) : memref<?x64xf32>
  %ownview = memref.subview %own[0, 0] [%n, 16] [1, 1] : memref<?x64xf32> to memref<?x16xf32, strided<[64, 1]>>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%own, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%out : memref<?x16xf32>) outs(%ownview : memref<?x16xf32, strided<[64, 1]>>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  %sqa = memref.cast %sq : memref<16x16xf32> to memref<?x16xf32>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%sqa : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#t],
                  iterator_types = ["parallel", "parallel"]}
      outs(%sq : memref<16x16xf32>) {
  ^bb0(%v: f32):
    %s = arith.addf %v, %cst : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%a2 : memref<?x16xf32>) outs(%out : memref<?x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %own2 = memref.alloc(%n) : memref<?x16xf32>
  %sqt = memref.transpose %sq (i, j) -> (j, i) : memref<16x16xf32> to memref<16x16xf32, strided<[1, 16]>>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%sqa : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%sqa, %sqt : memref<?x16xf32>, memref<16x16xf32, strided<[1, 16]>>)
      outs(%own2 : memref<?x16xf32>) {
  ^bb0(%v: f32, %t: f32, %o: f32):
    %s = arith.addf %v, %t : f32
    linalg.yield %s : f32
  }
  %gate = memref.alloc(%n) : memref<?x16xf32>
  %row0 = memref.subview %gate[0, 0] [1, 16] [1, 1] : memref<?x16xf32> to memref<16xf32, strided<[1]>>
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #col, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%out, %row0 : memref<?x16xf32>, memref<16xf32, strided<[1]>>)
      outs(%gate : memref<?x16xf32>) {
  ^bb0(%v: f32, %r: f32, %o: f32):
    %s = arith.addf %v, %r : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  memref.store %cst, %scalar[] : memref<f32>
  linalg.generic {indexing_maps = [#id],
                  iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<?x16xf32>) {
  ^bb0(%v: f32):
    %s = arith.addf %v, %cst : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// a gathered from x by token (an expert's rows) and read by the contraction
// alone: the packed kernel loads each tile row's token and reads x's row
// itself; the inner-product branch runs the gather first.
// CHECK-LABEL: func.func @gathered
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[TOK:.*]]: memref<?xi32>, %[[W:.*]]: memref<16x64xf32>)
// CHECK: %[[A:.*]] = memref.alloc
// CHECK-NOT: linalg.generic
// CHECK: scf.if
// CHECK:   scf.for %[[ROW:.*]] =
// CHECK:     scf.for
// CHECK:       %[[T0:.*]] = memref.load %[[TOK]][%[[ROW]]] : memref<?xi32>
// CHECK:       %[[R0:.*]] = arith.index_cast %[[T0]] : i32 to index
// CHECK:       scf.for %[[K:[a-z0-9_]+]] =
// CHECK:         memref.load %[[X]][%[[R0]], %[[K]]] : memref<?x64xf32>
// CHECK-NOT: memref.load %[[A]]
// CHECK: } else {
// CHECK:   linalg.generic {{.*}} ins(%[[TOK]] : memref<?xi32>) outs(%[[A]] : memref<?x64xf32>)
// CHECK:   scf.parallel
// CHECK:     vector.load %[[A]]
// The last rows' 4-row tile reads its fourth row's token clamped to the
// last row that counts (past it lies the next expert's token, or nothing).
// REM-LABEL: func.func @gathered
// REM: %[[CLAMPED:.*]] = arith.minui
// REM: memref.load %{{.*}}[%[[CLAMPED]]] : memref<?xi32>
// OFF-LABEL: func.func @gathered
// OFF: linalg.generic {{.*}} ins(%{{.*}} : memref<?xi32>)
// OFF: scf.if
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#id = affine_map<(i, j) -> (i, j)>
func.func @gathered(%x: memref<?x64xf32>, %tokens: memref<?xi32>,
                    %w: memref<16x64xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %tokens, %c0 : memref<?xi32>
  %a = memref.alloc(%n) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%a : memref<?x64xf32>) {
  ^bb0(%in: i32, %o: f32):
    %j = linalg.index 1 : index
    %t = arith.index_cast %in : i32 to index
    %v = memref.load %x[%t, %j] : memref<?x64xf32>
    linalg.yield %v : f32
  }
  %out = memref.alloc(%n) : memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  memref.dealloc %a : memref<?x64xf32>
  return %out : memref<?x16xf32>
}

// -----

// Gathers kept: one whose rows another op reads too (SwiGLU's two
// projections of one expert read the same gathered rows), one that scales
// what it gathers: no kernel loads a token.
// CHECK-LABEL: func.func @gathers_kept
// CHECK-NOT: memref.load {{.*}} : memref<?xi32>
// CHECK: return
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#id = affine_map<(i, j) -> (i, j)>
func.func @gathers_kept(%x: memref<?x64xf32>, %tokens: memref<?xi32>,
                        %w: memref<16x64xf32>, %out: memref<?x16xf32>,
                        %out2: memref<?x16xf32>) {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  %n = memref.dim %tokens, %c0 : memref<?xi32>
  %a = memref.alloc(%n) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%a : memref<?x64xf32>) {
  ^bb0(%in: i32, %o: f32):
    %j = linalg.index 1 : index
    %t = arith.index_cast %in : i32 to index
    %v = memref.load %x[%t, %j] : memref<?x64xf32>
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out2 : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %b = memref.alloc(%n) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%b : memref<?x64xf32>) {
  ^bb0(%in: i32, %o: f32):
    %j = linalg.index 1 : index
    %t = arith.index_cast %in : i32 to index
    %v = memref.load %x[%t, %j] : memref<?x64xf32>
    %s = arith.mulf %v, %two : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%b, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// Both at once, with i64 tokens: the kernel reads x by token and runs the
// activation on each finished tile; neither generic is left outside the
// inner-product branch.
// CHECK-LABEL: func.func @gathered_and_activated
// CHECK-SAME: (%[[X:.*]]: memref<?x64xf32>, %[[TOK:.*]]: memref<?xi64>,
// CHECK: %[[A:.*]] = memref.alloc
// CHECK: %[[C:.*]] = memref.alloc
// CHECK-NOT: linalg.generic
// CHECK: scf.if
// CHECK:   %[[T0:.*]] = memref.load %[[TOK]][%{{.*}}] : memref<?xi64>
// CHECK:   %[[R0:.*]] = arith.index_cast %[[T0]] : i64 to index
// CHECK:   memref.load %[[X]][%[[R0]], %{{.*}}] : memref<?x64xf32>
// CHECK:   %[[TILE:.*]] = memref.subview %[[C]][%{{.*}}, %{{.*}}] [2, 8] [1, 1]
// CHECK:   linalg.generic {{.*}} outs(%[[TILE]] :
// CHECK:     math.tanh
// CHECK: } else {
// CHECK:   linalg.generic {{.*}} ins(%[[TOK]] : memref<?xi64>) outs(%[[A]] : memref<?x64xf32>)
// CHECK:   scf.parallel
// CHECK:   linalg.generic {{.*}} outs(%[[C]] : memref<?x16xf32>)
// CHECK: }
// CHECK-NOT: linalg.generic
// CHECK: return
// BF16-LABEL: func.func @gathered_and_activated
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#id = affine_map<(i, j) -> (i, j)>
func.func @gathered_and_activated(%x: memref<?x64xf32>, %tokens: memref<?xi64>,
                                  %w: memref<16x64xf32>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %tokens, %c0 : memref<?xi64>
  %a = memref.alloc(%n) : memref<?x64xf32>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi64>) outs(%a : memref<?x64xf32>) {
  ^bb0(%in: i64, %o: f32):
    %j = linalg.index 1 : index
    %t = arith.index_cast %in : i64 to index
    %v = memref.load %x[%t, %j] : memref<?x64xf32>
    linalg.yield %v : f32
  }
  %out = memref.alloc(%n) : memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xf32>, memref<16x64xf32>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id],
                  iterator_types = ["parallel", "parallel"]}
      outs(%out : memref<?x16xf32>) {
  ^bb0(%v: f32):
    %t = math.tanh %v : f32
    linalg.yield %t : f32
  }
  memref.dealloc %a : memref<?x64xf32>
  return %out : memref<?x16xf32>
}

// -----

// bf16 with dot products: the kernel loads each row's pair of K elements
// straight from x's row of the token.
// BF16-LABEL: func.func @gathered_bf16
// BF16-SAME: (%[[X:.*]]: memref<?x64xbf16>, %[[TOK:.*]]: memref<?xi32>,
// BF16: scf.if
// BF16:   %[[T0:.*]] = memref.load %[[TOK]][%{{.*}}] : memref<?xi32>
// BF16:   %[[R0:.*]] = arith.index_cast %[[T0]] : i32 to index
// BF16:   vector.load %[[X]][%[[R0]], %{{.*}}] : memref<?x64xbf16>, vector<2xbf16>
// BF16:   x86vector.avx512.dot
// BF16: } else {
// BF16:   linalg.generic {{.*}} ins(%[[TOK]] : memref<?xi32>)
#a = affine_map<(i, j, k) -> (i, k)>
#w = affine_map<(i, j, k) -> (j, k)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j) -> (i)>
#id = affine_map<(i, j) -> (i, j)>
func.func @gathered_bf16(%x: memref<?x64xbf16>, %tokens: memref<?xi32>,
                         %w: memref<16x64xbf16>) -> memref<?x16xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %tokens, %c0 : memref<?xi32>
  %a = memref.alloc(%n) : memref<?x64xbf16>
  linalg.generic {indexing_maps = [#row, #id],
                  iterator_types = ["parallel", "parallel"]}
      ins(%tokens : memref<?xi32>) outs(%a : memref<?x64xbf16>) {
  ^bb0(%in: i32, %o: bf16):
    %j = linalg.index 1 : index
    %t = arith.index_cast %in : i32 to index
    %v = memref.load %x[%t, %j] : memref<?x64xbf16>
    linalg.yield %v : bf16
  }
  %out = memref.alloc(%n) : memref<?x16xf32>
  linalg.fill ins(%zero : f32) outs(%out : memref<?x16xf32>)
  linalg.generic {indexing_maps = [#a, #w, #c],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : memref<?x64xbf16>, memref<16x64xbf16>)
      outs(%out : memref<?x16xf32>) {
  ^bb0(%p: bf16, %q: bf16, %acc: f32):
    %pe = arith.extf %p : bf16 to f32
    %qe = arith.extf %q : bf16 to f32
    %m = arith.mulf %pe, %qe : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  memref.dealloc %a : memref<?x64xbf16>
  return %out : memref<?x16xf32>
}
