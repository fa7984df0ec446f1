// RUN: hmoe-opt --split-input-file --mlir-print-local-scope --pass-pipeline='builtin.module(gpu.module(hmoe-thread-arrays-to-registers))' %s | FileCheck %s
// RUN: hmoe-opt --split-input-file --mlir-print-local-scope --pass-pipeline='builtin.module(gpu.module(hmoe-thread-arrays-to-registers{max-elements=8}))' %s | FileCheck %s --check-prefix=SMALL
// RUN: hmoe-opt --split-input-file --mlir-print-local-scope --pass-pipeline='builtin.module(gpu.module(hmoe-thread-arrays-to-registers{max-iterations=16}))' %s | FileCheck %s --check-prefix=ITER

// A token's scratch as hmoe-lower-routing-to-loops leaves it: arrays in the
// routing thread's scf.if and loop over tokens, each written before it is
// read. They move to the kernel's entry block, and the loops indexing them
// (by the induction variable itself or through arithmetic, a scan nested
// in a loop over winners included) are annotated to be unrolled fully;
// the loop over tokens (no constant trip count) and a loop indexing no
// array are not. With max-elements=8 the 16-element array stays where it
// is and only the loop indexing the 2-element array is unrolled (its scan
// indexes the large array: not). With max-iterations=16 the winners' loop
// (2 x (1 + 16) copies with its scan) is not unrolled, its scan (16) is.
// CHECK-LABEL: gpu.func @route
// CHECK-NEXT: memref.alloca() : memref<2xindex>
// CHECK-NEXT: memref.alloca() : memref<16xf32>
// CHECK: scf.if
// CHECK-NEXT: scf.for
// CHECK-NOT: memref.alloca
// CHECK: scf.for
// CHECK: memref.store {{.*}} : memref<16xf32>
// CHECK: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// CHECK: scf.for
// CHECK: scf.for
// CHECK: memref.load {{.*}} : memref<16xf32>
// CHECK: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// CHECK: memref.store {{.*}} : memref<2xindex>
// CHECK: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// CHECK: scf.for
// CHECK: memref.store {{.*}} : memref<?xf32>
// CHECK-NEXT: }{{$}}
// CHECK-NEXT: }{{$}}
// CHECK-NEXT: }{{$}}
// SMALL-LABEL: gpu.func @route
// SMALL-NEXT: memref.alloca() : memref<2xindex>
// SMALL: scf.if
// SMALL-NEXT: scf.for
// SMALL-NEXT: memref.alloca() : memref<16xf32>
// SMALL: scf.for
// SMALL: memref.store {{.*}} : memref<16xf32>
// SMALL-NEXT: }{{$}}
// SMALL: scf.for
// SMALL: scf.for
// SMALL: memref.load {{.*}} : memref<16xf32>
// SMALL: }{{$}}
// SMALL: memref.store {{.*}} : memref<2xindex>
// SMALL: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// ITER-LABEL: gpu.func @route
// ITER: memref.store {{.*}} : memref<16xf32>
// ITER-NEXT: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// ITER: memref.load {{.*}} : memref<16xf32>
// ITER: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <full = true>>}
// ITER: memref.store {{.*}} : memref<2xindex>
// ITER-NEXT: }{{$}}
gpu.module @kernels {
  gpu.func @route(%logits: memref<?x16xf32>, %out: memref<?xf32>, %n: index, %routes: i1) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c2 = arith.constant 2 : index
    %c16 = arith.constant 16 : index
    %zero = arith.constant 0.0 : f32
    scf.if %routes {
      scf.for %t = %c0 to %n step %c1 {
        %keys = memref.alloca() : memref<16xf32>
        %chosen = memref.alloca() : memref<2xindex>
        scf.for %c = %c0 to %c16 step %c1 {
          %v = memref.load %logits[%t, %c] : memref<?x16xf32>
          memref.store %v, %keys[%c] : memref<16xf32>
        }
        scf.for %j = %c0 to %c2 step %c1 {
          %best = scf.for %c = %c0 to %c16 step %c1 iter_args(%b = %zero) -> (f32) {
            %k = memref.load %keys[%c] : memref<16xf32>
            %m = arith.maximumf %b, %k : f32
            scf.yield %m : f32
          }
          %i = arith.fptoui %best : f32 to i32
          %at = arith.index_cast %i : i32 to index
          %slot = arith.addi %j, %c0 : index
          memref.store %at, %chosen[%slot] : memref<2xindex>
        }
        scf.for %c = %c0 to %c16 step %c1 {
          memref.store %zero, %out[%c] : memref<?xf32>
        }
      }
    }
    gpu.return
  }
}

// -----

// Left where they are: an array whose memref is passed on (a subview: it
// may outlive the access; SROA could not promote it), one in workgroup
// memory, one of dynamic size; the loops over them are not annotated, and
// a loop annotated already keeps its annotation.
// CHECK-LABEL: gpu.func @kept
// CHECK: scf.if
// CHECK-NEXT: memref.alloca() : memref<4xf32>
// CHECK-NEXT: memref.subview
// CHECK-NEXT: memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
// CHECK-NEXT: memref.alloca(%{{.*}}) : memref<?xf32>
// CHECK-NOT: full = true
// CHECK: } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <disable = true>>}
// CHECK-NOT: full = true
// CHECK: gpu.return
gpu.module @kernels {
  gpu.func @kept(%x: memref<4xf32>, %n: index, %p: i1) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c4 = arith.constant 4 : index
    scf.if %p {
      %a = memref.alloca() : memref<4xf32>
      %view = memref.subview %a[1] [2] [1] : memref<4xf32> to memref<2xf32, strided<[1], offset: 1>>
      %w = memref.alloca() : memref<4xf32, #gpu.address_space<workgroup>>
      %d = memref.alloca(%n) : memref<?xf32>
      scf.for %i = %c0 to %c4 step %c1 {
        %v = memref.load %x[%i] : memref<4xf32>
        memref.store %v, %a[%i] : memref<4xf32>
        memref.store %v, %w[%i] : memref<4xf32, #gpu.address_space<workgroup>>
        memref.store %v, %d[%i] : memref<?xf32>
      } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <disable = true>>}
      scf.for %i = %c0 to %c4 step %c1 {
        %v = memref.load %x[%i] : memref<4xf32>
        memref.store %v, %w[%i] : memref<4xf32, #gpu.address_space<workgroup>>
        memref.store %v, %d[%i] : memref<?xf32>
      }
      scf.for %i = %c0 to %c4 step %c1 {
        %v = memref.load %x[%i] : memref<4xf32>
        memref.store %v, %a[%i] : memref<4xf32>
      }
    }
    gpu.return
  }
}
