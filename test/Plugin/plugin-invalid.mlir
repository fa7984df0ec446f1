// The dialect's verifier runs inside stock mlir-opt too.
// UNSUPPORTED: sanitized
// RUN: mlir-opt %s --load-dialect-plugin=%hmoe_plugin --verify-diagnostics

func.func @layer(%x: tensor<?x16xf32>, %g: tensor<4x16xf32>,
                 %w1: tensor<4x8x16xf32>, %w2: tensor<4x16x8xf32>)
    -> tensor<?x16xf32> {
  // expected-error @below {{level 1 gate chooses k = 5 of only 4 children; expected k <= 4}}
  %y = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 5>, weight %g : tensor<4x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<4x8x16xf32>, w2 %w2 : tensor<4x16x8xf32>)
      -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
