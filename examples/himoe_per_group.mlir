// Hi-MoE grouped routing (Molodtsov, Miasnikov, Beznosikov): 32 experts in
// 4 device-aligned groups; a softmax gate over all experts takes the top-2
// inside every group, so each token uses 2 experts per group (8 in all),
// renormalised over all 8 and multiplied by a learnable per-expert router
// scale. Capacity as Hi-MoE fills and rounds it: every token's first choice
// before any token's second (fill_order choice_rank), capacity
// floor(c * T * K / E) rounded up to even, at least 4 (capacity_rounding
// hi_moe); the factor 1.25 here is illustrative.
//
// The selection bias here is DeepSeek-V3's kind (it changes which experts
// are chosen, never their weights). Hi-MoE's own EMA load penalty is not
// that: it shifts the logits for both the choice and the weights, while its
// regularisers use the unshifted probabilities; hmoe cannot express that
// split yet (issue 15).
//
// Returns the layer output and the Hi-MoE regularisers: intra-group
// specialisation R_intra and inter-group balance R_inter, plus per-group
// load for monitoring.
func.func @himoe_per_group(
    %x: tensor<?x512xf32>,
    %gate: tensor<32x512xf32>,
    %gate_bias: tensor<32xf32>,
    %ema_bias: tensor<32xf32>,
    %router_scale: tensor<32xf32>,
    %w1: tensor<32x1024x512xf32>,
    %w2: tensor<32x512x1024xf32>)
    -> (tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>) {
  %y, %r_intra, %r_inter, %group_load = hmoe.moe %x : tensor<?x512xf32>,
        #hmoe.strategy<per_group, groups = 4>
      level(#hmoe.gate<linear, softmax, k = 2>,
            weight %gate : tensor<32x512xf32>, bias %gate_bias : tensor<32xf32>,
            selection_bias %ema_bias : tensor<32xf32>)
      router_scale %router_scale : tensor<32xf32>
      experts(#hmoe.expert<ffn, activation = silu, hidden = 1024>,
              w1 %w1 : tensor<32x1024x512xf32>,
              w2 %w2 : tensor<32x512x1024xf32>)
      capacity_factor 1.25 fill_order choice_rank capacity_rounding hi_moe
      stats [r_intra, r_inter, group_load]
      {lambda_intra = 0.01 : f64, lambda_inter = 0.01 : f64}
      -> tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
  return %y, %r_intra, %r_inter, %group_load
      : tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
}
