// Hi-MoE grouped routing (Molodtsov, Miasnikov, Beznosikov): 32 experts in
// 4 device-aligned groups; a softmax gate over all experts takes the top-2
// inside every group, so each token uses 2 experts per group (8 in all),
// renormalised over all 8 and multiplied by a learnable per-expert router
// scale. The selection bias is Hi-MoE's EMA load correction.
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
      stats [r_intra, r_inter, group_load]
      {lambda_intra = 0.01 : f64, lambda_inter = 0.01 : f64}
      -> tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
  return %y, %r_intra, %r_inter, %group_load
      : tensor<?x512xf32>, tensor<f32>, tensor<f32>, tensor<4xi64>
}
