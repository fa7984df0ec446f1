// A small flat MoE for the hmoe-run tests: x [T, 8], gate [4, 8], A [4, 8, 8].
func.func @flat(%x: tensor<?x8xf32>, %gate0: tensor<4x8xf32>, %w1: tensor<4x8x8xf32>) -> (tensor<?x8xf32>) {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %gate0 : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

