// Usability: whole numbers for float parameters were a parse error
// ("unexpected decimal integer literal"); now read as floats, while hex
// literals stay bit patterns.
func.func @f(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2, temperature = 2, scale = 3>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>) capacity_factor 2
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
