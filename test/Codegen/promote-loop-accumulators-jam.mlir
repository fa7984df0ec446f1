// RUN: hmoe-opt --split-input-file --hmoe-promote-loop-accumulators=jam=4 --cse %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --hmoe-promote-loop-accumulators --cse %s | FileCheck %s --check-prefix=OFF

// A thread's GEMM (C[m, n] += A[m, k] * B[n, k], as convert-linalg-to-loops
// leaves it): promoted, then four columns' accumulators carried through one
// K loop, A's element loaded once for the four.
// CHECK-LABEL: func.func @gemm
// CHECK: scf.for %[[N:.*]] = %{{.*}} to %{{.*}} step %c4 {
// CHECK-COUNT-4: memref.load %[[C:.*]][%{{.*}}, %{{.*}}] : memref<4x16xf32>
// CHECK: %[[R:.*]]:4 = scf.for %[[K:.*]] = {{.*}} iter_args({{.*}}) -> (f32, f32, f32, f32) {
// CHECK-COUNT-1: memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<4x64xf32>
// CHECK-NOT: memref<4x64xf32>
// CHECK-COUNT-4: memref.load %{{.*}}[%{{.*}}, %[[K]]] : memref<16x64xf32>
// CHECK: scf.yield
// CHECK-COUNT-4: memref.store %[[R]]#{{[0-3]}}, %[[C]]
// OFF-LABEL: func.func @gemm
// OFF: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c1 {
// OFF: scf.for {{.*}} iter_args({{.*}}) -> (f32) {
func.func @gemm(%A: memref<4x64xf32>, %B: memref<16x64xf32>, %m: index)
    -> memref<4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %C = memref.alloc() : memref<4x16xf32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %n = %c0 to %c16 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %c = memref.load %C[%i, %n] : memref<4x16xf32>
        %a = memref.load %A[%i, %k] : memref<4x64xf32>
        %b = memref.load %B[%n, %k] : memref<16x64xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %n] : memref<4x16xf32>
      }
    }
  }
  return %C : memref<4x16xf32>
}

// -----

// Six columns: jammed by 2, the largest power of two up to 4 dividing 6.
// CHECK-LABEL: func.func @six_columns
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c2 {
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (f32, f32) {
func.func @six_columns(%A: memref<64xf32>, %B: memref<6x64xf32>)
    -> memref<6xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c64 = arith.constant 64 : index
  %C = memref.alloc() : memref<6xf32>
  scf.for %n = %c0 to %c6 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %C[%n] : memref<6xf32>
      %a = memref.load %A[%k] : memref<64xf32>
      %b = memref.load %B[%n, %k] : memref<6x64xf32>
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %c, %p : f32
      memref.store %s, %C[%n] : memref<6xf32>
    }
  }
  return %C : memref<6xf32>
}

// -----

// Not jammed where the iterations share an element (C's index does not
// vary with the outer loop: the same accumulator summed over n and k), nor
// where a column count is dynamic or odd, nor where the outer loop writes
// something else (a buffer the K loop reads), nor where the accumulator is
// not a buffer of its own (an argument: not promoted at all).
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: step %c2
// CHECK-NOT: step %c4
// CHECK-NOT: -> (f32, f32)
// CHECK: return
func.func @left_alone(%A: memref<64xf32>, %B: memref<16x64xf32>,
                      %D: memref<16xf32>, %n: index) -> memref<16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %C = memref.alloc() : memref<16xf32>
  %S = memref.alloc() : memref<1xf32>
  // One shared element.
  scf.for %j = %c0 to %c16 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %S[%c0] : memref<1xf32>
      %b = memref.load %B[%j, %k] : memref<16x64xf32>
      %s = arith.addf %c, %b : f32
      memref.store %s, %S[%c0] : memref<1xf32>
    }
  }
  // A dynamic and an odd count of columns.
  scf.for %j = %c0 to %n step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %C[%j] : memref<16xf32>
      %b = memref.load %B[%j, %k] : memref<16x64xf32>
      %s = arith.addf %c, %b : f32
      memref.store %s, %C[%j] : memref<16xf32>
    }
  }
  scf.for %j = %c0 to %c5 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %C[%j] : memref<16xf32>
      %b = memref.load %B[%j, %k] : memref<16x64xf32>
      %s = arith.addf %c, %b : f32
      memref.store %s, %C[%j] : memref<16xf32>
    }
  }
  // The outer loop also writes A, which the K loop reads.
  scf.for %j = %c0 to %c16 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %C[%j] : memref<16xf32>
      %a = memref.load %A[%k] : memref<64xf32>
      %s = arith.addf %c, %a : f32
      memref.store %s, %C[%j] : memref<16xf32>
    }
    %z = arith.constant 0.0 : f32
    memref.store %z, %A[%j] : memref<64xf32>
  }
  // An argument's element: not promoted, not jammed.
  scf.for %j = %c0 to %c16 step %c1 {
    scf.for %k = %c0 to %c64 step %c1 {
      %c = memref.load %D[%j] : memref<16xf32>
      %b = memref.load %B[%j, %k] : memref<16x64xf32>
      %s = arith.addf %c, %b : f32
      memref.store %s, %D[%j] : memref<16xf32>
    }
  }
  return %C : memref<16xf32>
}
