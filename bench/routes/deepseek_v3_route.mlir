// The routing of DeepSeek-V3 alone (256 experts in 8 groups, the best 4
// groups by the sum of their top-2 keys, top 8 of their experts, sigmoid
// gate with selection bias, weights renormalised and scaled by 2.5), on
// given router logits: bench/RESULTS.md times it with hmoe-run.
func.func @route(%s: tensor<?x256xf32>, %b: tensor<256xf32>)
    -> (tensor<?x8xf32>, tensor<?x8xi32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %s, %c0 : tensor<?x256xf32>
  %w0 = tensor.empty(%t) : tensor<?x8xf32>
  %e0 = tensor.empty(%t) : tensor<?x8xi32>
  %p0 = tensor.empty(%t) : tensor<?x256xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<group_limited, groups = 8, k_groups = 4, group_score = sum_top<2>>
      level(#hmoe.gate<linear, sigmoid, k = 8, scale = 2.5>, logits %s : tensor<?x256xf32>, selection_bias %b : tensor<256xf32>)
      outs(%w0, %e0, %p0 : tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x256xf32>)
      -> tensor<?x8xf32>, tensor<?x8xi32>, tensor<?x256xf32>
  return %w, %e : tensor<?x8xf32>, tensor<?x8xi32>
}
