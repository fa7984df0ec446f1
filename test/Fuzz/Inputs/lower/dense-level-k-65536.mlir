// Fuzz finding (hmoe-lower-fuzzer, structure-aware mutator): a choice count
// K of 2^16 made convert-hmoe-to-linalg emit K copies of the combine
// (and dropped-count) loop body, and the pipeline ran past the fuzzer's
// 60 s timeout (over 100 s); now a loop over K.
func.func @drop_selection_bias_dense_level(
    %x: tensor<?x65536xf32>, %g1: tensor<65536x65536xf32>, %s1: tensor<65536xf32>,
    %g2: tensor<1x65536xf32>, %s2: tensor<1xf32>, %a: tensor<65536x65536x65536xf32>) -> tensor<?x65536xf32> {
  %y = hmoe.moe %x : tensor<?x65536xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 65536>, weight %g1 : tensor<65536x65536xf32>, selection_bias %s1 : tensor<65536xf32>)

      experts(#hmoe.expert<linear>, w1 %a : tensor<65536x65536x65536xf32>)
      -> tensor<?x65536xf32>
  return %y : tensor<?x65536xf32>
}
