// G1's routing alone (bench.py's G1 without its Laplace GEMM): 64 experts,
// softmax, top 2, on given scores.
func.func @route(%s: tensor<?x64xf32>)
    -> (tensor<?x2xf32>, tensor<?x2xi32>) {
  %c0 = arith.constant 0 : index
  %t = tensor.dim %s, %c0 : tensor<?x64xf32>
  %w0 = tensor.empty(%t) : tensor<?x2xf32>
  %e0 = tensor.empty(%t) : tensor<?x2xi32>
  %p0 = tensor.empty(%t) : tensor<?x64xf32>
  %w, %e, %p = hmoe.route #hmoe.strategy<nested>
      level(#hmoe.gate<laplace, softmax, k = 2>, logits %s : tensor<?x64xf32>)
      outs(%w0, %e0, %p0 : tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x64xf32>)
      -> tensor<?x2xf32>, tensor<?x2xi32>, tensor<?x64xf32>
  return %w, %e : tensor<?x2xf32>, tensor<?x2xi32>
}
