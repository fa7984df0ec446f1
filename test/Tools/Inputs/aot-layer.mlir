// A layer for hmoe-compile's test: nested Laplace/linear routing, FFN
// experts with biases, the load statistic.
func.func @aot_layer(%x: tensor<?x16xf32>, %g0: tensor<4x16xf32>,
                     %g1: tensor<4x2x16xf32>, %w1: tensor<8x8x16xf32>,
                     %b1: tensor<8x8xf32>, %w2: tensor<8x16x8xf32>)
    -> (tensor<?x16xf32>, tensor<8xi64>) {
  %y, %load = hmoe.moe %x : tensor<?x16xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g0 : tensor<4x16xf32>)
      level(#hmoe.gate<linear, softmax, k = 1>, weight %g1 : tensor<4x2x16xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 8>,
              w1 %w1 : tensor<8x8x16xf32>, b1 %b1 : tensor<8x8xf32>,
              w2 %w2 : tensor<8x16x8xf32>)
      stats [load]
      -> tensor<?x16xf32>, tensor<8xi64>
  return %y, %load : tensor<?x16xf32>, tensor<8xi64>
}
