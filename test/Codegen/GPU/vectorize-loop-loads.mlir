// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-loop-loads))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --pass-pipeline='builtin.module(func.func(hmoe-vectorize-loop-loads{bytes=8}))' %s | FileCheck %s --check-prefix=BYTES8
// RUN: not hmoe-opt --pass-pipeline='builtin.module(func.func(hmoe-vectorize-loop-loads{bytes=12}))' %s 2>&1 | FileCheck %s --check-prefix=ERROR

// ERROR: hmoe-vectorize-loop-loads: bytes must be a power of two from 2 to 64, got 12

// A thread's jammed K loop (one row of A, two of B; A loaded twice, B's
// second row index computed in the body): each row read once per 4 steps
// as an aligned vector<4xf32>, the body run 4 times on its elements in
// order, the steps past the last whole vector by the old body; the old
// loop where a row is not aligned.

// CHECK-LABEL: func.func @jammed_rows(
// CHECK-SAME: %[[A:[^:]+]]: memref<?x256xf32, strided<[256, 1], offset: ?>>, %[[B:[^:]+]]: memref<4x256xf32, strided<[256, 1], offset: ?>>, %[[N:[^:]+]]: index, %[[INIT:[^:]+]]: f32)
// CHECK: %[[TRIPS:.+]] = arith.maxsi
// CHECK: %[[WHOLE:.+]] = arith.andi %[[TRIPS]], %c-4
// CHECK: %[[VUB:.+]] = arith.addi %{{.+}}, %[[WHOLE]]
// CHECK: %[[SOME:.+]] = arith.cmpi slt, %{{.+}}, %[[VUB]]
// CHECK: %[[ALIGNED:.+]] = scf.if %[[SOME]] -> (i1) {
// CHECK:   %[[TROW1:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK:   %{{.+}} = memref.extract_aligned_pointer_as_index %[[A]]
// CHECK:   arith.andi %{{.+}}, %c15{{.*}} : index
// CHECK:   %{{.+}} = memref.extract_aligned_pointer_as_index %[[B]]
// CHECK:   arith.andi
// CHECK:   arith.muli %[[TROW1]]
// CHECK:   arith.andi
// CHECK:   %[[OK:.+]] = arith.cmpi eq
// CHECK:   scf.yield %[[OK]] : i1
// CHECK: } else {
// CHECK:   scf.yield %false
// CHECK: }
// CHECK: scf.if %[[ALIGNED]] -> (f32, f32) {
// CHECK:   %[[ROW1:.+]] = arith.addi %{{.+}}, %{{.+}} : index
// CHECK:   %[[V:.+]]:2 = scf.for %[[K:.+]] = %{{.+}} to %[[VUB]] step %c4{{.*}} iter_args(%[[S0:.+]] = %[[INIT]], %[[S1:.+]] = %[[INIT]])
// CHECK:     %[[VA:.+]] = vector.load %[[A]][%{{.+}}, %[[K]]] {alignment = 16 : i64} : {{.+}}, vector<4xf32>
// CHECK:     %[[VB0:.+]] = vector.load %[[B]][%{{.+}}, %[[K]]] {alignment = 16 : i64} : {{.+}}, vector<4xf32>
// CHECK:     %[[VB1:.+]] = vector.load %[[B]][%[[ROW1]], %[[K]]] {alignment = 16 : i64} : {{.+}}, vector<4xf32>
// CHECK-NOT: vector.load
// CHECK:     %[[A0:.+]] = vector.extract %[[VA]][0]
// CHECK:     %[[A0B:.+]] = vector.extract %[[VA]][0]
// CHECK:     %[[B00:.+]] = vector.extract %[[VB0]][0]
// CHECK:     %[[B10:.+]] = vector.extract %[[VB1]][0]
// CHECK:     %[[P0:.+]] = arith.mulf %[[A0]], %[[B00]]
// CHECK:     %[[T0:.+]] = arith.addf %[[S0]], %[[P0]]
// CHECK:     %[[P1:.+]] = arith.mulf %[[A0B]], %[[B10]]
// CHECK:     %[[T1:.+]] = arith.addf %[[S1]], %[[P1]]
// CHECK:     vector.extract %[[VA]][1]
// CHECK:     %[[U0:.+]] = arith.addf %[[T0]], %{{.+}}
// CHECK:     %[[U1:.+]] = arith.addf %[[T1]], %{{.+}}
// CHECK:     vector.extract %[[VA]][2]
// CHECK:     vector.extract %[[VA]][3]
// CHECK:     %[[Y0:.+]] = arith.addf
// CHECK:     %[[Y1:.+]] = arith.addf
// CHECK:     scf.yield %[[Y0]], %[[Y1]] : f32, f32
// CHECK:   %[[R:.+]]:2 = scf.for %{{.+}} = %[[VUB]] to %[[N]] step %c1{{.*}} iter_args(%{{.+}} = %[[V]]#0, %{{.+}} = %[[V]]#1)
// CHECK:     memref.load %[[A]]
// CHECK:   scf.yield %[[R]]#0, %[[R]]#1
// CHECK: } else {
// CHECK:   %[[O:.+]]:2 = scf.for %{{.+}} = %{{.+}} to %[[N]] step %c1{{.*}} iter_args(%{{.+}} = %[[INIT]], %{{.+}} = %[[INIT]])
// CHECK:     memref.load %[[A]]
// CHECK-NOT: vector.load
// CHECK:   scf.yield %[[O]]#0, %[[O]]#1
// CHECK: }
// BYTES8-LABEL: func.func @jammed_rows(
// BYTES8: scf.for {{.+}} step %c2
// BYTES8: vector.load {{.+}} {alignment = 8 : i64} : {{.+}}, vector<2xf32>
func.func @jammed_rows(%a: memref<?x256xf32, strided<[256, 1], offset: ?>>,
                       %b: memref<4x256xf32, strided<[256, 1], offset: ?>>,
                       %n: index, %init: f32) -> (f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r:2 = scf.for %k = %c0 to %n step %c1 iter_args(%s0 = %init, %s1 = %init) -> (f32, f32) {
    %x = memref.load %a[%c0, %k] : memref<?x256xf32, strided<[256, 1], offset: ?>>
    %w0 = memref.load %b[%c0, %k] : memref<4x256xf32, strided<[256, 1], offset: ?>>
    %one = arith.addi %c0, %c1 : index
    %w1 = memref.load %b[%one, %k] : memref<4x256xf32, strided<[256, 1], offset: ?>>
    %x2 = memref.load %a[%c0, %k] : memref<?x256xf32, strided<[256, 1], offset: ?>>
    %p0 = arith.mulf %x, %w0 : f32
    %t0 = arith.addf %s0, %p0 : f32
    %p1 = arith.mulf %x2, %w1 : f32
    %t1 = arith.addf %s1, %p1 : f32
    scf.yield %t0, %t1 : f32, f32
  }
  return %r#0, %r#1 : f32, f32
}

// -----

// Rows of different widths step by 16 bytes of the widest (4 elements):
// the bf16 row as a vector<4xbf16> aligned to 8 bytes. A load along the
// induction variable at another position (a column) stays a scalar load
// per iteration, at k + j.

// CHECK-LABEL: func.func @mixed_widths(
// CHECK: scf.for %[[K:.+]] = %{{.+}} to %{{.+}} step %c4
// CHECK-DAG: vector.load %{{.+}}[%{{.+}}, %[[K]]] {alignment = 8 : i64} : memref<16x64xbf16>, vector<4xbf16>
// CHECK-DAG: vector.load %{{.+}}[%[[K]]] {alignment = 16 : i64} : memref<64xf32>, vector<4xf32>
// CHECK: memref.load %{{.+}}[%[[K]], %{{.+}}] : memref<64x8xf32>
// CHECK: %[[K1:.+]] = arith.addi %[[K]], %c1
// CHECK: memref.load %{{.+}}[%[[K1]], %{{.+}}] : memref<64x8xf32>
// CHECK: %[[K3:.+]] = arith.addi %[[K]], %c3
// CHECK: memref.load %{{.+}}[%[[K3]], %{{.+}}] : memref<64x8xf32>
// CHECK: scf.yield
func.func @mixed_widths(%h: memref<16x64xbf16>, %g: memref<64xf32>,
                        %c: memref<64x8xf32>, %row: index, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %h[%row, %k] : memref<16x64xbf16>
    %xf = arith.extf %x : bf16 to f32
    %y = memref.load %g[%k] : memref<64xf32>
    %z = memref.load %c[%k, %c0] : memref<64x8xf32>
    %p = arith.mulf %xf, %y : f32
    %q = arith.mulf %p, %z : f32
    %t = arith.addf %s, %q : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// -----

// A gathered row (x at a token index the body loads, the same in every
// iteration): the index is loaded once for the alignment test and once
// before the vector loop (both only where the loop runs at least a whole
// vector: loads the loop would make), not per step.

// CHECK-LABEL: func.func @gathered_row(
// CHECK-SAME: %[[X:[^:]+]]: memref<?x64xf32>, %[[ROWS:[^:]+]]: memref<16xi32>, %[[W:[^:]+]]: memref<64xf32>, %[[M:[^:]+]]: index
// CHECK: scf.if %{{.+}} -> (i1) {
// CHECK:   %[[T:.+]] = memref.load %[[ROWS]][%[[M]]]
// CHECK:   %[[R:.+]] = arith.index_cast %[[T]]
// CHECK:   memref.extract_aligned_pointer_as_index %[[X]]
// CHECK:   arith.muli %[[R]]
// CHECK: scf.if %{{.+}} -> (f32) {
// CHECK:   %[[T2:.+]] = memref.load %[[ROWS]][%[[M]]]
// CHECK:   %[[R2:.+]] = arith.index_cast %[[T2]]
// CHECK:   scf.for %[[K:.+]] = %{{.+}} step %c4
// CHECK-NOT: memref.load
// CHECK:     vector.load %[[X]][%[[R2]], %[[K]]] {alignment = 16 : i64}
// CHECK-NOT: memref.load
// CHECK:     scf.yield
// CHECK:   scf.for
// CHECK:     memref.load %[[ROWS]][%[[M]]]
func.func @gathered_row(%x: memref<?x64xf32>, %rows: memref<16xi32>,
                        %w: memref<64xf32>, %m: index, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %t = memref.load %rows[%m] : memref<16xi32>
    %ti = arith.index_cast %t : i32 to index
    %a = memref.load %x[%ti, %k] : memref<?x64xf32>
    %b = memref.load %w[%k] : memref<64xf32>
    %p = arith.mulf %a, %b : f32
    %u = arith.addf %s, %p : f32
    scf.yield %u : f32
  }
  return %r : f32
}

// The row's memref itself loaded in the body (the same every iteration):
// the test and the vector loop use their own loads of it.

// CHECK-LABEL: func.func @loaded_memref(
// CHECK: scf.if %{{.+}} -> (i1) {
// CHECK:   %[[M1:.+]] = memref.load
// CHECK:   memref.extract_aligned_pointer_as_index %[[M1]]
// CHECK: scf.if %{{.+}} -> (f32) {
// CHECK:   %[[M2:.+]] = memref.load
// CHECK:   scf.for %[[K:.+]] = %{{.+}} step %c4
// CHECK:     vector.load %[[M2]][%[[K]]]
func.func @loaded_memref(%t: memref<4xmemref<?xf32>>, %i: index,
                         %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %row = memref.load %t[%i] : memref<4xmemref<?xf32>>
    %x = memref.load %row[%k] : memref<?xf32>
    %u = arith.addf %s, %x : f32
    scf.yield %u : f32
  }
  return %r : f32
}

// -----

// Left as they are: a store in the body (a later step may read what an
// earlier one wrote), an op that is not arith (math: a libm call each
// time), a branch, fewer steps than a vector, a last dimension that is not
// contiguous, a row index that changes with the loop, a thread's own array
// (an alloca, for registers: hmoe-thread-arrays-to-registers).

// CHECK-LABEL: func.func @store_in_body(
// CHECK-NOT: vector.load
func.func @store_in_body(%a: memref<64xf32>, %o: memref<64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %k = %c0 to %n step %c1 {
    %x = memref.load %a[%k] : memref<64xf32>
    memref.store %x, %o[%k] : memref<64xf32>
  }
  return
}

// CHECK-LABEL: func.func @math_in_body(
// CHECK-NOT: vector.load
func.func @math_in_body(%a: memref<64xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %a[%k] : memref<64xf32>
    %e = math.exp %x : f32
    %t = arith.addf %s, %e : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @branch_in_body(
// CHECK-NOT: vector.load
func.func @branch_in_body(%a: memref<64xf32>, %n: index, %c: i1) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %a[%k] : memref<64xf32>
    %t = scf.if %c -> f32 {
      %u = arith.addf %s, %x : f32
      scf.yield %u : f32
    } else {
      scf.yield %s : f32
    }
    scf.yield %t : f32
  }
  return %r : f32
}

// Not even its invariant multiply is moved.
// CHECK-LABEL: func.func @short_loop(
// CHECK-NOT: vector.load
// CHECK: scf.for
// CHECK-NEXT: arith.mulf
// BYTES8-LABEL: func.func @short_loop(
// BYTES8: vector.load {{.+}} vector<2xf32>
func.func @short_loop(%a: memref<64xf32>, %f: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c3 step %c1 iter_args(%s = %zero) -> f32 {
    %g = arith.mulf %f, %f : f32
    %x = memref.load %a[%k] : memref<64xf32>
    %y = arith.mulf %x, %g : f32
    %t = arith.addf %s, %y : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @unsigned_loop(
// CHECK-NOT: vector.load
func.func @unsigned_loop(%a: memref<64xf32>, %lb: index, %n: index) -> f32 {
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for unsigned %k = %lb to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %a[%k] : memref<64xf32>
    %t = arith.addf %s, %x : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @no_results(
// CHECK-NOT: vector.load
func.func @no_results(%a: memref<64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %k = %c0 to %n step %c1 {
    %x = memref.load %a[%k] : memref<64xf32>
  }
  return
}

// i24 takes 4 bytes in a memref, 3 in a vector.
// CHECK-LABEL: func.func @three_byte_elements(
// CHECK-NOT: vector.load
func.func @three_byte_elements(%a: memref<64xi24>, %n: index) -> i24 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i24
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> i24 {
    %x = memref.load %a[%k] : memref<64xi24>
    %t = arith.addi %s, %x : i24
    scf.yield %t : i24
  }
  return %r : i24
}

// CHECK-LABEL: func.func @strided_row(
// CHECK-NOT: vector.load
func.func @strided_row(%a: memref<8x64xf32, strided<[1, 8]>>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %a[%c0, %k] : memref<8x64xf32, strided<[1, 8]>>
    %t = arith.addf %s, %x : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @diagonal(
// CHECK-NOT: vector.load
func.func @diagonal(%a: memref<64x64xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %n step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %a[%k, %k] : memref<64x64xf32>
    %t = arith.addf %s, %x : f32
    scf.yield %t : f32
  }
  return %r : f32
}

// CHECK-LABEL: func.func @thread_array(
// CHECK-NOT: vector.load
func.func @thread_array(%a: memref<64xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  %zero = arith.constant 0.0 : f32
  %keys = memref.alloca() : memref<64xf32>
  memref.copy %a, %keys : memref<64xf32> to memref<64xf32>
  %r = scf.for %k = %c0 to %c64 step %c1 iter_args(%s = %zero) -> f32 {
    %x = memref.load %keys[%k] : memref<64xf32>
    %t = arith.maximumf %s, %x : f32
    scf.yield %t : f32
  }
  return %r : f32
}
