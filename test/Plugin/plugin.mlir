// Stock mlir-opt of LLVM 22 loads hmoe as a dialect and pass plugin: it
// parses and verifies hmoe layers, runs hmoe's passes by name and lowers a
// layer with the hmoe-lower-to-cpu pipeline. Plugin passes are named in
// --pass-pipeline: mlir-opt has parsed its pass flags (--hmoe-decompose)
// before the plugin registers them.
//
// UNSUPPORTED: sanitized
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --load-pass-plugin=%hmoe_plugin | FileCheck %s --check-prefix=PARSE
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --load-pass-plugin=%hmoe_plugin --pass-pipeline="builtin.module(hmoe-decompose)" | FileCheck %s --check-prefix=DECOMPOSE
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --load-pass-plugin=%hmoe_plugin --pass-pipeline="builtin.module(func.func(convert-hmoe-to-linalg))" | FileCheck %s --check-prefix=TENSOR
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --load-pass-plugin=%hmoe_plugin --pass-pipeline="builtin.module(hmoe-lower-to-cpu{target-cpu=x86-64})" | FileCheck %s --check-prefix=LLVM
// RUN: not mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN

// PARSE: hmoe.moe %{{.*}} : tensor<?x16xf32>, #hmoe.strategy<nested>
// PARSE-NEXT: level(#hmoe.gate<laplace, softmax, k = 2>
// DECOMPOSE-NOT: hmoe.moe
// DECOMPOSE: hmoe.score laplace
// DECOMPOSE: hmoe.route
// DECOMPOSE: hmoe.experts
// DECOMPOSE: hmoe.combine
// TENSOR-NOT: hmoe.score
// TENSOR: linalg.
// TENSOR: hmoe.route
// LLVM: llvm.func @layer(
// LLVM-NOT: {{= hmoe\.|^ +hmoe\.}}
// NOPLUGIN: error: Dialect `hmoe' not found for custom op 'hmoe.moe'

func.func @layer(%x: tensor<?x16xf32>, %g: tensor<4x16xf32>,
                 %w1: tensor<4x8x16xf32>, %w2: tensor<4x16x8xf32>)
    -> tensor<?x16xf32> {
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<4x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<4x8x16xf32>, w2 %w2 : tensor<4x16x8xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
