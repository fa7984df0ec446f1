// RUN: hmoe-opt --hmoe-allow-fma-contraction %s | FileCheck %s

// Every arith op with fast-math flags gets `contract`, keeping the flags
// it had; integer ops are untouched.
// CHECK-LABEL: func.func @flags
// CHECK: %[[P:.*]] = arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f32
// CHECK: %[[S:.*]] = arith.addf %{{.*}}, %[[P]] fastmath<contract> : f32
// CHECK: %[[N:.*]] = arith.subf %[[S]], %{{.*}} fastmath<nnan,contract> : f32
// CHECK: %[[D:.*]] = arith.mulf %{{.*}}, %{{.*}} fastmath<contract> : f64
// CHECK: arith.addi %{{.*}}, %{{.*}} : i32
// CHECK-NOT: fastmath
func.func @flags(%a: f32, %b: f32, %c: f32, %x: f64, %i: i32) -> (f32, f64, i32) {
  %p = arith.mulf %a, %b : f32
  %s = arith.addf %c, %p : f32
  %n = arith.subf %s, %a fastmath<nnan> : f32
  %d = arith.mulf %x, %x : f64
  %j = arith.addi %i, %i : i32
  return %n, %d, %j : f32, f64, i32
}
