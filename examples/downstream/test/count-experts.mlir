// The downstream tool parses hmoe (the installed dialect), runs its own pass
// on it, and lowers the layer with hmoe's installed pipeline; the installed
// hmoe-opt reads what it prints.
//
// RUN: downstream-opt %s --downstream-count-experts | FileCheck %s
// RUN: downstream-opt %s --downstream-count-experts | hmoe-opt | FileCheck %s
// RUN: downstream-opt %s --downstream-count-experts --hmoe-lower-to-cpu="target-cpu=x86-64" | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @nested
// CHECK: hmoe.moe
// CHECK: {downstream.experts = 8 : i64, downstream.experts_per_token = 4 : i64}
// CHECK-LABEL: func.func @deepseek
// CHECK: hmoe.moe
// CHECK: {downstream.experts = 16 : i64, downstream.experts_per_token = 4 : i64}
// LLVM: llvm.func @nested(
// LLVM: llvm.func @deepseek(
// LLVM-NOT: {{= hmoe\.|^ +hmoe\.}}

func.func @nested(%x: tensor<?x16xf32>, %g1: tensor<2x16xf32>,
                  %g2: tensor<2x4x16xf32>, %w1: tensor<8x16x16xf32>)
    -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g1 : tensor<2x16xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g2 : tensor<2x4x16xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<8x16x16xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

func.func @deepseek(%x: tensor<?x16xf32>, %g: tensor<16x16xf32>,
                    %w1: tensor<16x8x16xf32>, %wu: tensor<16x8x16xf32>,
                    %w2: tensor<16x16x8xf32>) -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>,
      #hmoe.strategy<group_limited, groups = 4, k_groups = 2, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 4, scale = 2.5>, weight %g : tensor<16x16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 8>, w1 %w1 : tensor<16x8x16xf32>,
              w_up %wu : tensor<16x8x16xf32>, w2 %w2 : tensor<16x16x8xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
