// Hostile: constant splat gate weights of 2^36 elements. Folding ||w||^2 used
// to loop over every element (a hang); a splat now folds to one value.
func.func @f(%x: tensor<?x1048576xf32>) -> tensor<?x65536xf32> {
  %w = arith.constant dense<2.0> : tensor<65536x1048576xf32>
  %s = hmoe.score laplace %x : tensor<?x1048576xf32>,
      %w : tensor<65536x1048576xf32> -> tensor<?x65536xf32>
  return %s : tensor<?x65536xf32>
}
