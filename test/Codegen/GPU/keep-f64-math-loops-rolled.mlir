// RUN: hmoe-opt --pass-pipeline='builtin.module(gpu.module(hmoe-keep-f64-math-loops-rolled))' %s | FileCheck %s

// The innermost loop around an f64 libdevice call (exp, log; also under an
// scf.if) is annotated not to be unrolled; loops with f32 math or f64 math
// that is one instruction (sqrt), the outer loop, and a loop that has an
// annotation already are left as they are.
// CHECK-DAG: #[[UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK-DAG: #[[ROLLED:.*]] = #llvm.loop_annotation<unroll = #[[UNROLL]]>
// CHECK-DAG: #[[COUNT:.*]] = #llvm.loop_unroll<count = 2 : i32>
// CHECK-DAG: #[[KEPT:.*]] = #llvm.loop_annotation<unroll = #[[COUNT]]>
// CHECK-LABEL: gpu.func @kernel
// CHECK: scf.for
// CHECK: math.exp %{{.*}} : f64
// CHECK: } {llvm.loop_annotation = #[[ROLLED]]}
// CHECK: scf.for
// CHECK: scf.for
// CHECK: math.log %{{.*}} : f64
// CHECK: } {llvm.loop_annotation = #[[ROLLED]]}
// CHECK-NEXT: scf.yield
// CHECK-NEXT: }{{$}}
// CHECK: scf.for
// CHECK: math.exp %{{.*}} : f32
// CHECK: }{{$}}
// CHECK: scf.for
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: }{{$}}
// CHECK: scf.for
// CHECK: scf.if
// CHECK: math.exp %{{.*}} : f64
// CHECK: } {llvm.loop_annotation = #[[ROLLED]]}
// CHECK: scf.for
// CHECK: math.exp %{{.*}} : f64
// CHECK: } {llvm.loop_annotation = #[[KEPT]]}
gpu.module @kernels {
  gpu.func @kernel(%x: memref<8xf64>, %y: memref<8xf32>, %out: memref<1xf64>, %out32: memref<1xf32>) kernel {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    %c8 = arith.constant 8 : index
    %zero = arith.constant 0.0 : f64
    %zero32 = arith.constant 0.0 : f32
    %sum = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero) -> (f64) {
      %v = memref.load %x[%i] : memref<8xf64>
      %e = math.exp %v : f64
      %s = arith.addf %acc, %e : f64
      scf.yield %s : f64
    }
    %outer = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %sum) -> (f64) {
      %inner = scf.for %j = %c0 to %c8 step %c1 iter_args(%a = %acc) -> (f64) {
        %v = memref.load %x[%j] : memref<8xf64>
        %l = math.log %v : f64
        %s = arith.addf %a, %l : f64
        scf.yield %s : f64
      }
      scf.yield %inner : f64
    }
    %sum32 = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %zero32) -> (f32) {
      %v = memref.load %y[%i] : memref<8xf32>
      %e = math.exp %v : f32
      %s = arith.addf %acc, %e : f32
      scf.yield %s : f32
    }
    %roots = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %outer) -> (f64) {
      %v = memref.load %x[%i] : memref<8xf64>
      %r = math.sqrt %v : f64
      %s = arith.addf %acc, %r : f64
      scf.yield %s : f64
    }
    %guarded = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %roots) -> (f64) {
      %v = memref.load %x[%i] : memref<8xf64>
      %pos = arith.cmpf ogt, %v, %zero : f64
      %t = scf.if %pos -> (f64) {
        %e = math.exp %v : f64
        scf.yield %e : f64
      } else {
        scf.yield %zero : f64
      }
      %s = arith.addf %acc, %t : f64
      scf.yield %s : f64
    }
    %kept = scf.for %i = %c0 to %c8 step %c1 iter_args(%acc = %guarded) -> (f64) {
      %v = memref.load %x[%i] : memref<8xf64>
      %e = math.exp %v : f64
      %s = arith.addf %acc, %e : f64
      scf.yield %s : f64
    } {llvm.loop_annotation = #llvm.loop_annotation<unroll = <count = 2 : i32>>}
    memref.store %kept, %out[%c0] : memref<1xf64>
    memref.store %sum32, %out32[%c0] : memref<1xf32>
    gpu.return
  }
}
