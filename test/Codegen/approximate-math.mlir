// RUN: hmoe-opt --hmoe-approximate-math %s | FileCheck %s

// f32 erf, exp and tanh (scalars and vectors) become arithmetic; f64 stays
// a math op (libm), as the statistics need.
// CHECK-LABEL: func.func @approximate
// CHECK-NOT: math.erf
// CHECK-NOT: math.exp {{.*}} : f32
// CHECK-NOT: math.tanh
// CHECK: math.exp %arg2 : f64
// CHECK-NOT: math.erf
func.func @approximate(%x: f32, %v: vector<8xf32>, %d: f64)
    -> (f32, vector<8xf32>, f32, f64) {
  %e = math.erf %x : f32
  %ev = math.exp %v : vector<8xf32>
  %t = math.tanh %x : f32
  %ed = math.exp %d : f64
  return %e, %ev, %t, %ed : f32, vector<8xf32>, f32, f64
}
