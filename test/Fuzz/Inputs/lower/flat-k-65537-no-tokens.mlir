// Fuzz finding (hmoe-lower-fuzzer, structure-aware mutator): a choice count
// K of 2^16 made convert-hmoe-to-linalg emit K copies of the combine
// (and dropped-count) loop body, and the pipeline ran past the fuzzer's
// 60 s timeout (over 100 s); now a loop over K.
func.func @flat(%x: tensor<0x65537xf32>, %g: tensor<65537x65537xf32>, %gb: tensor<65537xf32>,
                %w1: tensor<65537x32x65537xf32>, %w2: tensor<65537x65537x32xf32>) -> tensor<0x65537xf32> {
  %y = hmoe.moe %x : tensor<0x65537xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<linear, softmax, k = 65537>, weight %g : tensor<65537x65537xf32>, bias %gb : tensor<65537xf32>)
      experts(#hmoe.expert<ffn, activation = relu, hidden = 32>,
              w1 %w1 : tensor<65537x32x65537xf32>, w2 %w2 : tensor<65537x65537x32xf32>)
      -> tensor<0x65537xf32>
  return %y : tensor<0x65537xf32>
}
