// Hostile: a temperature that is an f64 subnormal (0x7FC00000 read as f64
// bits), 0 in the f32 the gates compute in; the verifier rejects it.
func.func @f(%x: tensor<?x8xf32>, %gate0: tensor<4x8xf32>, %w1: tensor<4x8x8xf32>) -> (tensor<?x8xf32>) {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2, temperature = 0x7FC00000>, weight %gate0 : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
