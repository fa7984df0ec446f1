// A layer whose hidden rows outgrow memory long before its input does: D 1,
// 64 experts of 64 hidden units, every token sent to all 64 (T x 64 x 64
// floats of hidden rows for T floats of x).
func.func @wide(%x: tensor<?x1xf32>, %g: tensor<64x1xf32>,
                %w1: tensor<64x64x1xf32>, %w2: tensor<64x1x64xf32>)
    -> tensor<?x1xf32> {
  %y = hmoe.moe %x : tensor<?x1xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 64>, weight %g : tensor<64x1xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 64>,
              w1 %w1 : tensor<64x64x1xf32>, w2 %w2 : tensor<64x1x64xf32>)
      -> tensor<?x1xf32>
  return %y : tensor<?x1xf32>
}
