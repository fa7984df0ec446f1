// Hostile: D = 0 verified and the lowering then emitted invalid IR (now
// "model width D >= 1").
func.func @f(%x: tensor<?x0xf32>, %g: tensor<4x0xf32>, %a: tensor<4x0x0xf32>) -> tensor<?x0xf32> {
  %y = hmoe.moe %x : tensor<?x0xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x0xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x0x0xf32>)
      -> tensor<?x0xf32>
  return %y : tensor<?x0xf32>
}
