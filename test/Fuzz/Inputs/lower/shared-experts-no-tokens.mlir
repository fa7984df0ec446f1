











func.func @deepseek_v3_shared(
    %x: tensor<0x131072xf32>,
    %gate: tensor<131072x131072xf32>,
    %bias: tensor<131072xf32>,
    %w_gate: tensor<131072x63x131072xf32>,
    %w_up: tensor<131072x63x131072xf32>,
    %w_down: tensor<131072x131072x63xf32>,
    %s_gate: tensor<3x63x131072xf32>,
    %s_up: tensor<3x63x131072xf32>,
    %s_down: tensor<3x131072x63xf32>)
    -> (tensor<0x131072xf32>, tensor<131072xi64>) {
  %y, %load = hmoe.moe %x : tensor<0x131072xf32>,
        #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2>,
            weight %gate : tensor<131072x131072xf32>,
            selection_bias %bias : tensor<131072xf32>)
      experts(#hmoe.expert<swiglu, hidden = 63>,
              w1 %w_gate : tensor<131072x63x131072xf32>,
              w_up %w_up : tensor<131072x63x131072xf32>,
              w2 %w_down : tensor<131072x131072x63xf32>)
      shared(#hmoe.expert<swiglu, hidden = 63>,
             w1 %s_gate : tensor<3x63x131072xf32>,
             w_up %s_up : tensor<3x63x131072xf32>,
             w2 %s_down : tensor<3x131072x63xf32>)
      stats [load]
      -> tensor<0x131072xf32>, tensor<131072xi64>
  return %y, %load : tensor<0x131072xf32>, tensor<131072xi64>
}
