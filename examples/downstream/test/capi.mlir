// The installed C API (libHMoE-C.so) from a C program: parse, verify and
// lower a layer.
//
// RUN: downstream-capi "$(cat %s)" | FileCheck %s
// RUN: not downstream-capi "func.func @f() { hmoe.bogus }" 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: llvm.func @layer(
// CHECK-NOT: {{= hmoe\.|^ +hmoe\.}}
// BAD: failed

func.func @layer(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>,
                 %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<gaussian, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
