func.func @on_tensors(%p: tensor<?x4xf32>, %e: tensor<?x2xi32>, %imp: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'hmoe.stats' op must be bufferized before it is distributed over the GPU (it still has tensor operands)}}
  %r = hmoe.stats [importance] probs %p : tensor<?x4xf32>, experts %e : tensor<?x2xi32>
      outs(%imp : tensor<4xf32>) {groups = 1 : i64} -> tensor<4xf32>
  return %r : tensor<4xf32>
}
