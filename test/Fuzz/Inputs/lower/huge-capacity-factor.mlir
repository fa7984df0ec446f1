// Hostile: capacity_factor 1e300 made the conversion of the capacity to i64
// poison, and every choice was dropped at run time (now capped at T x k;
// the run is checked in test/Integration/matrix-numerics.test).
func.func @f(%x: tensor<?x8xf32>, %gate0: tensor<4x8xf32>, %w1: tensor<4x8x8xf32>) -> (tensor<?x8xf32>) {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %gate0 : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %w1 : tensor<4x8x8xf32>) capacity_factor 1.0e+300
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
