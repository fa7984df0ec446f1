// Hostile: a layer named @memset was called by the lowered code's own
// memset calls and recursed until the stack overflowed; now
// hmoe-lower-to-cpu stops with an error at the function.
func.func @memset(%x: tensor<?x8xf32>, %g: tensor<4x8xf32>, %a: tensor<4x8x8xf32>) -> tensor<?x8xf32> {
  %y = hmoe.moe %x : tensor<?x8xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 2>, weight %g : tensor<4x8xf32>)
      experts(#hmoe.expert<linear>, w1 %a : tensor<4x8x8xf32>)
      -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
