// Hostile: k = 2^63 - 1 of 4 children; the verifier says k <= 4.
func.func @f(%x: tensor<?x8xf32>, %gate0: tensor<4x8xf32>, %w1: tensor<4x8x8xf32>) -> (tensor<?x8xf32>) {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 9223372036854775807>, weight %gate0 : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
