// A two-level hierarchical MoE with Laplace gates at both levels ("LL"), the
// best configuration of Nguyen et al., "On Expert Estimation in Hierarchical
// Mixture of Experts: Beyond Softmax Gating Functions".
//
// 4 groups x 8 experts = 32 GELU FFN experts (D 512, H 1024). Level 1 picks
// the top-2 groups, level 2 the top-2 experts inside each chosen group with
// that group's own gate, so each token uses 4 experts with weight
// w1[group] * w2[expert | group].
func.func @nested_ll_hmoe(
    %x: tensor<?x512xf32>,
    %gate1: tensor<4x512xf32>,
    %gate2: tensor<4x8x512xf32>,
    %w1: tensor<32x1024x512xf32>, %b1: tensor<32x1024xf32>,
    %w2: tensor<32x512x1024xf32>, %b2: tensor<32x512xf32>)
    -> tensor<?x512xf32> {
  %y = hmoe.moe %x : tensor<?x512xf32>, #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>,
            weight %gate1 : tensor<4x512xf32>)
      level(#hmoe.gate<laplace, softmax, k = 2>,
            weight %gate2 : tensor<4x8x512xf32>)
      experts(#hmoe.expert<ffn, activation = gelu, hidden = 1024>,
              w1 %w1 : tensor<32x1024x512xf32>, b1 %b1 : tensor<32x1024xf32>,
              w2 %w2 : tensor<32x512x1024xf32>, b2 %b2 : tensor<32x512xf32>)
      -> tensor<?x512xf32>
  return %y : tensor<?x512xf32>
}
