// Hi-MoE grouped routing (Molodtsov, Miasnikov, Beznosikov;
// brain-lab-research/Hi-MoE, config/examples/train_nano_moe_himoe.py:
// n_exp 32, n_groups 4, top_k 2 per group, train_capacity 2.0,
// himoe_lambda1 0.1, himoe_lambda2 0.05, himoe_temperature 1.0; its
// MoGERouter) at a model width of 512 and FFN hidden 1024 (nanoGPT-MoE's
// sizes differ).
//
// A softmax gate over all 32 experts takes the top 2 inside every one of
// the 4 device-aligned groups, so each token uses 8 experts, renormalised
// over all 8 and multiplied by a learnable per-expert router scale.
// Hi-MoE's load penalty: the caller passes tau times its moving average of
// past logits; it is subtracted from the logits for choosing and weighting,
// while R_intra, R_inter and the z-loss use the unpenalised logits.
// Capacity as Hi-MoE fills and rounds it: every token's first choice before
// any token's second (fill_order choice_rank), capacity
// floor(c * T * K / E) rounded up to even, at least 4 (capacity_rounding
// hi_moe).
//
// Returns the layer output and the Hi-MoE regularisers: intra-group
// specialisation R_intra and inter-group balance R_inter, plus per-group
// load for monitoring.
func.func @himoe_per_group(
    %x: tensor<?x512xf32>,
    %gate: tensor<32x512xf32>,
    %penalty: tensor<32xf32>,
    %router_scale: tensor<32xf32>,
    %w1: tensor<32x1024x512xf32>,
    %w2: tensor<32x512x1024xf32>)
    -> (tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>) {
  %y, %r_intra, %r_inter, %group_load = hmoe.moe %x : tensor<?x512xf32>,
        #hmoe.strategy<per_group, groups = 4>
      level(#hmoe.gate<linear, softmax, k = 2>,
            weight %gate : tensor<32x512xf32>, penalty %penalty : tensor<32xf32>)
      router_scale %router_scale : tensor<32xf32>
      experts(#hmoe.expert<ffn, activation = silu, hidden = 1024>,
              w1 %w1 : tensor<32x1024x512xf32>,
              w2 %w2 : tensor<32x512x1024xf32>)
      capacity_factor 2.0 fill_order choice_rank capacity_rounding hi_moe
      stats [r_intra, r_inter, group_load]
      {lambda_intra = 0.1 : f64, lambda_inter = 0.05 : f64}
      -> tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
  return %y, %r_intra, %r_inter, %group_load
      : tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
}
