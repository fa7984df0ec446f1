// RUN: hmoe-opt --split-input-file --hmoe-promote-loop-accumulators='jam=4 row-jam=4' --cse %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --hmoe-promote-loop-accumulators='jam=4' --cse %s | FileCheck %s --check-prefix=COLUMNS

// A thread's share of a GEMM tile (hmoe-tile-for-gpu{thread-rows=4}): up
// to 4 rows, fewer in the last tile, as ceil(rows / 4) clamped. When it has
// 4, a copy with constant bounds runs with the rows jammed too: 16
// accumulators, 4 loads of A and 4 of B per K step; else the loop as it
// was (its columns jammed).
// CHECK-LABEL: func.func @thread_rows
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[COUNT:.*]], %c4 : index
// CHECK: scf.if %[[FULL]] {
// CHECK:   scf.for %[[N:.*]] = %c0 to %c16 step %c4 {
// CHECK-COUNT-16: memref.load %[[C:.*]][%{{.*}}, %{{.*}}] : memref<16x16xf32>
// CHECK:     %[[R:.*]]:16 = scf.for %[[K:.*]] = %c0 to %c64 step %c1 iter_args(
// CHECK-COUNT-8: memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<16x64xf32>
// CHECK-NOT: memref.load
// CHECK:       scf.yield
// CHECK-COUNT-16: memref.store %[[R]]#{{[0-9]+}}, %[[C]]
// CHECK: } else {
// CHECK:   scf.for %{{.*}} = %c0 to %[[COUNT]] step %c1 {
// CHECK:     scf.for %{{.*}} = %c0 to %c16 step %c4 {
// CHECK:       scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// COLUMNS-LABEL: func.func @thread_rows
// COLUMNS-NOT: scf.if
// COLUMNS: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
func.func @thread_rows(%A: memref<16x64xf32>, %B: memref<16x64xf32>,
                       %r: index, %ty: index) -> memref<16x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %C = memref.alloc() : memref<16x16xf32>
  %rows = arith.minsi %r, %c16 : index
  %n = affine.min affine_map<(d0)[s0] -> (-(d0 * (s0 ceildiv 4)) + s0, s0 ceildiv 4)>(%ty)[%rows]
  %count = affine.max affine_map<(d0) -> (0, d0)>(%n)
  scf.for %i = %c0 to %count step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %j] : memref<16x16xf32>
        %a = memref.load %A[%i, %k] : memref<16x64xf32>
        %b = memref.load %B[%j, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<16x16xf32>
      }
    }
  }
  return %C : memref<16x16xf32>
}

// -----

// Constant row and column counts (two of each): jammed with no branch, and
// both jams leave no loop around the K loop.
// CHECK-LABEL: func.func @static_rows
// CHECK-NOT: scf.if
// CHECK-COUNT-4: memref.load %[[C:.*]][%{{.*}}, %{{.*}}] : memref<2x2xf32>
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
func.func @static_rows(%A: memref<2x64xf32>, %B: memref<2x64xf32>)
    -> memref<2x2xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c64 = arith.constant 64 : index
  %C = memref.alloc() : memref<2x2xf32>
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c2 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %j] : memref<2x2xf32>
        %a = memref.load %A[%i, %k] : memref<2x64xf32>
        %b = memref.load %B[%j, %k] : memref<2x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<2x2xf32>
      }
    }
  }
  return %C : memref<2x2xf32>
}

// -----

// Not jammed by rows: a row count with no constant bound; a bound (3) that
// is not a power of two; a row loop that also writes row 0 of the
// accumulators (another row's elements); accumulators through a view whose
// rows overlap (stride 1 over 16 columns of stride 1).
// CHECK-LABEL: func.func @rows_not_jammed
// CHECK-NOT: scf.if
// CHECK-NOT: -> (f32, f32, f32, f32, f32
// CHECK: return
func.func @rows_not_jammed(%A: memref<16x64xf32>, %B: memref<16x64xf32>,
                           %r: index) -> memref<16x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %C = memref.alloc() : memref<16x16xf32>
  scf.for %i = %c0 to %r step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %j] : memref<16x16xf32>
        %a = memref.load %A[%i, %k] : memref<16x64xf32>
        %b = memref.load %B[%j, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<16x16xf32>
      }
    }
  }
  %three = arith.minsi %r, %c3 : index
  %count = arith.maxsi %three, %c0 : index
  scf.for %i = %c0 to %count step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %j] : memref<16x16xf32>
        %a = memref.load %A[%i, %k] : memref<16x64xf32>
        %b = memref.load %B[%j, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<16x16xf32>
      }
    }
  }
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %j] : memref<16x16xf32>
        %a = memref.load %A[%i, %k] : memref<16x64xf32>
        %b = memref.load %B[%j, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<16x16xf32>
      }
      memref.store %zero, %C[%c0, %j] : memref<16x16xf32>
    }
  }
  %O = memref.alloc() : memref<64xf32>
  %V = memref.reinterpret_cast %O to offset: [0], sizes: [4, 16], strides: [1, 1]
      : memref<64xf32> to memref<4x16xf32, strided<[1, 1]>>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %V[%i, %j] : memref<4x16xf32, strided<[1, 1]>>
        %a = memref.load %A[%i, %k] : memref<16x64xf32>
        %b = memref.load %B[%j, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %V[%i, %j] : memref<4x16xf32, strided<[1, 1]>>
      }
    }
  }
  return %C : memref<16x16xf32>
}

// -----

// The accumulators' allocation read under another name (a transpose, which
// is not a view op): neither loop is jammed, since a later row's or
// column's read of C[0, 0] would then run before an earlier one's store.
// CHECK-LABEL: func.func @alias_not_jammed
// CHECK-NOT: scf.if
// CHECK-NOT: -> (f32, f32
// CHECK: return
func.func @alias_not_jammed(%A: memref<4x2xf32>) -> memref<4x4xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %C = memref.alloc() : memref<4x4xf32>
  %D = memref.alloc() : memref<4x4xf32>
  %T = memref.transpose %C (i, j) -> (j, i)
      : memref<4x4xf32> to memref<4x4xf32, strided<[1, 4]>>
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %x = memref.load %T[%c0, %c0] : memref<4x4xf32, strided<[1, 4]>>
      scf.for %k = %c0 to %c2 step %c1 {
        %c = memref.load %C[%i, %j] : memref<4x4xf32>
        %a = memref.load %A[%i, %k] : memref<4x2xf32>
        %s = arith.addf %c, %a : f32
        memref.store %s, %C[%i, %j] : memref<4x4xf32>
      }
      memref.store %x, %D[%i, %j] : memref<4x4xf32>
    }
  }
  return %D : memref<4x4xf32>
}
