// DeepSeek-V3-style group-limited routing: a sigmoid gate over 64 experts in
// 8 groups, an aux-loss-free selection bias, groups scored by the sum of
// their top-2 (biased) expert probabilities, the best 4 groups kept, the
// top-8 experts chosen among them, weights renormalised and scaled by 2.5
// (routed_scaling_factor). SwiGLU experts, D 1024, H 256.
//
// The layer also returns the expert load (to update the selection bias
// between steps) and the Switch balance loss.
func.func @deepseek_group_limited(
    %x: tensor<?x1024xf32>,
    %gate: tensor<64x1024xf32>,
    %select_bias: tensor<64xf32>,
    %wg: tensor<64x256x1024xf32>,
    %wu: tensor<64x256x1024xf32>,
    %w2: tensor<64x1024x256xf32>)
    -> (tensor<?x1024xf32>, tensor<64xi64>, tensor<f32>) {
  %y, %load, %balance = hmoe.moe %x : tensor<?x1024xf32>,
        #hmoe.strategy<group_limited, groups = 8, k_groups = 4,
                       group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>,
            weight %gate : tensor<64x1024xf32>,
            selection_bias %select_bias : tensor<64xf32>)
      experts(#hmoe.expert<swiglu, hidden = 256>,
              w1 %wg : tensor<64x256x1024xf32>,
              w_up %wu : tensor<64x256x1024xf32>,
              w2 %w2 : tensor<64x1024x256xf32>)
      stats [load, balance_loss]
      -> tensor<?x1024xf32>, tensor<64xi64>, tensor<f32>
  return %y, %load, %balance : tensor<?x1024xf32>, tensor<64xi64>, tensor<f32>
}
