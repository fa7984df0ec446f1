// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-column-loops))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-column-loops{bytes=8}))' %s | FileCheck %s --check-prefix=BYTES8
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-column-loops{bytes=12}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR
// ERROR: hmoe-vectorize-column-loops: bytes must be a power of two from 2 to 64, got 12

// A thread's group of 4 adjacent combine columns (as hmoe-tile-for-gpu's
// cyclic-group-bytes=16 deals them out, after convert-linalg-to-loops):
// each column sums the token's 2 choices of expert rows, a dropped slot
// (< 0) skipped. The column offset x (%col) and the token's row are
// hoisted before the group's loop; behind a test that the rows, the
// output and x are aligned to 4 f32, the body runs once: the slot indices
// and weights loaded once, each expert row's 4 columns one 16-byte vector
// load, the sums vectors, one vector store; the old loop where not.
// CHECK-LABEL: func.func @combine_group
// CHECK-SAME: (%[[ROWS:.*]]: memref<?x64xf32>, %[[SLOTS:.*]]: memref<?x2xi32>, %[[W:.*]]: memref<?x2xf32>, %[[I1:.*]]: index, %[[LANE:.*]]: index, %[[T:.*]]: index)
// CHECK: %[[OUT:.*]] = memref.alloc
// CHECK: arith.muli %[[I1]]
// CHECK: arith.addi %{{.*}}, %[[LANE]]
// CHECK: %[[COL:.*]] = arith.muli
// CHECK: %[[P:.*]] = memref.extract_aligned_pointer_as_index %[[ROWS]]
// CHECK: arith.andi %{{.*}}, %[[C15:.*]] : index
// CHECK: %[[X:.*]] = arith.addi %{{.*}}, %[[COL]] : index
// CHECK: %[[XB:.*]] = arith.muli %[[X]], %{{.*}} : index
// CHECK: arith.andi %[[XB]], %[[C15]]
// CHECK: memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK: %[[OK:.*]] = arith.cmpi eq
// CHECK: scf.if %[[OK]] {
// CHECK:   %[[AT0:.*]] = arith.addi %[[COL]], %{{.*}} : index
// CHECK:   %[[SUM:.*]] = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (vector<4xf32>) {
// CHECK:     %[[SLOT:.*]] = memref.load %[[SLOTS]]
// CHECK:     %[[WT:.*]] = memref.load %[[W]]
// CHECK:     %[[KEPT:.*]] = arith.cmpi sge, %[[SLOT]]
// CHECK:     scf.if %[[KEPT]] -> (vector<4xf32>) {
// CHECK:       %[[ROW:.*]] = arith.index_cast %[[SLOT]]
// CHECK:       %[[V:.*]] = vector.load %[[ROWS]][%[[ROW]], %[[AT0]]] {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// CHECK:       %[[WV:.*]] = vector.broadcast %[[WT]] : f32 to vector<4xf32>
// CHECK:       %[[PROD:.*]] = arith.mulf %[[WV]], %[[V]] : vector<4xf32>
// CHECK:       arith.addf %[[ACC]], %[[PROD]] : vector<4xf32>
// CHECK:     } else {
// CHECK:       scf.yield %[[ACC]] : vector<4xf32>
// CHECK:   vector.store %[[SUM]], %[[OUT]][%[[T]], %[[AT0]]] {alignment = 16 : i64} : memref<?x64xf32>, vector<4xf32>
// CHECK: } else {
// CHECK:   scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK:     %[[AT:.*]] = arith.addi %[[COL]], %[[C]]
// CHECK:     memref.load %[[ROWS]][%{{.*}}, %[[AT]]] : memref<?x64xf32>
// CHECK:     memref.store %{{.*}}, %[[OUT]][%[[T]], %[[AT]]] : memref<?x64xf32>
// CHECK-NOT: vector.
// CHECK: return
// BYTES8-LABEL: func.func @combine_group
// BYTES8-NOT: vector.load
// BYTES8: return
func.func @combine_group(%rows: memref<?x64xf32>, %slots: memref<?x2xi32>,
                         %w: memref<?x2xf32>, %i1: index, %lane: index,
                         %t: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c0_i32 = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %slots, %c0 : memref<?x2xi32>
  %out = memref.alloc(%n) {alignment = 64 : i64} : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %g = arith.muli %i1, %c16 : index
    %g1 = arith.addi %g, %lane : index
    %col0 = arith.muli %g1, %c4 : index
    %col = arith.addi %col0, %c : index
    %sum = scf.for %j = %c0 to %c2 step %c1 iter_args(%acc = %zero) -> (f32) {
      %slot = memref.load %slots[%t, %j] : memref<?x2xi32>
      %wt = memref.load %w[%t, %j] : memref<?x2xf32>
      %kept = arith.cmpi sge, %slot, %c0_i32 : i32
      %next = scf.if %kept -> (f32) {
        %row = arith.index_cast %slot : i32 to index
        %v = memref.load %rows[%row, %col] : memref<?x64xf32>
        %p = arith.mulf %wt, %v : f32
        %s = arith.addf %acc, %p : f32
        scf.yield %s : f32
      } else {
        scf.yield %acc : f32
      }
      scf.yield %next : f32
    }
    memref.store %sum, %out[%t, %col] : memref<?x64xf32>
  }
  return %out : memref<?x64xf32>
}

// -----

// 8 f16 a group (16 bytes): vectors of 8; a value the same for every
// column (a fill) is stored broadcast.
// CHECK-LABEL: func.func @half_fill
// CHECK: scf.if
// CHECK: %[[V:.*]] = vector.load %{{.*}} {alignment = 16 : i64} : memref<?x64xf16>, vector<8xf16>
// CHECK: %[[S:.*]] = arith.addf %[[V]], %{{.*}} : vector<8xf16>
// CHECK: vector.store %[[S]], %{{.*}} {alignment = 16 : i64} : memref<?x64xf16>, vector<8xf16>
// CHECK: %[[B:.*]] = vector.broadcast %{{.*}} : f16 to vector<8xf16>
// CHECK: vector.store %[[B]], %{{.*}} {alignment = 16 : i64} : memref<?x64xf16>, vector<8xf16>
// CHECK: } else {
// BYTES8-LABEL: func.func @half_fill
// BYTES8-NOT: vector.
// BYTES8: return
func.func @half_fill(%x: memref<?x64xf16>, %r: index, %col0: index) -> (memref<?x64xf16>, memref<?x64xf16>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f16
  %n = memref.dim %x, %c0 : memref<?x64xf16>
  %y = memref.alloc(%n) : memref<?x64xf16>
  %z = memref.alloc(%n) : memref<?x64xf16>
  scf.for %c = %c0 to %c8 step %c1 {
    %col = arith.addi %c, %col0 : index
    %v = memref.load %x[%r, %col] : memref<?x64xf16>
    %s = arith.addf %v, %one : f16
    memref.store %s, %y[%r, %col] : memref<?x64xf16>
    memref.store %one, %z[%r, %c] : memref<?x64xf16>
  }
  return %y, %z : memref<?x64xf16>, memref<?x64xf16>
}

// -----

// Left alone: the loop stores to a buffer it may read (two function
// arguments may be one buffer: the vector version would read every column
// before storing any).
// CHECK-LABEL: func.func @may_alias
// CHECK-NOT: vector.
// CHECK: return
func.func @may_alias(%x: memref<?x64xf32>, %y: memref<?x64xf32>, %r: index, %col0: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %x[%r, %col] : memref<?x64xf32>
    memref.store %v, %y[%r, %col] : memref<?x64xf32>
  }
  return
}

// -----

// Left alone, each for its own reason: the column used other than as a
// load's or store's last index (here in arithmetic), a branch on a value
// that differs between columns, a column along a strided dimension, a
// dynamic trip count, a store in a nested loop, 3 steps (not a power of
// two: the vectors' alignment would not be one), two stores to one buffer
// (their order across steps would change), an unsigned nested loop, a
// copy between a thread's own arrays (allocas: registers, after
// hmoe-thread-arrays-to-registers).
// CHECK-LABEL: func.func @column_in_arithmetic
// CHECK-NOT: vector.
// CHECK: return
func.func @column_in_arithmetic(%x: memref<?x64xf32>, %r: index, %col0: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %i = arith.index_cast %c : index to i32
    %f = arith.sitofp %i : i32 to f32
    memref.store %f, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @branch_on_column_value
// CHECK-NOT: vector.
// CHECK: return
func.func @branch_on_column_value(%x: memref<?x64xf32>, %r: index, %col0: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %x[%r, %col] : memref<?x64xf32>
    %pos = arith.cmpf ogt, %v, %zero : f32
    %w = scf.if %pos -> (f32) {
      scf.yield %v : f32
    } else {
      scf.yield %zero : f32
    }
    memref.store %w, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @strided_column
// CHECK-NOT: vector.
// CHECK: return
func.func @strided_column(%s: memref<64x?xf32>, %r: index, %col0: index, %n: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %y = memref.alloc(%n) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %s[%col, %r] : memref<64x?xf32>
    memref.store %v, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @dynamic_trips
// CHECK-NOT: vector.
// CHECK: return
func.func @dynamic_trips(%x: memref<?x64xf32>, %r: index, %col0: index, %n: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %n step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %x[%r, %col] : memref<?x64xf32>
    memref.store %v, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @nested_store
// CHECK-NOT: vector.
// CHECK: return
func.func @nested_store(%x: memref<?x64xf32>, %col0: index, %n: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    scf.for %i = %c0 to %n step %c1 {
      %v = memref.load %x[%i, %col] : memref<?x64xf32>
      memref.store %v, %y[%i, %col] : memref<?x64xf32>
    }
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @three_steps
// CHECK-NOT: vector.
// CHECK: return
func.func @three_steps(%x: memref<?x64xf32>, %r: index, %col0: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c3 step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %x[%r, %col] : memref<?x64xf32>
    memref.store %v, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @two_stores_one_buffer
// CHECK-NOT: vector.
// CHECK: return
func.func @two_stores_one_buffer(%x: memref<?x64xf32>, %r: index, %col0: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %v = memref.load %x[%r, %col] : memref<?x64xf32>
    memref.store %v, %y[%r, %col] : memref<?x64xf32>
    memref.store %v, %y[%c0, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @unsigned_inner_loop
// CHECK-NOT: vector.
// CHECK: return
func.func @unsigned_inner_loop(%x: memref<?x64xf32>, %r: index, %col0: index, %n: index) -> memref<?x64xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %zero = arith.constant 0.0 : f32
  %rows = memref.dim %x, %c0 : memref<?x64xf32>
  %y = memref.alloc(%rows) : memref<?x64xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %sum = scf.for unsigned %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
      %v = memref.load %x[%i, %col] : memref<?x64xf32>
      %s = arith.addf %acc, %v : f32
      scf.yield %s : f32
    }
    memref.store %sum, %y[%r, %col] : memref<?x64xf32>
  }
  return %y : memref<?x64xf32>
}

// CHECK-LABEL: func.func @thread_arrays
// CHECK-NOT: vector.
// CHECK: return
func.func @thread_arrays(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %probs = memref.alloca() : memref<4xf32>
  %keys = memref.alloca() : memref<4xf32>
  memref.copy %x, %probs : memref<4xf32> to memref<4xf32>
  scf.for %c = %c0 to %c4 step %c1 {
    %v = memref.load %probs[%c] : memref<4xf32>
    memref.store %v, %keys[%c] : memref<4xf32>
  }
  %r = memref.load %keys[%c1] : memref<4xf32>
  return %r : f32
}
