// Stock mlir-opt with the installed dialect and pass plugin lowers a layer.
//
// UNSUPPORTED: sanitized
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --load-pass-plugin=%hmoe_plugin --pass-pipeline="builtin.module(hmoe-lower-to-cpu{target-cpu=x86-64})" | FileCheck %s

// CHECK: llvm.func @layer(
// CHECK-NOT: {{= hmoe\.|^ +hmoe\.}}

func.func @layer(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>,
                 %w1: tensor<4x16x8xf32>, %wu: tensor<4x16x8xf32>,
                 %w2: tensor<4x8x16xf32>) -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<per_group, groups = 2>
      level(#hmoe.gate<laplace, softmax, k = 1>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<swiglu, hidden = 16>, w1 %w1 : tensor<4x16x8xf32>,
              w_up %wu : tensor<4x16x8xf32>, w2 %w2 : tensor<4x8x16xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
