// Hostile: a tensor encoding verified and the lowering dropped or choked on
// it (now refused by the operand type constraint).
func.func @f(%x: tensor<?x8xf32, "enc">, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32, "enc"> {
  %y = hmoe.moe %x : tensor<?x8xf32, "enc">, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32, "enc">
  return %y : tensor<?x8xf32, "enc">
}
