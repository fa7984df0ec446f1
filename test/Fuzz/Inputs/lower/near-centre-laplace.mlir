// The reported precision loss: a token 0.001 from a Laplace centre (the
// GEMM form's terms, ~17, cancelled down to 1e-6); the centred form with
// recomputation is checked numerically in
// test/Integration/matrix-precision.test; here it must lower.
func.func @f(%x: tensor<?x4xf32>, %a: tensor<2x4x4xf32>) -> tensor<?x4xf32> {
  %g = arith.constant dense<[[0.9, -2.1, 1.35, 3.3], [0.9, -1.6, 1.35, 3.3]]> : tensor<2x4xf32>
  %y = hmoe.moe %x : tensor<?x4xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, weight %g : tensor<2x4xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<2x4x4xf32>)
      -> tensor<?x4xf32>
  return %y : tensor<?x4xf32>
}
