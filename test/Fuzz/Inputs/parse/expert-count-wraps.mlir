// Hostile: 2^32 x 2^32 experts wrapped to 0 in the product of fan-outs and
// verified (UBSan: signed overflow in verifyRoutingTree); now at most
// 2^31 - 1 experts, counted with checked products.
func.func @f(%x: tensor<?x8xf32>, %g1: tensor<4294967296x8xf32>, %g2: tensor<4294967296x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g1 : tensor<4294967296x8xf32>)
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g2 : tensor<4294967296x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
