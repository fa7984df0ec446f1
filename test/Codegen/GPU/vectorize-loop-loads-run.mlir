// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-vectorize-loop-loads),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// CHECK: cases 2880
// CHECK-NEXT: wrong 0

// Run: sums of products over two rows, each read from a view starting 0,
// 1, 4 or 8 elements into a 16-byte aligned buffer (aligned, or not),
// rows 12-16 apart, from 0, 1 or 4 to 0-11 (no steps, whole vectors and a
// remainder, an unaligned start): the vectorized loop against a loop the
// pass leaves alone (its accumulator in memory). Small integers: every sum
// is exact, so any difference is a wrong element read.
func.func @dot(%a: memref<?xf32, strided<[1], offset: ?>>,
               %b: memref<2x?xf32, strided<[?, 1], offset: ?>>,
               %lb: index, %n: index) -> (f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r:2 = scf.for %k = %lb to %n step %c1 iter_args(%s0 = %zero, %s1 = %zero) -> (f32, f32) {
    %x = memref.load %a[%k] : memref<?xf32, strided<[1], offset: ?>>
    %w0 = memref.load %b[%c0, %k] : memref<2x?xf32, strided<[?, 1], offset: ?>>
    %w1 = memref.load %b[%c1, %k] : memref<2x?xf32, strided<[?, 1], offset: ?>>
    %p0 = arith.mulf %x, %w0 : f32
    %t0 = arith.addf %s0, %p0 : f32
    %p1 = arith.mulf %x, %w1 : f32
    %t1 = arith.addf %s1, %p1 : f32
    scf.yield %t0, %t1 : f32, f32
  }
  return %r#0, %r#1 : f32, f32
}

func.func @dot_in_memory(%a: memref<?xf32, strided<[1], offset: ?>>,
                         %b: memref<2x?xf32, strided<[?, 1], offset: ?>>,
                         %lb: index, %n: index) -> (f32, f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %acc = memref.alloca() : memref<2xf32>
  memref.store %zero, %acc[%c0] : memref<2xf32>
  memref.store %zero, %acc[%c1] : memref<2xf32>
  scf.for %k = %lb to %n step %c1 {
    %x = memref.load %a[%k] : memref<?xf32, strided<[1], offset: ?>>
    %w0 = memref.load %b[%c0, %k] : memref<2x?xf32, strided<[?, 1], offset: ?>>
    %w1 = memref.load %b[%c1, %k] : memref<2x?xf32, strided<[?, 1], offset: ?>>
    %s0 = memref.load %acc[%c0] : memref<2xf32>
    %s1 = memref.load %acc[%c1] : memref<2xf32>
    %p0 = arith.mulf %x, %w0 : f32
    %t0 = arith.addf %s0, %p0 : f32
    %p1 = arith.mulf %x, %w1 : f32
    %t1 = arith.addf %s1, %p1 : f32
    memref.store %t0, %acc[%c0] : memref<2xf32>
    memref.store %t1, %acc[%c1] : memref<2xf32>
  }
  %r0 = memref.load %acc[%c0] : memref<2xf32>
  %r1 = memref.load %acc[%c1] : memref<2xf32>
  return %r0, %r1 : f32, f32
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %c17 = arith.constant 17 : index
  %c64 = arith.constant 64 : index
  %buf = memref.alloc() {alignment = 16 : i64} : memref<64xf32>
  scf.for %i = %c0 to %c64 step %c1 {
    %i32 = arith.index_cast %i : index to i32
    %c7 = arith.constant 7 : i32
    %m = arith.remui %i32, %c7 : i32
    %v = arith.uitofp %m : i32 to f32
    %one = arith.constant 1.0 : f32
    %w = arith.addf %v, %one : f32
    memref.store %w, %buf[%i] : memref<64xf32>
  }
  // View offsets (elements; 1 misaligned) and lower bounds (1 misaligned).
  %offsets = memref.alloca() : memref<4xindex>
  memref.store %c0, %offsets[%c0] : memref<4xindex>
  memref.store %c1, %offsets[%c1] : memref<4xindex>
  memref.store %c4, %offsets[%c2] : memref<4xindex>
  memref.store %c8, %offsets[%c3] : memref<4xindex>
  %lbs = memref.alloca() : memref<3xindex>
  memref.store %c0, %lbs[%c0] : memref<3xindex>
  memref.store %c1, %lbs[%c1] : memref<3xindex>
  memref.store %c4, %lbs[%c2] : memref<3xindex>
  %cases, %wrong = scf.for %ia = %c0 to %c4 step %c1
      iter_args(%n0 = %c0, %w0 = %c0) -> (index, index) {
    %offa = memref.load %offsets[%ia] : memref<4xindex>
    %n1, %w1 = scf.for %ib = %c0 to %c4 step %c1
        iter_args(%n2 = %n0, %w2 = %w0) -> (index, index) {
      %offb = memref.load %offsets[%ib] : memref<4xindex>
      %n3, %w3 = scf.for %il = %c0 to %c3 step %c1
          iter_args(%n4 = %n2, %w4 = %w2) -> (index, index) {
        %lb = memref.load %lbs[%il] : memref<3xindex>
        %n5, %w5 = scf.for %n = %c0 to %c12 step %c1
            iter_args(%n6 = %n4, %w6 = %w4) -> (index, index) {
          %n7, %w7 = scf.for %stride = %c12 to %c17 step %c1
              iter_args(%n8 = %n6, %w8 = %w6) -> (index, index) {
            %a = memref.reinterpret_cast %buf to offset: [%offa], sizes: [%n], strides: [1]
                : memref<64xf32> to memref<?xf32, strided<[1], offset: ?>>
            %b = memref.reinterpret_cast %buf to offset: [%offb], sizes: [2, %n], strides: [%stride, 1]
                : memref<64xf32> to memref<2x?xf32, strided<[?, 1], offset: ?>>
            %got:2 = func.call @dot(%a, %b, %lb, %n) : (memref<?xf32, strided<[1], offset: ?>>, memref<2x?xf32, strided<[?, 1], offset: ?>>, index, index) -> (f32, f32)
            %want:2 = func.call @dot_in_memory(%a, %b, %lb, %n) : (memref<?xf32, strided<[1], offset: ?>>, memref<2x?xf32, strided<[?, 1], offset: ?>>, index, index) -> (f32, f32)
            %e0 = arith.cmpf one, %got#0, %want#0 : f32
            %e1 = arith.cmpf one, %got#1, %want#1 : f32
            %e = arith.ori %e0, %e1 : i1
            %ei = arith.select %e, %c1, %c0 : index
            %w9 = arith.addi %w8, %ei : index
            %n9 = arith.addi %n8, %c1 : index
            scf.yield %n9, %w9 : index, index
          }
          scf.yield %n7, %w7 : index, index
        }
        scf.yield %n5, %w5 : index, index
      }
      scf.yield %n3, %w3 : index, index
    }
    scf.yield %n1, %w1 : index, index
  }
  vector.print str "cases "
  vector.print %cases : index
  vector.print str "wrong "
  vector.print %wrong : index
  memref.dealloc %buf : memref<64xf32>
  return
}
