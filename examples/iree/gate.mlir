// The gate stage of a Laplace HMoE level (G1's shape, smaller): logits of
// every token against 64 gate centres.
func.func @gate(%x: tensor<?x256xf32>, %w: tensor<64x256xf32>,
                %b: tensor<64xf32>) -> tensor<?x64xf32> {
  %s = hmoe.score laplace %x : tensor<?x256xf32>, %w : tensor<64x256xf32>,
      bias %b : tensor<64xf32> -> tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}
