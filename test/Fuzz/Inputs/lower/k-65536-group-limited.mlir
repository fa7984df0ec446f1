// Fuzz finding (hmoe-lower-fuzzer, structure-aware mutator): a choice count
// K of 2^16 made convert-hmoe-to-linalg emit K copies of the combine
// (and dropped-count) loop body, and the pipeline ran past the fuzzer's
// 60 s timeout (over 100 s); now a loop over K.
func.func @deepseek_group_limited(
    %x: tensor<?x2147483648xf32>,
    %gate: tensor<65536x2147483648xf32>,
    %select_bias: tensor<65536xf32>,
    %wg: tensor<65536x256x2147483648xf32>,
    %wu: tensor<65536x256x2147483648xf32>,
    %w2: tensor<65536x2147483648x256xf32>)
    -> (tensor<?x2147483648xf32>, tensor<65536xi64>, tensor<f32>) {
  %y, %load, %balance = hmoe.moe %x : tensor<?x2147483648xf32>,
        #hmoe.strategy<group_limited, groups = 8, k_groups = 8,
                       group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 65536, scale = 2>,
            weight %gate : tensor<65536x2147483648xf32>,
            selection_bias %select_bias : tensor<65536xf32>)
      experts(#hmoe.expert<swiglu, hidden = 256>,
              w1 %wg : tensor<65536x256x2147483648xf32>,
              w_up %wu : tensor<65536x256x2147483648xf32>,
              w2 %w2 : tensor<65536x2147483648x256xf32>)
      stats [load, balance_loss]
      -> tensor<?x2147483648xf32>, tensor<65536xi64>, tensor<f32>
  return %y, %load, %balance : tensor<?x2147483648xf32>, tensor<65536xi64>, tensor<f32>
}
