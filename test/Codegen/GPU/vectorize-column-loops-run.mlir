// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-vectorize-column-loops,convert-linalg-to-loops),convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,convert-vector-to-llvm,convert-to-llvm,reconcile-unrealized-casts)' | mlir-runner -e main -entry-point-result=void -shared-libs=%mlir_c_runner_utils | FileCheck %s
// RUN: hmoe-opt %s --pass-pipeline='builtin.module(func.func(hmoe-vectorize-column-loops))' | FileCheck %s --check-prefix=IR
// CHECK: cases 144
// CHECK-NEXT: wrong 0
// IR-LABEL: func.func @group
// IR: vector.load {{.*}} vector<4xf32>
// IR: vector.store {{.*}} vector<4xf32>
// IR-LABEL: func.func @group_left_alone
// IR-NOT: vector.load
// IR-LABEL: func.func @main

// Run: a group of 4 combine columns from col0 (aligned to 4 elements or
// not) of rows in a view starting 0, 1, 2 or 4 elements into a 16-byte
// aligned buffer, 8, 9 or 12 elements apart, stored into a view 0, 1 or
// 4 elements into its buffer, each column summing 3 weighted slots (one
// dropped): the vectorized loop against the same loop with a dynamic trip
// count, which the pass leaves alone. Small integers: every sum is exact,
// so any difference is a wrong element read or written.
func.func @group(%rows: memref<?x?xf32, strided<[?, 1], offset: ?>>,
                 %slots: memref<3xi32>, %w: memref<3xf32>, %col0: index,
                 %outOff: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c0_i32 = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %buf = memref.alloc() {alignment = 16 : i64} : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%buf : memref<8xf32>)
  %out = memref.subview %buf[%outOff] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
  scf.for %c = %c0 to %c4 step %c1 {
    %col = arith.addi %col0, %c : index
    %sum = scf.for %j = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (f32) {
      %slot = memref.load %slots[%j] : memref<3xi32>
      %wt = memref.load %w[%j] : memref<3xf32>
      %kept = arith.cmpi sge, %slot, %c0_i32 : i32
      %next = scf.if %kept -> (f32) {
        %row = arith.index_cast %slot : i32 to index
        %v = memref.load %rows[%row, %col] : memref<?x?xf32, strided<[?, 1], offset: ?>>
        %p = arith.mulf %wt, %v : f32
        %s = arith.addf %acc, %p : f32
        scf.yield %s : f32
      } else {
        scf.yield %acc : f32
      }
      scf.yield %next : f32
    }
    memref.store %sum, %out[%c] : memref<4xf32, strided<[1], offset: ?>>
  }
  return %buf : memref<8xf32>
}

func.func @group_left_alone(%rows: memref<?x?xf32, strided<[?, 1], offset: ?>>,
                            %slots: memref<3xi32>, %w: memref<3xf32>,
                            %col0: index, %outOff: index, %n: index) -> memref<8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c0_i32 = arith.constant 0 : i32
  %zero = arith.constant 0.0 : f32
  %buf = memref.alloc() {alignment = 16 : i64} : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%buf : memref<8xf32>)
  %out = memref.subview %buf[%outOff] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
  scf.for %c = %c0 to %n step %c1 {
    %col = arith.addi %col0, %c : index
    %sum = scf.for %j = %c0 to %c3 step %c1 iter_args(%acc = %zero) -> (f32) {
      %slot = memref.load %slots[%j] : memref<3xi32>
      %wt = memref.load %w[%j] : memref<3xf32>
      %kept = arith.cmpi sge, %slot, %c0_i32 : i32
      %next = scf.if %kept -> (f32) {
        %row = arith.index_cast %slot : i32 to index
        %v = memref.load %rows[%row, %col] : memref<?x?xf32, strided<[?, 1], offset: ?>>
        %p = arith.mulf %wt, %v : f32
        %s = arith.addf %acc, %p : f32
        scf.yield %s : f32
      } else {
        scf.yield %acc : f32
      }
      scf.yield %next : f32
    }
    memref.store %sum, %out[%c] : memref<4xf32, strided<[1], offset: ?>>
  }
  return %buf : memref<8xf32>
}

func.func @main() {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c9 = arith.constant 9 : index
  %c12 = arith.constant 12 : index
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
  // Slots 2, dropped, 0 with weights 3, 5, -2.
  %slots = memref.alloca() : memref<3xi32>
  %weights = memref.alloca() : memref<3xf32>
  %s2 = arith.constant 2 : i32
  %sd = arith.constant -1 : i32
  %s0 = arith.constant 0 : i32
  memref.store %s2, %slots[%c0] : memref<3xi32>
  memref.store %sd, %slots[%c1] : memref<3xi32>
  memref.store %s0, %slots[%c2] : memref<3xi32>
  %wt3 = arith.constant 3.0 : f32
  %wt5 = arith.constant 5.0 : f32
  %wm2 = arith.constant -2.0 : f32
  memref.store %wt3, %weights[%c0] : memref<3xf32>
  memref.store %wt5, %weights[%c1] : memref<3xf32>
  memref.store %wm2, %weights[%c2] : memref<3xf32>
  %offsets = memref.alloca() : memref<4xindex>
  memref.store %c0, %offsets[%c0] : memref<4xindex>
  memref.store %c1, %offsets[%c1] : memref<4xindex>
  memref.store %c2, %offsets[%c2] : memref<4xindex>
  memref.store %c4, %offsets[%c3] : memref<4xindex>
  %strides = memref.alloca() : memref<3xindex>
  memref.store %c8, %strides[%c0] : memref<3xindex>
  memref.store %c9, %strides[%c1] : memref<3xindex>
  memref.store %c12, %strides[%c2] : memref<3xindex>
  %outOffs = memref.alloca() : memref<3xindex>
  memref.store %c0, %outOffs[%c0] : memref<3xindex>
  memref.store %c1, %outOffs[%c1] : memref<3xindex>
  memref.store %c4, %outOffs[%c2] : memref<3xindex>
  %cases, %wrong = scf.for %io = %c0 to %c4 step %c1
      iter_args(%n0 = %c0, %w0 = %c0) -> (index, index) {
    %off = memref.load %offsets[%io] : memref<4xindex>
    %n1, %w1 = scf.for %is = %c0 to %c3 step %c1
        iter_args(%n2 = %n0, %w2 = %w0) -> (index, index) {
      %stride = memref.load %strides[%is] : memref<3xindex>
      %n3, %w3 = scf.for %col0 = %c0 to %c4 step %c1
          iter_args(%n4 = %n2, %w4 = %w2) -> (index, index) {
        %n5, %w5 = scf.for %iw = %c0 to %c3 step %c1
            iter_args(%n6 = %n4, %w6 = %w4) -> (index, index) {
          %outOff = memref.load %outOffs[%iw] : memref<3xindex>
          %rows = memref.reinterpret_cast %buf to offset: [%off], sizes: [3, 8], strides: [%stride, 1]
              : memref<64xf32> to memref<?x?xf32, strided<[?, 1], offset: ?>>
          %got = func.call @group(%rows, %slots, %weights, %col0, %outOff) : (memref<?x?xf32, strided<[?, 1], offset: ?>>, memref<3xi32>, memref<3xf32>, index, index) -> memref<8xf32>
          %want = func.call @group_left_alone(%rows, %slots, %weights, %col0, %outOff, %c4) : (memref<?x?xf32, strided<[?, 1], offset: ?>>, memref<3xi32>, memref<3xf32>, index, index, index) -> memref<8xf32>
          %bad = scf.for %e = %c0 to %c8 step %c1 iter_args(%b = %c0) -> (index) {
            %g = memref.load %got[%e] : memref<8xf32>
            %x = memref.load %want[%e] : memref<8xf32>
            %ne = arith.cmpf one, %g, %x : f32
            %ni = arith.select %ne, %c1, %c0 : index
            %b1 = arith.ori %b, %ni : index
            scf.yield %b1 : index
          }
          memref.dealloc %got : memref<8xf32>
          memref.dealloc %want : memref<8xf32>
          %w7 = arith.addi %w6, %bad : index
          %n7 = arith.addi %n6, %c1 : index
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
