// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-thread-copies))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-thread-copies{bytes=8}))' %s | FileCheck %s --check-prefix=BYTES8
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-thread-copies{bytes=12}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR

// ERROR: error: hmoe-vectorize-thread-copies: bytes must be a power of two from 2 to 64, got 12

// The expert loop's gather, as hmoe-tile-for-gpu leaves it for one thread:
// rows of 32 bf16 of the tokens' rows of %x, at column 32 * tid.x. Each
// row reads its token once, tests both row addresses, and moves in four
// 16-byte steps (8 bf16) carrying their alignment; a misaligned row takes
// the element loop.
// CHECK-LABEL: func.func @gather
// CHECK-SAME: (%[[X:.*]]: memref<?x512xbf16>, %[[TOK:.*]]: memref<?xi32>,
// CHECK: scf.forall (%[[TY:.*]], %[[TX:.*]]) in (16, 16)
// CHECK: %[[ROWS:.*]] = memref.dim %[[DST:.*]], %c0
// CHECK: %{{.*}}, %[[DOFF:.*]], %{{.*}}:2, %[[DSTR:.*]]:2 = memref.extract_strided_metadata %[[DST]]
// CHECK: %[[DPTR:.*]] = memref.extract_aligned_pointer_as_index %[[DST]]
// CHECK: %{{.*}}, %[[XOFF:.*]], %{{.*}}:2, %[[XSTR:.*]]:2 = memref.extract_strided_metadata %[[X]]
// CHECK: %[[XPTR:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK: scf.for %[[R:.*]] = %c0 to %[[ROWS]] step %c1
// CHECK: %[[T:.*]] = memref.load %[[TOKS:.*]][%[[R]]]
// CHECK: %[[COL:.*]] = affine.apply #{{.*}}(%[[TX]])[%c0]
// CHECK: %[[ROW:.*]] = arith.index_cast %[[T]] : i32 to index
// CHECK: arith.muli %[[R]], %[[DSTR]]#0
// CHECK: arith.addi %[[DOFF]],
// CHECK: arith.addi %[[DPTR]],
// CHECK: arith.andi %{{.*}}, %c15
// CHECK: arith.muli %[[ROW]], %[[XSTR]]#0
// CHECK: arith.addi %[[XOFF]],
// CHECK: arith.muli %[[COL]], %[[XSTR]]#1
// CHECK: arith.addi %[[XPTR]],
// CHECK: arith.andi %{{.*}}, %c15
// CHECK: arith.ori
// CHECK: %[[OK:.*]] = arith.cmpi eq, %{{.*}}, %c0
// CHECK: scf.if %[[OK]]
// CHECK: scf.for %[[J:.*]] = %c0 to %c32 step %c8
// CHECK: %[[C:.*]] = arith.addi %[[COL]], %[[J]]
// CHECK: %[[V:.*]] = vector.load %[[X]][%[[ROW]], %[[C]]] {alignment = 16 : i64} : memref<?x512xbf16>, vector<8xbf16>
// CHECK: vector.store %[[V]], %[[DST]][%[[R]], %[[J]]] {alignment = 16 : i64}
// CHECK: } else {
// CHECK: scf.for %[[J:.*]] = %c0 to %c32 step %c1
// CHECK: %[[C:.*]] = arith.addi %[[COL]], %[[J]]
// CHECK: %[[E:.*]] = memref.load %[[X]][%[[ROW]], %[[C]]]
// CHECK: memref.store %[[E]], %[[DST]][%[[R]], %[[J]]]
// CHECK-NOT: linalg.generic
// BYTES8-LABEL: func.func @gather
// BYTES8: scf.for %{{.*}} = %c0 to %c32 step %c4
// BYTES8: vector.load {{.*}} {alignment = 8 : i64} : memref<?x512xbf16>, vector<4xbf16>
func.func @gather(%x: memref<?x512xbf16>, %tokens: memref<?xi32>, %n: index) {
  %scratch = memref.alloc(%n) : memref<?x512xbf16>
  scf.forall (%ty, %tx) in (16, 16) {
    %c = affine.apply affine_map<(d0) -> (d0 * 32)>(%tx)
    %toks = memref.subview %tokens[%ty] [%n] [1] : memref<?xi32> to memref<?xi32, strided<[1], offset: ?>>
    %dst = memref.subview %scratch[%ty, %c] [%n, 32] [1, 1] : memref<?x512xbf16> to memref<?x32xbf16, strided<[512, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%toks : memref<?xi32, strided<[1], offset: ?>>) outs(%dst : memref<?x32xbf16, strided<[512, 1], offset: ?>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %col = affine.apply affine_map<(d0)[s0] -> (d0 * 32 + s0)>(%tx)[%j]
      %row = arith.index_cast %in : i32 to index
      %v = memref.load %x[%row, %col] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
  } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  return
}

// -----

// The accumulators' zero fill: rows of 64 f32, 16 steps of 4.
// CHECK-LABEL: func.func @fill
// CHECK: %[[ZERO:.*]] = vector.broadcast %{{.*}} : f32 to vector<4xf32>
// CHECK: scf.for %[[R:.*]] =
// CHECK: scf.if
// CHECK: scf.for %[[J:.*]] = %c0 to %c64 step %c4
// CHECK: vector.store %[[ZERO]], %{{.*}}[%[[R]], %[[J]]] {alignment = 16 : i64} : memref<?x64xf32, strided<[1024, 1], offset: ?>>, vector<4xf32>
// CHECK: } else {
// CHECK: memref.store
// CHECK-NOT: linalg.fill
func.func @fill(%n: index) {
  %acc = memref.alloc(%n) : memref<?x1024xf32>
  %zero = arith.constant 0.0 : f32
  scf.forall (%ty, %tx) in (16, 16) {
    %c = affine.apply affine_map<(d0) -> (d0 * 64)>(%tx)
    %dst = memref.subview %acc[%ty, %c] [%n, 64] [1, 1] : memref<?x1024xf32> to memref<?x64xf32, strided<[1024, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%dst : memref<?x64xf32, strided<[1024, 1], offset: ?>>)
  } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  return
}

// -----

// A copy of one allocation's rows into another's.
// CHECK-LABEL: func.func @copy
// CHECK: scf.if
// CHECK: vector.load %{{.*}}[%[[R:.*]], %[[C:.*]]] {alignment = 16 : i64} : memref<?x16xf32, strided<[64, 1], offset: ?>>, vector<4xf32>
// CHECK: } else {
// CHECK-NOT: linalg.generic
func.func @copy(%n: index) {
  %a = memref.alloc(%n) : memref<?x64xf32>
  %b = memref.alloc(%n) : memref<?x64xf32>
  scf.forall (%t) in (4) {
    %c = affine.apply affine_map<(d0) -> (d0 * 16)>(%t)
    %src = memref.subview %a[0, %c] [%n, 16] [1, 1] : memref<?x64xf32> to memref<?x16xf32, strided<[64, 1], offset: ?>>
    %dst = memref.subview %b[0, %c] [%n, 16] [1, 1] : memref<?x64xf32> to memref<?x16xf32, strided<[64, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%src : memref<?x16xf32, strided<[64, 1], offset: ?>>) outs(%dst : memref<?x16xf32, strided<[64, 1], offset: ?>>) {
    ^bb0(%in: f32, %out: f32):
      linalg.yield %in : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Left as they are: not in a thread loop; a row of 20 bf16 (40 bytes, not
// whole 16-byte steps); a dynamic row length; a column read at 2 j (not
// contiguous); the column also used as a row; two function arguments
// (they may be one buffer); a body that computes on the element; a row's
// one element repeated (its column does not depend on j).
// CHECK-LABEL: func.func @left
// CHECK-NOT: vector.
// CHECK-COUNT-2: linalg.fill
// CHECK-COUNT-6: linalg.generic
// CHECK-NOT: vector.
func.func @left(%x: memref<?x512xbf16>, %y: memref<?x512xbf16>, %tokens: memref<?xi32>, %n: index, %m: index) {
  %scratch = memref.alloc(%n) : memref<?x512xbf16>
  %zero = arith.constant 0.0 : bf16
  %whole = memref.subview %scratch[0, 0] [%n, 32] [1, 1] : memref<?x512xbf16> to memref<?x32xbf16, strided<[512, 1]>>
  linalg.fill ins(%zero : bf16) outs(%whole : memref<?x32xbf16, strided<[512, 1]>>)
  scf.forall (%t) in (16) {
    %short = memref.subview %scratch[0, 0] [%n, 20] [1, 1] : memref<?x512xbf16> to memref<?x20xbf16, strided<[512, 1]>>
    linalg.fill ins(%zero : bf16) outs(%short : memref<?x20xbf16, strided<[512, 1]>>)
    %dyn = memref.subview %scratch[0, 0] [%n, %m] [1, 1] : memref<?x512xbf16> to memref<?x?xbf16, strided<[512, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%dyn : memref<?x?xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %row = arith.index_cast %in : i32 to index
      %v = memref.load %x[%row, %j] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%whole : memref<?x32xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %col = affine.apply affine_map<(d0) -> (d0 * 2)>(%j)
      %row = arith.index_cast %in : i32 to index
      %v = memref.load %x[%row, %col] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%whole : memref<?x32xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %v = memref.load %x[%j, %j] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
    %ys = memref.subview %y[0, 0] [%n, 32] [1, 1] : memref<?x512xbf16> to memref<?x32xbf16, strided<[512, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%ys : memref<?x32xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %row = arith.index_cast %in : i32 to index
      %v = memref.load %x[%row, %j] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%whole : memref<?x32xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %row = arith.index_cast %in : i32 to index
      %v = memref.load %x[%row, %j] : memref<?x512xbf16>
      %w = arith.addf %v, %v : bf16
      linalg.yield %w : bf16
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%whole : memref<?x32xbf16, strided<[512, 1]>>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %row = arith.index_cast %in : i32 to index
      %c3 = arith.constant 3 : index
      %v = memref.load %x[%row, %c3] : memref<?x512xbf16>
      linalg.yield %v : bf16
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Also left (found by review): a source the body makes (a view of a
// token's row); a copy whose body also writes elsewhere; a row index read
// from the destination, by the body or as an input (the rewrite reads
// each row's index once, before the row is written; the op reads it again
// for every element).
// CHECK-LABEL: func.func @left_reads
// CHECK-NOT: vector.
// CHECK-COUNT-4: linalg.generic
// CHECK-NOT: vector.
func.func @left_reads(%x: memref<?x512xbf16>, %tokens: memref<?xi32>, %log: memref<?x16xf32>, %n: index) {
  %scratch = memref.alloc(%n) : memref<?x32xbf16>
  %a = memref.alloc(%n) : memref<?x16xf32>
  %b = memref.alloc(%n) : memref<?x16xf32>
  %src = memref.alloc() : memref<8x8xi32>
  %dest = memref.alloc() : memref<1x8xi32>
  scf.forall (%t) in (16) {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : memref<?xi32>) outs(%scratch : memref<?x32xbf16>) {
    ^bb0(%in: i32, %out: bf16):
      %j = linalg.index 1 : index
      %row = arith.index_cast %in : i32 to index
      %sv = memref.subview %x[%row, 0] [1, 512] [1, 1] : memref<?x512xbf16> to memref<512xbf16, strided<[1], offset: ?>>
      %v = memref.load %sv[%j] : memref<512xbf16, strided<[1], offset: ?>>
      linalg.yield %v : bf16
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a : memref<?x16xf32>) outs(%b : memref<?x16xf32>) {
    ^bb0(%in: f32, %out: f32):
      %i = linalg.index 0 : index
      %j = linalg.index 1 : index
      memref.store %in, %log[%i, %j] : memref<?x16xf32>
      linalg.yield %in : f32
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%dest : memref<1x8xi32>) {
    ^bb0(%out: i32):
      %i = linalg.index 0 : index
      %j = linalg.index 1 : index
      %c5 = arith.constant 5 : index
      %k32 = memref.load %dest[%i, %c5] : memref<1x8xi32>
      %k = arith.index_cast %k32 : i32 to index
      %v = memref.load %src[%k, %j] : memref<8x8xi32>
      linalg.yield %v : i32
    }
    %col5 = memref.subview %dest[0, 5] [1, 1] [1, 1] : memref<1x8xi32> to memref<1xi32, strided<[8], offset: 5>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%col5 : memref<1xi32, strided<[8], offset: 5>>) outs(%dest : memref<1x8xi32>) {
    ^bb0(%in: i32, %out: i32):
      %j = linalg.index 1 : index
      %k = arith.index_cast %in : i32 to index
      %v = memref.load %src[%k, %j] : memref<8x8xi32>
      linalg.yield %v : i32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Element-wise ops over a thread's rows: each row in steps of 16 bytes of
// its widest operand (4 f32 in, 4 bf16 = 8 bytes out), the body once per
// element of the step; inputs read at row i once per row; the element
// loop as the fallback. In place (the destination read at (i, j)) too.
// CHECK-LABEL: func.func @elementwise
// CHECK: scf.for %[[R:.*]] =
// CHECK: %[[S:.*]] = memref.load %{{.*}}[%[[R]]] : memref<?xf32>
// CHECK: scf.if
// CHECK: scf.for %[[J:.*]] = %c0 to %c64 step %c4
// CHECK: %[[V:.*]] = vector.load %{{.*}}[%[[R]], %[[J]]] {alignment = 16 : i64} : memref<?x64xf32, strided<[1024, 1], offset: ?>>, vector<4xf32>
// CHECK: %[[E0:.*]] = vector.extract %[[V]][0]
// CHECK: %[[M0:.*]] = arith.mulf %[[E0]], %[[S]]
// CHECK: %[[T0:.*]] = arith.truncf %[[M0]]
// CHECK: vector.extract %[[V]][1]
// CHECK: vector.extract %[[V]][2]
// CHECK: vector.extract %[[V]][3]
// CHECK: %[[T3:.*]] = arith.truncf
// CHECK: %[[OUT:.*]] = vector.from_elements %[[T0]], %{{.*}}, %{{.*}}, %[[T3]] : vector<4xbf16>
// CHECK: vector.store %[[OUT]], %{{.*}}[%[[R]], %[[J]]] {alignment = 8 : i64} : memref<?x64xbf16, strided<[1024, 1], offset: ?>>, vector<4xbf16>
// CHECK: } else {
// CHECK: scf.for %[[J:.*]] = %c0 to %c64 step %c1
// CHECK: memref.load %{{.*}}[%[[R]], %[[J]]] : memref<?x64xf32
// CHECK: arith.mulf
// CHECK: memref.store
// CHECK-LABEL: func.func @in_place
// CHECK: scf.for %[[J:.*]] = %c0 to %c32 step %c4
// CHECK: %[[V:.*]] = vector.load %[[D:.*]][%{{.*}}, %[[J]]] {alignment = 16 : i64}
// CHECK: arith.addf
// CHECK: vector.store %{{.*}}, %[[D]][%{{.*}}, %[[J]]] {alignment = 16 : i64}
// CHECK-NOT: linalg.generic
func.func @elementwise(%n: index, %scale: memref<?xf32>) {
  %h = memref.alloc(%n) : memref<?x1024xf32>
  %o = memref.alloc(%n) : memref<?x1024xbf16>
  scf.forall (%ty, %tx) in (16, 16) {
    %c = affine.apply affine_map<(d0) -> (d0 * 64)>(%tx)
    %in = memref.subview %h[0, %c] [%n, 64] [1, 1] : memref<?x1024xf32> to memref<?x64xf32, strided<[1024, 1], offset: ?>>
    %out = memref.subview %o[0, %c] [%n, 64] [1, 1] : memref<?x1024xbf16> to memref<?x64xbf16, strided<[1024, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%in, %scale : memref<?x64xf32, strided<[1024, 1], offset: ?>>, memref<?xf32>) outs(%out : memref<?x64xbf16, strided<[1024, 1], offset: ?>>) {
    ^bb0(%x: f32, %s: f32, %y: bf16):
      %m = arith.mulf %x, %s : f32
      %t = arith.truncf %m : f32 to bf16
      linalg.yield %t : bf16
    }
  } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  return
}
func.func @in_place(%n: index) {
  %h = memref.alloc(%n) : memref<?x512xf32>
  scf.forall (%t) in (16) {
    %c = affine.apply affine_map<(d0) -> (d0 * 32)>(%t)
    %rows = memref.subview %h[0, %c] [%n, 32] [1, 1] : memref<?x512xf32> to memref<?x32xf32, strided<[512, 1], offset: ?>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%rows : memref<?x32xf32, strided<[512, 1], offset: ?>>) {
    ^bb0(%y: f32):
      %d = arith.addf %y, %y : f32
      linalg.yield %d : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// Element-wise ops left alone: an input that is another view of the
// destination (a row read after the step before wrote it); an input read
// transposed (at (j, i)); a body that reads memory; a warp shuffle (the
// body would run on both sides of a branch lanes may take differently);
// no columns (the op reads nothing, not even its row inputs).
// CHECK-LABEL: func.func @elementwise_left
// CHECK-NOT: vector.
// CHECK-COUNT-5: linalg.generic
// CHECK-NOT: vector.
func.func @elementwise_left(%n: index, %table: memref<?xf32>) {
  %h = memref.alloc(%n) : memref<?x512xf32>
  %g = memref.alloc() : memref<512x512xf32>
  scf.forall (%t) in (16) {
    %a = memref.subview %h[0, 0] [%n, 32] [1, 1] : memref<?x512xf32> to memref<?x32xf32, strided<[512, 1]>>
    %b = memref.subview %h[0, 1] [%n, 32] [1, 1] : memref<?x512xf32> to memref<?x32xf32, strided<[512, 1], offset: 1>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%b : memref<?x32xf32, strided<[512, 1], offset: 1>>) outs(%a : memref<?x32xf32, strided<[512, 1]>>) {
    ^bb0(%x: f32, %y: f32):
      %d = arith.addf %x, %x : f32
      linalg.yield %d : f32
    }
    %gt = memref.subview %g[0, 0] [32, %n] [1, 1] : memref<512x512xf32> to memref<32x?xf32, strided<[512, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%gt : memref<32x?xf32, strided<[512, 1]>>) outs(%a : memref<?x32xf32, strided<[512, 1]>>) {
    ^bb0(%x: f32, %y: f32):
      %d = arith.addf %x, %x : f32
      linalg.yield %d : f32
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%a : memref<?x32xf32, strided<[512, 1]>>) {
    ^bb0(%y: f32):
      %j = linalg.index 1 : index
      %v = memref.load %table[%j] : memref<?xf32>
      %d = arith.addf %y, %v : f32
      linalg.yield %d : f32
    }
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%a : memref<?x32xf32, strided<[512, 1]>>) {
    ^bb0(%y: f32):
      %c1_i32 = arith.constant 1 : i32
      %c32_i32 = arith.constant 32 : i32
      %s, %ok = gpu.shuffle xor %y, %c1_i32, %c32_i32 : f32
      linalg.yield %s : f32
    }
    %none = memref.subview %h[0, 0] [%n, 0] [1, 1] : memref<?x512xf32> to memref<?x0xf32, strided<[512, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%table : memref<?xf32>) outs(%none : memref<?x0xf32, strided<[512, 1]>>) {
    ^bb0(%x: f32, %y: f32):
      linalg.yield %x : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}

// -----

// An input the body does not use is neither loaded nor tested: the f64
// one here would halve the step to 2 elements.
// CHECK-LABEL: func.func @unused_input
// CHECK: scf.forall
// CHECK-NOT: xf64
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c4
// CHECK-NOT: xf64
// CHECK: vector.load %{{.*}} : memref<?x32xf32, strided<[512, 1]>>, vector<4xf32>
// CHECK-NOT: xf64
// CHECK: } {mapping
func.func @unused_input(%n: index) {
  %h = memref.alloc(%n) : memref<?x512xf32>
  %wide = memref.alloc(%n) : memref<?x32xf64>
  %o = memref.alloc(%n) : memref<?x32xf32>
  scf.forall (%t) in (16) {
    %a = memref.subview %h[0, 0] [%n, 32] [1, 1] : memref<?x512xf32> to memref<?x32xf32, strided<[512, 1]>>
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%a, %wide : memref<?x32xf32, strided<[512, 1]>>, memref<?x32xf64>) outs(%o : memref<?x32xf32>) {
    ^bb0(%x: f32, %unused: f64, %y: f32):
      %d = arith.addf %x, %x : f32
      linalg.yield %d : f32
    }
  } {mapping = [#gpu.thread<linear_dim_0>]}
  return
}
