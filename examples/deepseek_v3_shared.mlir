// DeepSeek-V3's MoE layer shape (config of deepseek-ai/DeepSeek-V3:
// n_routed_experts 256, n_shared_experts 1, n_group 8, topk_group 4,
// num_experts_per_tok 8, scoring_func sigmoid, topk_method noaux_tc,
// norm_topk_prob, routed_scaling_factor 2.5) at a reduced width for tests:
// D = 256 and expert hidden 64 here (the model: 7168 and 2048).
//
// Routing: sigmoid scores over 256 experts in 8 groups; a group's key is
// the sum of its two best selection-biased scores (the bias is the
// auxiliary-loss-free correction, used for choosing only); the 4 best
// groups are kept and the top 8 experts among them chosen; weights are the
// chosen scores renormalised, times 2.5. The shared expert (SwiGLU, every
// token, never dropped) is added to the routed sum.
func.func @deepseek_v3_shared(
    %x: tensor<?x256xf32>,
    %gate: tensor<256x256xf32>,
    %bias: tensor<256xf32>,
    %w_gate: tensor<256x64x256xf32>,
    %w_up: tensor<256x64x256xf32>,
    %w_down: tensor<256x256x64xf32>,
    %s_gate: tensor<1x64x256xf32>,
    %s_up: tensor<1x64x256xf32>,
    %s_down: tensor<1x256x64xf32>)
    -> (tensor<?x256xf32>, tensor<256xi64>) {
  %y, %load = hmoe.moe %x : tensor<?x256xf32>,
        #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>,
            weight %gate : tensor<256x256xf32>,
            selection_bias %bias : tensor<256xf32>)
      experts(#hmoe.expert<swiglu, hidden = 64>,
              w1 %w_gate : tensor<256x64x256xf32>,
              w_up %w_up : tensor<256x64x256xf32>,
              w2 %w_down : tensor<256x256x64xf32>)
      shared(#hmoe.expert<swiglu, hidden = 64>,
             w1 %s_gate : tensor<1x64x256xf32>,
             w_up %s_up : tensor<1x64x256xf32>,
             w2 %s_down : tensor<1x256x64xf32>)
      stats [load]
      -> tensor<?x256xf32>, tensor<256xi64>
  return %y, %load : tensor<?x256xf32>, tensor<256xi64>
}
