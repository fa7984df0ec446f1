// Hostile: a static result for a dynamic token count verified, and at run
// time T = 1 read past the output while T = 5 returned 3 rows (now a
// verifier error: the output's T is the input's, `?`).
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<3x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<3x8xf32>
  return %y : tensor<3x8xf32>
}
