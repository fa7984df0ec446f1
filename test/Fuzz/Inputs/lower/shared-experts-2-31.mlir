












func.func @deepseek_v3_shared(
    %x: tensor<?x16xf32>,
    %gate: tensor<16x16xf32>,
    %bias: tensor<16xf32>,
    %w_gate: tensor<16x64x16xf32>,
    %w_up: tensor<16x64x16xf32>,
    %w_down: tensor<16x16x64xf32>,
    %s_gate: tensor<2147483648x64x16xf32>,
    %s_up: tensor<2147483648x64x16xf32>,
    %s_down: tensor<2147483648x16x64xf32>)
    -> (tensor<?x16xf32>, tensor<16xi64>) {
  %y, %load = hmoe.moe %x : tensor<?x16xf32>,
        #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>,
            weight %gate : tensor<16x16xf32>,
            selection_bias %bias : tensor<16xf32>)
      experts(#hmoe.expert<swiglu, hidden = 64>,
              w1 %w_gate : tensor<16x64x16xf32>,
              w_up %w_up : tensor<16x64x16xf32>,
              w2 %w_down : tensor<16x16x64xf32>)
      shared(#hmoe.expert<swiglu, hidden = 64>,
             w1 %s_gate : tensor<2147483648x64x16xf32>,
             w_up %s_up : tensor<2147483648x64x16xf32>,
             w2 %s_down : tensor<2147483648x16x64xf32>)
      stats [load]
      -> tensor<?x16xf32>, tensor<16xi64>
  return %y, %load : tensor<?x16xf32>, tensor<16xi64>
}
